/**
 * The map in windows of rows (`--tile-size`): each window of the reduced scene is predicted with a halo of
 * half the patch above and below, so every pixel sees exactly the patch it sees in the whole scene
 * (scene/windows.ts cuts the windows, as for the queue's tile jobs). Without a tile size the scene is one window.
 * Windows bound what one predict call holds (the tfjs worker threads copy the window, not the scene, into
 * shared memory) and are the unit a later resume or streamed output would work in.
 */
import type * as tf from '@tensorflow/tfjs';
import { rowWindows } from '../scene/windows.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import type { CubeBIP } from '../core/types.ts';
import { predictPatchesParallel, type ParallelPredictOptions } from '../inference/parallel/parallelPredict.ts';
import type { Precision } from '../inference/onnx/exportOnnx.ts';
import { Int8Calibrator } from '../inference/onnx/int8.ts';

/**
 * Fewest pixels a map window holds under `--tile-size`: each window starts its own inference session, so
 * many small windows map slower than one; windows this large cost about nothing extra
 * (docs/performance.md#maps-and-images).
 */
export const MIN_MAP_WINDOW_PIXELS = 65_536;

/**
 * Most pixels a map window holds without `--tile-size`: a scene up to this size is one window, as before;
 * a larger one is cut so that the window's classes, confidence and (with --probabilities) per-class
 * probabilities, not the whole scene's, are in memory while the outputs are written window by window.
 */
export const DEFAULT_MAP_WINDOW_PIXELS = 1 << 20;

/** Rows per map window: `--tile-size` raised to MIN_MAP_WINDOW_PIXELS, else DEFAULT_MAP_WINDOW_PIXELS' worth (at least one row). */
export function mapWindowRows(tileSize: number | undefined, width: number): number {
  return tileSize === undefined ? Math.max(1, Math.floor(DEFAULT_MAP_WINDOW_PIXELS / width)) : Math.max(tileSize, Math.ceil(MIN_MAP_WINDOW_PIXELS / width));
}

/**
 * Rows per window the map can read: `tileRows` (undefined: the whole height), capped for a scene kept in a
 * temporary file so that a window and its halo fit the file's `windowRows` (each window is read from the file
 * once into one reused buffer; a scene in memory is cropped without a copy).
 */
export function readableWindowRows(reduced: ReducedScene, patch: number, tileRows: number | undefined): number {
  const wanted = tileRows === undefined ? reduced.height : Math.min(tileRows, reduced.height);
  if (reduced.cube !== undefined) return wanted;
  return Math.min(wanted, Math.max(1, reduced.windowRows - (patch - 1)));
}

/** One finished window of the map: rows [row0, row0 + rows), every pixel of them, row-major. */
export interface MapWindow {
  readonly row0: number;
  readonly rows: number;
  /** Class index (0-based, into the run's classes) of each pixel. */
  readonly classes: Int32Array;
  /** The winning class's probability of each pixel. */
  readonly confidence?: Float32Array;
  /** Class k's probability of pixel j at [j * classes + k], with --probabilities. */
  readonly probabilities?: Float32Array;
}

export interface BandedMapOptions {
  /** Called with each window as it finishes, in row order; awaited before the next window starts. */
  onWindow: (window: MapWindow) => void | Promise<void>;
  /** First row to predict (a resumed map); rows above it are not predicted. Default 0. */
  fromRow?: number;
  /** Checked after each window: true stops the map there (Ctrl-C). */
  shouldStop?: () => boolean;
}

export interface BandedMapResult {
  engine: string;
  /** Threads of the last window's prediction (0 when no window was predicted: a resumed map already done). */
  threads: number;
  precision: Precision;
  fallbackReason?: string;
  /** Rows finished (the height unless stopped). */
  rowsDone: number;
}

/**
 * Predicts the map window by window (tileRows undefined or ≥ height: one window), handing each window to
 * `onWindow` and keeping nothing of it: what the whole map costs in memory is up to the callers.
 */
