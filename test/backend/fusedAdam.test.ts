import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ADAM_KERNEL, createAdam, FusedAdamOptimizer } from '../../src/backend/fusedAdam.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';

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
