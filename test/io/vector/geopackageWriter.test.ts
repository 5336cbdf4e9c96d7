/** writeGeoPackagePoints read back by GDAL (ogrinfo) and by readVectorLayer. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import { createGeoPackageLayer, editGeoPackage, writeGeoPackagePoints } from '../../../src/io/vector/geopackage.ts';
import { readVectorLayer } from '../../../src/io/vector/readVectorLayer.ts';
import { gdal, gdalMissing } from './vectorFixtures.ts';

const POINTS = {
  layerName: 'samples',
  crs: { epsg: 32617 },
  fields: [{ name: 'class', type: 'integer' as const }, { name: 'score', type: 'real' as const }, { name: 'name', type: 'string' as const }],
  points: { x: Float64Array.of(500015, 500315.5, 501000.25), y: Float64Array.of(4199985, 4199700, 4198500.75) },
  attributes: { class: Int32Array.of(3, 5, 1), score: Float64Array.of(0.5, 0.25, 0.875), name: ['rock', 'tree', null] },
};

describe('writeGeoPackagePoints', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-gpkg-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back through readVectorLayer, and leaves no temporary file', async () => {
    const path = join(dir, 'points.gpkg');
    await writeGeoPackagePoints(path, POINTS);
    expect(readdirSync(dir)).toEqual(['points.gpkg']);
    const layer = await readVectorLayer(path);
    expect(layer.name).toBe('samples');
    expect(layer.crs).toEqual({ epsg: 32617 });
    expect(layer.fields).toEqual(POINTS.fields);
    expect(layer.features.map((f) => [f.fid, Array.from((f.geometry as { xy: Float64Array }).xy), f.properties])).toEqual([
      [1, [500015, 4199985], { class: 3, score: 0.5, name: 'rock' }],
      [2, [500315.5, 4199700], { class: 5, score: 0.25, name: 'tree' }],
      [3, [501000.25, 4198500.75], { class: 1, score: 0.875, name: null }],
    ]);
  });

  it.skipIf(gdalMissing)('opens in GDAL with its layer, EPSG code, fields, extent and points', async () => {
    const path = join(dir, 'for_gdal.gpkg');
    await writeGeoPackagePoints(path, POINTS);
    const info = gdal('ogrinfo', '-al', path);
    expect(info).toMatch(/Layer name: samples/);
    expect(info).toMatch(/Geometry: Point/);
    expect(info).toMatch(/Feature Count: 3/);
    expect(info).toMatch(/ID\["EPSG",32617\]\]\s*\n/);
    expect(info).toMatch(/Extent: \(500015\.000000, 4198500\.750000\) - \(501000\.250000, 4199985\.000000\)/);
    expect(info).toMatch(/class: Integer/);
    expect(info).toMatch(/score: Real/);
    expect(info).toMatch(/name: String/);
    expect(info).toMatch(/POINT \(500015 4199985\)/);
    expect(info).toMatch(/POINT \(501000\.25 4198500\.75\)/);
    expect(info).toMatch(/name \(String\) = tree/);
    expect(gdal('ogrinfo', '-q', '-sql', 'PRAGMA application_id', path)).toMatch(/1196444487/);
  });

  it('refuses attributes that do not match the points', async () => {
    const bad = { ...POINTS, attributes: { ...POINTS.attributes, class: Int32Array.of(1, 2) } };
    await expect(writeGeoPackagePoints(join(dir, 'bad.gpkg'), bad)).rejects.toThrow(ConfigError);
    await expect(writeGeoPackagePoints(join(dir, 'bad.gpkg'), { ...POINTS, layerName: 'gpkg_x' })).rejects.toThrow(/layerName/);
  });
});

describe('createGeoPackageLayer and editGeoPackage', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-edit-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const square = (x: number, y: number, s: number) => Float64Array.of(x, y, x + s, y, x + s, y + s, x, y + s, x, y);

  it('inserts, updates and deletes points and polygons that GDAL reads back, in the layer\'s CRS', async () => {
    const path = join(dir, 'edit.gpkg');
    await createGeoPackageLayer(path, { layerName: 'things', crs: { epsg: 32617 }, geometryType: 'GEOMETRY', fields: [{ name: 'kind', type: 'string' }, { name: 'n', type: 'integer' }] });
    const fids = await editGeoPackage(path, (e) => [
      e.insert('things', { type: 'Point', xy: Float64Array.of(500015, 4199985) }, { kind: 'pt', n: 1 }),
      e.insert('things', { type: 'Polygon', rings: [square(500000, 4199000, 30), Float64Array.of(500010, 4199010, 500010, 4199020, 500020, 4199020, 500020, 4199010, 500010, 4199010)] }, { kind: 'holed', n: 2 }),
      e.insert('things', { type: 'MultiPolygon', polygons: [[square(0, 0, 1)], [square(5, 5, 2)]] }, { kind: 'gone', n: 3 }),
    ]);
    expect(fids).toEqual([1, 2, 3]);
    await editGeoPackage(path, (e) => {
      expect(e.update('things', 1, undefined, { n: 10 })).toBe(true);
      expect(e.delete('things', 3)).toBe(true);
      expect(e.delete('things', 3)).toBe(false);
      expect(e.get('things', 2)?.properties).toEqual({ kind: 'holed', n: 2 });
    });
    const info = gdal('ogrinfo', '-al', '-geom=WKT', path);
    expect(info).toMatch(/Feature Count: 2/);
    expect(info).toMatch(/ID\["EPSG",32617\]\]\s*\n/);
    expect(info).toMatch(/n \(Integer64\) = 10\s+POINT \(500015 4199985\)/);
    expect(info).toMatch(/POLYGON \(\(500000 4199000,500030 4199000,500030 4199030,500000 4199030,500000 4199000\),\(500010 4199010,500010 4199020,500020 4199020,500020 4199010,500010 4199010\)\)/);
    expect(info).not.toMatch(/gone/);
  });

  it('leaves the file as it was when an edit fails, and leaves no temporary file', async () => {
    const path = join(dir, 'fail.gpkg');
    await createGeoPackageLayer(path, { layerName: 'things', crs: {}, geometryType: 'POINT', fields: [{ name: 'n', type: 'integer' }] });
    await editGeoPackage(path, (e) => e.insert('things', { type: 'Point', xy: Float64Array.of(1, 2) }, { n: 1 }));
    const before = readFileSync(path);
    await expect(editGeoPackage(path, (e) => {
      e.insert('things', { type: 'Point', xy: Float64Array.of(3, 4) }, { n: 2 });
      e.insert('things', null, { nope: 1 });
    })).rejects.toThrow(/properties: expected fields of table 'things', got 'nope'/);
    expect(readFileSync(path).equals(before)).toBe(true);
    await expect(createGeoPackageLayer(path, { layerName: 'things', crs: {}, geometryType: 'POINT', fields: [] })).rejects.toThrow(/expected a new file/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
