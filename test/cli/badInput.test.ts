/**
 * Bad input through the real CLI entry point: one clear message with a fix, exit code 2, and no output
 * folder (nor a staging folder) left behind.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { makeTiff } from '../fuzz/tiffBytes.ts';

const shared = join(__dirname, '..', '..', '..', 'shared', 'data');
let dir: string;

/** A small scene: cube H×W×B (column-major, values vary), labels with `classes` classes of 12+ pixels. */
function writeScene(name: string, h: number, w: number, b: number, gt?: Int32Array | Float64Array, gh = h, gw = w): [string, string] {
  const cube = new Float32Array(h * w * b).map((_, i) => Math.sin(i) * 100 + (i % 7));
  const labels = gt ?? Int32Array.from({ length: gh * gw }, (_, i) => 1 + (i % 3));
  const cubePath = join(dir, `${name}_cube.mat`);
  const gtPath = join(dir, `${name}_gt.mat`);
  writeMatV5(cubePath, [{ name: 'cube', data: cube, dims: [h, w, b] }]);
  writeMatV5(gtPath, [{ name: 'gt', data: labels, dims: [gh, gw] }]);
  return [cubePath, gtPath];
}

async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(args);
    return { code, stderr: lines.join('') };
  } finally {
    spy.mockRestore();
    stdout.mockRestore();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-bad-'));
});

afterEach(() => {
  // Nothing half-written: neither the output folder nor a hidden staging folder.
  expect(readdirSync(dir).filter((f) => f.startsWith('out') || f.startsWith('.out'))).toEqual([]);
});

const fast = ['--epochs', '1', '--backend', 'cpu', '--model', 'spinal-mlp', '--pca', '3'];

