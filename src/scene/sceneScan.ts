/**
 * A scene walked in row windows straight from its file (RasterSource.readRows), so that the raw cube is
 * never held at once unless it is one window. Every scene spinalnet trains on or maps goes through here:
 * a small scene is simply one window (read once and kept for the later passes), a large one many.
 *
 * Passes over the file:
 * 1. `scan` (at open): no-data pixels, per-band facts (NaN/±Inf, constant bands, all-zero pixels;
 *    cubeStats.ts's accumulator) and band sums of the pixels with data.
 * 2. `fitPca`: band means of the chosen pixels (only when fitting on a subset; the scene mean comes from
 *    pass 1) and the band covariance, both accumulated in float64 window by window with pcaStats.ts's
 *    accumulators, then the one eigen-decomposition (pca.ts `pcaFromStats`).
 * 3. `transform`: each window projected (pca.ts `pcaProjector`) into the reduced scene, kept in memory
 *    or, when the memory plan says it does not fit, in a temporary file (reducedScene.ts), and the three
 *    false-colour bands gathered.
 * In passes 2 and 3 each window first gets what loadScene's policies decided after pass 1: no-data
 * pixels filled with the band means of the pixels with data, then dropped bands removed in place.
 */
import { DataError, InputFileError, SpinalnetError } from '../core/errors.ts';
import { checkPcaFit, pcaFromStats, pcaProjector, type PcaModel } from '../preprocess/pca.ts';
import { BandSumAccumulator, CovarianceAccumulator } from '../preprocess/pcaStats.ts';
import type { RasterSource } from '../io/raster/types.ts';
import { CubeStatsAccumulator, type CubeStats } from './cubeStats.ts';
import { fillNodata, findNodata, type NodataMask } from './nodata.ts';
import { fileReducedScene, memoryReducedScene, type ReducedScene } from './reducedScene.ts';
import { rowWindows } from './windows.ts';
import type { CubeBIP } from '../core/types.ts';

/** Rows done of `total` in one stage; called after each window (and as the map advances). */
export type ScanProgress = (stage: 'read' | 'pca' | 'project' | 'map', done: number, total: number) => void;

/** The map's progress in samples, reported as whole rows done (for predictPatchesParallel's onProgress). */
export function mapProgress(progress: ScanProgress | undefined, width: number): ((done: number, total: number) => void) | undefined {
  return progress && ((done, total) => progress('map', Math.floor(done / width), Math.ceil(total / width)));
}

export interface ScanOptions {
  /** Rows per window (≥ 1); the whole height makes one window, read once. */
  readonly tileRows: number;
  /** The file's no-data value (every band equal to it = no data). */
  readonly nodata?: number;
  readonly progress?: ScanProgress;
  /** Keep the reduced scene in a temporary file (it does not fit the memory limit), read back `windowRows` rows at a time. */
  readonly reducedFile?: { readonly windowRows: number };
}

/** Pixels covariance chunks hold (the kernels' float32 lanes sum at most this many products). */
const FIT_CHUNK_PIXELS = 256;

export class SceneScan {
  readonly height: number;
  readonly width: number;
  /** Bands in the file. */
  readonly fileBands: number;
  readonly tileRows: number;
  /** Per-band facts over the pixels with data (file bands). */
  readonly stats: CubeStats;
  /** No-data pixels (row-major H×W), when there are any. */
  readonly nodata?: NodataMask;
  private readonly fill: Float32Array;
  private readonly validSums: Float64Array;
  private keep: number[];
  /** The one window of a one-window scene, and whether it has been filled and its bands removed. */
  private cached?: { data: Float32Array; prepared: boolean };

  private constructor(
    private readonly source: RasterSource,
    private readonly opts: ScanOptions,
    pass1: { stats: CubeStats; nodata?: NodataMask; sums: BandSumAccumulator; cached?: Float32Array },
  ) {
    const d = source.describe();
    this.height = d.height;
    this.width = d.width;
    this.fileBands = d.bands;
    this.tileRows = Math.min(opts.tileRows, d.height);
    this.stats = pass1.stats;
    this.nodata = pass1.nodata;
    this.validSums = pass1.sums.sums();
    this.fill = Float32Array.from(this.validSums, (s) => s / Math.max(1, pass1.sums.count));
    this.keep = Array.from({ length: d.bands }, (_, b) => b);
    if (pass1.cached) this.cached = { data: pass1.cached, prepared: false };
  }

