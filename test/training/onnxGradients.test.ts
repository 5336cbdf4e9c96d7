import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxRuntime } from '../../src/onnx/onnxRuntime.ts';
import { buildGradientGraph } from '../../src/training/engines/onnxruntime/gradientGraph.ts';
import { createOnnxGradientStep } from '../../src/training/engines/onnxruntime/onnxGradients.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';
import { UnsupportedModelError } from '../../src/onnx/layers.ts';
import { NCHWC, nchwcBlockSize } from '../../src/onnx/nchwc.ts';
import { GRADIENT_CASES as CASES } from './smallModels.ts';
import { expectGradientsOn, expectMasksApplied, expectTfjsGradients, tiedMaximaCase } from './gradientChecks.ts';
import type { GradientCase as Case } from './tfjsGradients.ts';

const runtime = await loadOnnxRuntime();
const skip = typeof runtime === 'string';
if (skip) console.warn(`onnxGradients tests skipped: ${runtime}`);

beforeAll(async () => {
  // The reference: tfjs's own gradients on its exact pure-JS backend.
  await tf.setBackend('cpu');
});

/** A case's model (seeded by its name) and a gradient step for it on `threads` threads. */
async function caseStep(c: Case, threads: number, options: { nchwc?: boolean } = {}) {
  const model = await withSeededMathRandom(createRng(1, c.name), c.build);
  const step = await createOnnxGradientStep(model, c.sample, c.classes, threads, options);
  if (typeof step === 'string') throw new Error(step);
  return { model, step };
}

describe.skipIf(skip)('training gradients on onnxruntime', () => {
  // Every case on onnxruntime's NCHWc convolutions where it has them (the default), the paper network
  // also on plain Conv/ConvTranspose nodes; two threads; odd batches too.
  const runs = [
    ...CASES.map((c) => ({ c, nchwc: true, n: 6 })),
    { c: CASES[0]!, nchwc: false, n: 6 },
    { c: CASES[0]!, nchwc: true, n: 5 },
    { c: CASES[5]!, nchwc: true, n: 3 },
  ];
  for (const { c, nchwc, n } of runs) {
    it(`equal tfjs's gradients, dropout masks included: ${c.name}${nchwc ? '' : ', plain convolutions'}${n % 2 ? `, odd batch (${n})` : ''}`, async () => {
      const { model, step } = await caseStep(c, 2, { nchwc });
      await expectTfjsGradients(c, model, n, step.gradients);
      await step.release();
    });
  }

  it('computes the same bits on one thread and on two, for even and odd batches (a run does not depend on its thread count)', async () => {
    const c = CASES[0]!;
    const model = await withSeededMathRandom(createRng(1, c.name), c.build);
    const steps = await Promise.all([1, 2].map((threads) => createOnnxGradientStep(model, c.sample, c.classes, threads)));
    const rng = createRng(7);
    const x = Float32Array.from({ length: 6 * 9 * 9 * 6 }, () => rng.normal());
    const labels = Int32Array.from([0, 1, 2, 3, 4, 0]);
    const w = new Float32Array(5).fill(1);
    for (const n of [6, 5]) {
      // One after the other: the dropout masks come from the seeded Math.random of each call.
      const results = [];
      for (const step of steps) {
        if (typeof step === 'string') throw new Error(step);
        results.push(await withSeededMathRandom(createRng(8), () => step.gradients(x, n, labels, w)));
      }
      const [one, two] = results;
      expect(two!.loss).toBe(one!.loss);
      for (const [name, g] of one!.gradients) expect(Buffer.from(two!.gradients.get(name)!.buffer).equals(Buffer.from(g.buffer)), name).toBe(true);
    }
    for (const step of steps) if (typeof step !== 'string') await step.release();
  });

  it('routes max pooling gradients to the first of equal maxima, as tfjs does (constant patches, ReLU, positive bias)', async () => {
    // Constant 4×4 blocks give equal convolution outputs inside them, so most 2×2 pooling windows hold
    // equal positive maxima: the gradient must go to the first in scan order.
    const { build, x, labels, n } = tiedMaximaCase();
    const model = await withSeededMathRandom(createRng(9), build);
    const step = await createOnnxGradientStep(model, [8, 8, 2], 3, 2);
    if (typeof step === 'string') throw new Error(step);
    await expectGradientsOn(step.gradients, model, x, [n, 8, 8, 2], labels, 3);
    await step.release();
  });

  it('names the thread choice once the steps have timed the sessions', async () => {
    const c = CASES[2]!;
    const { step } = await caseStep(c, 2);
    const rng = createRng(10);
    const n = 5;
    const x = Float32Array.from({ length: n * 8 }, () => rng.normal());
    const labels = Int32Array.from([0, 1, 2, 3, 0]);
    // More runs than fasterSession's first timing (3 sessions × 9).
    for (let i = 0; i < 30; i++) await withSeededMathRandom(createRng(11, String(i)), () => step.gradients(x, n, labels, new Float32Array(4).fill(1)));
    expect(step.description).toMatch(/(2 threads spinning|2 threads sleeping|1 thread)$/);
    await step.release();
  });

  it('draws different masks from different streams (dropout is really applied)', async () => {
    const c = CASES[0]!;
    const { step } = await caseStep(c, 1);
    await expectMasksApplied(step.gradients, c);
    await step.release();
  });

  it('uses the NCHWc convolutions where the runtime has them', async () => {
    if (typeof runtime === 'string') return;
    const block = await nchwcBlockSize(runtime);
    if (block === undefined) {
      console.warn('this onnxruntime has no NCHWc kernels: the training graph keeps plain convolutions');
      return;
    }
    const model = CASES[0]!.build();
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
    expect(text(buildGradientGraph(model, [9, 9, 6], 5, { nchwcBlock: block }).bytes)).toContain(NCHWC);
    expect(text(buildGradientGraph(model, [9, 9, 6], 5).bytes)).not.toContain(NCHWC);
  });

  it('refuses what it cannot differentiate, naming the layer', () => {
    const elu = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 1, 4] }), tf.layers.dense({ units: 3, activation: 'elu' })] });
    expect(() => buildGradientGraph(elu, [1, 1, 4], 3)).toThrow(UnsupportedModelError);
    expect(() => buildGradientGraph(elu, [1, 1, 4], 3)).toThrow(/elu/);
    // tfjs cannot train dilated convolutions either, so there is nothing to check them against.
    const dilated = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 2, kernelSize: 3, dilationRate: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    expect(() => buildGradientGraph(dilated, [9, 9, 2], 3)).toThrow(/dilated/);
    const overlapping = tf.sequential({ layers: [tf.layers.maxPooling2d({ inputShape: [9, 9, 2], poolSize: 3, strides: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    expect(() => buildGradientGraph(overlapping, [9, 9, 2], 3)).toThrow(/overlapping/);
  });
});
