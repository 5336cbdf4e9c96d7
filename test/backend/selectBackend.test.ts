import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selectBackend, type BackendChoice } from '../../src/backend/selectBackend.ts';
import { findAdapter } from '../../src/backend/webgpu/dawn.ts';
import { BackendError, ConfigError } from '../../src/core/errors.ts';

/** Whether a native tfjs-node package is installed here (it is not on the dev machine: no libtensorflow). */
function nativeInstalled(): boolean {
  const require = createRequire(import.meta.url);
  return ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((pkg) => {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  });
}
const hasNative = nativeInstalled();
/** Whether Dawn finds a hardware GPU here ('auto' then picks webgpu); never on the dev machine and CI. */
const hasGpu = (await findAdapter(false)).found !== undefined;

describe('selectBackend', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // First in this file on purpose: the notice comes from the cpu backend's first tensor in the process.
  it("keeps the cpu backend's 'install our node backend' notice quiet and prints nothing itself", async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    const info = await selectBackend('cpu');
    tf.tidy(() => tf.square(tf.tensor([1, 2, 3])).dataSync());
    expect(info).toEqual({ name: 'cpu', detail: 'cpu (pure JavaScript)', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(warn).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });

  it('selects wasm with SIMD/thread detail and conv training kernels, silently', async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    const info = await selectBackend('wasm');
    expect(info.name).toBe('wasm');
    expect(info.detail).toMatch(/^wasm \((SIMD|no SIMD), \d+ threads?\)$/);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // The .wasm binary was found from the repo: a real op runs.
    expect(Array.from(tf.tidy(() => tf.square(tf.tensor([1, 2, 3])).dataSync()))).toEqual([1, 4, 9]);
    expect(warn).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });

  it('is idempotent and can switch back and forth', async () => {
    const first = await selectBackend('wasm');
    const second = await selectBackend('wasm');
    expect(second).toEqual(first);
    await selectBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await selectBackend('wasm');
    const grads = tf.tidy(() => {
      const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
      const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(w);
      return Array.from(dw.dataSync());
    });
    // valid 3×3 on 4×4 ones: 4 output pixels, each weight sees 4 ones.
    expect(grads).toEqual(new Array(9).fill(4));
  });

  it.skipIf(hasNative || hasGpu)("'auto' falls back to wasm and says why webgpu and tensorflow were skipped", async () => {
    const info = await selectBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['webgpu', 'tensorflow']);
    // No hardware adapter: a software one (SwiftShader) is never picked on its own, or Dawn found none.
    expect(info.skipped[0]!.reason).toMatch(/this machine has no GPU device|Dawn found only a software adapter|Dawn found no GPU adapter|webgpu \(Dawn\) is not installed/);
    expect(info.skipped[1]!.reason).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(info.skipped[1]!.reason).toContain('@tensorflow/tfjs-node is not installed');
  });

  it.skipIf(!hasNative || hasGpu)("'auto' picks the native tensorflow backend when installed", async () => {
    const info = await selectBackend('auto');
    expect(info.name).toBe('tensorflow');
    expect(info.detail).toMatch(/^tfjs-node(-gpu)? \((CUDA|CPU)\)$/);
  });

  it.skipIf(hasNative)("explicit 'tensorflow' without the package is a BackendError with a fix", async () => {
    const before = tf.getBackend();
    const error = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).message).toContain('is not installed');
    expect((error as BackendError).fix).toContain('--backend wasm');
    expect(tf.getBackend()).toBe(before); // a failed request leaves the active backend alone
  });

  it('rejects an unknown choice with a ConfigError', async () => {
    const error = await selectBackend('gpu' as BackendChoice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe("backend: expected one of 'auto', 'webgpu', 'tensorflow', 'wasm', 'cpu', got 'gpu'");
  });
});
