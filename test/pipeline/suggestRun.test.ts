/**
 * Where to label next, on a real run of the georeferenced demo scene: `suggestRun` returns the lowest-margin
 * unlabelled pixels subject to the spacing (margins checked against the run's own probabilities.tif, read
 * by GDAL), none on a training pixel, none closer than the spacing, none from an --exclude layer; the
 * GeoPackage read back by OGR holds points at pixel centres in the scene's CRS. Then `--init-from` starts
 * from the run's weights (its first epoch's loss is below a fresh run's with the same seed), and a
 * mismatched model, patch or band count is refused before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import type { GeoReference } from '../../src/core/types.ts';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';
import { suggestRun } from '../../src/pipeline/suggestRun.ts';
import { marginsOf } from '../../src/sampling/suggest.ts';
import { thrownAsync } from '../helpers.ts';
import { gdalMissing, gdalRead } from '../io/gdal.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-suggest-'));
const georef: GeoReference = { geoTransform: [440720, 18, 0, 3751320, 0, -18], epsg: 32617 };
const base: RunConfig = {
  ...DEFAULTS, input: { kind: 'demo', georef }, model: 'spinal-cnn', patch: 9, pca: 6, epochs: 3, trainFraction: 0.05,
  seed: 3, backend: 'wasm', predictWorkers: 0, lrDropEpoch: 0,
};

/** The point layer as OGR reads it: its EPSG code and each feature's x, y and fields. */
function ogrPoints(gpkg: string, layer: string): { epsg: string; features: { x: number; y: number; fields: Record<string, unknown> }[] } {
  const py = `
import json, sys
from osgeo import ogr
ds = ogr.Open(sys.argv[1])
lyr = ds.GetLayerByName(sys.argv[2])
srs = lyr.GetSpatialRef()
out = {'epsg': srs.GetAuthorityCode(None), 'features': []}
for f in lyr:
    g = f.GetGeometryRef()
    out['features'].append({'x': g.GetX(), 'y': g.GetY(), 'fields': {k: f.GetField(k) for k in f.keys()}})
print(json.dumps(out))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, gpkg, layer], { encoding: 'utf8' }));
}

const chebyshev = (a: number, b: number, width: number) => Math.max(Math.abs(Math.floor(a / width) - Math.floor(b / width)), Math.abs((a % width) - (b % width)));

describe.skipIf(gdalMissing !== undefined)('suggest and --init-from on a georeferenced run', () => {
  const runDir = join(dir, 'run');
  let firstLoss = NaN;

  it('suggests the lowest-margin unlabelled pixels, spread out, as points at pixel centres', async () => {
    const run = await runPipeline({ ...base, probabilities: true, out: runDir });
    firstLoss = run.training!.epochs[0]!.loss;
    const size = 12;
    const out = join(dir, 'suggest.gpkg');
    const r = await suggestRun(runDir, { size, out, backend: 'wasm' });
    expect(r.spacing).toBe(9); // the patch side
    expect(r.pixels.length).toBe(size);

    // Independent margins: the run's probabilities.tif (every class's probability), read by GDAL.
    const probs = gdalRead(join(runDir, 'probabilities.tif'));
    const k = probs.bands.length;
    const height = 96, width = 96;
    const interleaved = new Float32Array(height * width * k);
    probs.bands.forEach((b, c) => b.values.forEach((v, p) => (interleaved[p * k + c] = v)));
    const margin = marginsOf(interleaved, k);
    const split = readMatNumeric(join(runDir, 'split.mat'), 'split');
    const role = (p: number) => Number(split.data[(p % width) * height + Math.floor(p / width)]);

    const picks = Array.from(r.pixels);
    picks.forEach((p, i) => {
      expect(role(p), `pick ${p} is a training pixel`).not.toBe(1);
      expect(r.margin[i]!).toBeCloseTo(margin[p]!, 4);
    });
    for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) expect(chebyshev(picks[i]!, picks[j]!, width)).toBeGreaterThanOrEqual(9);
    // Lowest margins subject to spacing: every unpicked candidate below the last pick's margin lies within the spacing of a pick with a lower margin.
    const last = Math.max(...r.margin);
    const picked = new Set(picks);
    let lower = 0;
    for (let p = 0; p < height * width; p++) {
      if (picked.has(p) || role(p) === 1 || !(margin[p]! < last - 1e-4)) continue;
      lower++;
      expect(picks.some((q) => margin[q]! <= margin[p]! + 1e-4 && chebyshev(p, q, width) < 9), `pixel ${p} (margin ${margin[p]}) was passed over`).toBe(true);
    }
    expect(lower).toBeGreaterThan(0); // the spacing mattered

    // OGR: the layer in EPSG:32617, points at the centres of the pixels named by row and col.
    const layer = ogrPoints(out, 'suggestions');
    expect(layer.epsg).toBe('32617');
    expect(layer.features.length).toBe(size);
    layer.features.forEach((f, i) => {
      const row = f.fields.row as number, col = f.fields.col as number;
      expect(row * width + col).toBe(picks[i]);
      expect(f.x).toBeCloseTo(440720 + (col + 0.5) * 18, 6);
      expect(f.y).toBeCloseTo(3751320 - (row + 0.5) * 18, 6);
      expect(f.fields.margin as number).toBeCloseTo(r.margin[i]!, 5);
      expect(f.fields.class).toBeNull();
      expect(typeof f.fields.map_class).toBe('string');
    });

    // --exclude: pixels of a label layer (here the suggestions themselves) are never suggested again.
    const again = await suggestRun(runDir, { size, out: join(dir, 'again.gpkg'), exclude: out, backend: 'wasm' });
    expect(Array.from(again.pixels).filter((p) => picked.has(p))).toEqual([]);
    expect(again.candidates).toBe(r.candidates - size);
    // An existing output is not overwritten.
    expect((await thrownAsync(() => suggestRun(runDir, { size, out, backend: 'wasm' }))).message).toMatch(/--out/);
  }, 120_000);

  it('--init-from starts from the run\'s weights: the first epoch\'s loss is below a fresh run\'s', async () => {
    const cfg = { ...base, epochs: 1 };
    const fresh = await runPipeline({ ...cfg, out: join(dir, 'fresh') });
    const warm = await runPipeline({ ...cfg, initFrom: runDir, out: join(dir, 'warm') });
    // Same seed, same split, same first epoch for the fresh run as the old run's first.
    expect(fresh.training!.epochs[0]!.loss).toBeCloseTo(firstLoss, 4);
    expect(warm.training!.epochs[0]!.loss).toBeLessThan(0.8 * fresh.training!.epochs[0]!.loss);
    const record = JSON.parse(readFileSync(join(dir, 'warm', 'run.json'), 'utf8'));
    expect(record.initFrom.run).toBe(runDir);
    expect(record.initFrom.added).toEqual([]);
    expect(record.initFrom.kept.length).toBe(13);
    expect(record.pca.fittedOn).toMatch(/--init-from/);
  }, 120_000);

  it('refuses a mismatched model, patch or band count with one clear error, writing nothing', async () => {
    const cases: [Partial<RunConfig>, RegExp][] = [[{ patch: 11 }, /patches are 9×9.*--patch 9/s], [{ model: 'fc-cnn' }, /model is spinal-cnn.*--model spinal-cnn/s]];
    // A run whose model was trained on another sensor's bands.
    const other = join(dir, 'other-sensor');
    cpSync(runDir, other, { recursive: true });
    const metaFile = join(other, 'model', 'spinalnet.json');
    writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, 'utf8')), inputBands: 40 }));
    for (const [change, message] of [...cases, [{ initFrom: other }, /40 bands, this scene has 48.*same scene/s] as [Partial<RunConfig>, RegExp]]) {
      const out = join(dir, `refused-${Object.keys(change)[0]}`);
      const err = await thrownAsync(() => runPipeline({ ...base, initFrom: runDir, ...change, out }));
      expect(err).toBeInstanceOf(DataError);
      expect(`${err.message} ${err.fix}`).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  }, 60_000);
});