export async function mapInWindows(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, tileRows: number | undefined, opts: ParallelPredictOptions, windowed: BandedMapOptions,
): Promise<BandedMapResult> {
  const { height, width, bands } = reduced;
  const n = height * width;
  const halo = (patch - 1) / 2;
  const rowsPerWindow = readableWindowRows(reduced, patch, tileRows);
  const buffer = reduced.cube === undefined ? new Float32Array(Math.min(height, rowsPerWindow + 2 * halo) * width * bands) : undefined;
  let engine = '';
  let threads = 0;
  let precision: Precision = 'float32';
  let fallbackReason: string | undefined;
  let rowsDone = windowed.fromRow ?? 0;
  // One int8 calibration for every window (without training patches: from the first window's).
  const shared = { ...opts, int8Calibrator: opts.int8Calibrator ?? new Int8Calibrator() };
  for (const { rows: [r0, r1], crop: [a, b] } of rowWindows(height, rowsPerWindow, halo)) {
    if (r1 <= rowsDone) continue;
    if (r0 !== rowsDone) throw new Error(`a map resumed at row ${rowsDone}, not at a window's first row`); // a bug in the caller
    const whole = a === 0 && b === height && r0 === 0 && r1 === height;
    const crop: CubeBIP = whole && reduced.cube ? reduced.cube : { height: b - a, width, bands, data: reduced.rows(a, b, buffer) };
    // The window's own pixels, row-major within the crop; the halo rows only feed their patches.
    const pixels = whole ? undefined : Int32Array.from({ length: (r1 - r0) * width }, (_, i) => (r0 - a) * width + i);
    const done0 = r0 * width;
    const r = await predictPatchesParallel(model, crop, patch, pixels, {
      ...shared, onProgress: opts.onProgress && ((done) => opts.onProgress!(done0 + done, n)),
    });
    engine = r.engine;
    threads = r.threads;
    precision = r.precision;
    fallbackReason ??= r.fallbackReason;
    await windowed.onWindow({ row0: r0, rows: r1 - r0, classes: r.classes, confidence: r.confidence, probabilities: r.probabilities });
    rowsDone = r1;
    if (rowsDone < height && windowed.shouldStop?.()) break;
  }
  return { engine, threads, precision, fallbackReason, rowsDone };
}

/**
 * Predicts the given pixels only (row-major indices into the scene, any order), e.g. an experiment's test
 * pixels, window by window as mapInWindows cuts them (each window read once with its halo; a scene in memory is one
 * call on its cube). Returns their classes (and, with `opts.probabilities`, the winning class's probability;
 * with 'all', every class's, sample-major) in the order of `pixels`.
 */
export async function predictPixelsInWindows(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, pixels: Int32Array, opts: ParallelPredictOptions,
): Promise<{ classes: Int32Array; confidence?: Float32Array; probabilities?: Float32Array; engine: string; precision: Precision; fallbackReason?: string }> {
  if (reduced.cube !== undefined) {
    const r = await predictPatchesParallel(model, reduced.cube, patch, pixels, opts);
    return {
      classes: r.classes, ...(r.confidence && { confidence: r.confidence }), ...(r.probabilities && { probabilities: r.probabilities }),
      engine: r.engine, precision: r.precision, ...(r.fallbackReason && { fallbackReason: r.fallbackReason }),
    };
  }
  const shared = { ...opts, int8Calibrator: opts.int8Calibrator ?? new Int8Calibrator() };
  const { height, width, bands } = reduced;
  const halo = (patch - 1) / 2;
  const windowList = rowWindows(height, readableWindowRows(reduced, patch, undefined), halo);
  // Which window each row belongs to, then the positions (into `pixels`) of each window's pixels.
  const windowOfRow = new Int32Array(height);
  windowList.forEach(({ rows: [r0, r1] }, i) => windowOfRow.fill(i, r0, r1));
  const counts = new Int32Array(windowList.length + 1);
  for (const p of pixels) counts[windowOfRow[Math.floor(p / width)]! + 1]!++;
  for (let i = 1; i < counts.length; i++) counts[i]! += counts[i - 1]!;
  const order = new Int32Array(pixels.length);
  const fill = counts.slice(0, windowList.length);
  pixels.forEach((p, j) => (order[fill[windowOfRow[Math.floor(p / width)]!]!++] = j));

  const classes = new Int32Array(pixels.length);
  const confidence = opts.probabilities ? new Float32Array(pixels.length) : undefined;
  const k = model.outputs[0]!.shape[1] as number;
  const probabilities = opts.probabilities === 'all' ? new Float32Array(pixels.length * k) : undefined;
  const buffer = new Float32Array(Math.min(height, windowList[0]!.rows[1] - windowList[0]!.rows[0] + 2 * halo) * width * bands);
  let engine = '';
  let precision: Precision = 'float32';
  let fallbackReason: string | undefined;
  for (const [i, { crop: [a, b] }] of windowList.entries()) {
    const mine = order.subarray(counts[i]!, counts[i + 1]!);
    if (mine.length === 0) continue;
    const crop: CubeBIP = { height: b - a, width, bands, data: reduced.rows(a, b, buffer) };
    const local = Int32Array.from(mine, (j) => pixels[j]! - a * width);
    const r = await predictPatchesParallel(model, crop, patch, local, shared);
    precision = r.precision;
    mine.forEach((j, m) => {
      classes[j] = r.classes[m]!;
      if (confidence && r.confidence) confidence[j] = r.confidence[m]!;
      if (probabilities && r.probabilities) probabilities.set(r.probabilities.subarray(m * k, (m + 1) * k), j * k);
    });
    engine = r.engine;
    fallbackReason ??= r.fallbackReason;
  }
  return { classes, ...(confidence && { confidence }), ...(probabilities && { probabilities }), engine, precision, ...(fallbackReason && { fallbackReason }) };
}
