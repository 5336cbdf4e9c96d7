import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ADAM_KERNEL, createAdam, FusedAdamOptimizer } from '../../src/backend/fusedAdam.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { simdAdamFor } from '../../src/backend/simdAdam.ts';

interface Trained {
  values: number[][];
  optimizerWeights: number[][];
}

/** 12 Adam steps on a small least-squares problem (matrix, bias, a conv-shaped kernel), lr dropped after 6. */
async function train(optimizer: tf.AdamOptimizer): Promise<Trained> {
  const w = tf.variable(tf.randomNormal([20, 7], 0, 1, 'float32', 1));
  const b = tf.variable(tf.randomNormal([7], 0, 1, 'float32', 2));
  const k = tf.variable(tf.randomNormal([3, 3, 2, 7], 0, 0.3, 'float32', 3));
  const x = tf.randomNormal([16, 20], 0, 1, 'float32', 4);
  const img = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 5);
  for (let step = 0; step < 12; step++) {
    optimizer.minimize(() => {
      const dense = tf.sum(tf.square(tf.add(tf.matMul(x, w), b)));
      const conv = tf.sum(tf.square(tf.conv2d(img as tf.Tensor4D, k as tf.Tensor4D, 1, 'same')));
      return tf.add(dense, conv) as tf.Scalar;
    });
    if (step === 5) (optimizer as unknown as { learningRate: number }).learningRate = 0.01 / 3;
  }
  const weights = await optimizer.getWeights();
  const result = {
    values: [w, b, k].map((v) => Array.from(v.dataSync())),
    optimizerWeights: weights.map((nt) => Array.from(nt.tensor.dataSync())),
  };
  tf.dispose([w, b, k, x, img]);
  optimizer.dispose();
  return result;
}

