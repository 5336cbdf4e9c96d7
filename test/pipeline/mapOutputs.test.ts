/**
 * The map's outputs written window by window are the files written from the whole map at once: the GIS
 * rasters byte for byte (GDAL reads them in the GeoTIFF tests), prediction.mat value for value, the
 * preview of the classes and the scored pixels' classes; and a map checkpoint replays what it recorded.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/index.ts';
import { MapCheckpoint } from '../../src/pipeline/mapCheckpoint.ts';
import { MapOutputs, type MapOutputsInput } from '../../src/pipeline/mapOutputs.ts';
import type { MapWindow } from '../../src/pipeline/tiledMap.ts';
import { palette } from '../../src/render/palette.ts';
import { previewShape, samplePixels } from '../../src/render/preview.ts';
import type { TrainResult } from '../../src/training/trainModel.ts';
import { createRng } from '../../src/util/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-mapout-'));
const height = 37;
const width = 23;
const classes = [{ value: 2, name: 'a' }, { value: 5, name: 'b' }, { value: 300, name: 'c' }];
const k = classes.length;
const rng = createRng(7, 'map-outputs');
const cls = Int32Array.from({ length: height * width }, () => Math.floor(rng.next() * k));
const confidence = Float32Array.from(cls, () => 0.4 + 0.6 * rng.next());
const probabilities = Float32Array.from({ length: height * width * k }, () => rng.next());
const keep = Uint8Array.from(cls, (_, i) => (i % 11 === 0 ? 0 : 1));
const scored = Int32Array.from([400, 3, 850, 17, 222, 0, 850 - 23]);

function bands(rows: number): MapWindow[] {
  const out: MapWindow[] = [];
  for (let r0 = 0; r0 < height; r0 += rows) {
    const r1 = Math.min(height, r0 + rows);
    out.push({ row0: r0, rows: r1 - r0, classes: cls.slice(r0 * width, r1 * width), confidence: confidence.slice(r0 * width, r1 * width), probabilities: probabilities.slice(r0 * width * k, r1 * width * k) });
  }
  return out;
}

function write(name: string, rows: number, maxSide = 4096) {
  const folder = join(dir, name);
  const input: MapOutputsInput = {
    path: (f) => join(folder, f), height, width, classes, colors: palette(k), keep, confidence: true, probabilities: true,
    formats: ['tif', 'envi'], description: 'test', preview: previewShape(height, width, maxSide), scored,
  };
  const out = new MapOutputs(input);
  for (const b of bands(rows)) out.write(b);
  return { folder, result: out.finish() };
}

describe('MapOutputs', () => {
  it('bands of 1, 4 and 16 rows write the same files as one window of 37', () => {
    const whole = write('whole', height);
    for (const rows of [1, 4, 16]) {
      const banded = write(`rows${rows}`, rows);
      for (const f of ['classification-map.tif', 'classification-map.tif.aux.xml', 'confidence.tif', 'probabilities.tif', 'classification-map.dat', 'classification-map.hdr', 'prediction.mat']) {
        // prediction.mat's 128-byte header holds the time it was written; every other byte must match.
        const from = f.endsWith('.mat') ? 128 : 0;
        expect(readFileSync(join(banded.folder, f)).subarray(from).equals(readFileSync(join(whole.folder, f)).subarray(from)), `${f}, ${rows} rows`).toBe(true);
      }
      expect(Array.from(banded.result.preview.data)).toEqual(Array.from(whole.result.preview.data));
      expect(Array.from(banded.result.scoredClasses!)).toEqual(Array.from(scored, (px) => cls[px]!));
    }
    // prediction.mat: H×W label values (uint16: a value passes 255), column-major, unmasked.
    const mat = readMatNumeric(join(whole.folder, 'prediction.mat'), 'prediction');
    expect(mat.dims).toEqual([height, width]);
    const labels = Int32Array.from(cls, (c) => classes[c]!.value);
    const colMajor = Array.from({ length: height * width }, (_, i) => labels[(i % height) * width + Math.floor(i / height)]!);
    expect(Array.from(mat.data as Uint16Array)).toEqual(colMajor);
    expect(Array.from(whole.result.preview.data)).toEqual(Array.from(labels));
  });

  it('a scaled preview holds the centre pixel of each block, window by window', () => {
    const shape = previewShape(height, width, 10); // 37×23 at most 10 px a side: 1:4, 10×6
    expect(shape).toEqual({ scale: 4, height: 10, width: 6 });
    const labels = Int32Array.from(cls, (c) => classes[c]!.value);
    const expected = samplePixels(labels, height, width, shape);
    expect(expected[0]).toBe(labels[2 * width + 2]);
    expect(expected[9 * 6 + 5]).toBe(labels[36 * width + 22]); // the last block is clipped to the scene
    for (const rows of [1, 5, height]) expect(Array.from(write(`scaled${rows}`, rows, 10).result.preview.data)).toEqual(Array.from(expected));
  });
});

describe('MapCheckpoint', () => {
  it('replays the recorded bands exactly, in the bands asked for', async () => {
    const layout = { height, width, classes: k, confidence: true, probabilities: true };
    const training = { epochs: [], keptEpoch: 1, seconds: 0, samplesPerSecond: 0, stoppedEarly: false, engine: 'test' } as TrainResult;
    // The model's folder stands for saveModel's; open() wants it, so a checkpoint without its model is not resumed.
    const cp = await MapCheckpoint.create(join(dir, 'cp'), layout, training, async (modelDir) => mkdirSync(modelDir));
    const all = bands(8);
    all.slice(0, 3).forEach((b) => cp.recordWindow(b));
    const again = MapCheckpoint.open(join(dir, 'cp'));
    expect(again?.rowsDone).toBe(24);
    expect(again?.fits(layout)).toBe(true);
    expect(again?.fits({ ...layout, probabilities: false })).toBe(false);
    const replayed = [...again!.replay(8)];
    expect(replayed.map((b) => [b.row0, b.rows])).toEqual([[0, 8], [8, 8], [16, 8]]);
    replayed.forEach((b, i) => {
      expect(Array.from(b.classes)).toEqual(Array.from(all[i]!.classes));
      expect(Array.from(b.confidence!)).toEqual(Array.from(all[i]!.confidence!));
      expect(Array.from(b.probabilities!)).toEqual(Array.from(all[i]!.probabilities!));
    });
  });
});
