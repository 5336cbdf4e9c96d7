import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLibtorchGradientStep, loadLibtorch } from '../../src/training/engines/libtorch/libtorchGradients.ts';
import { buildTorchProgram } from '../../src/training/engines/libtorch/torchProgram.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';
import { UnsupportedModelError } from '../../src/onnx/layers.ts';
import { GRADIENT_CASES as CASES } from './smallModels.ts';
import { expectGradientsOn, expectMasksApplied, expectTfjsGradients, tiedMaximaCase } from './gradientChecks.ts';
import type { GradientCase } from './tfjsGradients.ts';

const addon = loadLibtorch();
const skip = typeof addon === 'string';
if (skip) console.warn(`libtorch gradient tests skipped: ${addon} (apt-get install libtorch-dev, then npm run build:libtorch)`);

beforeAll(async () => {
  // The reference: tfjs's own gradients on its exact pure-JS backend.
  await tf.setBackend('cpu');
});

async function caseStep(c: GradientCase, threads: number) {
  const model = await withSeededMathRandom(createRng(1, c.name), c.build);
  const step = createLibtorchGradientStep(model, c.sample, c.classes, threads);
  if (typeof step === 'string') throw new Error(step);
  return { model, step };
}

describe.skipIf(skip)('training gradients on libtorch', () => {
  const runs = [...CASES.map((c) => ({ c, n: 6 })), { c: CASES[0]!, n: 5 }];
  for (const { c, n } of runs) {
    it(`equal tfjs's gradients, dropout masks included: ${c.name}${n % 2 ? `, odd batch (${n})` : ''}`, async () => {
      const { model, step } = await caseStep(c, 2);
      await expectTfjsGradients(c, model, n, step.gradients);
      await step.release();
    });
  }

  it('hands out each batch norm\'s batch mean and biased variance', async () => {
    const c = CASES.find((k) => k.name.startsWith('batch norms after'))!;
    const { model, step } = await caseStep(c, 1);
    const n = 4;
    const rng = createRng(12);
    const x = Float32Array.from({ length: n * 7 * 7 * 3 }, () => rng.normal());
    const ours = await step.gradients(x, n, Int32Array.from([0, 1, 2, 0]), new Float32Array(3).fill(1));
    // The first batch norm's input: the first convolution's output, computed by tfjs.
    const conv = tf.tidy(() => model.layers.find((l) => l.getClassName() === 'Conv2D')!.apply(tf.tensor4d(x, [n, 7, 7, 3])) as tf.Tensor4D);
    const { mean, variance } = tf.moments(conv, [0, 1, 2]);
    const worstOf = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(worstOf(ours.batchStats[0]!.mean, mean.dataSync() as Float32Array)).toBeLessThan(1e-5);
    expect(worstOf(ours.batchStats[0]!.variance, variance.dataSync() as Float32Array)).toBeLessThan(1e-4);
    tf.dispose([conv, mean, variance]);
  });

  it('routes max pooling gradients to the first of equal maxima, as tfjs does (constant patches, ReLU, positive bias)', async () => {
    const { build, x, labels, n } = tiedMaximaCase();
    const model = await withSeededMathRandom(createRng(9), build);
    const step = createLibtorchGradientStep(model, [8, 8, 2], 3, 2);
    if (typeof step === 'string') throw new Error(step);
    await expectGradientsOn(step.gradients, model, x, [n, 8, 8, 2], labels, 3);
  });

  it('trains overlapping max-pool windows, which the onnxruntime graph refuses (a position can be the maximum of two windows)', async () => {
    const build = () => tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ] });
    const model = await withSeededMathRandom(createRng(13), build);
    const step = createLibtorchGradientStep(model, [9, 9, 2], 3, 2);
    if (typeof step === 'string') throw new Error(step);
    const rng = createRng(14);
    const n = 4;
    const x = Float32Array.from({ length: n * 9 * 9 * 2 }, () => rng.normal());
    await expectGradientsOn(step.gradients, model, x, [n, 9, 9, 2], Int32Array.from([0, 1, 2, 1]), 3);
  });

  it('draws different masks from different streams (dropout is really applied)', async () => {
    const { step } = await caseStep(CASES[0]!, 1);
    await expectMasksApplied(step.gradients, CASES[0]!);
  });

  it('lets process.exit() during a step exit with its code (a second Ctrl-C), not a segmentation fault', () => {
    const entry = fileURLToPath(new URL('./libtorchExitEntry.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', entry], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(3);
  }, 60_000);

  it('names libtorch, its threads and how OpenMP waits (passive unless the environment chose)', async () => {
    const { step } = await caseStep(CASES[2]!, 2);
    expect(step.description).toMatch(/^libtorch \d+\.\d+\.\d+, 2 threads, OpenMP (waits \w+|spin count \d+)$/);
    expect(step.threads).toBe(2);
  });
});

describe('the libtorch program', () => {
  it('refuses what it cannot differentiate, naming the layer', () => {
    const elu = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 1, 4] }), tf.layers.dense({ units: 3, activation: 'elu' })] });
    expect(() => buildTorchProgram(elu, [1, 1, 4], 3)).toThrow(UnsupportedModelError);
    expect(() => buildTorchProgram(elu, [1, 1, 4], 3)).toThrow(/elu/);
    const dilated = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 2, kernelSize: 3, dilationRate: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    expect(() => buildTorchProgram(dilated, [9, 9, 2], 3)).toThrow(/dilated/);
  });

  it('says why there is no step rather than failing, for a model it cannot translate', () => {
    if (skip) return;
    const elu = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 1, 4] }), tf.layers.dense({ units: 3, activation: 'elu' })] });
    expect(createLibtorchGradientStep(elu, [1, 1, 4], 3, 1)).toMatch(/cannot be written for libtorch: .*elu/);
  });
});