describe('spinalnet run on bad input', () => {
  it('a missing file', async () => {
    const r = await runCli(['run', '--cube', join(dir, 'nope.mat'), '--gt', join(dir, 'nope_gt.mat'), '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.mat: file not found/);
    expect(r.stderr).toMatch(/fix: /);
  });

  it('a file that is not a MAT file', async () => {
    const [, gt] = writeScene('ok', 12, 12, 4);
    const junk = join(dir, 'junk.mat');
    writeFileSync(junk, 'this is not a MAT file at all, just text that is long enough to have a header '.repeat(3));
    const r = await runCli(['run', '--cube', junk, '--gt', gt, '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/junk\.mat/);
  });

  it.skipIf(!existsSync(join(shared, 'hdf5')))('a MAT v7.3 (HDF5) label map of another scene is read, and refused for its size', async () => {
    const [cube] = writeScene('v73', 12, 12, 4);
    const r = await runCli(['run', '--cube', cube, '--gt', join(shared, 'hdf5', 'KSC_gt_v73.mat'), '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KSC_gt_v73\.mat: has no 12×12 numeric array \(the cube's size\) to use as labels; it holds 'gt' \(uint8 512×614\)/);
  });

  it('a cube and label map of different sizes', async () => {
    const [cube, gt] = writeScene('mismatch', 12, 12, 4, undefined, 10, 12);
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--gt-var', 'gt', '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/10×12|12×12/);
  });

  it('a label map with no labels', async () => {
    const [cube, gt] = writeScene('empty', 12, 12, 4, new Int32Array(144));
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no .*label/i);
  });

  it('a class with too few pixels for the split', async () => {
    const labels = Int32Array.from({ length: 144 }, (_, i) => (i === 0 ? 3 : 1 + (i % 2)));
    const [cube, gt] = writeScene('tiny', 12, 12, 4, labels);
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/class 3 .*1 labelled pixel/);
  });

  it('a patch larger than the scene', async () => {
    const [cube, gt] = writeScene('small', 12, 12, 4);
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--out', join(dir, 'out'), '--epochs', '1', '--backend', 'cpu', '--pca', '3', '--patch', '15']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--patch: expected at most 12/);
  });

  it('more PCA components than bands', async () => {
    const [cube, gt] = writeScene('pca', 12, 12, 4);
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--out', join(dir, 'out'), '--epochs', '1', '--backend', 'cpu', '--model', 'spinal-mlp', '--pca', '30']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--pca/);
    expect(r.stderr).toMatch(/4/);
  });

  it('an ambiguous variable', async () => {
    const cubePath = join(dir, 'two_cubes.mat');
    const data = new Float32Array(12 * 12 * 4);
    writeMatV5(cubePath, [
      { name: 'a', data, dims: [12, 12, 4] },
      { name: 'b', data, dims: [12, 12, 4] },
    ]);
    const [, gt] = writeScene('amb', 12, 12, 4);
    const r = await runCli(['run', '--cube', cubePath, '--gt', gt, '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cube-var/);
  });

  it('a missing variable', async () => {
    const [cube, gt] = writeScene('missing', 12, 12, 4);
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--cube-var', 'KSC', '--out', join(dir, 'out'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KSC/);
  });

  it('bad flag values and unknown flags', async () => {
    for (const [args, pattern] of [
      [['--train-fraction', '1.5'], /--train-fraction/],
      [['--patch', '4'], /--patch: expected an odd/],
      [['--model', 'resnet'], /--model: expected one of spinal-cnn/],
      [['--epochs', 'many'], /--epochs: expected a number/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--inference', 'gpu'], /--inference: expected one of auto, onnxruntime, tfjs/],
      [['--training', 'gpu'], /--training: expected one of auto, libtorch, onnxruntime, tfjs/],
      [['--map-format', 'kml'], /--map-format: expected a comma-separated list of tif, envi, got 'kml'/],
      [['--map-format', 'tif,png'], /--map-format: expected a comma-separated list of tif, envi, got 'png'/],
      [['--backend', 'webgpu', '--training', 'onnxruntime'], /--training: expected 'auto' or 'tfjs' with --backend webgpu/],
      [['--backend', 'webgpu', '--training', 'libtorch'], /--training: expected 'auto' or 'tfjs' with --backend webgpu/],
      [['--backend', 'webgpu', '--inference', 'onnxruntime'], /--inference: expected 'auto' or 'tfjs' with --backend webgpu/],
    ] as const) {
      const r = await runCli(['run', '--demo', '--out', join(dir, 'out'), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
  });

  it('predict: an unknown --map-format, before anything is loaded', async () => {
    const out = join(dir, 'predict-out');
    const r = await runCli(['predict', '--model', join(dir, 'no-model'), '--cube', join(dir, 'no.mat'), '--out', out, '--map-format', 'envi,shp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--map-format: expected a comma-separated list of tif, envi, got 'shp'/);
    expect(existsSync(out)).toBe(false);
  });

  it('an --out folder that exists and is not empty', async () => {
    const [cube, gt] = writeScene('exists', 12, 12, 4);
    const existing = mkdtempSync(join(tmpdir(), 'spinalnet-existing-'));
    writeFileSync(join(existing, 'keep.txt'), 'mine');
    const r = await runCli(['run', '--cube', cube, '--gt', gt, '--out', existing, ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--force/);
    expect(readdirSync(existing)).toEqual(['keep.txt']);
  });
});

describe('spinalnet run on bad ENVI and GeoTIFF input', () => {
  /** A 12×12×4 int16 ENVI cube (BSQ) with the header lines given; returns the header path. */
  function enviScene(name: string, header: string, bytes = 12 * 12 * 4 * 2): string {
    writeFileSync(join(dir, `${name}.img`), Buffer.alloc(bytes, 1));
    writeFileSync(join(dir, `${name}.hdr`), `ENVI\n${header}\n`);
    return join(dir, `${name}.hdr`);
  }
  const dims = 'samples = 12\nlines = 12\nbands = 4\ndata type = 2\ninterleave = bsq';

  for (const [what, make, pattern] of [
    ['a header promising more bytes than the data file holds', () => enviScene('short', dims, 100), /short\.img: holds 100 bytes, but its header short\.hdr promises 1152/],
    ['a data file with no header', () => {
      writeFileSync(join(dir, 'orphan.img'), Buffer.alloc(1152));
      return join(dir, 'orphan.img');
    }, /orphan\.img: is not a format spinalnet reads .*no ENVI header/],
    ['an unknown data type', () => enviScene('dtype', dims.replace('data type = 2', 'data type = 8')), /header key 'data type' is 8, which is not an ENVI data type/],
    ['an unknown interleave', () => enviScene('il', dims.replace('bsq', 'bsp')), /header key 'interleave' is "bsp"; ENVI interleaves are bsq, bil and bip/],
    ['a header that is not ENVI', () => {
      writeFileSync(join(dir, 'other.hdr'), 'NOT ENVI\n');
      return join(dir, 'other.hdr');
    }, /other\.hdr: is not an ENVI header: its first line should be 'ENVI'/],
    ['a GeoTIFF with a compression the reader lacks', () => {
      const t = makeTiff({ width: 12, height: 12, bands: 4, values: new Array(576).fill(1), type: 'int16', compression: 34925, fakeCompression: true });
      writeFileSync(join(dir, 'lzma.tif'), t.bytes);
      return join(dir, 'lzma.tif');
    }, /lzma\.tif: is compressed with LZMA \(TIFF Compression 34925\), which the GeoTIFF reader \(geotiff\.js\) cannot decode/],
  ] as const) {
    it(what, async () => {
      const [, gt] = writeScene(`fmt-${what.length}`, 12, 12, 4);
      const r = await runCli(['run', '--cube', make(), '--gt', gt, '--out', join(dir, 'out'), ...fast]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/fix: /);
    });
  }

  it('a label raster of another grid or CRS', async () => {
    const info = (x: number, zone: number) => `map info = {UTM, 1, 1, ${x}, 5000, 30, 30, ${zone}, North, WGS-84}`;
    const cube = enviScene('geo', `${dims}\n${info(1000, 33)}`);
    writeFileSync(join(dir, 'geo_gt.img'), Buffer.from(Array.from({ length: 144 }, (_, i) => 1 + (i % 3))));
    for (const [x, zone] of [[1030, 33], [1000, 34]]) {
      writeFileSync(join(dir, 'geo_gt.hdr'), `ENVI\nsamples = 12\nlines = 12\nbands = 1\ndata type = 1\ninterleave = bsq\n${info(x, zone)}\n`);
      const r = await runCli(['run', '--cube', cube, '--gt', join(dir, 'geo_gt.hdr'), '--out', join(dir, 'out'), ...fast]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/geo_gt\.hdr: label map lies on another grid than the cube .*: cube 12×12, origin \(1000, 5000\), pixel 30×-30, EPSG:32633; labels 12×12/);
    }
  });
});

describe('spinalnet run and predict: --memory-limit and --tile-size', () => {
  it('a size that is not one, a tile size below 1, and a limit below the minimum: exit 2, no folder', async () => {
    const [cube, gt] = writeScene('limits', 12, 12, 4);
    const base = ['run', '--cube', cube, '--gt', gt, '--out', join(dir, 'out'), ...fast];
    const size = await runCli([...base, '--memory-limit', '1 lots']);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--memory-limit: expected a size such as 1GiB/);
    const tile = await runCli([...base, '--tile-size', '0']);
    expect(tile.code).toBe(2);
    expect(tile.stderr).toMatch(/--tile-size: expected a whole number of rows ≥ 1/);
    const small = await runCli([...base, '--memory-limit', '2KiB']);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/limits_cube\.mat: the 12×12×4 scene needs at least .* more than the 2\.00 KiB memory limit/);
    expect(small.stderr).toMatch(/fix: raise --memory-limit to at least/);
    const predict = await runCli(['predict', '--model', join(dir, 'nomodel'), '--cube', cube, '--out', join(dir, 'out'), '--tile-size', 'x']);
    expect(predict.code).toBe(2);
    expect(predict.stderr).toMatch(/--tile-size/);
  });
});
