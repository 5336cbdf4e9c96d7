/** Bad vector input: each a typed error whose message names the problem, with a fix. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputFileError, SpinalnetError, VectorError } from '../../../src/core/errors.ts';
import { rasterizeLayer } from '../../../src/io/vector/rasterize.ts';
import { readVectorLayer } from '../../../src/io/vector/readVectorLayer.ts';
import type { VectorLayer } from '../../../src/io/vector/types.ts';
import { gdal, gdalMissing } from './vectorFixtures.ts';

async function failure(p: Promise<unknown>): Promise<SpinalnetError> {
  try { await p; } catch (e) { expect(e).toBeInstanceOf(SpinalnetError); expect((e as SpinalnetError).fix.length).toBeGreaterThan(10); return e as SpinalnetError; }
  throw new Error('expected a failure');
}

describe('bad vector input', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-bad-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file', async () => {
    const e = await failure(readVectorLayer(join(dir, 'nope.gpkg')));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toMatch(/nope\.gpkg: does not exist/);
  });

  it('an empty file', async () => {
    writeFileSync(join(dir, 'empty.geojson'), '');
    expect((await failure(readVectorLayer(join(dir, 'empty.geojson')))).message).toMatch(/is empty/);
  });

  it('a corrupt .gpkg (random bytes)', async () => {
    writeFileSync(join(dir, 'random.gpkg'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    const e = await failure(readVectorLayer(join(dir, 'random.gpkg')));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toMatch(/not a SQLite database/);
  });

  it('an unknown extension', async () => {
    writeFileSync(join(dir, 'labels.kml'), '<kml/>');
    expect((await failure(readVectorLayer(join(dir, 'labels.kml')))).fix).toMatch(/ogr2ogr/);
  });

  it('an unknown CRS, and an EPSG code without a definition', () => {
    const layer = (crs: VectorLayer['crs']): VectorLayer => ({ name: 'fields', crs, fields: [], features: [] });
    const grid = { height: 2, width: 2, georef: { geoTransform: [500000, 30, 0, 4200000, 0, -30] as const, epsg: 32617 } };
    for (const crs of [{ wkt: 'LOCAL_CS["site grid",UNIT["metre",1]]' }, { epsg: 2154 }]) {
      let e: unknown;
      try { rasterizeLayer(layer(crs), grid, () => 1); } catch (err) { e = err; }
      expect(e).toBeInstanceOf(VectorError);
      expect((e as VectorError).message).toMatch(/CRS of layer 'fields'.*(site grid|EPSG:2154)/);
      expect((e as VectorError).fix).toMatch(/ogr2ogr -t_srs EPSG:32617/);
    }
  });

  describe.skipIf(gdalMissing)('files made by ogr2ogr', () => {
    beforeAll(() => {
      const csv = join(dir, 'pts.csv');
      writeFileSync(csv, 'class,x,y\n1,0.5,0.5\n');
      gdal('ogr2ogr', '-f', 'GPKG', join(dir, 'two.gpkg'), csv, '-oo', 'X_POSSIBLE_NAMES=x', '-oo', 'Y_POSSIBLE_NAMES=y', '-nln', 'first');
      gdal('ogr2ogr', '-update', '-f', 'GPKG', join(dir, 'two.gpkg'), csv, '-oo', 'X_POSSIBLE_NAMES=x', '-oo', 'Y_POSSIBLE_NAMES=y', '-nln', 'second');
      mkdirSync(join(dir, 'shp'));
      gdal('ogr2ogr', '-f', 'ESRI Shapefile', join(dir, 'shp', 'pts.shp'), csv, '-oo', 'X_POSSIBLE_NAMES=x', '-oo', 'Y_POSSIBLE_NAMES=y');
      mkdirSync(join(dir, 'lonely'));
      copyFileSync(join(dir, 'shp', 'pts.shp'), join(dir, 'lonely', 'pts.shp'));
    });

    it('a .shp without its .dbf', async () => {
      const e = await failure(readVectorLayer(join(dir, 'lonely', 'pts.shp')));
      expect(e).toBeInstanceOf(InputFileError);
      expect(e.message).toMatch(/no pts\.dbf beside it/);
    });

    it('a GeoPackage of two layers needs one named, and a name that is not there says which are', async () => {
      expect((await failure(readVectorLayer(join(dir, 'two.gpkg')))).message).toMatch(/2 feature layers \(first, second\)/);
      const e = await failure(readVectorLayer(join(dir, 'two.gpkg'), { layer: 'third' }));
      expect(e).toBeInstanceOf(VectorError);
      expect(e.message).toMatch(/no layer 'third' \(its layers: first, second\)/);
      expect((await readVectorLayer(join(dir, 'two.gpkg'), { layer: 'second' })).name).toBe('second');
      expect((await failure(readVectorLayer(join(dir, 'shp', 'pts.shp'), { layer: 'other' }))).message).toMatch(/no layer 'other'/);
    });
  });
});