  /** Runs pass 1 over an open source; the scan owns the source from then on (`close` releases it). */
  static async open(source: RasterSource, opts: ScanOptions): Promise<SceneScan> {
    const { height, width, bands } = source.describe();
    const tileRows = Math.min(opts.tileRows, height);
    if (!Number.isInteger(tileRows) || tileRows < 1) throw new RangeError(`tile rows must be a positive integer, got ${opts.tileRows}`);
    const stats = new CubeStatsAccumulator(bands, width);
    const sums = new BandSumAccumulator(bands);
    const mask = opts.nodata === undefined ? undefined : new Uint8Array(height * width);
    let nodataCount = 0;
    const buffer = new Float32Array(tileRows * width * bands);
    for (const { rows: [r0, r1] } of rowWindows(height, tileRows)) {
      const data = await readWindow(source, r0, r1 - r0, buffer.subarray(0, (r1 - r0) * width * bands));
      let skip: Uint8Array | undefined;
      if (mask !== undefined) {
        const m = mask.subarray(r0 * width, r1 * width);
        const count = findNodata(data, bands, opts.nodata!, m);
        nodataCount += count;
        if (count > 0) skip = m;
      }
      stats.add(data, r0, skip);
      sums.add(data, skip === undefined ? undefined : validPixels(skip));
      opts.progress?.('read', r1, height);
    }
    const nodata = mask !== undefined && nodataCount > 0 ? { mask, count: nodataCount } : undefined;
    return new SceneScan(source, opts, { stats: stats.result(), nodata, sums, cached: tileRows === height ? buffer : undefined });
  }

  /** Bands left after `removeBands` (the cube's bands as the pipeline sees them). */
  get bands(): number {
    return this.keep.length;
  }

  /** Removes these file bands (zero-based) from every window read from now on. */
  removeBands(drop: readonly number[]): void {
    const dropped = new Set(drop);
    if (this.cached?.prepared) throw new Error('bands must be chosen before the first window is used');
    this.keep = Array.from({ length: this.fileBands }, (_, b) => b).filter((b) => !dropped.has(b));
  }

  /**
   * The windows of the cube as the pipeline sees it (no-data filled, dropped bands removed), BIP, in
   * row order. A window's data is valid only until the next one is asked for.
   */
  async *windows(stage: 'pca' | 'project'): AsyncGenerator<{ row0: number; rows: number; data: Float32Array }> {
    const { height, width, fileBands } = this;
    // Each pass reads into its own window buffer, so that two passes in flight cannot overwrite each other.
    const buffer = this.cached === undefined ? new Float32Array(this.tileRows * width * fileBands) : undefined;
    for (const { rows: [r0, r1] } of rowWindows(height, this.tileRows)) {
      const rows = r1 - r0;
      let data: Float32Array;
      if (this.cached !== undefined) {
        if (!this.cached.prepared) {
          this.cached = { data: this.prepare(this.cached.data, r0), prepared: true };
        }
        data = this.cached.data;
      } else {
        const raw = await readWindow(this.source, r0, rows, buffer!.subarray(0, rows * width * fileBands));
        data = this.prepare(raw, r0);
      }
      yield { row0: r0, rows, data };
      this.opts.progress?.(stage, r1, height);
    }
  }

  /** Fills no-data pixels and removes dropped bands in place; returns the window's kept-band view. */
  private prepare(raw: Float32Array, row0: number): Float32Array {
    const { width, fileBands, keep } = this;
    const n = raw.length / fileBands;
    if (this.nodata !== undefined) fillNodata(raw, fileBands, this.nodata.mask.subarray(row0 * width, row0 * width + n), this.fill);
    const k = keep.length;
    if (k === fileBands) return raw;
    // Writing pixel p at p*k never overtakes reading it at p*fileBands (k < fileBands).
    for (let p = 0, w = 0; p < n; p++) {
      const o = p * fileBands;
      for (let j = 0; j < k; j++) raw[w++] = raw[o + keep[j]];
    }
    return raw.subarray(0, n * k);
  }

  /**
   * Fits PCA on every pixel or on `pixels` (row-major indices), from statistics accumulated window by
   * window; the same checks and eigen-decomposition as `fitPca` on a cube in memory.
   */
  async fitPca(opts: { components: number; whiten?: boolean; pixels?: Int32Array }): Promise<PcaModel> {
    const { components, whiten = true } = opts;
    const n = this.height * this.width;
    const fitted = opts.pixels === undefined ? n : opts.pixels.length;
    checkPcaFit(this.bands, components, whiten, fitted);
    const byWindow = opts.pixels === undefined ? undefined : this.bucket(opts.pixels);
    let mean: Float64Array;
    if (byWindow === undefined) {
      // Every pixel: the sums of pass 1 plus the filled no-data pixels (each holding the fill value).
      const filled = this.nodata?.count ?? 0;
      mean = Float64Array.from(this.keep, (b) => (this.validSums[b] + filled * this.fill[b]) / n);
    } else {
      const sums = new BandSumAccumulator(this.bands);
      let w = 0;
      for await (const win of this.windows('pca')) sums.add(win.data, byWindow[w++]);
      const means = sums.means();
      if (means.nonFiniteBand !== undefined) {
        throw new DataError(`the pixels PCA is fitted on hold NaN or infinite values in band ${this.keep[means.nonFiniteBand] + 1}`, 'clean the cube before PCA, or fit PCA on the whole scene');
      }
      mean = means.mean;
    }
    const cov = new CovarianceAccumulator(this.bands, mean, Math.max(1, Math.min(FIT_CHUNK_PIXELS, fitted)));
    let w = 0;
    for await (const win of this.windows('pca')) cov.add(win.data, byWindow?.[w++]);
    return pcaFromStats({ mean, cov: cov.covariance(), fittedPixels: fitted }, components, whiten);
  }

