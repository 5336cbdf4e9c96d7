import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { registerWasmConvGradients } from '../../src/backend/wasmConvGradients.ts';
import { BackendError } from '../../src/core/errors.ts';
import { relativeError } from '../helpers.ts';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface ConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  pad: Pad;
}

const CASES: ConvCase[] = [
  { x: [1, 5, 5, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [5, 7, 6, 2], w: [3, 3, 2, 5], stride: 1, pad: 'valid' },
  { x: [1, 9, 9, 3], w: [5, 5, 3, 2], stride: 1, pad: 'same' },
  { x: [5, 9, 8, 4], w: [5, 3, 4, 3], stride: 1, pad: 'same' },
  { x: [5, 11, 9, 2], w: [5, 5, 2, 6], stride: 1, pad: 'valid' },
  { x: [5, 6, 7, 3], w: [1, 1, 3, 4], stride: 1, pad: 'valid' },
  { x: [1, 6, 7, 3], w: [1, 1, 3, 4], stride: 1, pad: 'same' },
  { x: [5, 7, 7, 3], w: [3, 3, 3, 2], stride: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  // Padding wider than the filter reach: some dy rows see only padding.
  { x: [1, 7, 7, 3], w: [3, 3, 3, 2], stride: 1, pad: [[0, 0], [4, 0], [0, 5], [0, 0]] },
  { x: [5, 7, 7, 3], w: [3, 3, 3, 2], stride: 1, pad: 2 },
  // Stride 2: dW as a dilated conv, dX through the builtin kernel; valid with an unread last row.
  { x: [5, 7, 7, 3], w: [3, 3, 3, 2], stride: 2, pad: 'valid' },
  { x: [1, 6, 6, 3], w: [3, 3, 3, 2], stride: 2, pad: 'valid' },
  { x: [5, 8, 9, 3], w: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [1, 9, 9, 2], w: [5, 5, 2, 3], stride: 2, pad: 'same' },
];


/** dLoss/dx and dLoss/dw of loss = Σ conv2d(x, w) ⊙ r, with seeded x, w, r, on the active backend. */
function convGradients(c: ConvCase, seed: number): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
    const w = tf.randomNormal(c.w, 0, 1, 'float32', seed + 1) as tf.Tensor4D;
    const loss = (xs: tf.Tensor, ws: tf.Tensor) => {
      const y = tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, c.stride, c.pad);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2)));
    };
    const [dx, dw] = tf.grads(loss)([x, w]) as [tf.Tensor, tf.Tensor];
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

/** Same with tf.fused.conv2d (bias, activation): the FusedConv2D kernel and its customGrad path. */
function fusedGradients(activation: 'linear' | 'relu', seed: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([5, 9, 9, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
    const b = tf.randomNormal([4], 0, 1, 'float32', seed + 2) as tf.Tensor1D;
    const loss = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => {
      const y = tf.fused.conv2d({ x: xs as tf.Tensor4D, filter: ws as tf.Tensor4D, strides: 1, pad: 'same', bias: bs, activation });
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed + 3)));
    };
    return (tf.grads(loss)([x, w, b]) as tf.Tensor[]).map((g) => g.dataSync() as Float32Array);
  });
}

/** Backend buffers: catches intermediates a kernel forgets to free (they are not engine tensors). */
function backendDataIds(): number {
  return tf.engine().backend.numDataIds();
}

