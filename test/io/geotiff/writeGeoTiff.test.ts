/**
 * The GeoTIFF writer, read back by GDAL (gdalinfo -json and osgeo.gdal ReadAsArray): exact values,
 * types, colour tables, category names, nodata, geotransforms and CRSs, on tiny rasters.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeTiff } from '../../../src/io/geotiff/encodeTiff.ts';
import { writeClassMapTiff, writeFloatTiff } from './wholeRasters.ts';
import { epsgOf, isGeographic } from '../../../src/core/crs.ts';
import { palette } from '../../../src/render/palette.ts';
import type { ClassInfo, GeoReference } from '../../../src/core/types.ts';
import { thrown } from '../../helpers.ts';
import { gdalInfo, gdalMissing, gdalRead } from '../gdal.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-tiff-'));

/** A label map with every class, background stripes and a value pattern that depends on row and column. */
function labels(height: number, width: number, values: readonly number[]): Int32Array {
  const data = new Int32Array(height * width);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data[r * width + c] = (r + 2 * c) % 7 === 0 ? 0 : values[(r * 3 + c) % values.length]!;
  return data;
}

const CUSTOM_TM =
  'PROJCS["custom TM",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],' +
  'UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],' +
  'PARAMETER["central_meridian",-80.5],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],' +
  'PARAMETER["false_northing",0],UNIT["metre",1]]';

describe('GeoKeys helpers', () => {
  it('finds the EPSG code at the root of a WKT, not in a nested element', () => {
    expect(epsgOf({ geoTransform: [0, 1, 0, 0, 0, -1], crsWkt: 'PROJCS["x",GEOGCS["y",AUTHORITY["EPSG","4326"]],AUTHORITY["EPSG","32617"]]' })).toBe(32617);
    expect(epsgOf({ geoTransform: [0, 1, 0, 0, 0, -1], crsWkt: CUSTOM_TM })).toBeUndefined();
    expect(isGeographic({ geoTransform: [0, 1, 0, 0, 0, -1], epsg: 4326 })).toBe(true);
    expect(isGeographic({ geoTransform: [0, 1, 0, 0, 0, -1], epsg: 32617 })).toBe(false);
    expect(isGeographic({ geoTransform: [0, 1, 0, 0, 0, -1], crsWkt: CUSTOM_TM })).toBe(false);
  });

  it('refuses a raster whose data does not match its size, and tiles that are not multiples of 16', () => {
    expect(thrown(() => encodeTiff({ height: 2, width: 2, bands: 1, data: new Uint8Array(3) })).message).toMatch(/needs 4 samples/);
    expect(thrown(() => encodeTiff({ height: 2, width: 2, bands: 1, data: new Uint8Array(4) }, { layout: { tileSize: 20 } })).message).toMatch(/multiple of 16/);
  });
});

