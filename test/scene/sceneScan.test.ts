/**
 * The windowed scene pass (sceneScan.ts): a scene read in windows of 1, 3 or 16 rows gives the same
 * band facts, PCA and reduced cube as one window (bit for bit), in ENVI and MAT v5; it agrees with the in-memory
 * functions on the whole cube (maskNodata + fitPca + transformCube); a file truncated while it is read
 * is named with the row; a memory limit too small says the minimum; and the map of a run is the same.
 */
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, InputFileError } from '../../src/core/errors.ts';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { predictPipeline } from '../../src/pipeline/predictPipeline.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { fitPca, transformCube } from '../../src/preprocess/pca.ts';
import { loadLabels, loadScene, openScene } from '../../src/scene/loadScene.ts';
import { parseSize, parseTileSize } from '../../src/scene/memoryPlan.ts';
import type { CubeBIP } from '../../src/core/types.ts';
import { fillNodata, findNodata, type NodataMask } from '../../src/scene/nodata.ts';
import { createRng } from '../../src/util/random.ts';
import { thrown, thrownAsync } from '../helpers.ts';

/** The whole-cube reference: finds the no-data pixels of a BIP cube and fills them with band means in place; undefined when there are none. */
function maskNodata(cube: CubeBIP, value: number): NodataMask | undefined {
  const { bands, data } = cube;
  const n = cube.height * cube.width;
  const mask = new Uint8Array(n);
  const count = findNodata(data, bands, value, mask);
  if (count === 0) return undefined;
  if (count < n) {
    const sum = new Float64Array(bands);
    for (let p = 0; p < n; p++) if (mask[p] === 0) for (let b = 0, o = p * bands; b < bands; b++) sum[b] += data[o + b];
    fillNodata(data, bands, mask, Float32Array.from(sum, (s) => s / (n - count)));
  }
  return { mask, count };
}

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const H = 23;
const W = 17;
const B = 12;
const NODATA = -9999;

/**
 * A seeded int16 scene, BIP: three classes in vertical stripes with their own spectra plus noise, band 5
 * constant, and (when asked) a few no-data pixels (NODATA in every band). Labels: class per stripe.
 */
function syntheticScene(withNodata: boolean): { bip: Int16Array; labels: Uint8Array } {
  const rng = createRng(7, 'scan-test');
  const bip = new Int16Array(H * W * B);
  const labels = new Uint8Array(H * W);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const k = c < 6 ? 1 : c < 12 ? 2 : 3;
      labels[r * W + c] = k;
      for (let b = 0; b < B; b++) {
        bip[(r * W + c) * B + b] = b === 5 ? 300 : Math.round(1000 + 200 * k * Math.sin(b + k) + 40 * rng.next() + 3 * r);
      }
    }
  }
  if (withNodata) {
    for (const p of [0, 1, 40, 200, H * W - 1]) {
      bip.fill(NODATA, p * B, (p + 1) * B);
      labels[p] = 0;
    }
  }
  return { bip, labels };
}

/** ENVI int16 BIL with its header (and `data ignore value` when there is no-data). */
function writeEnvi(name: string, bip: Int16Array, nodata?: number): string {
  const bil = new Int16Array(bip.length);
  for (let r = 0; r < H; r++) for (let b = 0; b < B; b++) for (let c = 0; c < W; c++) bil[(r * B + b) * W + c] = bip[(r * W + c) * B + b];
  const data = join(dir, `${name}.bil`);
  writeFileSync(data, Buffer.from(bil.buffer));
  const hdr = ['ENVI', `samples = ${W}`, `lines = ${H}`, `bands = ${B}`, 'header offset = 0', 'file type = ENVI Standard', 'data type = 2', 'interleave = bil', 'byte order = 0'];
  if (nodata !== undefined) hdr.push(`data ignore value = ${nodata}`);
  writeFileSync(join(dir, `${name}.hdr`), `${hdr.join('\n')}\n`);
  return join(dir, `${name}.hdr`);
}

