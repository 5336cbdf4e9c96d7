/**
 * Small scene files in every format for the windowed-read tests, written at test time: MAT v5 by our
 * own writer, GeoTIFF by GDAL and MAT v7.3 by h5py (independent writers, through Debian's python3).
 * `pythonMissing` says why GDAL/h5py fixtures cannot be made here, so those tests skip with it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

function probe(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent`;
  const r = spawnSync(PYTHON, ['-c', 'import h5py, numpy; from osgeo import gdal'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} lacks h5py or GDAL (apt-get install python3-gdal python3-h5py)`;
}

/** Why the GDAL/h5py fixtures cannot be written here, or undefined. */
export const pythonMissing = probe();
if (pythonMissing) console.warn(`skipping the GeoTIFF / MAT v7.3 windowed-read tests: ${pythonMissing}`);

/** A seeded int16 cube, row-major BIP (value of row r, column c, band b at (r·W + c)·B + b). */
export function seededCube(h: number, w: number, b: number, seed = 7): Int16Array {
  const out = new Int16Array(h * w * b);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 16) - 32768;
  }
  return out;
}

/** The same values in MATLAB's column-major order (r + c·H + b·H·W). */
export function toColumnMajor(bip: Int16Array, h: number, w: number, b: number): Int16Array {
  const out = new Int16Array(bip.length);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) for (let k = 0; k < b; k++) out[r + c * h + k * h * w] = bip[(r * w + c) * b + k];
  return out;
}

const WRITE = String.raw`
import sys, json, numpy as np, h5py
from osgeo import gdal
gdal.UseExceptions()
raw, out, H, W, B = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cube = np.fromfile(raw, dtype='<i2').reshape(H, W, B)
made = {}
def tif(name, opts):
    try:
        d = gdal.GetDriverByName('GTiff').Create(f'{out}/{name}.tif', W, H, B, gdal.GDT_Int16, opts)
        for k in range(B): d.GetRasterBand(k + 1).WriteArray(cube[:, :, k])
        d = None
        made[name] = f'{out}/{name}.tif'
    except Exception as e:
        made[name] = None
tif('tiled16_deflate', ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16', 'COMPRESS=DEFLATE', 'INTERLEAVE=PIXEL'])
tif('striped5_lzw_band', ['COMPRESS=LZW', 'INTERLEAVE=BAND', 'BLOCKYSIZE=5'])
tif('tiled16_zstd', ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16', 'COMPRESS=ZSTD'])
def mat73(name, **kw):
    path = f'{out}/{name}.mat'
    with h5py.File(path, 'w', userblock_size=512) as f:
        ds = f.create_dataset('cube', data=np.ascontiguousarray(cube.T), **kw)
        ds.attrs['MATLAB_class'] = np.bytes_('int16')
    head = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .'
    with open(path, 'r+b') as f: f.write(head.ljust(116, b' ') + b'\0' * 8 + b'\x00\x02IM')
    made[name] = path
mat73('v73_chunked', compression='gzip', chunks=(2, 8, 8))
mat73('v73_contiguous')
print(json.dumps(made))
`;

/** GeoTIFF and MAT v7.3 files of the cube in `dir` (name → path; null where GDAL lacks the compression). */
export function writePythonFixtures(dir: string, bip: Int16Array, h: number, w: number, b: number): Record<string, string | null> {
  const raw = join(dir, 'cube.i16');
  writeFileSync(raw, Buffer.from(bip.buffer, bip.byteOffset, bip.byteLength));
  return JSON.parse(execFileSync(PYTHON, ['-c', WRITE, raw, dir, String(h), String(w), String(b)], { encoding: 'utf8' }));
}

const WRITE_LARGE = String.raw`
import sys, numpy as np, h5py
from osgeo import gdal
gdal.UseExceptions()
out, H, W, B = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
# Sparse: no tile is written (GDAL records empty tiles, HDF5 allocates no chunk), so the files are tiny
# while their headers describe a large raster.
d = gdal.GetDriverByName('GTiff').Create(f'{out}/large.tif', W, H, B, gdal.GDT_Int16, ['TILED=YES', 'COMPRESS=DEFLATE', 'SPARSE_OK=TRUE'])
d = None
with h5py.File(f'{out}/large73.mat', 'w', userblock_size=512) as f:
    ds = f.create_dataset('cube', shape=(B, W, H), dtype='<i2', compression='gzip', chunks=(8, 64, 64))
    ds.attrs['MATLAB_class'] = np.bytes_('int16')
head = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .'
with open(f'{out}/large73.mat', 'r+b') as f: f.write(head.ljust(116, b' ') + b'\0' * 8 + b'\x00\x02IM')
`;

/** A large sparse GeoTIFF (large.tif) and MAT v7.3 file (large73.mat) of H×W×B int16 in `dir`. */
export function writeLargeSparse(dir: string, h: number, w: number, b: number): void {
  execFileSync(PYTHON, ['-c', WRITE_LARGE, dir, String(h), String(w), String(b)], { encoding: 'utf8' });
}
