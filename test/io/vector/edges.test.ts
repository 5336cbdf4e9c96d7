/**
 * GDAL's boundary rule where it bites: polygons with vertices and edges exactly on pixel centres and
 * corners, holes, a multipolygon, overlaps, and points; on an ungeoreferenced grid (coordinates are
 * pixels, as gdal_rasterize takes them on a raster without a geotransform) and on a UTM grid.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../src/core/errors.ts';
import { rasterizeLayer } from '../../../src/io/vector/rasterize.ts';
import { readVectorLayer } from '../../../src/io/vector/readVectorLayer.ts';
import type { Feature } from '../../../src/io/vector/types.ts';
import { gdal, gdalMissing, gdalRasterize } from './vectorFixtures.ts';

const classField = (f: Feature): number => Number(f.properties.class);

/** WKT polygons in pixel coordinates with vertices on centres (x.5), corners (x.0) and in between; class per row. */
const SHAPES: [number, string][] = [
  [1, 'POLYGON ((0.5 0.5, 7.5 0.5, 7.5 6.5, 0.5 6.5, 0.5 0.5), (2.5 2.5, 2.5 4.5, 5.5 4.5, 5.5 2.5, 2.5 2.5))'],
  [2, 'POLYGON ((10 1, 17 1, 17 8, 10 8, 10 1))'],
  [3, 'POLYGON ((20.5 0.5, 27.25 3.5, 20.5 9.5, 23.5 4.5, 20.5 0.5))'],
  [4, 'MULTIPOLYGON (((1 10, 6.5 10, 6.5 15.5, 1 15.5, 1 10)), ((8.3 10.2, 12.7 11.9, 9.1 17.4, 8.3 10.2)))'],
  [5, 'POLYGON ((14.5 11.5, 29.5 11.5, 29.5 12.5, 14.5 12.5, 14.5 11.5))'],
  [6, 'POLYGON ((3.5 11.5, 5.5 11.5, 5.5 13.5, 3.5 13.5, 3.5 11.5))'],
  [7, 'POLYGON ((-5 15, 3 15, 3 25, -5 25, -5 15))'],
  [8, 'POLYGON ((100 100, 110 100, 110 110, 100 110, 100 100))'],
];
const GRID = { height: 20, width: 30 };

describe.skipIf(gdalMissing)('the boundary rule equals gdal_rasterize on exact ties', () => {
  let dir: string;
  let gpkg: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-edges-'));
    const csv = join(dir, 'shapes.csv');
    writeFileSync(csv, `class,WKT\n${SHAPES.map(([c, w]) => `${c},"${w}"`).join('\n')}\n`);
    gpkg = join(dir, 'shapes.gpkg');
    gdal('ogr2ogr', '-f', 'GPKG', gpkg, csv, '-oo', 'GEOM_POSSIBLE_NAMES=WKT', '-oo', 'KEEP_GEOM_COLUMNS=NO', '-oo', 'AUTODETECT_TYPE=YES', '-nln', 'shapes');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('burns the same pixels as gdal_rasterize on a raster without geotransform', async () => {
    const layer = await readVectorLayer(gpkg);
    expect(layer.fields).toEqual([{ name: 'class', type: 'integer' }]);
    const ours = rasterizeLayer(layer, GRID, classField);
    expect(Array.from(ours.values)).toEqual(Array.from(gdalRasterize(gpkg, 'class', GRID, dir)));
    expect(ours.warnings.join()).toMatch(/no georeference.*pixel coordinates/);
    // The 2×2 hole of class 1 is left; the square of class 6 lies inside the multipolygon of class 4.
    expect(ours.values[3 * 30 + 3]).toBe(0);
    expect(ours.conflicts).toEqual([{ classA: 4, classB: 6, pixels: 4 }]);
    // Feature 8 is off the grid; 7 is partly on it.
    const fidOf = (cls: number): number => layer.features.find((f) => classField(f) === cls)!.fid;
    expect(ours.outside).toEqual([fidOf(8)]);
    expect(ours.featureOf[12 * 30 + 4]).toBe(fidOf(6) + 1);
  });

  it('burns points into the pixel they fall in (ogr2ogr from a CSV, EPSG:32617 grid)', async () => {
    const csv = join(dir, 'points.csv');
    // Grid origin (500000, 4200000), 30 m pixels: (x, y) → column floor((x - 500000) / 30), row floor((4200000 - y) / 30).
    writeFileSync(csv, 'id,class,x,y\n1,3,500015,4199985\n2,5,500299.9,4199700.1\n3,2,500600,4199400\n4,9,400000,4100000\n');
    const pts = join(dir, 'points.gpkg');
    gdal('ogr2ogr', '-f', 'GPKG', pts, csv, '-oo', 'X_POSSIBLE_NAMES=x', '-oo', 'Y_POSSIBLE_NAMES=y', '-oo', 'AUTODETECT_TYPE=YES', '-a_srs', 'EPSG:32617', '-nln', 'points');
    const template = join(dir, 'grid.tif');
    gdal('gdal_create', '-q', '-of', 'GTiff', '-ot', 'Int32', '-outsize', '30', '20', '-a_srs', 'EPSG:32617', '-a_ullr', '500000', '4200000', '500900', '4199400', '-burn', '0', template);
    const layer = await readVectorLayer(pts);
    expect(layer.crs?.epsg).toBe(32617);
    const grid = { ...GRID, georef: { geoTransform: [500000, 30, 0, 4200000, 0, -30] as const, epsg: 32617 } };
    const ours = rasterizeLayer(layer, grid, classField);
    expect(Array.from(ours.values)).toEqual(Array.from(gdalRasterize(pts, 'class', template, dir)));
    const burned = [...ours.values.entries()].filter(([, v]) => v !== 0).map(([p, v]) => [Math.floor(p / 30), p % 30, v]);
    expect(burned).toEqual([[0, 0, 3], [9, 9, 5]]);
    // The point on the grid's bottom-right corner and the far one burn nothing.
    expect(ours.outside).toEqual([layer.features[2].fid, layer.features[3].fid]);
  });
});

describe('rasterizeLayer without GDAL', () => {
  const square = (fid: number, cls: number | string): Feature => ({
    fid, properties: { class: cls },
    geometry: { type: 'Polygon', rings: [Float64Array.of(0, 0, 2, 0, 2, 2, 0, 2, 0, 0)] },
  });
  const layer = (features: Feature[]) => ({ name: 't', crs: undefined, fields: [], features });

  it('counts overlaps of different classes per pair, and none for the same class', () => {
    const r = rasterizeLayer(layer([square(0, 1), square(1, 2), square(2, 2)]), { height: 3, width: 3 }, classField);
    expect(r.conflicts).toEqual([{ classA: 1, classB: 2, pixels: 4 }]);
    expect(Array.from(r.featureOf.subarray(0, 2))).toEqual([3, 3]);
  });

  it('leaves out features whose class is null, and refuses a class of 0', () => {
    const r = rasterizeLayer(layer([square(0, 1)]), { height: 3, width: 3 }, () => null);
    expect(r.values.every((v) => v === 0)).toBe(true);
    expect(() => rasterizeLayer(layer([square(0, 0)]), { height: 3, width: 3 }, classField)).toThrow(DataError);
  });
});
