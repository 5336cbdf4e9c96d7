/** ENVI classification files read back by GDAL: indices, class names, colours, geotransform and CRS. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enviHeaderPath, mapInfo, writeEnviClassification } from '../../../src/io/envi/writeEnviClassification.ts';
import { palette } from '../../../src/render/palette.ts';
import type { ClassInfo } from '../../../src/core/types.ts';
import { gdalInfo, gdalMissing, gdalRead } from '../gdal.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-envi-'));
// SalinasA's values: not contiguous, so the file's indices differ from them.
const classes: ClassInfo[] = [1, 10, 11, 12, 13, 14].map((value) => ({ value, name: `class, {${value}}` }));
const colors = palette(classes.length);

function map(height: number, width: number): Int32Array {
  return Int32Array.from({ length: height * width }, (_, i) => (i % 5 === 0 ? 0 : classes[i % classes.length]!.value));
}

describe('ENVI map info', () => {
  it('names WGS 84 UTM zones and EPSG:4326, refuses shear, writes rotation as GDAL does', () => {
    expect(mapInfo({ geoTransform: [440720, 30, 0, 3751320, 0, -30], epsg: 32617 })).toBe('UTM, 1, 1, 440720, 3751320, 30, 30, 17, North, WGS-84, units=Meters');
    expect(mapInfo({ geoTransform: [10, 0.5, 0, 20, 0, -0.5], epsg: 32733 })).toBe('UTM, 1, 1, 10, 20, 0.5, 0.5, 33, South, WGS-84, units=Meters');
    expect(mapInfo({ geoTransform: [-80, 0.001, 0, 28, 0, -0.001], epsg: 4326 })).toBe('Geographic Lat/Lon, 1, 1, -80, 28, 0.001, 0.001, WGS-84, units=Degrees');
    expect(mapInfo({ geoTransform: [0, 1, 0.2, 0, 0, -1] })).toBeUndefined();
    // GDAL writes this grid (30° counter-clockwise) as rotation=30.
    const rotated = mapInfo({ geoTransform: [500000, 8.660254037844387, 5, 4000000, 5, -8.660254037844387], epsg: 32617 })!;
    expect(rotated).toMatch(/^UTM, 1, 1, 500000, 4000000, 10, 10, 17, North, WGS-84, units=Meters, rotation=/);
    expect(Number(rotated.split('rotation=')[1])).toBeCloseTo(30, 10);
  });
});

describe.skipIf(gdalMissing !== undefined)('ENVI classification read back by GDAL', () => {
  it('uint8, no georeference: indices k + 1 in class order, names and colours line up, a valid header', () => {
    const path = join(dir, 'plain.dat');
    const data = map(7, 9);
    writeEnviClassification(path, { map: { height: 7, width: 9, data }, classes, colors, description: 'test map' });
    expect(enviHeaderPath(path)).toBe(join(dir, 'plain.hdr'));
    const header = readFileSync(enviHeaderPath(path), 'utf8');
    expect(header).toMatch(/^ENVI\n/);
    expect(header).toMatch(/file type = ENVI Classification/);
    expect(header).toMatch(/classes = 7\n/);
    const g = gdalRead(path);
    expect(g.driver).toBe('ENVI');
    const b = g.bands[0]!;
    expect(b.dtype).toBe('uint8');
    const index = new Map(classes.map((c, k) => [c.value, k + 1]));
    expect(Array.from(b.values)).toEqual(Array.from(data, (v) => (v === 0 ? 0 : index.get(v)!)));
    expect(b.categories).toEqual(['Unclassified', ...classes.map((c) => `class; (${c.value})`)]);
    expect(b.colors!.slice(0, 7)).toEqual([[0, 0, 0, 255], ...colors.map((c) => [...c, 255])]);
  });

  it('uint16 past 255 classes', () => {
    const many: ClassInfo[] = Array.from({ length: 300 }, (_, k) => ({ value: 2 * k + 1, name: `c${k}` }));
    const path = join(dir, 'many.dat');
    const data = Int32Array.from({ length: 6 * 60 }, (_, i) => many[i % 300]!.value);
    writeEnviClassification(path, { map: { height: 6, width: 60, data }, classes: many, colors: palette(300) });
    const b = gdalRead(path).bands[0]!;
    expect(b.dtype).toBe('uint16');
    expect(Array.from(b.values)).toEqual(Array.from({ length: 360 }, (_, i) => (i % 300) + 1));
    expect(b.categories![300]).toBe('c299');
  });

  it('georeferenced: UTM by EPSG, rotated, and a CRS known only as WKT', () => {
    const utm = join(dir, 'utm.dat');
    writeEnviClassification(utm, { map: { height: 7, width: 9, data: map(7, 9) }, classes, colors, georef: { geoTransform: [440720, 30, 0, 3751320, 0, -30], epsg: 32617 } });
    let info = gdalInfo(utm);
    // + 0: GDAL's ENVI reader gives −0 for the zero terms.
    expect(info.geoTransform.map((v: number) => v + 0)).toEqual([440720, 30, 0, 3751320, 0, -30]);
    expect(info.coordinateSystem.wkt).toMatch(/UTM zone 17N/);

    const rot = join(dir, 'rot.dat');
    const t = [500000, 8.660254037844387, 5, 4000000, 5, -8.660254037844387];
    writeEnviClassification(rot, { map: { height: 7, width: 9, data: map(7, 9) }, classes, colors, georef: { geoTransform: t as never, epsg: 32617 } });
    info = gdalInfo(rot);
    info.geoTransform.forEach((v: number, i: number) => expect(v).toBeCloseTo(t[i]!, 6));

    const wkt = join(dir, 'wkt.dat');
    const crsWkt = 'PROJCS["custom TM",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-80.5],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]';
    writeEnviClassification(wkt, { map: { height: 7, width: 9, data: map(7, 9) }, classes, colors, georef: { geoTransform: [1000, 2, 0, 5000, 0, -2], crsWkt } });
    info = gdalInfo(wkt);
    expect(info.geoTransform.map((v: number) => v + 0)).toEqual([1000, 2, 0, 5000, 0, -2]);
    expect(info.coordinateSystem.wkt).toMatch(/-80\.5/);
  });
});
