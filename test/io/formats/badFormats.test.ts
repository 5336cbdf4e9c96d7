/**
 * GeoTIFF and MAT v7.3 files written by GDAL and h5py that must load (BigTIFF, PixelIsPoint,
 * ModelTransformation, nodata) or be refused with one clear message (a compression geotiff.js lacks,
 * labels in another CRS, struct/cell/sparse variables).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, InputFileError, MatFormatError } from '../../../src/core/errors.ts';
import { loadScene } from '../../../src/scene/loadScene.ts';
import { thrownAsync } from '../../helpers.ts';
import { PYTHON, formatToolsMissing } from './formatFixtures.ts';

const missing = formatToolsMissing();
if (missing !== undefined) console.warn(`skipping the GeoTIFF / MAT v7.3 edge cases: ${missing}`);

/** Writes the small files the tests need, with GDAL and h5py (Python, independent of our readers). */
const SCRIPT = String.raw`
import sys, numpy as np, h5py
from osgeo import gdal, osr
out = sys.argv[1]
H, W, B = 4, 5, 3
cube = (np.arange(H * W * B).reshape(H, W, B) * 7 % 1000).astype(np.int16)
gt = np.array([[1, 1, 2, 2, 0], [1, 0, 2, 2, 3], [3, 3, 0, 1, 1], [2, 2, 3, 3, 1]], np.uint8)
def tif(name, arr, opts, epsg=32633, geo=(1000.0, 30.0, 0.0, 5000.0, 0.0, -30.0), nodata=None, point=False):
    bands = 1 if arr.ndim == 2 else arr.shape[2]
    dt = gdal.GDT_Byte if arr.dtype == np.uint8 else gdal.GDT_Int16 if arr.dtype == np.int16 else gdal.GDT_Float32
    if point: gdal.SetConfigOption('GTIFF_POINT_GEO_IGNORE', 'NO')
    d = gdal.GetDriverByName('GTiff').Create(f'{out}/{name}', W, H, bands, dt, opts)
    d.SetGeoTransform(geo); s = osr.SpatialReference(); s.ImportFromEPSG(epsg); d.SetProjection(s.ExportToWkt())
    if point: d.SetMetadataItem('AREA_OR_POINT', 'Point')
    for b in range(bands):
        d.GetRasterBand(b + 1).WriteArray(arr if arr.ndim == 2 else arr[:, :, b])
        if nodata is not None: d.GetRasterBand(b + 1).SetNoDataValue(nodata)
    d = None
tif('cube.tif', cube, ['COMPRESS=DEFLATE'])
tif('big.tif', cube, ['BIGTIFF=YES', 'TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16', 'COMPRESS=PACKBITS'])
tif('lzma.tif', cube, ['COMPRESS=LZMA'])
tif('point.tif', cube, ['COMPRESS=DEFLATE'], point=True)
tif('rotated.tif', cube, [], geo=(1000.0, 25.98, 15.0, 5000.0, 15.0, -25.98))
nd = cube.astype(np.float32); nd[0, 0, :] = -9999
tif('nodata.tif', nd, ['COMPRESS=DEFLATE'], nodata=-9999)
tif('gt.tif', gt, ['COMPRESS=DEFLATE'])
tif('gt_other_crs.tif', gt, [], epsg=32634)
tif('gt_shifted.tif', gt, [], geo=(1030.0, 30.0, 0.0, 5000.0, 0.0, -30.0))
def mat73(name, build):
    with h5py.File(f'{out}/{name}', 'w', userblock_size=512) as f: build(f)
    with open(f'{out}/{name}', 'r+b') as f:
        f.write(b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .'.ljust(116, b' ') + b'\0' * 8 + b'\x00\x02IM')
def struct(f):
    g = f.create_group('s'); g.attrs['MATLAB_class'] = np.bytes_('struct')
    d = g.create_dataset('cube', data=cube.T); d.attrs['MATLAB_class'] = np.bytes_('int16')
def cell(f):
    r = f.create_group('#refs#'); a = r.create_dataset('a', data=cube.T); a.attrs['MATLAB_class'] = np.bytes_('int16')
    c = f.create_dataset('c', (1, 1), dtype=h5py.ref_dtype); c[0, 0] = a.ref; c.attrs['MATLAB_class'] = np.bytes_('cell')
def sparse(f):
    g = f.create_group('sp'); g.attrs['MATLAB_class'] = np.bytes_('double'); g.attrs['MATLAB_sparse'] = np.uint64(4)
    g.create_dataset('data', data=np.ones(2)); g.create_dataset('ir', data=np.array([0, 1], np.uint64)); g.create_dataset('jc', data=np.array([0, 1, 2, 2, 2, 2], np.uint64))
def complex_(f):
    d = f.create_dataset('z', data=(cube.T + 1j).astype(np.complex64)); d.attrs['MATLAB_class'] = np.bytes_('single')
for n, b in (('struct', struct), ('cell', cell), ('sparse', sparse), ('complex', complex_)): mat73(f'{n}_v73.mat', b)
`;

