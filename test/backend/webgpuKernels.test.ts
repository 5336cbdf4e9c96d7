/**
 * spinalnet's WGSL kernels (src/backend/webgpu/*Kernels.ts) against the cpu backend, on whatever WebGPU
 * adapter this machine has (CI and the dev machine: SwiftShader from Debian's chromium). Tiny sizes:
 * SwiftShader runs every shader on the CPU. Each case computes on cpu first and keeps host arrays, since
 * tfjs cannot move tensors off WebGPU synchronously in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam } from '../../src/backend/fusedAdam.ts';
import { BN_TRAIN_KERNEL } from '../../src/backend/fusedBatchNorm.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { findAdapter } from '../../src/backend/webgpu/dawn.ts';
import { customDispatchCount, internalsUsable } from '../../src/backend/webgpu/dispatch.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';
import { type Step, trainingStep } from './batchNormStep.ts';

const probe = await findAdapter(true);
const skip = probe.found === undefined;
if (skip) console.warn(`webgpu kernel tests skipped: ${probe.reason} (install Debian's chromium for SwiftShader, and libvulkan1)`);

const random = (seed: string, n: number): Float32Array => {
  const rng = createRng(5, seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

/** Final values and optimizer weights after `steps` Adam updates with fixed gradients. */
async function adamRun(
  backend: 'cpu' | 'webgpu', shapes: number[][], steps: number, fused: boolean,
): Promise<{ values: Float32Array[]; state: Float32Array[] }> {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const vars = shapes.map((s, i) => tf.variable(tf.tensor(random(`x${i}`, size(s)), s), true, `adam_${backend}_${fused}_${i}`));
  const optimizer = fused ? createAdam(0.01, 0.9, 0.999, 1e-8) : tf.train.adam(0.01, 0.9, 0.999, 1e-8);
  for (let t = 0; t < steps; t++) {
    const grads: { name: string; tensor: tf.Tensor }[] = [];
    // Gradients of varied scale, a few exact zeros (m̂/√v̂ of tiny values) included.
    shapes.forEach((s, i) => {
      const g = random(`g${t}.${i}`, size(s)).map((x, j) => (j % 7 === 3 ? 0 : x * 10 ** ((j % 5) - 2)));
      grads.push({ name: vars[i]!.name, tensor: tf.tensor(g, s) });
    });
    optimizer.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const values = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
  const weights = await optimizer.getWeights();
  const state = await Promise.all(weights.slice(1).map(async (w) => (await w.tensor.data()) as Float32Array));
  optimizer.dispose();
  tf.dispose(vars);
  return { values, state };
}

/** `run` on cpu, then on webgpu, and how many of spinalnet's dispatches the webgpu run made. */
async function cpuThenGpu<T>(run: (backend: 'cpu' | 'webgpu') => Promise<T>): Promise<{ cpu: T; gpu: T; ours: number }> {
  await tf.setBackend('cpu');
  const cpu = await run('cpu');
  await tf.setBackend('webgpu');
  const before = customDispatchCount();
  const gpu = await run('webgpu');
  return { cpu, gpu, ours: customDispatchCount() - before };
}

describe.skipIf(skip)('spinalnet WGSL kernels', () => {
  beforeAll(async () => {
    const info = await selectBackend('webgpu');
    console.log(`webgpu kernel tests on ${info.detail}`);
  });

  it('records into the active backend only when it has the tfjs-backend-webgpu internals they need', () => {
    expect(internalsUsable(tf.backend())).toBe(true);
    // The same backend as a later package version might have it: one private member renamed away.
    const renamed = Object.create(tf.backend(), { commandQueueOwnedIds: { value: undefined } }) as object;
    expect(internalsUsable(renamed)).toBe(false);
  });

  it('runs Adam as one dispatch per variable plus one per step, as the cpu backend computes it (relative error ≤ 1e-5)', async () => {
    // Sizes off the 64-wide workgroup, a scalar, and one past a workgroup.
    const shapes = [[3, 3, 2, 5], [7], [1], [65]];
    const steps = 4;
    const { cpu, gpu, ours } = await cpuThenGpu((backend) => adamRun(backend, shapes, steps, backend === 'webgpu'));
    expect(ours).toBe(steps * (shapes.length + 1));
    expect(gpu.state.length).toBe(cpu.state.length);
    shapes.forEach((_, i) => expect(relativeError(cpu.values[i]!, gpu.values[i]!)).toBeLessThanOrEqual(1e-5));
    cpu.state.forEach((s, i) => expect(relativeError(s, gpu.state[i]!)).toBeLessThanOrEqual(1e-5));
  }, 120_000);

  const bnShapes: [string, number[]][] = [
    ['a conv BN at batch 8', [8, 9, 9, 15]],
    ['363 values per channel (past one 256-thread pass, not a multiple of it)', [3, 11, 11, 4]],
    ['a 3×3 map, 120 channels', [5, 3, 3, 120]],
    ['one sample', [1, 4, 4, 6]],
    ['2-D (a dense layer\'s output)', [9, 7]],
  ];
  it.each(bnShapes)('runs batch norm in training as three dispatches (forward, backward, moving averages), as tfjs-layers on cpu computes it: %s (relative error ≤ 1e-4)', async (_name, shape) => {
    expect(tf.getKernel(BN_TRAIN_KERNEL, 'cpu')).toBeUndefined(); // the stock tfjs-layers path on cpu
    const { cpu, gpu, ours } = await cpuThenGpu(() => trainingStep(shape, 11));
    expect(ours).toBe(3);
    for (const key of Object.keys(cpu) as (keyof Step)[]) expect(relativeError(cpu[key], gpu[key]), key).toBeLessThan(1e-4);
  }, 120_000);

  it('runs ReLU\'s gradient as one dispatch, equal to tfjs\'s gradient on cpu', async () => {
    const shape = [3, 5, 7];
    // Exact zeros included: ReLU's gradient there is 0, as tfjs's step(0) = 0.
    const x0 = random('relu-x', 105).map((v, i) => (i % 9 === 0 ? 0 : v));
    const w0 = random('relu-w', 105);
    const gradient = async () => {
      const x = tf.tensor(x0, shape);
      const w = tf.tensor(w0, shape);
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w)))(x);
      const out = (await dx.data()) as Float32Array;
      tf.dispose([x, w, dx]);
      return out;
    };
    const { cpu, gpu, ours } = await cpuThenGpu(gradient);
    expect(ours).toBe(1);
    expect(relativeError(cpu, gpu)).toBe(0);
  });

  const splits: [string, number[], tf.DataType, number | number[], number, number][] = [
    // name, shape, dtype, numOrSizeSplits, axis, our dispatches
    ['the last axis in sizes 2, 4, 6', [3, 5, 12], 'float32', [2, 4, 6], -1, 1],
    ['a middle axis in five parts', [2, 5, 3], 'float32', 5, 1, 1],
    ['int32, the first axis in halves', [4, 3], 'int32', 2, 0, 1],
    ['eight parts (the package\'s kernel)', [2, 8], 'float32', 8, 1, 0],
  ];
  it.each(splits)('splits %s as the cpu backend does, bit for bit', async (_name, shape, dtype, parts, axis, ours) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => i * 7 - 20) : random('split', n);
    const run = async () => {
      const x = tf.tensor(values, shape, dtype);
      const out = tf.split(x, parts, axis);
      const read = await Promise.all(out.map(async (t) => ({ shape: t.shape, values: Array.from(await t.data()) })));
      tf.dispose([x, ...out]);
      return read;
    };
    const { cpu, gpu, ours: dispatched } = await cpuThenGpu(run);
    expect(dispatched).toBe(ours);
    expect(gpu).toEqual(cpu);
  });

  const sums: [string, number[], number[], boolean, number][] = [
    // name, shape, axes, keepDims, our dispatches
    ['a conv bias gradient (axes 0, 1, 2)', [4, 9, 9, 15], [0, 1, 2], false, 1],
    ['a dense bias gradient (axis 0), 300 rows', [300, 20], [0], false, 1],
    ['leading axes with keepDims', [3, 4, 5], [1, 0], true, 1],
    ['the last axis (the package\'s kernel)', [6, 7], [1], false, 0],
    ['every axis (the package\'s kernel)', [6, 7], [0, 1], false, 0],
  ];
  it.each(sums)('sums %s as the cpu backend does (relative error ≤ 1e-5)', async (_name, shape, axes, keepDims, ours) => {
    const values = random('sum', shape.reduce((a, b) => a * b, 1));
    const run = async () => {
      const x = tf.tensor(values, shape);
      const y = tf.sum(x, axes, keepDims);
      const out = { shape: y.shape, values: (await y.data()) as Float32Array };
      tf.dispose([x, y]);
      return out;
    };
    const { cpu, gpu, ours: dispatched } = await cpuThenGpu(run);
    expect(dispatched).toBe(ours);
    expect(gpu.shape).toEqual(cpu.shape);
    expect(relativeError(cpu.values, gpu.values)).toBeLessThanOrEqual(1e-5);
  });
});
