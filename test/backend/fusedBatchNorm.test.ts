import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BN_TRAIN_KERNEL } from '../../src/backend/fusedBatchNorm.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BatchNormalization } from '../../src/models/batchNorm.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';

interface Step {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/**
 * One training-mode call of a BatchNormalization layer with the given weights on the active backend:
 * output, gradients of Σ y·w (w fixed random) for x, γ and β, and the moving averages afterwards.
 */
function trainingStep(shape: number[], seed: number): Step {
  const rng = createRng(seed, 'bn');
  const c = shape[shape.length - 1]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  const x = tf.tensor(values(size, () => 3 * rng.normal() + 1.5), shape);
  const w = tf.tensor(values(size, () => rng.normal()), shape);
  const layer = new BatchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: shape.slice(1) });
  layer.build(shape);
  layer.setWeights([
    tf.tensor(values(c, () => 0.5 + rng.next())), tf.tensor(values(c, () => rng.normal())),
    tf.tensor(values(c, () => rng.normal())), tf.tensor(values(c, () => 0.5 + rng.next())),
  ]);
  const xv = tf.variable(x);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: tf.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(xv, { training: true }) as tf.Tensor);
    return tf.sum(tf.mul(y, w));
  }, [xv, gamma!, beta!]);
  const read = (t: tf.Tensor) => t.dataSync().slice() as Float32Array;
  const [, , movingMean, movingVariance] = layer.getWeights();
  const out = { y: read(y!), dx: read(grads[xv.name]!), dgamma: read(grads[gamma!.name]!), dbeta: read(grads[beta!.name]!), movingMean: read(movingMean!), movingVariance: read(movingVariance!) };
  for (const v of layer.weights) v.dispose();
  xv.dispose();
  return out;
}

describe('fused batch norm (wasm) against tfjs-layers on cpu', () => {
  const shapes: [string, number[]][] = [
    ['the paper net\'s first BN, batch 16', [16, 15, 15, 15]],
    ['a 3×3 map, 120 channels', [5, 3, 3, 120]],
    ['one sample', [1, 4, 4, 6]],
    ['2-D (a dense layer\'s output)', [9, 7]],
  ];
  it.each(shapes)('%s: output, dx, dγ, dβ and moving averages agree (relative error ≤ 1e-4)', async (_name, shape) => {
    await selectBackend('cpu');
    expect(tf.getKernel(BN_TRAIN_KERNEL, 'cpu')).toBeUndefined(); // the stock tfjs-layers path
    const cpu = trainingStep(shape, 11);
    await selectBackend('wasm');
    expect(tf.getKernel(BN_TRAIN_KERNEL, 'wasm')).toBeDefined();
    const wasm = trainingStep(shape, 11);
    for (const key of Object.keys(cpu) as (keyof Step)[]) {
      expect(relativeError(cpu[key], wasm[key]), key).toBeLessThan(1e-4);
    }
  });

  it('keeps the class name and config of tfjs-layers, so saved models are unchanged and load into it', async () => {
    const model = tf.sequential({ layers: [new BatchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: [3, 3, 4] })] });
    const json = model.toJSON(undefined, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.map((l) => l.class_name)).toContain('BatchNormalization');
    const restored = await tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
    expect(restored.layers.some((l) => l instanceof BatchNormalization)).toBe(true);
    model.dispose();
    restored.dispose();
  });
});
