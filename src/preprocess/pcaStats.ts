/**
 * The statistics PCA is fitted on: per-band means and the band covariance matrix of a BIP cube, over all
 * pixels or a chosen set, plus the non-finite-value check that guards both.
 *
 * Two passes for accuracy: the means first (float64), then the products of centred values, so float32
 * never has to cancel large uncentred sums. The covariance (KSC: 314,368 pixels × 176 bands, ~4.9 G
 * multiply-adds using symmetry) runs in the WebAssembly SIMD `gram` kernel (pcaKernels.ts; the alternatives
 * measured: docs/performance.md#pca): chunks of centred float32 rows, summed in float32 lanes within a
 * chunk and in float64 across chunks. Against numpy's float64 covariance of the KSC-sized cube the
 * entries agree to ~2e-8 (256-row chunks) … 2.5e-7 (1024-row chunks).
 */
import { DataError } from '../core/errors.ts';
import { PcaKernels } from './pcaKernels.ts';
import type { CubeBIP } from '../core/types.ts';

/** Which pixels of a cube enter the statistics. */
export interface PixelSelection {
  /** Row-major pixel indices (r * width + c); undefined means every pixel, in order. */
  readonly pixels?: Int32Array;
}

/**
 * Band sums (float64) over windows of a cube, for the PCA mean: one window is the whole cube in memory,
 * many are the row windows of a streamed scene (src/scene/sceneScan.ts), through the same loop.
 *
 * The sums are bit-identical whatever the windows: the pixels added (all, or the selected ones, in the
 * order given) are summed in groups of eight consecutive pixels counted from the first pixel ever added,
 * and a group cut by a window's end is finished with the next window's first pixels. Float64 addition
 * is not associative, so grouping by window would make `--tile-size` change the last bits of the mean,
 * hence of the reduced scene, and training on it could then drift apart.
 */
export class BandSumAccumulator {
  private readonly acc: Float64Array;
  count = 0;
  /** Pixels of an unfinished group of eight (BIP), and how many it holds. */
  private readonly pending: Float32Array;
  private pendingCount = 0;
  private finished = false;

  constructor(readonly bands: number) {
    this.acc = new Float64Array(bands);
    this.pending = new Float32Array(8 * bands);
  }

  /** Adds the pixels of a BIP window (all, or those at the window-local indices `pixels`, in that order). */
  add(data: Float32Array, pixels?: Int32Array): void {
    if (this.finished) throw new Error('BandSumAccumulator: add after the sums were read');
    const { bands, pending } = this;
    const n = pixels === undefined ? data.length / bands : pixels.length;
    this.count += n;
    if (pixels !== undefined) {
      // Selected pixels are copied into the group buffer one by one: the same groups as a contiguous run.
      for (let i = 0; i < n; i++) {
        pending.set(data.subarray(pixels[i] * bands, (pixels[i] + 1) * bands), this.pendingCount * bands);
        if (++this.pendingCount === 8) this.sweep(pending, 0, pending.length);
      }
      return;
    }
    let p = 0;
    // Finish a group begun in an earlier window.
    while (this.pendingCount > 0 && p < n) {
      pending.set(data.subarray(p * bands, (p + 1) * bands), this.pendingCount * bands);
      p++;
      if (++this.pendingCount === 8) this.sweep(pending, 0, pending.length);
    }
    const whole = p + Math.floor((n - p) / 8) * 8;
    this.sweep(data, p * bands, whole * bands);
    if (whole < n) {
      pending.set(data.subarray(whole * bands, n * bands));
      this.pendingCount = n - whole;
    }
  }

  /**
   * Adds the groups of eight pixels in data[from … to) (a multiple of 8 pixels): one load/store of each
   * band sum per 8 values instead of per value, faster than the plain loop (docs/performance.md#pca). JS sums in
   * float64 either way.
   */
  private sweep(data: Float32Array, from: number, to: number): void {
    const { bands, acc } = this;
    const stride = 8 * bands;
    for (let o = from; o < to; o += stride) {
      for (let i = o, b = 0; b < bands; i++, b++) {
        acc[b] +=
          data[i] + data[i + bands] + (data[i + 2 * bands] + data[i + 3 * bands]) +
          (data[i + 4 * bands] + data[i + 5 * bands] + (data[i + 6 * bands] + data[i + 7 * bands]));
      }
    }
    if (data === this.pending) this.pendingCount = 0;
  }

  /** The band sums over every pixel added; no pixel may be added afterwards. */
  sums(): Float64Array {
    if (!this.finished) {
      // The last, unfinished group: one pixel at a time, in order.
      const { bands, acc, pending } = this;
      for (let p = 0; p < this.pendingCount; p++) {
        for (let b = 0; b < bands; b++) acc[b] += pending[p * bands + b];
      }
      this.pendingCount = 0;
      this.finished = true;
    }
    return this.acc;
  }

  /** The means; undefined for a band whose sum is not finite (NaN/±Infinity among its values). */
  means(): { mean: Float64Array; nonFiniteBand?: number } {
    const sums = this.sums();
    const mean = new Float64Array(this.bands);
    for (let b = 0; b < this.bands; b++) {
      if (!Number.isFinite(sums[b])) return { mean, nonFiniteBand: b };
      mean[b] = sums[b] / this.count;
    }
    return { mean };
  }
}

