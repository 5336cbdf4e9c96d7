/**
 * Every compute engine spinalnet can use, found on this machine or not, with the reason and the way to
 * get each missing one (`spinalnet backends`). Each probe goes through the code the runs use
 * (selectBackend, loadOnnxRuntime, findAdapter), so what this lists is what `--backend` will find.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { BackendError } from '../core/errors.ts';
import { loadOnnxRuntime } from '../onnx/onnxRuntime.ts';
import { LIBTORCH_HOW_TO, loadLibtorch } from '../training/engines/libtorch/libtorchGradients.ts';
import { selectBackend, type BackendName } from '../backend/selectBackend.ts';
import { type AdapterProbe, DAWN_MODULE_URL, formatAdapter, type GpuAdapterDescription, loadDawn, swiftShaderManifest } from '../backend/webgpu/dawn.ts';

export interface EngineReport {
  /** 'libtorch', 'onnxruntime', 'webgpu', 'tensorflow', 'wasm', 'cpu'. */
  name: 'libtorch' | 'onnxruntime' | BackendName;
  available: boolean;
  /** What it is, with its version: "onnxruntime-node 1.30.0 (CPU, 2 threads)". */
  detail: string;
  /** What spinalnet uses it for. */
  role: string;
  /** When unavailable (or only a software adapter): why. */
  why?: string;
  /** When unavailable: how to get it. */
  howTo?: string;
  /** webgpu only: every adapter found. */
  adapters?: GpuAdapterDescription[];
}

const ROLE = {
  libtorch: 'training gradients on the CPU with PyTorch\'s kernels (--training auto picks it first)',
  onnxruntime: 'training gradients (--training auto) and maps (--inference auto) on the CPU, natively',
  webgpu: "--backend webgpu: training and maps on the GPU through Dawn (auto picks it only on a hardware adapter)",
  tensorflow: 'native TensorFlow backend (tfjs-node-gpu with CUDA, or tfjs-node)',
  wasm: 'default tfjs backend on the CPU (XNNPACK)',
  cpu: 'last-resort tfjs backend in pure JavaScript',
} as const;

/** Probes every engine. Leaves tfjs on the cpu backend (the probes activate each in turn). */
export async function listEngines(): Promise<EngineReport[]> {
  const reports = [libtorchReport(), await onnxReport(), await webgpuReport()];
  for (const name of ['tensorflow', 'wasm', 'cpu'] as const) reports.push(await tfjsReport(name));
  await tf.setBackend('cpu');
  return reports;
}

function libtorchReport(): EngineReport {
  const addon = loadLibtorch();
  if (typeof addon === 'string') return { name: 'libtorch', available: false, detail: 'libtorch (native/libtorch)', role: ROLE.libtorch, why: addon, howTo: LIBTORCH_HOW_TO };
  return { name: 'libtorch', available: true, detail: `libtorch ${addon.version()} (CPU, up to ${availableParallelism()} threads)`, role: ROLE.libtorch };
}

async function onnxReport(): Promise<EngineReport> {
  const ort = await loadOnnxRuntime();
  if (typeof ort === 'string') {
    return {
      name: 'onnxruntime', available: false, detail: 'onnxruntime-node', role: ROLE.onnxruntime, why: ort,
      howTo: 'npm install onnxruntime-node (an optional dependency; its native library ships in the npm package)',
    };
  }
  const version = ort.env.versions.node ?? ort.env.versions.common ?? 'unknown version';
  return { name: 'onnxruntime', available: true, detail: `onnxruntime-node ${version} (CPU, up to ${availableParallelism()} threads)`, role: ROLE.onnxruntime };
}