describe('wasm conv gradients', () => {
  const cpuConv: [Float32Array, Float32Array][] = [];
  const cpuFused: Record<'linear' | 'relu', Float32Array[]> = { linear: [], relu: [] };

  beforeAll(async () => {
    await selectBackend('cpu');
    CASES.forEach((c, i) => cpuConv.push(convGradients(c, 100 + 7 * i)));
    cpuFused.linear = fusedGradients('linear', 900);
    cpuFused.relu = fusedGradients('relu', 950);
    await selectBackend('wasm');
  });

  it.each(CASES.map((c, i) => [JSON.stringify(c), c, i] as const))('dx and dw match cpu: %s', (_name, c, i) => {
    const [dx, dw] = convGradients(c, 100 + 7 * i);
    const [cpuDx, cpuDw] = cpuConv[i]!;
    expect(relativeError(cpuDx, dx)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(cpuDw, dw)).toBeLessThanOrEqual(1e-4);
  });

  it.each(['linear', 'relu'] as const)('fused conv2d (bias, %s) gradients match cpu', (activation) => {
    const grads = fusedGradients(activation, activation === 'linear' ? 900 : 950);
    grads.forEach((g, k) => expect(relativeError(cpuFused[activation][k]!, g)).toBeLessThanOrEqual(1e-4));
  });

  it('reaches our kernels through FusedConv2D in gradient mode', async () => {
    const profile = await tf.profile(() => {
      fusedGradients('linear', 900);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain('FusedConv2D');
    expect(names).toContain('Conv2DBackpropFilter');
    expect(names).toContain('Conv2DBackpropInput');
  });

  it('leaks no tensors and no backend buffers', () => {
    convGradients(CASES[1]!, 1); // warm-up: first-use allocations are not leaks
    const tensors = tf.memory().numTensors;
    const buffers = backendDataIds();
    for (const [i, c] of CASES.entries()) convGradients(c, 5 + i);
    fusedGradients('linear', 3);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backendDataIds()).toBe(buffers);
  });

  it('registration is idempotent', () => {
    const before = tf.getKernel('Conv2DBackpropFilter', 'wasm')!.kernelFunc;
    expect(registerWasmConvGradients().newlyRegistered).toBe(false);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')!.kernelFunc).toBe(before);
  });

  it('rejects channels-first data with a BackendError', () => {
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 5, 5]);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs)).toThrow(BackendError);
    tf.dispose([x, dy]);
  });
});

describe('a tiny conv model (conv, batch norm, relu, max-pool, dense) trains on wasm like on cpu', () => {
  const batch = 6;
  const classes = 3;

  function tinyModel(weights: tf.Tensor[] | undefined): tf.Sequential {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [7, 7, 4], filters: 5, kernelSize: 3, padding: 'same' }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.reLU());
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
    if (weights !== undefined) model.setWeights(weights);
    return model;
  }

  /** Training-mode losses of two fit steps (before each update) and the conv kernel after both updates. */
  async function twoSteps(weightValues: Float32Array[] | undefined): Promise<{ losses: number[]; kernel: Float32Array; weights: Float32Array[] }> {
    const template = tinyModel(undefined);
    const shapes = template.getWeights().map((w) => w.shape);
    const values = weightValues ?? template.getWeights().map((w) => w.dataSync() as Float32Array);
    template.dispose();
    const weights = values.map((v, i) => tf.tensor(v, shapes[i]));
    const model = tinyModel(weights);
    tf.dispose(weights);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const x = tf.randomNormal([batch, 7, 7, 4], 0, 1, 'float32', 21);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), classes));
    // One batch per epoch, so epoch 2's loss is the loss after exactly one update (batch-norm in training mode).
    const history = await model.fit(x, y, { batchSize: batch, epochs: 2, shuffle: false, verbose: 0 });
    const result = {
      losses: history.history['loss'] as number[],
      kernel: model.getWeights()[0]!.dataSync() as Float32Array,
      weights: values,
    };
    tf.dispose([x, y]);
    model.optimizer.dispose(); // model.dispose() leaves a user-supplied optimizer alone
    model.dispose();
    return result;
  }

  it('fit steps give the same losses and weights on wasm as on cpu', async () => {
    await selectBackend('cpu');
    const cpu = await twoSteps(undefined);
    await selectBackend('wasm');
    const tensors = tf.memory().numTensors;
    const wasm = await twoSteps(cpu.weights);
    expect(tf.memory().numTensors).toBe(tensors);

    expect(wasm.losses).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(Math.abs(wasm.losses[i]! - cpu.losses[i]!) / cpu.losses[i]!).toBeLessThanOrEqual(1e-4);
    expect(wasm.losses[1]!).toBeLessThan(wasm.losses[0]!); // the update followed real gradients
    expect(relativeError(cpu.kernel, wasm.kernel)).toBeLessThanOrEqual(1e-4);
  });
});