describe.skipIf(gdalMissing !== undefined)('GeoTIFFs read back by GDAL', () => {
  const classes: ClassInfo[] = [{ value: 1, name: 'Scrub' }, { value: 4, name: 'Oak & "hammock"' }, { value: 9, name: 'Water' }];
  const colors = palette(classes.length);

  it('uint8 class map, striped, no georeference: values, palette, category names, nodata, deflate', () => {
    const path = join(dir, 'plain.tif');
    const data = labels(13, 11, [1, 4, 9]);
    writeClassMapTiff(path, { map: { height: 13, width: 11, data }, classes, colors, layout: { rowsPerStrip: 4 } });
    const g = gdalRead(path);
    expect(g.driver).toBe('GTiff');
    expect(g.geotransform).toBeNull();
    const b = g.bands[0]!;
    expect([b.dtype, ...b.shape]).toEqual(['uint8', 13, 11]);
    expect(Array.from(b.values)).toEqual(Array.from(data));
    expect(b.nodata).toBe(0);
    expect(b.categories!.slice(0, 10)).toEqual(['Unclassified', 'Scrub', '', '', 'Oak & "hammock"', '', '', '', '', 'Water']);
    expect(b.colors![1]).toEqual([...colors[0]!, 255]);
    expect(b.colors![4]).toEqual([...colors[1]!, 255]);
    expect(b.colors![9]).toEqual([...colors[2]!, 255]);
    expect(b.colors![0]).toEqual([0, 0, 0, 255]);
    const info = gdalInfo(path);
    expect(info.metadata.IMAGE_STRUCTURE.COMPRESSION).toBe('DEFLATE');
    expect(info.bands[0].colorInterpretation).toBe('Palette');
    expect(info.bands[0].block).toEqual([11, 4]);
    expect(readFileSync(`${path}.aux.xml`, 'utf8')).toMatch(/<Category>Oak &amp; &quot;hammock&quot;<\/Category>/);
  });

  it('uint8 class map, tiled with partial edge tiles, north-up in EPSG:32617', () => {
    const path = join(dir, 'utm.tif');
    const data = labels(37, 21, [1, 4, 9]);
    const georef: GeoReference = { geoTransform: [440720, 30, 0, 3751320, 0, -30], epsg: 32617 };
    writeClassMapTiff(path, { map: { height: 37, width: 21, data }, classes, colors, georef, layout: { tileSize: 16 } });
    const g = gdalRead(path);
    expect(Array.from(g.bands[0]!.values)).toEqual(Array.from(data));
    expect(g.geotransform).toEqual([440720, 30, 0, 3751320, 0, -30]);
    const info = gdalInfo(path);
    expect(info.bands[0].block).toEqual([16, 16]);
    expect(info.coordinateSystem.wkt).toMatch(/WGS 84 \/ UTM zone 17N/);
    expect(info.coordinateSystem.wkt).toMatch(/ID\["EPSG",32617\]\]$/);
    expect(info.metadata[''].AREA_OR_POINT).toBe('Area');
  });

  it('uint16 class map past 255 classes, tiled', () => {
    const path = join(dir, 'many.tif');
    const many: ClassInfo[] = Array.from({ length: 300 }, (_, k) => ({ value: k + 1, name: `class ${k + 1}` }));
    const data = labels(20, 18, many.map((c) => c.value));
    writeClassMapTiff(path, { map: { height: 20, width: 18, data }, classes: many, colors: palette(300), layout: { tileSize: 16 } });
    const b = gdalRead(path).bands[0]!;
    expect(b.dtype).toBe('uint16');
    expect(Array.from(b.values)).toEqual(Array.from(data));
    expect(b.categories![300]).toBe('class 300');
    expect(b.colors![300]).toEqual([...palette(300)[299]!, 255]);
  });

  it('a CRS known only as WKT reaches GDAL through the .aux.xml; a rotated grid through ModelTransformation', () => {
    const path = join(dir, 'wkt.tif');
    const data = labels(9, 8, [1, 4, 9]);
    const t = [500000, 8.660254, 5, 4000000, 5, -8.660254] as const;
    writeClassMapTiff(path, { map: { height: 9, width: 8, data }, classes, colors, georef: { geoTransform: t, crsWkt: CUSTOM_TM } });
    const g = gdalRead(path);
    expect(g.geotransform).toEqual([...t]);
    expect(g.wkt).toMatch(/custom TM/);
    expect(g.wkt).toMatch(/central_meridian",-80\.5/);
    expect(Array.from(g.bands[0]!.values)).toEqual(Array.from(data));
  });

  it('geographic EPSG:4326', () => {
    const path = join(dir, 'geo.tif');
    writeClassMapTiff(path, { map: { height: 4, width: 5, data: labels(4, 5, [1]) }, classes, colors, georef: { geoTransform: [-80.7, 0.001, 0, 28.6, 0, -0.001], epsg: 4326 } });
    const info = gdalInfo(path);
    expect(info.coordinateSystem.wkt).toMatch(/^GEOGCRS\["WGS 84"/);
    expect(info.geoTransform).toEqual([-80.7, 0.001, 0, 28.6, 0, -0.001]);
  });

  it('float32, one band with nodata 0 and several bands with NaN nodata and band names', () => {
    const one = join(dir, 'confidence.tif');
    const conf = Float32Array.from({ length: 6 * 7 }, (_, i) => (i % 5 === 0 ? 0 : 1 / (1 + (i % 9))));
    writeFloatTiff(one, { height: 6, width: 7, bands: 1, data: conf, nodata: 0, georef: { geoTransform: [0, 2, 0, 100, 0, -2], epsg: 32617 } });
    const c = gdalRead(one);
    expect(c.bands[0]!.dtype).toBe('float32');
    expect(c.bands[0]!.nodata).toBe(0);
    expect(Array.from(c.bands[0]!.values)).toEqual(Array.from(conf));
    expect(c.geotransform).toEqual([0, 2, 0, 100, 0, -2]);

    const many = join(dir, 'probabilities.tif');
    const bands = 3;
    const probs = Float32Array.from({ length: 5 * 17 * bands }, (_, i) => (Math.floor(i / bands) % 4 === 0 ? NaN : Math.fround(Math.sin(i) ** 2)));
    writeFloatTiff(many, { height: 5, width: 17, bands, data: probs, nodata: NaN, bandNames: ['Scrub', 'Oak', 'Water'], layout: { tileSize: 16 } });
    const p = gdalRead(many);
    expect(p.bands.map((b) => b.description)).toEqual(['Scrub', 'Oak', 'Water']);
    expect(Number.isNaN(p.bands[0]!.nodata)).toBe(true);
    for (let b = 0; b < bands; b++) {
      const expected = Array.from({ length: 5 * 17 }, (_, px) => probs[px * bands + b]!);
      expect(Array.from(p.bands[b]!.values)).toEqual(expected);
    }
  });
});