/** MAT v5 (column-major, as MATLAB stores it). */
function writeMat(name: string, bip: Int16Array, labels: Uint8Array): { cube: string; gt: string } {
  const cm = new Int16Array(bip.length);
  const gt = new Uint8Array(H * W);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      for (let b = 0; b < B; b++) cm[r + c * H + b * H * W] = bip[(r * W + c) * B + b];
      gt[r + c * H] = labels[r * W + c];
    }
  }
  return {
    cube: writeMatV5(join(dir, `${name}.mat`), [{ name: 'cube', data: cm, dims: [H, W, B] }]).path,
    gt: writeMatV5(join(dir, `${name}_gt.mat`), [{ name: 'gt', data: gt, dims: [H, W] }]).path,
  };
}

const plain = syntheticScene(false);
const holes = syntheticScene(true);
const files = {
  envi: writeEnvi('plain', plain.bip),
  enviNodata: writeEnvi('holes', holes.bip, NODATA),
  mat: writeMat('plain', plain.bip, plain.labels),
};
const trainPixels = Int32Array.from({ length: 60 }, (_, i) => (i * 37 + 11) % (H * W)).filter((p) => !new Set([0, 1, 40, 200, H * W - 1]).has(p));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function reducedWith(cubePath: string, tileRows: number, pixels?: Int32Array) {
  const scene = await openScene({ cubePath, memoryLimitBytes: 1 << 30 }, { tileRows, components: 3 });
  try {
    const pca = await scene.scan.fitPca({ components: 3, pixels });
    const { reduced } = await scene.scan.transform(pca);
    return { scene, pca, reduced };
  } finally {
    scene.scan.close();
  }
}

describe('scene read in row windows', () => {
  for (const [format, path] of [['ENVI', files.envi], ['MAT v5', files.mat.cube], ['ENVI with no-data', files.enviNodata]] as const) {
    for (const pixels of [undefined, trainPixels]) {
      it(`${format}, PCA fitted on ${pixels ? 'training pixels' : 'every pixel'}: --tile-size 1, 3, 16 equal one window`, async () => {
        const whole = await reducedWith(path, H, pixels);
        expect(whole.scene.plan.tileRows).toBe(H);
        for (const tile of [1, 3, 16]) {
          const t = await reducedWith(path, tile, pixels);
          expect(t.scene.plan.tileRows).toBe(tile);
          expect(t.scene.warnings).toEqual(whole.scene.warnings);
          expect(t.scene.nodata).toEqual(whole.scene.nodata);
          // Bit-identical: the float64 sums are cut into the same groups and chunks whatever the window,
          // so training on a tiled scene sees exactly the values of the whole one.
          expect(t.pca.mean).toEqual(whole.pca.mean);
          expect(t.pca.eigenvalues).toEqual(whole.pca.eigenvalues);
          expect(t.pca.basis).toEqual(whole.pca.basis);
          expect(Buffer.from(t.reduced.cube!.data.buffer).equals(Buffer.from(whole.reduced.cube!.data.buffer))).toBe(true);
        }
      });
    }
  }

  it('agrees with the whole-cube functions: maskNodata, fitPca and transformCube on the cube in memory', async () => {
    const cube = await loadScene({ cubePath: files.enviNodata, memoryLimitBytes: 1 << 30 });
    expect(cube.warnings.join(' ')).toContain('5 no-data pixels');
    expect(cube.warnings.join(' ')).toContain('1 constant band');
    // The old in-memory path, from the raw values.
    const raw = Float32Array.from(holes.bip);
    const rawCube = { height: H, width: W, bands: B, data: raw };
    maskNodata(rawCube, NODATA);
    const memPca = fitPca(rawCube, { components: 3 });
    const mem = transformCube(rawCube, memPca);
    const streamed = await reducedWith(files.enviNodata, 3);
    expect(maxDiff(streamed.pca.mean, memPca.mean)).toBeLessThan(1e-3);
    expect(maxDiff(streamed.pca.eigenvalues, memPca.eigenvalues) / memPca.eigenvalues[0]).toBeLessThan(1e-6);
    expect(maxDiff(streamed.reduced.cube!.data, mem.data)).toBeLessThan(1e-3);
  });

  it('a file truncated while it is read: an InputFileError naming the rows', async () => {
    const hdr = writeEnvi('shrinks', plain.bip);
    const scene = await openScene({ cubePath: hdr, memoryLimitBytes: 1 << 30 }, { tileRows: 4, components: 4 });
    try {
      // Cut after the size check at open: rows from 12 on are gone.
      truncateSync(join(dir, 'shrinks.bil'), 12 * W * B * 2 + 10);
      const e = await thrownAsync(() => scene.scan.fitPca({ components: 4 }));
      expect(e).toBeInstanceOf(InputFileError);
      expect(e.message).toContain('shrinks.bil: reading rows 13–16 of 23');
      expect(e.fix).toContain('truncated');
    } finally {
      scene.scan.close();
    }
  });

  it('a memory limit too small: DataError with the minimum', async () => {
    const e = await thrownAsync(() => openScene({ cubePath: files.envi, memoryLimitBytes: 20_000 }, { components: 3 }));
    expect(e).toBeInstanceOf(DataError);
    // 23×17 pixels × (3 × 4 + 33) bytes + the ENVI reader's block (the whole 23×17×12 int16 file here) + one row of 17 × 12 float32s.
    const minimum = H * W * (3 * 4 + 33) + H * W * B * 2 + W * B * 4;
    expect(e.message).toContain('more than the 19.5 KiB memory limit');
    expect(e.fix).toContain(`at least ${(minimum / 1024).toFixed(1)} KiB`);
    // A tile size that does not fit is refused too, naming the flag.
    const t = await thrownAsync(() => openScene({ cubePath: files.envi, memoryLimitBytes: minimum + 2 * W * B * 4 }, { components: 3, tileRows: 8 }));
    expect(t.fix).toContain('smaller --tile-size');
    // Just enough: one-row windows would do, and three rows are chosen.
    const ok = await openScene({ cubePath: files.envi, memoryLimitBytes: minimum + 2 * W * B * 4 }, { components: 3 });
    expect(ok.plan.tileRows).toBe(3);
    ok.scan.close();
  });

  it('parses --memory-limit and --tile-size', () => {
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('1.5 GB')).toBe(1.5e9);
    expect(parseSize('4096')).toBe(4096);
    for (const bad of ['', 'lots', '-1GiB', '1 parsec', '0']) expect(thrown(() => parseSize(bad)).message).toContain('--memory-limit');
    expect(parseTileSize('16')).toBe(16);
    for (const bad of ['0', '2.5', 'x', '']) expect(thrown(() => parseTileSize(bad)).message).toContain('--tile-size');
  });
});

