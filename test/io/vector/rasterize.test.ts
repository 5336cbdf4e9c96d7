/**
 * rasterizeLayer against gdal_rasterize: a label raster polygonized by GDAL, reprojected to EPSG:4326
 * in every format, burned back onto the original grid by both; the pixels must be equal.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rasterizeLayer } from '../../../src/io/vector/rasterize.ts';
import { readVectorLayer } from '../../../src/io/vector/readVectorLayer.ts';
import type { Feature } from '../../../src/io/vector/types.ts';
import { gdal, gdalMissing, gdalRasterize, gdalValues, gridOf, polygonize, reprojectedCopies, writeLabelRaster } from './vectorFixtures.ts';

const classField = (f: Feature): number => Number(f.properties.class);

/** Where two rasters differ, as "row,col: ours vs gdal" (first few), for a readable failure. */
function differences(ours: Int32Array, theirs: Int32Array, width: number): string[] {
  const out: string[] = [];
  for (let p = 0; p < ours.length && out.length < 10; p++) {
    if (ours[p] !== theirs[p]) out.push(`${Math.floor(p / width)},${p % width}: ${ours[p]} vs ${theirs[p]}`);
  }
  return out;
}

describe.skipIf(gdalMissing)('rasterizeLayer equals gdal_rasterize (synthetic labels, EPSG:32617 → 4326 → back)', () => {
  let dir: string;
  let fixture: ReturnType<typeof writeLabelRaster>;
  let files: ReturnType<typeof reprojectedCopies> & { native: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-'));
    fixture = writeLabelRaster(dir);
    const native = polygonize(fixture.tif, dir);
    files = { native, ...reprojectedCopies(native, dir) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the fixture has every class, and holes', () => {
    const present = new Set(fixture.labels);
    expect([...present].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gdal('ogrinfo', '-so', '-al', files.native)).toMatch(/Feature Count: \d+/);
  });

  for (const kind of ['native', 'gpkg', 'shp', 'zip', 'geojson'] as const) {
    it(`${kind}: pixel for pixel the same as gdal_rasterize, and as the raster it came from`, async () => {
      const grid = gridOf(fixture.tif);
      const layer = await readVectorLayer(files[kind]);
      expect(layer.features.length).toBeGreaterThan(10);
      const ours = rasterizeLayer(layer, grid, classField);
      // gdal_rasterize reads the zip through /vsizip/.
      const source = kind === 'zip' ? `/vsizip/${files.zip}/labels.shp` : files[kind];
      const theirs = gdalRasterize(source, 'class', fixture.tif, dir);
      expect(differences(ours.values, theirs, grid.width)).toEqual([]);
      expect(differences(ours.values, fixture.labels, grid.width)).toEqual([]);
      expect(ours.conflicts).toEqual([]);
      expect(ours.outside).toEqual([]);
      expect(ours.warnings).toEqual([]);
      // featureOf names a feature of the pixel's class.
      const byFid = new Map(layer.features.map((f) => [f.fid, classField(f)]));
      for (let p = 0; p < ours.values.length; p++) {
        expect(ours.featureOf[p] === 0 ? 0 : byFid.get(ours.featureOf[p] - 1)).toBe(ours.values[p]);
      }
    });
  }
});

const SHARED = join(import.meta.dirname, '../../../../shared/data/salinasA');
const salinasMissing = gdalMissing ?? (existsSync(join(SHARED, 'SalinasA_gt.mat')) ? undefined : `${SHARED} is absent`);
if (salinasMissing && !gdalMissing) console.warn(`skipping the SalinasA vector acceptance test: ${salinasMissing}`);

describe.skipIf(salinasMissing)('acceptance: SalinasA labels polygonized, in EPSG:4326, burned back', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-salinas-'));
    gdal('/usr/bin/python3', join(SHARED, '../../tools/write_scene_formats.py'), join(SHARED, 'SalinasA_corrected.mat'), 'salinasA_corrected',
      join(SHARED, 'SalinasA_gt.mat'), 'salinasA_gt', dir);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equals gdal_rasterize and the ground truth on the scene grid', async () => {
    const gt = join(dir, 'gt.tif');
    const grid = gridOf(gt);
    expect(grid.georef.epsg).toBe(32617);
    const native = polygonize(gt, dir);
    const wgs84 = join(dir, 'gt_4326.gpkg');
    gdal('ogr2ogr', '-t_srs', 'EPSG:4326', wgs84, native);
    const layer = await readVectorLayer(wgs84);
    const ours = rasterizeLayer(layer, grid, classField);
    const theirs = gdalRasterize(wgs84, 'class', gt, dir);
    expect(differences(ours.values, theirs, grid.width)).toEqual([]);
    expect(differences(ours.values, gdalValues(gt, dir), grid.width)).toEqual([]);
    expect(ours.values.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)).toBe(5348);
  });
});
