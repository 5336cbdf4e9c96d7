/**
 * --init-from's weight transfer: the old model's weights everywhere, its output columns moved to the new
 * class order, and a class the old model lacked keeps the fresh layer's initialisation.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { initFromModel } from '../../src/models/initFrom.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';

const build = (id: string, numClasses: number, seed: number, patch = 1, channels = 6) =>
  withSeededMathRandom(createRng(seed, 'init'), () => getModelSpec(id).build({ patch, channels, numClasses }));

describe('initFromModel', () => {
  it('keeps the old classes\' weights (moved to the new order) and initialises a new class\'s output as a fresh layer', async () => {
    await tf.setBackend('cpu');
    const old = await build('spinal-mlp', 3, 1);
    const fresh = await build('spinal-mlp', 4, 2);
    const before = fresh.getWeights().map((w) => w.arraySync());
    // New class order: old 2, old 0, a class the old model never saw, old 1.
    const r = initFromModel(fresh, old, Int32Array.of(2, 0, -1, 1), 'the old run');
    expect(r).toEqual({ kept: 3, added: 1 });
    const oldW = old.getWeights().map((w) => w.arraySync());
    const newW = fresh.getWeights().map((w) => w.arraySync());
    const last = newW.length - 2; // output kernel [features, classes], then bias [classes]
    for (let i = 0; i < last; i++) expect(newW[i]).toEqual(oldW[i]);
    const kernel = newW[last] as number[][], bias = newW[last + 1] as number[];
    const oldKernel = oldW[last] as number[][], oldBias = oldW[last + 1] as number[];
    const freshKernel = before[last] as number[][], freshBias = before[last + 1] as number[];
    [2, 0, -1, 1].forEach((o, k) => {
      const column = kernel.map((row) => row[k]);
      if (o < 0) {
        expect(column).toEqual(freshKernel.map((row) => row[k]));
        expect(bias[k]).toBe(freshBias[k]);
      } else {
        expect(column).toEqual(oldKernel.map((row) => row[o]));
        expect(bias[k]).toBe(oldBias[o]);
      }
    });
    // The fresh column is not the old model's (it really is a new initialisation, not a copy).
    expect(kernel.map((row) => row[2])).not.toEqual(oldKernel.map((row) => row[2]));
    old.dispose();
    fresh.dispose();
  });

  it('refuses another architecture or input size with a DataError naming the weight', async () => {
    await tf.setBackend('cpu');
    const old = await build('spinal-mlp', 3, 1, 1, 6);
    const wider = await build('spinal-mlp', 3, 1, 1, 8);
    expect(() => initFromModel(wider, old, Int32Array.of(0, 1, 2), 'RUN')).toThrow(DataError);
    expect(() => initFromModel(wider, old, Int32Array.of(0, 1, 2), 'RUN')).toThrow(/RUN: weight .* is 6×120, this run's 8×120/);
    old.dispose();
    wider.dispose();
  });
});
