/** tfjs's own gradients of trainModel's loss: the reference the onnxruntime and WebGPU gradient tests compare against. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';

/** A model whose gradients a test compares: how to build it, one sample's shape (NHWC without N), classes. */
export interface GradientCase {
  name: string;
  build: () => tf.LayersModel;
  sample: [number, number, number];
  classes: number;
}

export interface Gradients {
  loss: number;
  /** By variable name. */
  grads: Map<string, Float32Array>;
}

/**
 * Loss and gradients of per-sample cross-entropy weighted by class, over the batch's weight sum
 * (trainModel's loss), on the active backend. Async reads: WebGPU cannot read synchronously in Node.
 */
export async function tfjsGradients(
  model: tf.LayersModel, x: Float32Array, shape: number[], labels: Int32Array, classes: number, classWeights: Float32Array,
): Promise<Gradients> {
  tf.engine().startScope();
  try {
    const xs = tf.tensor(x, shape);
    const ys = tf.tensor1d(labels, 'int32');
    const weights = tf.gather(tf.tensor1d(classWeights), ys);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
      const perSample = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), logits, undefined, undefined, tf.Reduction.NONE);
      return tf.div(tf.sum(tf.mul(perSample, weights)), tf.sum(weights)) as tf.Scalar;
    }, model.trainableWeights.map((w) => w.read() as tf.Variable));
    const read = await Promise.all(Object.entries(grads).map(async ([k, t]) => [k, (await t.data()) as Float32Array] as const));
    return { loss: (await value.data())[0]!, grads: new Map(read) };
  } finally {
    tf.engine().endScope();
  }
}

/**
 * The largest relative error over the gradients of `ours` against `ref`. A bias followed by batch norm has
 * a zero gradient (the normalisation removes any shift): both sides are float32 noise there, so its error
 * is measured against the largest gradient of the model.
 */
export function worstGradientError(ref: Map<string, Float32Array>, ours: Map<string, Float32Array>, relativeError: (a: ArrayLike<number>, b: ArrayLike<number>) => number): { name: string; error: number } {
  const largest = Math.max(...[...ref.values()].map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  let worst = { name: '', error: 0 };
  for (const [name, g] of ref) {
    const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const error = relativeError(g, ours.get(name)!) * (scale < 1e-6 * largest ? scale / largest : 1);
    if (error >= worst.error) worst = { name, error };
  }
  return worst;
}

/** A native step's gradients, as GradientStep.gradients hands them out. */
interface NativeGradients {
  loss: number;
  gradients: Map<string, Float32Array>;
}

/**
 * Checks a native step's gradients for a batch of `n` seeded samples against tfjs's, the dropout masks drawn
 * from the same seeded stream on both sides: the loss within 1e-5, every gradient within 1e-4 (relative).
 */
export async function expectTfjsGradients(
  c: GradientCase, model: tf.LayersModel, n: number,
  gradients: (x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array) => Promise<NativeGradients>,
): Promise<void> {
  const rng = createRng(2, c.name);
  const x = Float32Array.from({ length: n * c.sample[0] * c.sample[1] * c.sample[2] }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(c.classes));
  const classWeights = Float32Array.from({ length: c.classes }, () => 0.5 + rng.next());
  const ours = await withSeededMathRandom(createRng(3, 'masks'), () => gradients(x, n, labels, classWeights));
  const ref = await withSeededMathRandom(createRng(3, 'masks'), () => tfjsGradients(model, x, [n, ...c.sample], labels, c.classes, classWeights));
  expect(Math.abs(ours.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-5);
  expect([...ours.gradients.keys()].sort()).toEqual([...ref.grads.keys()].sort());
  const worst = worstGradientError(ref.grads, ours.gradients, relativeError);
  expect(worst.error, worst.name).toBeLessThan(1e-4);
}

/**
 * A conv → ReLU → 2×2 max-pool model with a positive bias, and 4 samples of constant 4×4 blocks: most pooling
 * windows hold equal positive maxima, so the gradient must go to the first in scan order, as tfjs sends it.
 */
export function tiedMaximaCase(): { build: () => tf.LayersModel; x: Float32Array; labels: Int32Array; n: number } {
  const build = () => tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', biasInitializer: tf.initializers.constant({ value: 0.5 }) }),
    tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3 }),
  ] });
  const n = 4;
  const x = new Float32Array(n * 8 * 8 * 2);
  for (let i = 0; i < x.length; i++) {
    const [s, y, xx, ch] = [Math.floor(i / 128), Math.floor(i / 16) % 8, Math.floor(i / 2) % 8, i % 2];
    x[i] = ((s * 7 + Math.floor(y / 4) * 3 + Math.floor(xx / 4) * 5 + ch * 2) % 5) / 4;
  }
  return { build, x, labels: Int32Array.from([0, 1, 2, 1]), n };
}
