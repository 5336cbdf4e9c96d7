/**
 * ENVI header edge cases on tiny hand-made files: header syntax (braces over lines, case, comments,
 * CRLF), every sample type and byte order, gain/offset, ignore value (no-data pixels), bbl, wavelength
 * units, default bands, classification classes, map info, and each refusal with its message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, InputFileError } from '../../../src/core/errors.ts';
import { openRaster } from '../../../src/io/raster/openRaster.ts';
import { loadScene } from '../../../src/scene/loadScene.ts';
import { thrownAsync } from '../../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-envi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Writes NAME.hdr (the lines given after 'ENVI') and NAME.img (the bytes); returns the header path. */
function envi(lines: string, data: Uint8Array | Buffer, name = `e${n++}`): string {
  writeFileSync(join(dir, `${name}.img`), data);
  writeFileSync(join(dir, `${name}.hdr`), `ENVI\n${lines}\n`);
  return join(dir, `${name}.hdr`);
}

/** Bytes of `values` as ENVI type `type` in the given byte order. */
function bytes(values: readonly number[], type: number, bigEndian = false): Buffer {
  const size = { 1: 1, 2: 2, 3: 4, 4: 4, 5: 8, 12: 2, 13: 4, 14: 8, 15: 8 }[type] as number;
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    const o = i * size;
    const w = {
      1: () => b.writeUInt8(v, o),
      2: () => (bigEndian ? b.writeInt16BE(v, o) : b.writeInt16LE(v, o)),
      3: () => (bigEndian ? b.writeInt32BE(v, o) : b.writeInt32LE(v, o)),
      4: () => (bigEndian ? b.writeFloatBE(v, o) : b.writeFloatLE(v, o)),
      5: () => (bigEndian ? b.writeDoubleBE(v, o) : b.writeDoubleLE(v, o)),
      12: () => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o)),
      13: () => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o)),
      14: () => (bigEndian ? b.writeBigInt64BE(BigInt(v), o) : b.writeBigInt64LE(BigInt(v), o)),
      15: () => (bigEndian ? b.writeBigUInt64BE(BigInt(v), o) : b.writeBigUInt64LE(BigInt(v), o)),
    }[type];
    w?.();
  });
  return b;
}

/** A 2×3×2 BSQ cube: band b, row r, column c holds 100b + 10r + c (+1 so nothing is 0). */
const BSQ = [0, 1].flatMap((b) => [0, 1].flatMap((r) => [0, 1, 2].map((c) => 100 * b + 10 * r + c + 1)));
const dims = (type: number, extra = '') => `samples = 3\nlines = 2\nbands = 2\ndata type = ${type}\ninterleave = bsq${extra}`;
const pixels = async (hdr: string) => Array.from((await loadScene({ cubePath: hdr })).cube.data);
const EXPECTED = [1, 101, 2, 102, 3, 103, 11, 111, 12, 112, 13, 113];

describe('ENVI sample types and byte orders', () => {
  it('reads types 1, 2, 3, 4, 5, 12, 13, 14, 15 in both byte orders to the same BIP values', async () => {
    for (const type of [1, 2, 3, 4, 5, 12, 13, 14, 15]) {
      for (const be of [false, true]) {
        const hdr = envi(`${dims(type)}\nbyte order = ${be ? 1 : 0}`, bytes(BSQ, type, be));
        expect(await pixels(hdr), `type ${type} ${be ? 'big' : 'little'}-endian`).toEqual(EXPECTED);
      }
    }
  });

  it('a 64-bit integer beyond 2^53 is refused, not rounded', async () => {
    const b = bytes(BSQ, 14);
    b.writeBigInt64LE(2n ** 60n, 8);
    const e = await thrownAsync(() => loadScene({ cubePath: envi(dims(14), b) }));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toContain('beyond 2^53');
  });

  it('header offset, data gain and offset values', async () => {
    const data = Buffer.concat([Buffer.alloc(7, 0xff), bytes(BSQ, 2)]);
    const hdr = envi(`${dims(2)}\nheader offset = 7\ndata gain values = {2, 0.5}\ndata offset values = {1, -1}`, data);
    expect(await pixels(hdr)).toEqual(EXPECTED.map((v, i) => (i % 2 === 0 ? v * 2 + 1 : v * 0.5 - 1)));
  });
});

