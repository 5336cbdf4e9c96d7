/**
 * The same scene in every format loads to exactly the same cube and labels as its MAT v5 original, and
 * a short seeded run gives identical metrics. Fixtures: a 20×20×48 crop of SalinasA written by our MAT
 * writer, then by GDAL and h5py (../shared/tools/write_scene_formats.py): ENVI in three interleaves and
 * both byte orders with a header offset, GeoTIFF tiled/striped × band/pixel × deflate/LZW, MAT v7.3, an
 * ENVI classification and a GeoTIFF label raster with colour table and category names.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { loadScene, type LoadedScene } from '../../../src/scene/loadScene.ts';
import { SALINAS_A_CROP, formatToolsMissing, writeFormatFixtures } from './formatFixtures.ts';

const missing = formatToolsMissing();
if (missing !== undefined) console.warn(`skipping the ENVI/GeoTIFF/MAT v7.3 fixture tests: ${missing}`);

const ENVI = ['bsq', 'bil', 'bip'].flatMap((il) => ['le', 'be'].map((bo) => `envi_${il}_${bo}`));
const TIFF = ['tiled', 'striped'].flatMap((t) => ['band', 'pixel'].flatMap((il) => ['deflate', 'lzw'].map((c) => `geotiff_${t}_${il}_${c}.tif`)));
/** The grid write_scene_formats.py puts every raster on: UTM 17N, 18 m pixels, origin 37 and 11 pixels off (500000, 4200000). */
const GRID = { geoTransform: [500666, 18, 0, 4199802, 0, -18], epsg: 32617 };

describe.skipIf(missing !== undefined)('every format of one scene', () => {
  let dir: string;
  let mat: { cube: string; gt: string };
  let ref: LoadedScene;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-formats-'));
    mat = await writeFormatFixtures(SALINAS_A_CROP, dir);
    ref = await loadScene({ cubePath: mat.cube, gtPath: mat.gt });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const same = (s: LoadedScene) => {
    expect([s.cube.height, s.cube.width, s.cube.bands]).toEqual([20, 20, 48]);
    expect(s.cube.data).toEqual(ref.cube.data);
    expect(s.labels?.data).toEqual(ref.labels?.data);
  };

  it('the MAT v5 crop has several classes and no georeference', () => {
    expect(ref.classes.length).toBeGreaterThanOrEqual(2);
    expect(ref.georef).toBeUndefined();
  });

  it('ENVI, every interleave and byte order, by header or by data file, with the ENVI classification', async () => {
    for (const name of ENVI) {
      for (const cubePath of [join(dir, `${name}.hdr`), join(dir, `${name}.img`)]) {
        const s = await loadScene({ cubePath, gtPath: join(dir, 'gt_classification.hdr') });
        same(s);
        expect(s.source.format).toBe('envi');
        expect(s.georef).toEqual(GRID);
        expect(s.bandInfo?.wavelengthsNm?.[0]).toBe(400);
        // write_scene_formats.py spaces 48 bands over 400-2500 nm; the nearest to 640/550/460 nm:
        expect(s.rgbBands).toEqual([5, 3, 1]);
        expect(s.classes.map((c) => c.name)).toEqual(ref.classes.map((c) => `class ${c.value}`));
        expect(s.classes.every((c) => c.color !== undefined)).toBe(true);
      }
    }
  });

  it('GeoTIFF, tiled and striped, band and pixel interleaved, deflate and LZW, with the GeoTIFF labels', async () => {
    const envi = await loadScene({ cubePath: join(dir, 'envi_bsq_le.hdr'), gtPath: join(dir, 'gt_classification.hdr') });
    for (const name of TIFF) {
      const s = await loadScene({ cubePath: join(dir, name), gtPath: join(dir, 'gt.tif') });
      same(s);
      expect(s.source.format).toBe('geotiff');
      expect(s.georef).toEqual(GRID);
      // Names from gt.tif.aux.xml, colours from the TIFF colour map: the same as the ENVI classification's.
      expect(s.classes).toEqual(envi.classes);
    }
  });

  it('MAT v7.3 (HDF5, reversed dimensions, deflate chunks)', async () => {
    const s = await loadScene({ cubePath: join(dir, 'mat73_cube.mat'), gtPath: join(dir, 'mat73_gt.mat') });
    same(s);
    expect(s.source).toMatchObject({ format: 'mat-v7.3', cubeVar: 'cube', cubeClass: 'int16', gtVar: 'gt' });
  });

  it('cube and labels in different formats on one grid mix freely', async () => {
    same(await loadScene({ cubePath: join(dir, 'geotiff_striped_pixel_deflate.tif'), gtPath: join(dir, 'gt_classification.hdr') }));
    same(await loadScene({ cubePath: join(dir, 'envi_bip_be.hdr'), gtPath: mat.gt }));
  });

  it('a short seeded run gives identical metrics from MAT v5, ENVI, GeoTIFF and MAT v7.3', async () => {
    const metrics: Record<string, unknown>[] = [];
    const inputs = [[mat.cube, mat.gt], [join(dir, 'envi_bil_be.hdr'), join(dir, 'gt_classification.hdr')],
      [join(dir, 'geotiff_tiled_pixel_deflate.tif'), join(dir, 'gt.tif')], [join(dir, 'mat73_cube.mat'), join(dir, 'mat73_gt.mat')]];
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      for (const [i, [cube, gt]] of inputs.entries()) {
        const out = join(dir, `run${i}`);
        const code = await main(['run', '--cube', cube, '--gt', gt, '--model', 'spinal-mlp', '--pca', '5', '--epochs', '2', '--train-fraction', '0.3', '--seed', '3', '--backend', 'cpu', '--out', out]);
        expect(code).toBe(0);
        const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
        metrics.push({ oa: m.overallAccuracy, aa: m.averageAccuracy, kappa: m.kappa, confusion: m.confusionMatrix, train: m.trainPixels, test: m.testPixels });
      }
    } finally {
      quiet.forEach((s) => s.mockRestore());
    }
    for (const m of metrics.slice(1)) expect(m).toEqual(metrics[0]);
    expect(readdirSync(dir).filter((f) => f.startsWith('run'))).toHaveLength(4);
  }, 120_000);
});
