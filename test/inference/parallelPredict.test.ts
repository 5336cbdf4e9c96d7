import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BackendError } from '../../src/core/errors.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { predictPatchesParallel } from '../../src/inference/parallel/parallelPredict.ts';
import { predictClasses } from '../../src/inference/predict.ts';
import { patchSource } from '../../src/sampling/sampleSource.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { trainModel } from '../../src/training/trainModel.ts';
import { createRng } from '../../src/util/random.ts';
import type { CubeBIP } from '../../src/core/types.ts';

/** A 36×41×6 cube of smooth random fields, so neighbouring patches differ but not wildly. */
function cube(): CubeBIP {
  const rng = createRng(5, 'cube');
  const height = 36, width = 41, bands = 6;
  const data = new Float32Array(height * width * bands);
  const phase = Array.from({ length: bands }, () => rng.next() * 6);
  for (let p = 0; p < height * width; p++) {
    const r = Math.floor(p / width), c = p % width;
    for (let b = 0; b < bands; b++) data[p * bands + b] = Math.sin(r / 5 + phase[b]!) * Math.cos(c / 7 - phase[b]!) + 0.2 * rng.normal();
  }
  return { height, width, bands, data };
}

describe('predictPatchesParallel', () => {
  let model: tf.LayersModel;
  const scene = cube();
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await withSeededMathRandom(createRng(2, 'init'), () => getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 4 }));
    // Untrained, the network answers one class everywhere; a little training on quadrants makes answers vary.
    const labels = Int32Array.from({ length: scene.height * scene.width }, (_, p) =>
      (Math.floor(p / scene.width) < scene.height / 2 ? 0 : 2) + (p % scene.width < scene.width / 2 ? 0 : 1));
    await trainModel(model, patchSource(scene, 9), labels, 4, { epochs: 2, batchSize: 64, learningRate: 0.01, seed: 4 });
  });

  it('classifies every pixel on 2 worker threads exactly as predictClasses does on one', async () => {
    const sequential = await predictClasses(model, patchSource(scene, 9), { batchSize: 100 });
    expect(new Set(sequential).size).toBeGreaterThan(1); // a model that answers one class would prove little
    const progress: number[] = [];
    const parallel = await predictPatchesParallel(model, scene, 9, undefined, {
      engine: 'tfjs', workers: 2, minSamplesPerWorker: 100, chunkSize: 300, batchSize: 100, onProgress: (done) => progress.push(done),
    });
    expect(parallel.workers).toBe(2);
    expect(Array.from(parallel.classes)).toEqual(Array.from(sequential));
    expect(progress.at(-1)).toBe(scene.height * scene.width);
  });

  it('classifies a subset of pixels, in their order', async () => {
    const pixels = Int32Array.from({ length: 700 }, (_, i) => (i * 617) % (scene.height * scene.width));
    const sequential = await predictClasses(model, patchSource(scene, 9, pixels), { batchSize: 64 });
    const parallel = await predictPatchesParallel(model, scene, 9, pixels, { engine: 'tfjs', workers: 2, minSamplesPerWorker: 100, chunkSize: 128, batchSize: 64 });
    expect(Array.from(parallel.classes)).toEqual(Array.from(sequential));
  });

  it('returns softmax probabilities: the same on 2 worker threads as on one, equal to tf.softmax of the logits', async () => {
    const opts = { engine: 'tfjs', batchSize: 100, probabilities: 'all' } as const;
    const one = await predictPatchesParallel(model, scene, 9, undefined, { ...opts, workers: 0 });
    const two = await predictPatchesParallel(model, scene, 9, undefined, { ...opts, workers: 2, minSamplesPerWorker: 100, chunkSize: 300 });
    expect(two.workers).toBe(2);
    expect(Array.from(two.classes)).toEqual(Array.from(one.classes));
    expect(Array.from(two.probabilities!)).toEqual(Array.from(one.probabilities!));
    expect(Array.from(two.confidence!)).toEqual(Array.from(one.confidence!));
    const n = scene.height * scene.width;
    expect(one.probabilities!.length).toBe(n * 4);
    // Reference: tfjs's own softmax of the logits, for a few pixels.
    const pixels = Int32Array.from([0, 17, 400, n - 1]);
    const x = new Float32Array(pixels.length * 9 * 9 * 6);
    patchSource(scene, 9, pixels).fill([0, 1, 2, 3], x);
    const ref = tf.tidy(() => tf.softmax(model.apply(tf.tensor4d(x, [4, 9, 9, 6]), { training: false }) as tf.Tensor).dataSync());
    pixels.forEach((px, i) => {
      for (let k = 0; k < 4; k++) expect(one.probabilities![px * 4 + k]).toBeCloseTo(ref[i * 4 + k]!, 5);
    });
    for (let px = 0; px < n; px++) {
      const row = one.probabilities!.subarray(px * 4, px * 4 + 4);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect(one.confidence![px]).toBe(Math.max(...row));
      expect(one.confidence![px]).toBe(row[one.classes[px]!]);
    }
    // The confidence alone: no per-class array.
    const conf = await predictPatchesParallel(model, scene, 9, undefined, { engine: 'tfjs', workers: 2, minSamplesPerWorker: 100, probabilities: 'confidence' });
    expect(conf.probabilities).toBeUndefined();
    expect(Array.from(conf.confidence!)).toEqual(Array.from(one.confidence!));
    const none = await predictPatchesParallel(model, scene, 9, undefined, { engine: 'tfjs', workers: 0 });
    expect(none.confidence).toBeUndefined();
  });

  it('stays on the calling thread for small jobs or workers ≤ 1', async () => {
    const few = await predictPatchesParallel(model, scene, 9, Int32Array.from([0, 5, 9]), { engine: 'tfjs', workers: 2 });
    expect(few.workers).toBe(0);
    expect(Array.from(few.classes)).toEqual(Array.from(await predictClasses(model, patchSource(scene, 9, Int32Array.from([0, 5, 9])))));
    expect((await predictPatchesParallel(model, scene, 9, undefined, { engine: 'tfjs', workers: 1, minSamplesPerWorker: 1 })).workers).toBe(0);
  });

  it('reports a worker failure as a BackendError (a layer class the workers do not know)', async () => {
    class OnlyHere extends tf.layers.Layer {
      static readonly className = 'OnlyInThisTest';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return Array.isArray(inputs) ? inputs[0]! : inputs;
      }
    }
    tf.serialization.registerClass(OnlyHere);
    const odd = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [3, 3, 6] }), new OnlyHere({}), tf.layers.dense({ units: 2 })] });
    await expect(predictPatchesParallel(odd, scene, 3, undefined, { engine: 'tfjs', workers: 2, minSamplesPerWorker: 100 })).rejects.toThrow(BackendError);
    odd.dispose();
  });
});
