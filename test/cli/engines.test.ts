/**
 * `spinalnet backends` (listEngines): every engine is listed, what is missing says why and how to get it,
 * and what is found really runs. Its own file: the probes switch tfjs's one engine between backends.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatEngines, listEngines } from '../../src/cli/engines.ts';
import { main } from '../../src/cli/main.ts';
import { loadOnnxRuntime } from '../../src/onnx/onnxRuntime.ts';
import { loadLibtorch } from '../../src/training/engines/libtorch/libtorchGradients.ts';

describe('listEngines', () => {
  it('lists libtorch, onnxruntime, webgpu, tensorflow, wasm and cpu, each found or explained', async () => {
    const reports = await listEngines();
    expect(reports.map((r) => r.name)).toEqual(['libtorch', 'onnxruntime', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    for (const r of reports) {
      expect(r.role.length).toBeGreaterThan(0);
      if (!r.available) {
        expect(r.why, r.name).toBeTruthy();
        expect(r.howTo, r.name).toBeTruthy();
      }
    }
    const byName = Object.fromEntries(reports.map((r) => [r.name, r]));
    expect(byName.cpu!.available).toBe(true);
    expect(byName.wasm!.available).toBe(true);
    expect(byName.wasm!.detail).toMatch(/^wasm \((SIMD|no SIMD), \d+ threads?\)/);
    // onnxruntime's row agrees with the loader the runs use.
    expect(byName.onnxruntime!.available).toBe(typeof (await loadOnnxRuntime()) !== 'string');
    if (byName.onnxruntime!.available) expect(byName.onnxruntime!.detail).toMatch(/^onnxruntime-node \d+\.\d+/);
    // So does libtorch's.
    expect(byName.libtorch!.available).toBe(typeof loadLibtorch() !== 'string');
    if (byName.libtorch!.available) expect(byName.libtorch!.detail).toMatch(/^libtorch \d+\.\d+\.\d+/);
    // WebGPU: every adapter is described; a software one comes with why the GPU route is not a GPU here.
    const gpu = byName.webgpu!;
    for (const a of gpu.adapters ?? []) expect(a.vendor.length + a.architecture.length).toBeGreaterThan(0);
    if ((gpu.adapters ?? []).every((a) => a.software)) expect(gpu.why).toBeTruthy();
    const lines = formatEngines(reports);
    expect(lines.filter((l) => /^(yes|no ) {2}\S/.test(l))).toHaveLength(6);
  });

  it('is the `spinalnet backends --json` command', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      expect(await main(['backends', '--json'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const parsed = JSON.parse(out.join('')) as { name: string }[];
    expect(parsed.map((r) => r.name)).toContain('webgpu');
  });

  it('keeps Dawn\'s and the Vulkan loader\'s native stderr off the terminal: only the table is printed', () => {
    // Without a GPU, Dawn printed 'Warning: vkCreateInstance: Found no drivers!' and a C++ source path
    // above the table; the probe now runs in a child process whose stderr goes to the why column.
    const cli = fileURLToPath(new URL('../../bin/spinalnet.js', import.meta.url));
    const run = spawnSync(process.execPath, [cli, 'backends'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(0);
    const lines = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => /^(Warning|Error): |^vkCreateInstance|VulkanError\.cpp|^\s+at /.test(l))).toEqual([]);
    expect(run.stderr).toBe('');
    for (const l of lines) expect(l).toMatch(/^(yes|no ) {2}\S| {17}(use|why|get it|for speed): /);
  });
});
