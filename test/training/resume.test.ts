import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getModelSpec } from '../../src/models/registry.ts';
import { arraySource } from '../../src/sampling/sampleSource.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { trainModel, type TrainOptions } from '../../src/training/trainModel.ts';
import { loadTrainState, saveTrainState } from '../../src/training/trainState.ts';
import { createRng } from '../../src/util/random.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 60 one-pixel samples of 4 channels, 3 noisy classes. */
function data() {
  const rng = createRng(11);
  const x = new Float32Array(60 * 4);
  const y = new Int32Array(60);
  for (let i = 0; i < 60; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === y[i] ? 1 : 0) + 0.8 * rng.normal();
  }
  return { source: arraySource(x, [1, 1, 4]), y };
}

const build = () => withSeededMathRandom(createRng(5, 'init'), () => getModelSpec('spinal-mlp').build({ patch: 1, channels: 4, numClasses: 3 }));
const opts: TrainOptions = { epochs: 4, batchSize: 8, learningRate: 0.01, lrDrops: [{ afterEpoch: 2, factor: 1 / 3 }], seed: 7 };

describe('interrupting and resuming training', () => {
  it('an interrupted run resumed from its saved checkpoint ends with the same losses and weights', async () => {
    const { source, y } = data();
    const straight = await build();
    const a = await trainModel(straight, source, y, 3, opts);

    const first = await build();
    let steps = 0;
    const stopped = await trainModel(first, source, y, 3, { ...opts, shouldStop: () => ++steps > 13 });
    expect(stopped.interrupted).toBeDefined();
    expect(stopped.interrupted!.epoch).toBe(2); // 8 batches per epoch: stopped inside epoch 2
    const dir = join(mkdtempSync(join(tmpdir(), 'spinalnet-ckpt-')), 'checkpoint');
    saveTrainState(dir, stopped.interrupted!);

    const second = await build(); // a fresh process would build a fresh model
    const b = await trainModel(second, source, y, 3, { ...opts, resumeFrom: loadTrainState(dir) });
    expect(b.interrupted).toBeUndefined();
    expect(b.epochs.map((e) => e.loss)).toEqual(a.epochs.map((e) => e.loss));
    const wa = straight.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = second.getWeights().map((t) => Array.from(t.dataSync()));
    expect(wb).toEqual(wa);
  });

  it('keeps the best validation epoch and stops early after the patience', async () => {
    const { source, y } = data();
    const model = await build();
    const result = await trainModel(model, source, y, 3, { ...opts, epochs: 30, learningRate: 0.05, validation: { source, labels: y }, earlyStopPatience: 2 });
    const accs = result.epochs.map((e) => e.valAccuracy!);
    expect(accs.every((v) => v >= 0 && v <= 1)).toBe(true);
    const best = Math.max(...accs);
    expect(accs[result.keptEpoch - 1]).toBe(best);
    if (result.stoppedEarly) expect(result.epochs.length).toBeLessThan(30);
  });

  it('weights classes in the loss', async () => {
    const { source, y } = data();
    const plain = await trainModel(await build(), source, y, 3, { ...opts, epochs: 1 });
    const weighted = await trainModel(await build(), source, y, 3, { ...opts, epochs: 1, classWeights: new Float32Array([1, 1, 1]) });
    expect(weighted.epochs[0]!.loss).toBeCloseTo(plain.epochs[0]!.loss, 5);
    const skewed = await trainModel(await build(), source, y, 3, { ...opts, epochs: 1, classWeights: new Float32Array([5, 1, 1]) });
    expect(skewed.epochs[0]!.loss).not.toBeCloseTo(plain.epochs[0]!.loss, 3);
  });
});