describe('a run read in windows maps the same as one window', () => {
  const config = (out: string, tileSize?: number): RunConfig => ({
    ...DEFAULTS, input: { kind: 'files', cube: files.mat.cube, gt: files.mat.gt }, model: 'spinal-mlp', pca: 4, epochs: 2, batchSize: 16,
    trainFraction: 0.3, out, force: true, backend: 'wasm', predictWorkers: 0, inference: 'tfjs', ...(tileSize && { tileSize }),
  });
  const prediction = async (out: string) => (await loadLabels(join(out, 'prediction.mat'), { height: H, width: W }, 'prediction')).labels;

  it('--tile-size 3 gives the same class map as one window; a truncated cube leaves no output folder', async () => {
    const one = await runPipeline(config(join(dir, 'one')));
    const tiled = await runPipeline(config(join(dir, 'tiled'), 3));
    const a = await prediction(one.outDir);
    const b = await prediction(tiled.outDir);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(tiled.metrics!.overallAccuracy).toBe(one.metrics!.overallAccuracy);

    // predict with the saved model, the scene read in 2-row windows and mapped in bands: the run's map again.
    const predicted = await predictPipeline({
      modelDir: join(one.outDir, 'model'), cube: files.mat.cube, gt: files.mat.gt, out: join(dir, 'predicted'), force: true,
      backend: 'wasm', maskBackground: false, predictBatch: 64, predictWorkers: 0, inference: 'tfjs', tileSize: 2,
    });
    expect(Array.from((await prediction(predicted.outDir)).data)).toEqual(Array.from(a.data));

    const hdr = writeEnvi('cut', plain.bip);
    truncateSync(join(dir, 'cut.bil'), 100);
    const labels = writeMat('cutlabels', plain.bip, plain.labels).gt;
    const out = join(dir, 'never');
    const e = await thrownAsync(() => runPipeline({ ...config(out, 3), input: { kind: 'files', cube: hdr, gt: labels } }));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toContain('truncated');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