describe('ENVI header syntax and band facts', () => {
  it('braces over several lines, any key case, comments, CRLF; micrometres to nm; bbl drops; default bands', async () => {
    const b4 = [0, 1, 2, 3].flatMap((b) => [0, 1].flatMap((r) => [0, 1, 2].map((c) => 100 * b + 10 * r + c + 1)));
    const text = ['Samples = 3', 'LINES=2', '; a comment line', 'bands = 4', 'Data Type = 2', 'interleave = BSQ',
      'wavelength units = Micrometers', 'wavelength = {', ' 0.46, 0.55,', ' 0.64, 0.90 }', 'fwhm = {0.01, 0.01, 0.01, 0.01}',
      'band names = {blue, green,', 'red, nir}', 'bbl = {1, 1, 0, 1}', 'default bands = {4, 2, 1}', 'description = {a {nested} brace}'].join('\r\n');
    const s = await loadScene({ cubePath: envi(text, bytes(b4, 2)) });
    expect(s.droppedBands).toEqual([2]);
    expect(s.warnings).toEqual([expect.stringMatching(/dropped band 3, which the file marks bad \(bbl = 0\); 3 bands are left\.$/)]);
    expect(Array.from(s.bandInfo?.wavelengthsNm ?? [])).toEqual([460, 550, 900]);
    expect(s.bandInfo?.names).toEqual(['blue', 'green', 'nir']);
    expect(s.rgbBands).toEqual([2, 1, 0]); // default bands 4, 2, 1 (1-based) → kept bands nir, green, blue
    expect(Array.from(s.cube.data.subarray(0, 3))).toEqual([1, 101, 301]);
  });

  it('without default bands the bands nearest 640/550/460 nm are the false colour', async () => {
    const s = await loadScene({ cubePath: envi(`${dims(2)}\nwavelength = {470, 630}\nwavelength units = nm`, bytes(BSQ, 2)) });
    expect(s.rgbBands).toBeUndefined(); // nothing within 50 nm of 550
    const hdr = envi('samples = 1\nlines = 1\nbands = 4\ndata type = 1\ninterleave = bip\nwavelength = {450, 545, 650, 800}', Buffer.from([1, 2, 3, 4]));
    expect((await loadScene({ cubePath: hdr })).rgbBands).toEqual([2, 1, 0]);
  });

  it('data ignore value: pixels with it in every band are no data, masked, filled with band means and unlabelled', async () => {
    const v = [...BSQ];
    v[0] = -9999; v[6] = -9999; // pixel (0,0) in both bands: no data
    v[1] = -9999; // pixel (0,1) in band 1 only: data
    const cubePath = envi(`${dims(2)}\ndata ignore value = -9999`, bytes(v, 2));
    const gtPath = envi('samples = 3\nlines = 2\nbands = 1\ndata type = 1\ninterleave = bsq', Buffer.from([1, 1, 2, 2, 1, 2]));
    const s = await loadScene({ cubePath, gtPath });
    expect(Array.from(s.nodata ?? [])).toEqual([1, 0, 0, 0, 0, 0]);
    expect(Array.from(s.labels?.data ?? [])).toEqual([0, 1, 2, 2, 1, 2]);
    expect(s.cube.data[2]).toBe(-9999); // (0,1) band 1 kept as is
    expect(s.cube.data[0]).toBeCloseTo((-9999 + 3 + 11 + 12 + 13) / 5, 3); // band-1 mean of the 5 data pixels
    expect(s.warnings).toEqual([expect.stringMatching(/has 1 no-data pixel \(16\.7%, value -9999 in every band\); they are never trained, tested or counted and are background in the maps; 1 labelled one was set to 0 \(unlabelled\)\.$/)]);
  });

  it('an ENVI Classification brings class names and colours; class 0 is background', async () => {
    const gtPath = envi(['samples = 3', 'lines = 2', 'bands = 1', 'data type = 1', 'interleave = bsq', 'file type = ENVI Classification',
      'classes = 3', 'class names = {Unclassified, Water, Forest}', 'class lookup = {0, 0, 0, 0, 0, 255, 0, 128, 0}'].join('\n'), Buffer.from([0, 1, 1, 2, 0, 2]));
    const s = await loadScene({ cubePath: envi(dims(2), bytes(BSQ, 2)), gtPath });
    expect(s.classes).toEqual([{ value: 1, name: 'Water', color: [0, 0, 255] }, { value: 2, name: 'Forest', color: [0, 128, 0] }]);
  });

  it('map info: 1-based reference pixel, UTM zone → EPSG, coordinate system string kept', async () => {
    const wkt = 'PROJCS["WGS_1984_UTM_Zone_33N",GEOGCS["GCS_WGS_1984"],UNIT["Meter",1.0]]';
    const hdr = envi(`${dims(2)}\nmap info = {UTM, 2, 3, 1000, 5000, 30, 20, 33, North, WGS-84, units=Meters}\ncoordinate system string = {${wkt}}`, bytes(BSQ, 2));
    const s = await loadScene({ cubePath: hdr });
    expect(s.georef).toEqual({ geoTransform: [970, 30, 0, 5040, 0, -20], crsWkt: wkt, epsg: 32633 });
  });
});

