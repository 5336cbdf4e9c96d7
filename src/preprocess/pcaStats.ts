/**
 * The statistics PCA is fitted on: per-band means and the band covariance matrix of a BIP cube, over all
 * pixels or a chosen set, plus the non-finite-value check that guards both.
 *
 * Two passes for accuracy: the means first (float64), then the products of centred values, so float32
 * never has to cancel large uncentred sums. The covariance (KSC: 314,368 pixels × 176 bands, ~4.9 G
 * multiply-adds using symmetry) runs in the WebAssembly SIMD `gram` kernel (pcaKernels.ts, where the
 * measured alternatives are listed): chunks of centred float32 rows, summed in float32 lanes within a
 * chunk and in float64 across chunks. Against numpy's float64 covariance of the KSC-sized cube the
 * entries agree to ~2e-8 (256-row chunks) … 2.5e-7 (1024-row chunks).
 */
import { DataError } from '../errors.ts';
import { PcaKernels } from './pcaKernels.ts';
import type { CubeBIP } from '../scene/types.ts';

/** Which pixels of a cube enter the statistics. */
export interface PixelSelection {
  /** Row-major pixel indices (r * width + c); undefined means every pixel, in order. */
  readonly pixels?: Int32Array;
}

/**
 * Band sums (float64) over windows of a cube, for the PCA mean: one window is the whole cube in memory,
 * many are the row windows of a streamed scene (src/scene/sceneScan.ts), through the same loop.
 */
export class BandSumAccumulator {
  readonly sums: Float64Array;
  count = 0;
  constructor(readonly bands: number) {
    this.sums = new Float64Array(bands);
  }

  /** Adds the pixels of a BIP window (all, or those at the window-local indices `pixels`). */
  add(data: Float32Array, pixels?: Int32Array): void {
    const { bands, sums } = this;
    if (pixels === undefined) {
      // Eight pixels per sweep: one load/store of each band sum per 8 values instead of per value
      // (KSC: 0.06–0.09 s against 0.16–0.23 s for the plain loop). JS sums in float64 either way.
      const stride = 8 * bands;
      let o = 0;
      for (; o + stride <= data.length; o += stride) {
        for (let i = o, b = 0; b < bands; i++, b++) {
          sums[b] +=
            data[i] + data[i + bands] + (data[i + 2 * bands] + data[i + 3 * bands]) +
            (data[i + 4 * bands] + data[i + 5 * bands] + (data[i + 6 * bands] + data[i + 7 * bands]));
        }
      }
      for (; o < data.length; o += bands) {
        for (let b = 0; b < bands; b++) sums[b] += data[o + b];
      }
      this.count += data.length / bands;
    } else {
      for (let i = 0; i < pixels.length; i++) {
        const o = pixels[i] * bands;
        for (let b = 0; b < bands; b++) sums[b] += data[o + b];
      }
      this.count += pixels.length;
    }
  }

  /** The means; undefined for a band whose sum is not finite (NaN/±Infinity among its values). */
  means(): { mean: Float64Array; nonFiniteBand?: number } {
    const mean = new Float64Array(this.bands);
    for (let b = 0; b < this.bands; b++) {
      if (!Number.isFinite(this.sums[b])) return { mean, nonFiniteBand: b };
      mean[b] = this.sums[b] / this.count;
    }
    return { mean };
  }
}

/**
 * Sums of products of centred values over windows of a cube (float32 lanes within a chunk of
 * `chunkPixels`, float64 across chunks), divided by n − 1 at the end: the band covariance.
 */
export class CovarianceAccumulator {
  private readonly kernels: PcaKernels;
  count = 0;
  constructor(readonly bands: number, mean: ArrayLike<number>, readonly chunkPixels: number) {
    this.kernels = new PcaKernels(bands, chunkPixels);
    this.kernels.setMean(mean);
  }

  /** Adds the pixels of a BIP window (all, or those at the window-local indices `pixels`). */
  add(data: Float32Array, pixels?: Int32Array): void {
    const { chunkPixels, kernels } = this;
    const count = pixels === undefined ? data.length / this.bands : pixels.length;
    for (let start = 0; start < count; start += chunkPixels) {
      const rows = Math.min(chunkPixels, count - start);
      kernels.loadChunk(data, start, rows, pixels);
      kernels.addToGram(rows);
    }
    this.count += count;
  }

  /** bands × bands row-major symmetric covariance (numpy's `cov`, ddof = 1). */
  covariance(): Float64Array {
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