describe.skipIf(missing !== undefined)('GeoTIFF and MAT v7.3 edge cases', () => {
  let dir: string;
  const p = (f: string) => join(dir, f);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-formats-edge-'));
    const r = spawnSync(PYTHON, ['-c', SCRIPT, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('BigTIFF with 16×16 PackBits tiles reads like the classic deflate TIFF', async () => {
    const a = await loadScene({ cubePath: p('cube.tif'), gtPath: p('gt.tif') });
    const b = await loadScene({ cubePath: p('big.tif'), gtPath: p('gt.tif') });
    expect(b.cube.data).toEqual(a.cube.data);
    expect(a.cube.data[(1 * 5 + 2) * 3 + 1]).toBe(((1 * 5 + 2) * 3 + 1) * 7 % 1000);
    expect(a.georef).toEqual({ geoTransform: [1000, 30, 0, 5000, 0, -30], epsg: 32633 });
  });

  it('PixelIsPoint moves the origin half a pixel, as GDAL does; ModelTransformation keeps rotation terms', async () => {
    const point = await loadScene({ cubePath: p('point.tif') });
    const gdal = spawnSync(PYTHON, ['-c', `from osgeo import gdal; print(list(gdal.Open(${JSON.stringify(p('point.tif'))}).GetGeoTransform()))`], { encoding: 'utf8' });
    expect(point.georef?.geoTransform).toEqual(JSON.parse(gdal.stdout));
    // The file does say PixelIsPoint (GDAL wrote the centre tie point): reading it as a corner would be off by half a pixel.
    const info = spawnSync('gdalinfo', [p('point.tif')], { encoding: 'utf8' });
    if (info.status === 0) expect(info.stdout).toContain('AREA_OR_POINT=Point');
    expect((await loadScene({ cubePath: p('rotated.tif') })).georef?.geoTransform).toEqual([1000, 25.98, 15, 5000, 15, -25.98]);
  });

  it('GDAL nodata: the pixel with it in every band is no data and unlabelled', async () => {
    const s = await loadScene({ cubePath: p('nodata.tif'), gtPath: p('gt.tif') });
    expect(s.nodata?.[0]).toBe(1);
    expect(s.nodata?.reduce((a, v) => a + v, 0)).toBe(1);
    expect(s.labels?.data[0]).toBe(0);
  });

  it('a compression geotiff.js lacks (LZMA) is refused by name', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: p('lzma.tif') }));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toContain('is compressed with LZMA (TIFF Compression 34925), which the GeoTIFF reader (geotiff.js) cannot decode');
    expect(e.fix).toContain('gdal_translate -co COMPRESS=DEFLATE');
  });

  it('a label raster in another CRS or shifted: one message naming both grids', async () => {
    const crs = await thrownAsync(() => loadScene({ cubePath: p('cube.tif'), gtPath: p('gt_other_crs.tif') }));
    expect(crs).toBeInstanceOf(DataError);
    expect(crs.message).toContain('label map lies on another grid than the cube');
    expect(crs.message).toContain('EPSG:32633; labels 4×5, origin (1000, 5000), pixel 30×-30, EPSG:32634');
    const shifted = await thrownAsync(() => loadScene({ cubePath: p('cube.tif'), gtPath: p('gt_shifted.tif') }));
    expect(shifted.message).toContain('labels 4×5, origin (1030, 5000)');
  });

  it('MAT v7.3 struct, cell, sparse and complex variables are refused by name', async () => {
    const s = await thrownAsync(() => loadScene({ cubePath: p('struct_v73.mat'), cubeVar: 's' }));
    expect(s).toBeInstanceOf(MatFormatError);
    expect(s.message).toContain("(variable 's'): is a MATLAB struct, not a numeric array; a cube must be one");
    const found = await thrownAsync(() => loadScene({ cubePath: p('struct_v73.mat') }));
    expect(found.message).toContain("has no 3-D numeric array to use as the cube; it holds 's' (struct)");
    expect((await thrownAsync(() => loadScene({ cubePath: p('cell_v73.mat'), cubeVar: 'c' }))).message).toContain('is a MATLAB cell, not a numeric array');
    expect((await thrownAsync(() => loadScene({ cubePath: p('sparse_v73.mat'), cubeVar: 'sp' }))).message).toContain('is a MATLAB sparse, not a numeric array');
    expect((await thrownAsync(() => loadScene({ cubePath: p('complex_v73.mat'), cubeVar: 'z' }))).message).toContain('is complex; a cube must be real');
  });
});