describe('fused Adam', () => {
  it('gives bit-for-bit the weights and moments of tfjs Adam on wasm, through one kernel per variable', async () => {
    await selectBackend('wasm');
    // tfjs's own Adam leaves a tensor or two behind (iteration counters); ours must leave no more.
    const start = tf.memory().numTensors;
    const reference = await train(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
    const referenceLeft = tf.memory().numTensors - start;
    const fused = await train(createAdam(0.01, 0.9, 0.999, 1e-8));
    expect(tf.memory().numTensors - start - referenceLeft).toBe(referenceLeft);
    expect(fused.values).toEqual(reference.values);
    expect(fused.optimizerWeights).toEqual(reference.optimizerWeights);
    expect(fused.values[0]).not.toEqual((await train(createAdam(0.02, 0.9, 0.999, 1e-8))).values[0]);

    const optimizer = createAdam(0.01);
    const v = tf.variable(tf.ones([4]));
    const profile = await tf.profile(() => {
      optimizer.minimize(() => tf.sum(tf.square(v)) as tf.Scalar);
    });
    const names = profile.kernels.map((kernel) => kernel.name);
    expect(names).toContain(ADAM_KERNEL);
    expect(names).not.toContain('Sqrt');
    optimizer.dispose();
    v.dispose();
  });

  it('updates in place from JavaScript gradients with the same bits as tfjs Adam, and declines while memory is shared', async () => {
    await selectBackend('wasm');
    const start = tf.memory().numTensors;
    // The gradients of a fixed quadratic, computed the same way for both optimizers; 9 and 23 elements leave SIMD tails.
    const run = async (inPlace: boolean) => {
      const initial = [tf.randomNormal([9], 0, 1, 'float32', 11), tf.randomNormal([23], 0, 1, 'float32', 12)];
      const vars = initial.map((t) => tf.variable(t)); // shares the initial tensors' memory until the first assign
      const optimizer = createAdam(0.01, 0.9, 0.999, 1e-8) as FusedAdamOptimizer;
      const used: boolean[] = [];
      for (let step = 0; step < 8; step++) {
        const grads = vars.map((v) => Float32Array.from(v.dataSync(), (x, i) => Math.fround(x * (1 + (i % 3)) - 0.5)));
        const took = inPlace && optimizer.applyGradientArrays(vars, grads);
        used.push(took);
        if (!took) tf.tidy(() => optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i]!) }))));
      }
      const moments = (await optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
      const values = vars.map((v) => Array.from(v.dataSync()));
      const initialAfter = initial.map((t) => Array.from(t.dataSync()));
      tf.dispose([...vars, ...initial]);
      optimizer.dispose();
      return { values, moments, used, initialAfter };
    };
    const reference = await run(false);
    const inPlace = await run(true);
    expect(inPlace.values).toEqual(reference.values);
    expect(inPlace.moments).toEqual(reference.moments);
    // Step 1 declined (the variables shared the initial tensors' memory), the rest in place; the initial tensors untouched.
    expect(inPlace.used).toEqual([false, true, true, true, true, true, true, true]);
    expect(inPlace.initialAfter).toEqual(reference.initialAfter);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(start + 2); // tfjs's iteration counters at most
  });

  it('matches tfjs Adam bit for bit on the threaded wasm build too (shared memory)', async () => {
    await selectBackend('wasm', { wasmThreads: 2 });
    try {
      const reference = await train(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
      const fused = await train(createAdam(0.01, 0.9, 0.999, 1e-8));
      expect(fused.values).toEqual(reference.values);
    } finally {
      await selectBackend('wasm', { wasmThreads: 1 });
    }
  });

  it('the SIMD function computes every lane as float32 scalar arithmetic does (values with tails and extremes)', () => {
    const fn = simdAdamFor(new WebAssembly.Memory({ initial: 1 }));
    expect(fn).not.toBeNull();
    const memory = new WebAssembly.Memory({ initial: 1 });
    const simd = simdAdamFor(memory)!;
    const n = 23; // five groups of four and a tail of three the caller handles
    const heap = new Float32Array(memory.buffer);
    const [x, m, v, g] = [0, 1, 2, 3].map((k) => heap.subarray(k * 32 + 1, k * 32 + 1 + n)); // unaligned on purpose
    for (let i = 0; i < n; i++) {
      x[i] = Math.sin(i) * 3;
      m[i] = Math.cos(i) * 1e-3;
      v[i] = i % 5 === 0 ? 0 : Math.abs(Math.sin(3 * i)) * 1e-5;
      g[i] = i % 7 === 0 ? 1e-30 : Math.tan(i) * 0.1;
    }
    const [x1, m1, v1] = [4, 5, 6].map((k) => heap.subarray(k * 32 + 2, k * 32 + 2 + n));
    const s = [0.9, 0.1, 0.999, 0.001, 1e-8, -0.003, 0.271, 0.003996].map(Math.fround) as [number, number, number, number, number, number, number, number];
    simd(x!.byteOffset, m!.byteOffset, v!.byteOffset, g!.byteOffset, x1!.byteOffset, m1!.byteOffset, v1!.byteOffset, n, ...s);
    const fr = Math.fround;
    const [b1, c1, b2, c2, eps, negLr, d1, d2] = s;
    for (let i = 0; i < 20; i++) {
      const mi = fr(fr(m[i]! * b1) + fr(g[i]! * c1));
      const vi = fr(fr(v[i]! * b2) + fr(fr(g[i]! * g[i]!) * c2));
      expect(m1![i]).toBe(mi);
      expect(v1![i]).toBe(vi);
      expect(x1![i]).toBe(fr(fr(fr(fr(mi / d1) / fr(fr(Math.sqrt(fr(vi / d2))) + eps)) * negLr) + x[i]!));
    }
    for (let i = 20; i < n; i++) expect(x1![i]).toBe(0); // the tail is the caller's
  });

  it('is tfjs Adam on other backends, and serialises as Adam', async () => {
    await selectBackend('cpu');
    const reference = await train(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
    const fused = await train(createAdam(0.01, 0.9, 0.999, 1e-8));
    expect(fused.values).toEqual(reference.values);
    const optimizer = createAdam(0.005, 0.8, 0.99, 1e-7);
    expect(optimizer).toBeInstanceOf(FusedAdamOptimizer);
    expect(optimizer.getClassName()).toBe('Adam');
    expect(optimizer.getConfig()).toEqual(tf.train.adam(0.005, 0.8, 0.99, 1e-7).getConfig());
    optimizer.dispose();
  });
});