  /**
   * Projects every pixel on the model, window by window, into the reduced scene: an array, or a
   * temporary file when the plan says it does not fit (`ScanOptions.reducedFile`), written window by
   * window. Gathers the three-band preview for the false-colour view in the same pass: the bands `rgb`
   * (kept-band indices) of the cube when given, else the first three principal components.
   */
  async transform(model: PcaModel, rgb?: readonly [number, number, number]): Promise<{ reduced: ReducedScene; preview: CubeBIP }> {
    const { height, width, bands } = this;
    const c = model.components;
    const file = this.opts.reducedFile;
    const reduced = file === undefined
      ? memoryReducedScene({ height, width, bands: c, data: new Float32Array(height * width * c) })
      : fileReducedScene({ height, width, bands: c }, file.windowRows);
    try {
      const colour = new Float32Array(height * width * 3);
      // From the cube's bands, or from the scores (components 0, 1, 2, the last repeated when fewer).
      const from = rgb ?? [0, Math.min(1, c - 1), Math.min(2, c - 1)];
      const projector = pcaProjector(model, bands, Math.min(256, this.tileRows * width));
      const window = file === undefined ? undefined : new Float32Array(this.tileRows * width * c);
      for await (const win of this.windows('project')) {
        const n = win.rows * width;
        const scores = window === undefined ? reduced.rows(win.row0, win.row0 + win.rows) : window.subarray(0, n * c);
        projector.project(win.data, scores, 0, width);
        if (window !== undefined) reduced.writeRows(win.row0, scores);
        const [src, k] = rgb === undefined ? [scores, c] : [win.data, bands];
        for (let p = 0, o = win.row0 * width * 3; p < n; p++, o += 3) {
          colour[o] = src[p * k + from[0]];
          colour[o + 1] = src[p * k + from[1]];
          colour[o + 2] = src[p * k + from[2]];
        }
      }
      return { reduced, preview: { height, width, bands: 3, data: colour } };
    } catch (err) {
      reduced.close();
      throw err;
    }
  }

  /** The whole cube as the pipeline sees it (one window: that window itself, without a copy). */
  async readAll(): Promise<CubeBIP> {
    const { height, width, bands } = this;
    let out: Float32Array | undefined;
    for await (const win of this.windows('project')) {
      if (win.rows === height) return { height, width, bands, data: win.data };
      out ??= new Float32Array(height * width * bands);
      out.set(win.data, win.row0 * width * bands);
    }
    return { height, width, bands, data: out ?? new Float32Array(0) };
  }

  /** Releases the file and the window buffers (idempotent). */
  close(): void {
    this.source.close();
    this.cached = undefined;
  }

  /** Row-major pixel indices split by window, as window-local indices (sorted). */
  private bucket(pixels: Int32Array): Int32Array[] {
    const sorted = Int32Array.from(pixels).sort();
    const n = this.height * this.width;
    if (sorted.length > 0 && (sorted[0] < 0 || sorted[sorted.length - 1] >= n)) {
      throw new DataError(`a PCA fitting pixel lies outside the ${this.height}×${this.width} scene`, 'pass row-major indices r * width + c of this scene');
    }
    const out: Int32Array[] = [];
    let i = 0;
    for (const { rows: [r0, r1] } of rowWindows(this.height, this.tileRows)) {
      const start = i;
      while (i < sorted.length && sorted[i] < r1 * this.width) i++;
      out.push(sorted.subarray(start, i).map((p) => p - r0 * this.width));
    }
    return out;
  }
}

/** Window-local indices of the pixels a mask leaves in (0). */
function validPixels(skip: Uint8Array): Int32Array {
  let k = 0;
  for (let p = 0; p < skip.length; p++) if (skip[p] === 0) k++;
  const out = new Int32Array(k);
  for (let p = 0, j = 0; p < skip.length; p++) if (skip[p] === 0) out[j++] = p;
  return out;
}

/**
 * Reads a window, naming the rows when the file fails under us (e.g. truncated after it was opened and
 * its size checked): the message says where, so the user knows the file, not the program, is short.
 */
async function readWindow(source: RasterSource, row0: number, rows: number, out: Float32Array): Promise<Float32Array> {
  try {
    return await source.readRows(row0, rows, out);
  } catch (err) {
    const d = source.describe();
    const why = err instanceof SpinalnetError ? err.message.replace(/^fd \d+: /, '') : (err as Error).message;
    throw new InputFileError(
      d.dataPath,
      `reading rows ${row0 + 1}–${row0 + rows} of ${d.height} (counting from 1) failed: ${why}`,
      'the file is truncated or damaged: copy it again completely, or check the disk it is on',
    );
  }
}
