import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { DATA_KERNELS, registerWasmDataKernels } from '../../src/backend/wasmDataKernels.ts';
import { relativeError } from '../helpers.ts';


interface Result {
  shape: number[];
  values: number[];
}

/** Runs `f` on the cpu backend and on wasm (our kernels), returning both results. */
async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Result; wasm: Result }> {
  const read = (): Result => tf.tidy(() => {
    const t = f();
    return { shape: t.shape, values: Array.from(t.dataSync()) };
  });
  await selectBackend('cpu');
  const cpu = read();
  await selectBackend('wasm');
  const wasm = read();
  return { cpu, wasm };
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('wasm data kernels', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('replace the package kernels, once', () => {
    for (const name of DATA_KERNELS) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    const before = DATA_KERNELS.map((n) => tf.getKernel(n, 'wasm')!.kernelFunc);
    expect(registerWasmDataKernels()).toEqual([]); // selectBackend already did it
    expect(DATA_KERNELS.map((n) => tf.getKernel(n, 'wasm')!.kernelFunc)).toEqual(before);
  });

  const tileCases: [string, number[], number[], tf.DataType][] = [
    ['batch-norm gradient [1,1,1,C] → [N,H,W,C]', [1, 1, 1, 5], [3, 4, 2, 1], 'float32'],
    ['2-D both axes', [2, 3], [2, 3], 'float32'],
    ['inner axis of 1 repeated', [3, 1], [1, 4], 'float32'],
    ['middle axis', [2, 1, 3], [1, 5, 1], 'float32'],
    ['rank 1', [4], [3], 'float32'],
    ['all reps 1', [2, 3, 4], [1, 1, 1], 'float32'],
    ['int32', [2, 2, 3], [2, 1, 2], 'int32'],
    ['bool', [3, 2], [2, 2], 'bool'],
  ];
  it.each(tileCases)('Tile equals cpu exactly: %s', async (_name, shape, reps, dtype) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: size }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : (i * 7919) % 23 - 11));
    const { cpu, wasm } = await onBoth(() => tf.tile(tf.tensor(values as number[], shape, dtype), reps));
    expect(wasm.shape).toEqual(cpu.shape);
    expect(wasm.values).toEqual(cpu.values);
  });

  const reduceCases: [string, number[], number | number[], boolean][] = [
    ['NHWC over N,H,W', [4, 5, 6, 7], [0, 1, 2], false],
    ['NHWC over N,H,W keepDims', [4, 5, 6, 7], [2, 0, 1], true],
    ['negative axes', [3, 4, 5], [-3, -2], false],
    ['one leading axis of a matrix', [50, 13], 0, false],
    ['a single row', [1, 9], [0], true],
    ['inner axes (package kernel)', [4, 5, 6], [1, 2], false],
    ['middle axis (package kernel)', [4, 5, 6], 1, true],
    ['all axes (package kernel)', [4, 5], [0, 1], false],
  ];
  it.each(reduceCases)('Sum and Mean match cpu: %s', async (_name, shape, axis, keepDims) => {
    const sum = await onBoth(() => tf.sum(rand(shape, 11), axis, keepDims));
    expect(sum.wasm.shape).toEqual(sum.cpu.shape);
    expect(relativeError(sum.cpu.values, sum.wasm.values)).toBeLessThanOrEqual(1e-4);
    const mean = await onBoth(() => tf.mean(rand(shape, 12), axis, keepDims));
    expect(mean.wasm.shape).toEqual(mean.cpu.shape);
    expect(relativeError(mean.cpu.values, mean.wasm.values)).toBeLessThanOrEqual(1e-4);
  });

  it('Sum of int32 over leading axes still goes to the package kernel and is exact', async () => {
    const { cpu, wasm } = await onBoth(() => tf.sum(tf.tensor3d(Array.from({ length: 24 }, (_, i) => i - 7), [2, 3, 4], 'int32'), [0, 1]));
    expect(wasm.values).toEqual(cpu.values);
  });

  type PoolCase = [string, number[], number, number, 'valid' | 'same'];
  const poolCases: PoolCase[] = [
    ['paper net 2×2/2 on 15×15 (last row unread)', [3, 15, 15, 6], 2, 2, 'valid'],
    ['2×2/2 on 7×7', [2, 7, 7, 4], 2, 2, 'valid'],
    ['3×3/1 same (overlapping windows add up)', [2, 6, 5, 3], 3, 1, 'same'],
    ['3×3/2 same (padding)', [2, 7, 8, 3], 3, 2, 'same'],
    ['2×2/1 valid', [1, 4, 4, 2], 2, 1, 'valid'],
  ];
  /** dx of Σ maxPool(x) ⊙ r, through the MaxPoolGrad kernel. */
  const poolGrad = (shape: number[], size: number, stride: number, pad: 'valid' | 'same', x: () => tf.Tensor4D) => () => {
    const xs = x();
    const out = tf.maxPool(xs, size, stride, pad);
    const r = rand(out.shape, 31);
    return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), r)))(xs);
  };
  it.each(poolCases)('MaxPoolGrad matches cpu: %s', async (_name, shape, size, stride, pad) => {
    const { cpu, wasm } = await onBoth(poolGrad(shape, size, stride, pad, () => rand(shape, 21) as tf.Tensor4D));
    expect(wasm.shape).toEqual(shape);
    expect(relativeError(cpu.values, wasm.values)).toBeLessThanOrEqual(1e-4);
  });

  it('MaxPoolGrad sends ties to the first maximum of a window, like cpu (ReLU zeros, small integers)', async () => {
    const shape = [2, 6, 6, 3];
    const values = Array.from({ length: 216 }, (_, i) => Math.max(0, ((i * 37) % 7) - 3));
    const { cpu, wasm } = await onBoth(poolGrad(shape, 2, 2, 'valid', () => tf.tensor4d(values, shape as [number, number, number, number])));
    expect(wasm.values).toEqual(cpu.values);
  });

  it('leak no tensors and no backend buffers', async () => {
    await selectBackend('wasm');
    const work = () => tf.tidy(() => {
      tf.tile(rand([1, 1, 1, 4], 1), [2, 3, 3, 1]).dataSync();
      tf.sum(rand([2, 3, 3, 4], 2), [0, 1, 2]).dataSync();
      tf.mean(rand([2, 3, 3, 4], 3), [0, 1, 2], true).dataSync();
      poolGrad([2, 4, 4, 3], 2, 2, 'valid', () => rand([2, 4, 4, 3], 4) as tf.Tensor4D)().dataSync();
    });
    work();
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    work();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});