async function webgpuReport(): Promise<EngineReport> {
  const base = { name: 'webgpu' as const, role: ROLE.webgpu };
  const dawn = await loadDawn();
  const howTo = 'npm install webgpu (an optional dependency; Dawn ships in the npm package), plus Vulkan: libvulkan1 and the GPU vendor\'s ' +
    'Vulkan driver (NVIDIA driver, mesa-vulkan-drivers for AMD/Intel); for a CPU-only test adapter, Debian\'s chromium (SwiftShader)';
  if (typeof dawn === 'string') return { ...base, available: false, detail: 'Dawn (npm webgpu)', why: dawn, howTo };
  const probe = probeAdaptersQuietly();
  if ('failed' in probe) return { ...base, available: false, detail: 'Dawn (npm webgpu)', why: probe.failed, howTo };
  const said = probe.said.length > 0 ? `; Dawn/Vulkan said: ${probe.said.join('; ')}` : '';
  const adapters = [probe.hardware, probe.software].filter((a): a is GpuAdapterDescription => a !== undefined);
  const detail = `Dawn (npm webgpu): ${adapters.length === 0 ? 'no adapter' : adapters.map(formatAdapter).join('; ')}`;
  if (probe.hardware) return { ...base, available: true, detail, adapters, ...(said ? { why: said.slice(2) } : {}) };
  const manifest = swiftShaderManifest();
  return {
    ...base, available: adapters.length > 0, detail, adapters,
    why: `${probe.hardwareReason ?? 'no hardware adapter'}${adapters.length > 0 ? ': --backend webgpu runs on the software adapter (slow; for tests), auto does not pick it' : ''}${said}`,
    howTo: adapters.length > 0 || manifest ? 'a GPU with its Vulkan driver (see README, "GPUs")' : howTo,
  };
}

/**
 * probeAdapters (dawn.ts) in a child process: Dawn and the Vulkan loader print to the process's stderr
 * natively ("Warning: vkCreateInstance: Found no drivers!" and a C++ source path on a machine without a
 * GPU), which would land above the table. The child's stderr is read instead: its messages, without the
 * source lines, come back as `said` for the why column; a child that fails comes back as `failed`.
 */
function probeAdaptersQuietly(): (AdapterProbe & { said: string[] }) | { failed: string } {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = `const { probeAdapters } = await import(${JSON.stringify(DAWN_MODULE_URL)});
const json = JSON.stringify(await probeAdapters());
process.stdout.write('\\n' + json + '\\n', () => process.exit(0));`;
  const child = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  const said = [...new Set(String(child.stderr ?? '').split('\n')
    .filter((l) => l.trim() !== '' && !/^\s+at /.test(l))
    .map((l) => l.replace(/^(Warning|Error|Info): /, '').trim().slice(0, 200)))].slice(0, 4);
  const last = String(child.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    if (child.status === 0) return { ...(JSON.parse(last) as AdapterProbe), said };
  } catch {
    // Not JSON: reported below.
  }
  const how = child.error ? child.error.message : child.signal ? `signal ${child.signal}` : `exit ${child.status}`;
  return { failed: `the Dawn probe failed (${how})${said.length > 0 ? `: ${said.join('; ')}` : ''}` };
}

async function tfjsReport(name: 'tensorflow' | 'wasm' | 'cpu'): Promise<EngineReport> {
  try {
    const info = await selectBackend(name);
    // The threaded build is opt-in (src/backend/wasmThreads.ts): say how far it goes here.
    const threads = name === 'wasm' ? `; --wasm-threads N runs XNNPACK on up to ${availableParallelism()} threads here` : '';
    return { name, available: true, detail: `${info.detail}${threads}`, role: ROLE[name] };
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return { name, available: false, detail: name, role: ROLE[name], why: err.message, howTo: err.fix };
  }
}

/** The report as lines for a terminal. */
export function formatEngines(reports: readonly EngineReport[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.available ? 'yes' : 'no '}  ${r.name.padEnd(11)} ${r.detail}`);
    lines.push(`     ${''.padEnd(11)} use: ${r.role}`);
    if (r.why) lines.push(`     ${''.padEnd(11)} why: ${r.why}`);
    if (r.howTo && !r.available) lines.push(`     ${''.padEnd(11)} get it: ${r.howTo}`);
    else if (r.howTo && r.why) lines.push(`     ${''.padEnd(11)} for speed: ${r.howTo}`);
  }
  return lines;
}
