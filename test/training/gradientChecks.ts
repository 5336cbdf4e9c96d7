/**
 * Checks shared by the native gradient tests (onnxruntime, libtorch). Apart from tfjsGradients.ts, which the
 * WebGPU test's worker thread imports outside vitest.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';
import { type GradientCase, tfjsGradients, worstGradientError } from './tfjsGradients.ts';

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
  c: GradientCase, model: tf.LayersModel, n: number, gradients: Gradients,
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

type Gradients = (x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array) => Promise<NativeGradients>;

/** Checks a native step's gradients on the given NHWC batch ([n, h, w, c]) against tfjs's, classes weighted alike. */
export async function expectGradientsOn(
  gradients: Gradients, model: tf.LayersModel, x: Float32Array, shape: [number, number, number, number], labels: Int32Array, classes: number,
): Promise<void> {
  const w = new Float32Array(classes).fill(1);
  const ours = await gradients(x, shape[0], labels, w);
  const ref = await tfjsGradients(model, x, shape, labels, classes, w);
  const worst = worstGradientError(ref.grads, ours.gradients, relativeError);
  expect(worst.error, worst.name).toBeLessThan(1e-4);
}

/** Two seeded streams give two losses on the same batch of 4: the step draws and applies its dropout masks. */
export async function expectMasksApplied(gradients: Gradients, c: GradientCase): Promise<void> {
  const rng = createRng(4);
  const x = Float32Array.from({ length: 4 * c.sample[0] * c.sample[1] * c.sample[2] }, () => rng.normal());
  const labels = Int32Array.from({ length: 4 }, (_, i) => i % c.classes);
  const w = new Float32Array(c.classes).fill(1);
  const a = await withSeededMathRandom(createRng(5), () => gradients(x, 4, labels, w));
  const b = await withSeededMathRandom(createRng(6), () => gradients(x, 4, labels, w));
  expect(a.loss).not.toBe(b.loss);
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