/**
 * Sums of products of centred values over windows of a cube (float32 lanes within a chunk of
 * `chunkPixels`, float64 across chunks), divided by n − 1 at the end: the band covariance.
 *
 * Chunks are cut from the sequence of pixels added, not per window: a chunk a window's end leaves part
 * full waits in the kernels' memory for the next window's pixels. So the float64 sums are added in the
 * same order, and the covariance is bit-identical, whatever the windows (one window: as before).
 */
export class CovarianceAccumulator {
  private readonly kernels: PcaKernels;
  count = 0;
  /** Pixels already loaded into the unfinished chunk. */
  private filled = 0;
  constructor(readonly bands: number, mean: ArrayLike<number>, readonly chunkPixels: number) {
    this.kernels = new PcaKernels(bands, chunkPixels);
    this.kernels.setMean(mean);
  }

  /** Adds the pixels of a BIP window (all, or those at the window-local indices `pixels`). */
  add(data: Float32Array, pixels?: Int32Array): void {
    const { chunkPixels, kernels } = this;
    const count = pixels === undefined ? data.length / this.bands : pixels.length;
    for (let start = 0; start < count; ) {
      const rows = Math.min(chunkPixels - this.filled, count - start);
      kernels.loadChunk(data, start, rows, pixels, this.filled);
      this.filled += rows;
      start += rows;
      if (this.filled === chunkPixels) {
        kernels.addToGram(chunkPixels);
        this.filled = 0;
      }
    }
    this.count += count;
  }

  /** bands × bands row-major symmetric covariance (numpy's `cov`, ddof = 1). */
  covariance(): Float64Array {
    if (this.filled > 0) {
      this.kernels.addToGram(this.filled);
      this.filled = 0;
    }
    const cov = this.kernels.gram();
    for (let i = 0; i < cov.length; i++) cov[i] /= this.count - 1;
    return cov;
  }
}

/**
 * Per-band means (float64) over the selected pixels. Throws DataError naming the first non-finite value
 * when the selected pixels hold any: NaN/±Infinity propagate into the band sums, so the check costs one
 * look at each sum instead of a test per value, and the slow search runs only when something is wrong.
 */
export function bandMeans(cube: CubeBIP, selection: PixelSelection = {}): Float64Array {
  const acc = new BandSumAccumulator(cube.bands);
  acc.add(cube.data, selection.pixels);
  const { mean, nonFiniteBand } = acc.means();
  if (nonFiniteBand !== undefined) throw nonFiniteError(cube, selection.pixels);
  return mean;
}

/**
 * Covariance of the bands over the selected pixels, divided by n − 1 (numpy's `cov`, sklearn's
 * `explained_variance_` scale): a bands × bands row-major symmetric float64 matrix. `mean` must be the
 * band means of the same selection (from `bandMeans`, which also rules out non-finite values).
 * `chunkPixels` rows are multiplied at a time; fewer rows per chunk is slower but more accurate.
 */
export function bandCovariance(
  cube: CubeBIP,
  mean: Float64Array,
  chunkPixels: number,
  selection: PixelSelection = {},
): Float64Array {
  const count = selection.pixels === undefined ? cube.height * cube.width : selection.pixels.length;
  const acc = new CovarianceAccumulator(cube.bands, mean, Math.max(1, Math.min(chunkPixels, count)));
  acc.add(cube.data, selection.pixels);
  return acc.covariance();
}

/** First non-finite value of the cube (row-major pixel order, then band) and how many there are. */
export interface NonFiniteReport {
  count: number;
  first?: { row: number; col: number; band: number; value: number };
}

/** Finds non-finite values among the selected pixels (all pixels by default). */
export function findNonFinite(cube: CubeBIP, selection: PixelSelection = {}): NonFiniteReport {
  const { bands, width, data } = cube;
  const pixels = selection.pixels;
  const n = pixels === undefined ? cube.height * width : pixels.length;
  const report: NonFiniteReport = { count: 0 };
  for (let i = 0; i < n; i++) {
    const p = pixels === undefined ? i : pixels[i];
    const o = p * bands;
    for (let b = 0; b < bands; b++) {
      const v = data[o + b];
      if (Number.isFinite(v)) continue;
      report.count++;
      if (report.first === undefined) {
        report.first = { row: Math.floor(p / width), col: p % width, band: b, value: v };
      }
    }
  }
  return report;
}

/** The DataError for a cube with NaN or ±Infinity among the selected pixels. */
export function nonFiniteError(cube: CubeBIP, pixels?: Int32Array): DataError {
  const { count, first } = findNonFinite(cube, { pixels });
  const where =
    first === undefined
      ? ''
      : `; the first is ${first.value} at band ${first.band}, row ${first.row}, col ${first.col} (zero-based)`;
  return new DataError(
    `the cube holds ${count} non-finite value${count === 1 ? '' : 's'} (NaN or ±Infinity)` +
      `${pixels === undefined ? '' : ' among the pixels PCA is fitted on'}${where}`,
    'clean the cube before PCA: replace or mask the NaN/Infinity values (e.g. bad detector bands) in the source data',
  );
}
