/**
 * On --backend webgpu, run.json records the adapter (vendor, architecture, device, driver description) and
 * report.md's backend line (BackendInfo.detail) names it. Skips, saying why, without a WebGPU adapter.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { findAdapter } from '../../src/backend/webgpu/dawn.ts';
import { runEnvironment } from '../../src/pipeline/runEnvironment.ts';

const probe = await findAdapter(true);
const skip = probe.found === undefined;
if (skip) console.warn(`webgpu record test skipped: ${probe.reason} (install Debian's chromium for SwiftShader, and libvulkan1)`);

describe.skipIf(skip)('webgpu adapter in run.json and report.md', () => {
  it('records vendor, architecture, device and driver in run.json, and names them on the report\'s backend line', async () => {
    const info = await selectBackend('webgpu');
    const recorded = JSON.parse(JSON.stringify(runEnvironment(info))) as ReturnType<typeof runEnvironment>;
    const adapter = recorded.backend.adapter!;
    expect(recorded.backend.name).toBe('webgpu');
    expect(Object.keys(adapter).sort()).toEqual(['architecture', 'description', 'device', 'software', 'vendor', 'via']);
    expect(adapter.vendor.length + adapter.architecture.length).toBeGreaterThan(0);
    // The driver: Dawn's adapter description (SwiftShader: "SwiftShader driver 5.0.0").
    expect(adapter.description.length).toBeGreaterThan(0);
    for (const part of [adapter.vendor, adapter.architecture, adapter.description]) expect(info.detail).toContain(part);
  });
});
