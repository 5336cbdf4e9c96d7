/**
 * The map in windows of rows with a halo gives every pixel the same class and confidence as one window,
 * with the reduced scene in memory or in a temporary file read back window by window.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { mapInWindows, predictPixelsInWindows } from '../../src/pipeline/tiledMap.ts';
import { fileReducedScene, memoryReducedScene, type ReducedScene } from '../../src/scene/reducedScene.ts';
import type { ParallelPredictOptions, ParallelPredictResult } from '../../src/inference/parallel/parallelPredict.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';

/** The whole map in memory (what the tests compare): mapInWindows with the windows gathered. */
async function predictInWindows(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, tileRows: number | undefined, opts: ParallelPredictOptions,
): Promise<ParallelPredictResult> {
  const { height, width } = reduced;
  const n = height * width;
  const classes = new Int32Array(n);
  const confidence = opts.probabilities ? new Float32Array(n) : undefined;
  let probabilities: Float32Array | undefined;
  const r = await mapInWindows(model, reduced, patch, tileRows, opts, {
    onWindow: (window) => {
      const done0 = window.row0 * width;
      classes.set(window.classes, done0);
      if (confidence && window.confidence) confidence.set(window.confidence, done0);
      if (window.probabilities) {
        const k = window.probabilities.length / window.classes.length;
        probabilities ??= new Float32Array(n * k);
        probabilities.set(window.probabilities, done0 * k);
      }
    },
  });
  return { classes, ...(confidence && { confidence }), ...(probabilities && { probabilities }), workers: 0, threads: r.threads, engine: r.engine, precision: r.precision, ...(r.fallbackReason && { fallbackReason: r.fallbackReason }) };
}

describe('predictInWindows', () => {
  it('--tile-size 1, 3, 16 map like one window (patch 9, the halo reaching past window and scene edges)', async () => {
    await selectBackend('wasm');
    const height = 13;
    const width = 11;
    const bands = 4;
    const rng = createRng(5, 'tiled-map');
    const data = Float32Array.from({ length: height * width * bands }, () => rng.normal());
    const reduced = memoryReducedScene({ height, width, bands, data });
    const model = await withSeededMathRandom(createRng(5, 'model'), () => getModelSpec('spinal-cnn').build({ patch: 9, channels: bands, numClasses: 4 }));
    const opts = { workers: 0, engine: 'tfjs' as const, probabilities: 'all' as const, batchSize: 16 };
    const whole = await predictInWindows(model, reduced, 9, undefined, opts);
    // An untrained network may give one class everywhere, but its probabilities differ pixel by pixel:
    // a patch cut wrongly at a window edge would change them.
    expect(new Set(whole.probabilities).size).toBeGreaterThan(height * width);
    for (const tile of [1, 3, 16]) {
      const seen: number[] = [];
      const banded = await predictInWindows(model, reduced, 9, tile, { ...opts, onProgress: (done) => seen.push(done) });
      expect(Array.from(banded.classes)).toEqual(Array.from(whole.classes));
      for (let i = 0; i < whole.confidence!.length; i++) expect(banded.confidence![i]).toBeCloseTo(whole.confidence![i], 5);
      expect(banded.probabilities!.length).toBe(whole.probabilities!.length);
      for (let i = 0; i < whole.probabilities!.length; i++) expect(banded.probabilities![i]).toBeCloseTo(whole.probabilities![i], 5);
      expect(seen[seen.length - 1]).toBe(height * width);
    }
    // The same scene in a temporary file that may be read 10 rows at a time: windows of 2 rows plus 8 halo rows.
    const file = fileReducedScene({ height, width, bands }, 10);
    try {
      file.writeRows(0, data.subarray(0, 5 * width * bands));
      file.writeRows(5, data.subarray(5 * width * bands));
      for (const tile of [undefined, 1, 16]) {
        const banded = await predictInWindows(model, file, 9, tile, opts);
        expect(Array.from(banded.classes)).toEqual(Array.from(whole.classes));
        expect(Array.from(banded.probabilities!)).toEqual(Array.from(whole.probabilities!));
      }
    } finally {
      file.close();
    }
    expect(existsSync(file.path!)).toBe(false);
    model.dispose();
    tf.disposeVariables();
  }, 60_000);
});

describe('predictPixelsInWindows', () => {
  it('given pixels in any order, from a file read in bands, get the classes of the whole map in their order', async () => {
    await selectBackend('wasm');
    const height = 13;
    const width = 11;
    const bands = 4;
    const rng = createRng(7, 'pixels-in-bands');
    const data = Float32Array.from({ length: height * width * bands }, () => rng.normal());
    const model = await withSeededMathRandom(createRng(7, 'model'), () => getModelSpec('spinal-cnn').build({ patch: 9, channels: bands, numClasses: 5 }));
    const opts = { workers: 0, engine: 'tfjs' as const, batchSize: 16, probabilities: 'confidence' as const };
    const whole = await predictInWindows(model, memoryReducedScene({ height, width, bands, data }), 9, undefined, opts);
    // An untrained network may give one class everywhere, but its confidence differs pixel by pixel.
    expect(new Set(whole.confidence).size).toBeGreaterThan(height * width / 2);
    // Every third pixel, shuffled: each window's pixels come scattered through the list.
    const pixels = Int32Array.from({ length: Math.ceil((height * width) / 3) }, (_, i) => 3 * i);
    for (let i = pixels.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [pixels[i], pixels[j]] = [pixels[j]!, pixels[i]!];
    }
    const expected = Array.from(pixels, (p) => whole.classes[p]);
    const same = (r: { classes: Int32Array; confidence?: Float32Array }) => {
      expect(Array.from(r.classes)).toEqual(expected);
      pixels.forEach((p, j) => expect(r.confidence![j]).toBeCloseTo(whole.confidence![p]!, 5));
    };
    const inMemory = await predictPixelsInWindows(model, memoryReducedScene({ height, width, bands, data }), 9, pixels, opts);
    same(inMemory);
    // 10 rows readable at once: windows of 2 rows plus 8 halo rows.
    const file = fileReducedScene({ height, width, bands }, 10);
    try {
      file.writeRows(0, data);
      const banded = await predictPixelsInWindows(model, file, 9, pixels, opts);
      same(banded);
      // Every class's probability (what `suggest` ranks by): the same from the file's windows as in memory, in the pixels' order.
      const all = { ...opts, probabilities: 'all' as const };
      const memoryAll = await predictPixelsInWindows(model, memoryReducedScene({ height, width, bands, data }), 9, pixels, all);
      const bandedAll = await predictPixelsInWindows(model, file, 9, pixels, all);
      expect(bandedAll.probabilities!.length).toBe(pixels.length * 5);
      bandedAll.probabilities!.forEach((v, i) => expect(v).toBeCloseTo(memoryAll.probabilities![i]!, 5));
      pixels.forEach((_, j) => expect(Math.max(...bandedAll.probabilities!.subarray(j * 5, j * 5 + 5))).toBeCloseTo(banded.confidence![j]!, 5));
    } finally {
      file.close();
    }
    model.dispose();
    tf.disposeVariables();
  }, 60_000);
});
