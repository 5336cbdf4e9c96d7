/**
 * The map in bands of rows with a halo gives every pixel the same class and confidence as one band,
 * with the reduced scene in memory or in a temporary file read back band by band.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { predictInBands } from '../../src/pipeline/tiledMap.ts';
import { fileReducedScene, memoryReducedScene } from '../../src/scene/reducedScene.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';

describe('predictInBands', () => {
  it('--tile-size 1, 3, 16 map like one band (patch 9, the halo reaching past band and scene edges)', async () => {
    await selectBackend('wasm');
    const height = 13;
    const width = 11;
    const bands = 4;
    const rng = createRng(5, 'tiled-map');
    const data = Float32Array.from({ length: height * width * bands }, () => rng.normal());
    const reduced = memoryReducedScene({ height, width, bands, data });
    const model = await withSeededMathRandom(createRng(5, 'model'), () => getModelSpec('spinal-cnn').build({ patch: 9, channels: bands, numClasses: 4 }));
    const opts = { workers: 0, engine: 'tfjs' as const, probabilities: 'all' as const, batchSize: 16 };
    const whole = await predictInBands(model, reduced, 9, undefined, opts);
    // An untrained network may give one class everywhere, but its probabilities differ pixel by pixel:
    // a patch cut wrongly at a band edge would change them.
    expect(new Set(whole.probabilities).size).toBeGreaterThan(height * width);
    for (const tile of [1, 3, 16]) {
      const seen: number[] = [];
      const banded = await predictInBands(model, reduced, 9, tile, { ...opts, onProgress: (done) => seen.push(done) });
      expect(Array.from(banded.classes)).toEqual(Array.from(whole.classes));
      for (let i = 0; i < whole.confidence!.length; i++) expect(banded.confidence![i]).toBeCloseTo(whole.confidence![i], 5);
      expect(banded.probabilities!.length).toBe(whole.probabilities!.length);
      for (let i = 0; i < whole.probabilities!.length; i++) expect(banded.probabilities![i]).toBeCloseTo(whole.probabilities![i], 5);
      expect(seen[seen.length - 1]).toBe(height * width);
    }
    // The same scene in a temporary file that may be read 10 rows at a time: bands of 2 rows plus 8 halo rows.
    const file = fileReducedScene({ height, width, bands }, 10);
    try {
      file.writeRows(0, data.subarray(0, 5 * width * bands));
      file.writeRows(5, data.subarray(5 * width * bands));
      for (const tile of [undefined, 1, 16]) {
        const banded = await predictInBands(model, file, 9, tile, opts);
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
