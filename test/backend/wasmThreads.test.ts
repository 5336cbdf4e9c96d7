import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { wasmThreads } from '../../src/backend/wasmThreads.ts';
import { ConfigError } from '../../src/core/errors.ts';

/** A conv → batch norm → ReLU → pool → dense step's outputs and gradients, seeded; plain arrays. */
function convWork(): number[][] {
  return tf.tidy(() => {
    const x = tf.randomNormal([24, 9, 9, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 6, 16], 0, 0.3, 'float32', 2) as tf.Tensor4D;
    const d = tf.randomNormal([16 * 16, 5], 0, 0.1, 'float32', 3) as tf.Tensor2D;
    // tfjs's batch-norm gradient needs a scale tensor (it saves it for the backward pass).
    const gamma = tf.randomUniform([16], 0.5, 1.5, 'float32', 4);
    const beta = tf.randomNormal([16], 0, 0.1, 'float32', 5);
    const f = (xs: tf.Tensor, ws: tf.Tensor, ds: tf.Tensor) => {
      const y = tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const h = tf.maxPool(tf.relu(tf.batchNorm(y, mean, variance, beta, gamma, 1e-5)) as tf.Tensor4D, 2, 2, 'valid');
      return tf.sum(tf.square(tf.matMul(tf.reshape(h, [24, -1]), ds as tf.Tensor2D)));
    };
    const { value, grads } = tf.valueAndGrads(f)([x, w, d]);
    return [Array.from(value.dataSync()), ...grads.map((g) => Array.from(g.dataSync()))];
  });
}

describe('wasm with several XNNPACK threads', () => {
  afterAll(async () => {
    await selectBackend('wasm', { wasmThreads: 1 });
  });

  it('gives bit-for-bit the results of one thread (outputs and gradients of a conv net step)', async () => {
    const one = await selectBackend('wasm', { wasmThreads: 1 });
    expect(one.detail).toContain('1 thread)');
    const single = convWork();
    const two = await selectBackend('wasm', { wasmThreads: 2 });
    expect(two.detail).toContain('2 threads');
    expect(wasmThreads()).toBe(2);
    // Our kernels are still the ones running on the re-created backend.
    const profile = await tf.profile(() => {
      convWork();
    });
    expect(profile.kernels.map((k) => k.name)).toContain('Conv2DBackpropFilter');
    expect(convWork()).toEqual(single);
  });

  it('keeps the thread count when not asked to change it', async () => {
    await selectBackend('wasm', { wasmThreads: 2 });
    expect((await selectBackend('wasm')).detail).toContain('2 threads');
  });

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(selectBackend('wasm', { wasmThreads: 0 })).rejects.toThrow(ConfigError);
    await expect(selectBackend('wasm', { wasmThreads: 1.5 })).rejects.toThrow(ConfigError);
  });
});
