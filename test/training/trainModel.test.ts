import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getModelSpec } from '../../src/models/registry.ts';
import { predictClasses } from '../../src/inference/predict.ts';
import { patchSource } from '../../src/sampling/sampleSource.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { trainModel } from '../../src/training/trainModel.ts';
import { createRng } from '../../src/util/random.ts';
import type { CubeBIP } from '../../src/core/types.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 12×12 scene, 4 bands: left half class 0 (rising spectrum), right half class 1 (falling), plus noise. */
function scene(): { cube: CubeBIP; classes: Int32Array } {
  const rng = createRng(9);
  const h = 12, w = 12, b = 4;
  const data = new Float32Array(h * w * b);
  const classes = new Int32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    const k = p % w < w / 2 ? 0 : 1;
    classes[p] = k;
    for (let j = 0; j < b; j++) data[p * b + j] = (k === 0 ? j : b - 1 - j) - 1.5 + 0.3 * rng.normal();
  }
  return { cube: { height: h, width: w, bands: b, data }, classes };
}

async function run(seed: number) {
  const { cube, classes } = scene();
  const spec = getModelSpec('spinal-mlp');
  const model = await withSeededMathRandom(createRng(seed, 'init'), () => spec.build({ patch: 1, channels: 4, numClasses: 2 }));
  const result = await trainModel(model, patchSource(cube, 1), classes, 2, {
    epochs: 6, batchSize: 16, learningRate: 0.01, lrDrops: [{ afterEpoch: 2, factor: 1 / 3 }], seed,
  });
  return { model, result, cube, classes };
}

describe('trainModel', () => {
  let trained: ReturnType<typeof run>;
  beforeAll(() => {
    trained = run(1);
  });
  it('learns a separable problem and predicts it in inference mode', async () => {
    const { model, result, cube, classes } = await trained;
    expect(result.epochs).toHaveLength(6);
    expect(result.epochs[5]!.loss).toBeLessThan(result.epochs[0]!.loss);
    const predicted = await predictClasses(model, patchSource(cube, 1), { batchSize: 50 });
    expect(Array.from(predicted)).toEqual(Array.from(classes));
  });

  it('drops the learning rate after the asked epoch', async () => {
    const { result } = await trained;
    const rates = result.epochs.map((e) => e.learningRate);
    [0.01, 0.01, ...Array(4).fill(0.01 / 3)].forEach((r, i) => expect(rates[i]).toBeCloseTo(r, 12));
  });

  it('reproduces losses exactly from the same seed, and not from another', async () => {
    const a = (await run(3)).result.epochs.map((e) => e.loss);
    const b = (await run(3)).result.epochs.map((e) => e.loss);
    const c = (await run(4)).result.epochs.map((e) => e.loss);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('leaves no tensors behind', async () => {
    const { model, cube } = await trained;
    const before = tf.memory().numTensors;
    await predictClasses(model, patchSource(cube, 1));
    expect(tf.memory().numTensors).toBe(before);
  });
});
