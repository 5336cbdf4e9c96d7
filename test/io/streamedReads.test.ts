/**
 * Every reader reads windows of rows from the file: windows of 1, 3 and 16 rows give exactly the
 * whole read (and the values written), and what a reader reports holding (storedBytes) is its buffers,
 * not the raster, so the memory plan of a large file no longer counts the raster.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { openRaster } from '../../src/io/raster/openRaster.ts';
import { planMemory } from '../../src/scene/memoryPlan.ts';
import { pythonMissing, seededCube, toColumnMajor, writeLargeSparse, writePythonFixtures } from './streamFixtures.ts';

const H = 37, W = 23, B = 5;
let dir: string;
const bip = seededCube(H, W, B);
const colMajor = toColumnMajor(bip, H, W, B);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-windows-'));
  writeMatV5(join(dir, 'plain.mat'), [{ name: 'cube', data: colMajor, dims: [H, W, B] }], { compress: false });
  writeMatV5(join(dir, 'plain_be.mat'), [{ name: 'cube', data: colMajor, dims: [H, W, B] }], { compress: false, byteOrder: 'big' });
  writeMatV5(join(dir, 'zlib.mat'), [{ name: 'cube', data: colMajor, dims: [H, W, B] }]);
  writeMatV5(join(dir, 'double.mat'), [{ name: 'cube', data: Float64Array.from(colMajor), dims: [H, W, B] }], { compress: false });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads the whole raster in windows of `rows` rows (the last one shorter). */
async function readInWindows(path: string, rows: number): Promise<Float32Array> {
  const source = await openRaster(path);
  try {
    const out = new Float32Array(H * W * B);
    for (let r = 0; r < H; r += rows) {
      const n = Math.min(rows, H - r);
      out.set(await source.readRows(r, n, new Float32Array(n * W * B)), r * W * B);
    }
    return out;
  } finally {
    source.close();
  }
}

async function expectWindowsEqualWhole(path: string): Promise<void> {
  const whole = await readInWindows(path, H);
  expect(Array.from(whole)).toEqual(Array.from(bip)); // the values written, in BIP
  for (const rows of [1, 3, 16]) expect(await readInWindows(path, rows)).toEqual(whole);
}

describe('MAT v5 by positioned reads', () => {
  for (const name of ['plain.mat', 'plain_be.mat', 'zlib.mat', 'double.mat']) {
    it(`${name}: windows of 1, 3 and 16 rows equal the whole read`, async () => expectWindowsEqualWhole(join(dir, name)));
  }

  it('labels come back exactly as float64, read by windows too', async () => {
    const labels = Int32Array.from({ length: H * W }, (_, i) => (i * 7919) % 100000);
    writeMatV5(join(dir, 'labels.mat'), [{ name: 'gt', data: labels, dims: [H, W] }]);
    const source = await openRaster(join(dir, 'labels.mat'), { role: 'labels', grid: { height: H, width: W } });
    const out = await source.readRows(5, 3, new Float64Array(3 * W));
    source.close();
    for (let r = 0; r < 3; r++) for (let c = 0; c < W; c++) expect(out[r * W + c]).toBe(labels[(r + 5) + c * H]);
  });
});

describe.skipIf(pythonMissing !== undefined)('GeoTIFF (GDAL) and MAT v7.3 (h5py) by windows', () => {
  let files: Record<string, string | null>;
  beforeAll(() => {
    files = writePythonFixtures(dir, bip, H, W, B);
  });

  for (const name of ['tiled16_deflate', 'striped5_lzw_band', 'tiled16_zstd', 'v73_chunked', 'v73_contiguous']) {
    it(`${name}: windows of 1, 3 and 16 rows equal the whole read`, async () => {
      const path = files[name];
      if (path === null) {
        console.warn(`${name}: this GDAL cannot write it; skipped`);
        return;
      }
      await expectWindowsEqualWhole(path);
    });
  }
});

describe('the memory plan of a large file counts the reader\'s buffers, not the raster', () => {
  // int16, W = 512, B = 64: the sparse files (ENVI, GeoTIFF, v7.3) 4096 rows (256 MiB as stored), the MAT
  // v5 files, written whole, 1024 rows (64 MiB).
  const LW = 512, LB = 64, SPARSE_H = 4096, MAT_H = 1024;
  let big: string;
  beforeAll(() => {
    big = mkdtempSync(join(tmpdir(), 'spinalnet-large-'));
    // ENVI as a sparse file: a header, then the data length by ftruncate.
    writeFileSync(join(big, 'large.hdr'), `ENVI\nsamples = ${LW}\nlines = ${SPARSE_H}\nbands = ${LB}\nheader offset = 0\ndata type = 2\ninterleave = bsq\nbyte order = 0\n`);
    const fd = openSync(join(big, 'large.img'), 'w');
    ftruncateSync(fd, SPARSE_H * LW * LB * 2);
    closeSync(fd);
    const zeros = new Int16Array(MAT_H * LW * LB);
    writeMatV5(join(big, 'large_zlib.mat'), [{ name: 'cube', data: zeros, dims: [MAT_H, LW, LB] }]);
    writeMatV5(join(big, 'large.mat'), [{ name: 'cube', data: zeros, dims: [MAT_H, LW, LB] }], { compress: false });
    if (pythonMissing === undefined) writeLargeSparse(big, SPARSE_H, LW, LB);
  });
  afterAll(() => rmSync(big, { recursive: true, force: true }));

  const cases: [string, number][] = [['large.img', SPARSE_H], ['large.mat', MAT_H], ['large_zlib.mat', MAT_H], ['large.tif', SPARSE_H], ['large73.mat', SPARSE_H]];
  for (const [name, LH] of cases) {
    it(name, async (ctx) => {
      if ((name === 'large.tif' || name === 'large73.mat') && pythonMissing !== undefined) ctx.skip();
      const rasterBytes = LH * LW * LB * 2;
      const source = await openRaster(join(big, name));
      const d = source.describe();
      source.close();
      expect([d.height, d.width, d.bands]).toEqual([LH, LW, LB]);
      // The reader's own buffers are small next to the raster (before: the raster as stored, or twice it).
      expect(d.storedBytes).toBeLessThan(rasterBytes / 4);
      expect(d.windowBytesPerRow ?? 0).toBeLessThanOrEqual(LW * LB * 4);
      // A limit of half the raster as stored (plus the reduced scene and maps) now fits, in windows.
      const pixelsPart = LH * LW * (3 * 4 + 33);
      const plan = planMemory({ ...d, components: 3, limit: pixelsPart + rasterBytes / 2, file: name });
      expect(plan.tileRows).toBeGreaterThanOrEqual(1);
      expect(plan.tileRows).toBeLessThan(LH);
    });
  }
});