const gdalMissing = spawnSync('/usr/bin/python3', ['-c', 'from osgeo import gdal'], { encoding: 'utf8' }).status !== 0;
if (gdalMissing) console.warn('skipping the ENVI map-info check against GDAL: /usr/bin/python3 has no osgeo.gdal (apt-get install python3-gdal)');

describe.skipIf(gdalMissing)('ENVI map info as GDAL reads it', () => {
  it('rotation and a fractional reference pixel give GDAL\'s geotransform', async () => {
    for (const info of ['{UTM, 2.5, 3.5, 500000, 4200000, 30, 20, 17, North, WGS-84, units=Meters, rotation=30}',
      '{Geographic Lat/Lon, 1, 1, -120.5, 38.25, 0.001, 0.002, WGS-84}', '{UTM, 1.5, 1.5, 600000, 100000, 5, 5, 55, South, WGS-84}']) {
      const hdr = envi(`${dims(2)}\nmap info = ${info}`, bytes(BSQ, 2));
      const py = `from osgeo import gdal; d = gdal.Open(${JSON.stringify(hdr.replace(/\.hdr$/, '.img'))}); print(list(d.GetGeoTransform()))`;
      const gdalGt = JSON.parse(spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' }).stdout);
      const ours = (await loadScene({ cubePath: hdr })).georef?.geoTransform ?? [];
      ours.forEach((v, i) => expect(v, `${info} term ${i}`).toBeCloseTo(gdalGt[i], 9));
    }
  });
});

describe('ENVI refusals: one typed error naming the file and the fix', () => {
  const cases: [string, () => string, RegExp][] = [
    ['complex data', () => envi(dims(6), bytes(BSQ, 5)), /data type' is 6 \(complex float32\); complex samples cannot be classified/],
    ['an unknown data type', () => envi(dims(7), bytes(BSQ, 2)), /data type' is 7, which is not an ENVI data type/],
    ['an unknown interleave', () => envi(dims(2).replace('bsq', 'bsx'), bytes(BSQ, 2)), /interleave' is "bsx"; ENVI interleaves are bsq, bil and bip/],
    ['a missing size', () => envi(dims(2).replace('lines = 2\n', ''), bytes(BSQ, 2)), /header key 'lines' is missing/],
    ['compressed data', () => envi(`${dims(2)}\nfile compression = 1`, bytes(BSQ, 2)), /file compression' is "1": the data file is gzip-compressed/],
    ['an unclosed brace', () => envi(`${dims(2)}\nwavelength = {1, 2`, bytes(BSQ, 2)), /opens a brace '\{' that is never closed/],
    ['a header promising more bytes than the file holds', () => envi(dims(2), bytes(BSQ, 2).subarray(0, 20)),
      /holds 20 bytes, but its header e\d+\.hdr promises 24 \(0 header offset \+ 2 lines × 3 samples × 2 bands × 2 bytes of int16\)/],
    ['a wrong number of wavelengths', () => envi(`${dims(2)}\nwavelength = {1, 2, 3}`, bytes(BSQ, 2)), /wavelength' should list 2 numbers \(one per band\), found 3/],
    ['a .hdr that is not ENVI', () => {
      writeFileSync(join(dir, 'notenvi.hdr'), 'HDR of something else\nsamples = 3\n');
      return join(dir, 'notenvi.hdr');
    }, /notenvi\.hdr: is not an ENVI header: its first line should be 'ENVI', found "HDR of something else"/],
    ['a data file with no header', () => {
      writeFileSync(join(dir, 'lonely.img'), bytes(BSQ, 2));
      return join(dir, 'lonely.img');
    }, /lonely\.img: is not a format spinalnet reads .* and no ENVI header \(lonely\.img\.hdr or lonely\.hdr\) is beside it/],
    ['a header with no data file', () => {
      writeFileSync(join(dir, 'nodata.hdr'), `ENVI\n${dims(2)}\n`);
      return join(dir, 'nodata.hdr');
    }, /nodata\.hdr: is an ENVI header, but no data file is beside it/],
  ];
  for (const [what, make, message] of cases) {
    it(what, async () => {
      const e = await thrownAsync(() => loadScene({ cubePath: make() }));
      expect(e).toBeInstanceOf(InputFileError);
      expect(e.message).toMatch(message);
      expect(e.fix).toBeTruthy();
    });
  }

  it('labels on another grid: size, geotransform or CRS; one message naming both grids', async () => {
    const info = (x: number, zone: number) => `map info = {UTM, 1, 1, ${x}, 5000, 30, 30, ${zone}, North, WGS-84}`;
    const cubePath = envi(`${dims(2)}\n${info(1000, 33)}`, bytes(BSQ, 2));
    const gt = (extra: string, w = 3) => envi(`samples = ${w}\nlines = 2\nbands = 1\ndata type = 1\ninterleave = bsq\n${extra}`, Buffer.alloc(2 * w, 1));
    const shifted = await thrownAsync(() => loadScene({ cubePath, gtPath: gt(info(1030, 33)) }));
    expect(shifted).toBeInstanceOf(DataError);
    expect(shifted.message).toMatch(/label map lies on another grid than the cube .*: cube 2×3, origin \(1000, 5000\), pixel 30×-30, EPSG:32633; labels 2×3, origin \(1030, 5000\), pixel 30×-30, EPSG:32633$/);
    const otherCrs = await thrownAsync(() => loadScene({ cubePath, gtPath: gt(info(1000, 34)) }));
    expect(otherCrs.message).toContain('EPSG:32633; labels 2×3, origin (1000, 5000), pixel 30×-30, EPSG:32634');
    const size = await thrownAsync(() => loadScene({ cubePath, gtPath: gt('', 4) }));
    expect(size.message).toMatch(/label map is 2×4 but the cube is 2×3/);
    // A label raster without a georeference is taken on the cube's grid when the sizes agree.
    expect((await loadScene({ cubePath, gtPath: gt('') })).labels?.data.length).toBe(6);
  });

  it('a multi-band raster as labels', async () => {
    const e = await thrownAsync(() => openRaster(envi(dims(2), bytes(BSQ, 2)), { role: 'labels' }));
    expect(e.message).toContain('has 2 bands; a label map has one');
  });
});

describe('spinalnet inspect on ENVI', () => {
  it('describes size, type, interleave, byte order, georeference, nodata, wavelengths, bad bands and classes', async () => {
    const { formatRaster, inspectFile } = await import('../../../src/io/raster/inspectRaster.ts');
    const hdr = envi(`${dims(2)}\nbyte order = 1\ndata ignore value = -1\nwavelength = {0.5, 0.7}\nwavelength units = um\nbbl = {1, 0}\nmap info = {UTM, 1, 1, 1000, 5000, 30, 30, 33, North, WGS-84}`, bytes(BSQ, 2, true));
    const found = await inspectFile(hdr.replace(/\.hdr$/, '.img'));
    expect(found.format).toBe('envi');
    if (!('raster' in found)) throw new Error('expected a raster');
    expect(formatRaster(found.raster)).toEqual([
      'format           ENVI',
      'size             2 rows × 3 columns × 2 bands',
      'type             int16',
      'interleave       bsq',
      'compression      none',
      'byte order       big-endian',
      'georeference     origin (1000, 5000), pixel 30 × -30',
      'CRS              EPSG:32633',
      'nodata           -1',
      'wavelengths      500–700 nm (2 bands)',
      'bad bands (bbl)  1: 2',
    ]);
  });
});
