/**
 * The map in bands of rows (`--tile-size`): each band of the reduced scene is predicted with a halo of
 * half the patch above and below, so every pixel sees exactly the patch it sees in the whole scene
 * (rowBands.ts cuts the bands, as for the queue's tile jobs). Without a tile size the scene is one band.
 * Bands bound what one predict call holds (the tfjs worker threads copy the band, not the scene, into
 * shared memory) and are the unit a later resume or streamed output would work in.
 */
import type * as tf from '@tensorflow/tfjs';
import { rowBands } from '../scene/rowBands.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import type { CubeBIP } from '../scene/types.ts';
import { predictPatchesParallel, type ParallelPredictOptions, type ParallelPredictResult } from '../training/parallel/parallelPredict.ts';

/**
 * Fewest pixels a map band holds under `--tile-size`: each band starts its own inference session, which
 * costs ~15 ms on 2 cores (measured: a KSC-sized map in 32 bands of 16 rows took 1.3–1.45× the wall time
 * of one band with spinal-mlp; in 8 bands of 64 rows, 0.9–1.1×).
 */
export const MIN_MAP_BAND_PIXELS = 65_536;

/**
 * Most pixels a map band holds without `--tile-size`: a scene up to this size is one band, as before;
 * a larger one is cut so that the band's classes, confidence and (with --probabilities) per-class
 * probabilities, not the whole scene's, are in memory while the outputs are written band by band.
 */
export const DEFAULT_MAP_BAND_PIXELS = 1 << 20;

/** Rows per map band: `--tile-size` raised to MIN_MAP_BAND_PIXELS, else DEFAULT_MAP_BAND_PIXELS' worth (at least one row). */
export function mapBandRows(tileSize: number | undefined, width: number): number {
  return tileSize === undefined ? Math.max(1, Math.floor(DEFAULT_MAP_BAND_PIXELS / width)) : Math.max(tileSize, Math.ceil(MIN_MAP_BAND_PIXELS / width));
}

/**
 * Rows per band the map can read: `tileRows` (undefined: the whole height), capped for a scene kept in a
 * temporary file so that a band and its halo fit the file's `bandRows` (each band is read from the file
 * once into one reused buffer; a scene in memory is cropped without a copy).
 */
export function readableBandRows(reduced: ReducedScene, patch: number, tileRows: number | undefined): number {
  const wanted = tileRows === undefined ? reduced.height : Math.min(tileRows, reduced.height);
  if (reduced.cube !== undefined) return wanted;
  return Math.min(wanted, Math.max(1, reduced.bandRows - (patch - 1)));
}

/** One finished band of the map: rows [row0, row0 + rows), every pixel of them, row-major. */
export interface MapBand {
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
  /** Called with each band as it finishes, in row order; awaited before the next band starts. */
  onBand: (band: MapBand) => void | Promise<void>;
  /** First row to predict (a resumed map); rows above it are not predicted. Default 0. */
  fromRow?: number;
  /** Checked after each band: true stops the map there (Ctrl-C). */
  shouldStop?: () => boolean;
}

export interface BandedMapResult {
  engine: string;
  fallbackReason?: string;
  /** Rows finished (the height unless stopped). */
  rowsDone: number;
}

/**
 * Predicts the map band by band (tileRows undefined or ≥ height: one band), handing each band to
 * `onBand` and keeping nothing of it: what the whole map costs in memory is up to the callers.
 */
export async function mapInBands(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, tileRows: number | undefined, opts: ParallelPredictOptions, banded: BandedMapOptions,
): Promise<BandedMapResult> {
  const { height, width, bands } = reduced;
  const n = height * width;
  const halo = (patch - 1) / 2;
  const rowsPerBand = readableBandRows(reduced, patch, tileRows);
  const buffer = reduced.cube === undefined ? new Float32Array(Math.min(height, rowsPerBand + 2 * halo) * width * bands) : undefined;
  let engine = '';
  let fallbackReason: string | undefined;
  let rowsDone = banded.fromRow ?? 0;
  for (const { rows: [r0, r1], crop: [a, b] } of rowBands(height, rowsPerBand, halo)) {
    if (r1 <= rowsDone) continue;
    if (r0 !== rowsDone) throw new Error(`a map resumed at row ${rowsDone}, not at a band's first row`); // a bug in the caller
    const whole = a === 0 && b === height && r0 === 0 && r1 === height;
    const crop: CubeBIP = whole && reduced.cube ? reduced.cube : { height: b - a, width, bands, data: reduced.rows(a, b, buffer) };
    // The band's own pixels, row-major within the crop; the halo rows only feed their patches.
    const pixels = whole ? undefined : Int32Array.from({ length: (r1 - r0) * width }, (_, i) => (r0 - a) * width + i);
    const done0 = r0 * width;
    const r = await predictPatchesParallel(model, crop, patch, pixels, {
      ...opts, onProgress: opts.onProgress && ((done) => opts.onProgress!(done0 + done, n)),
    });
    engine = r.engine;
    fallbackReason ??= r.fallbackReason;
    await banded.onBand({ row0: r0, rows: r1 - r0, classes: r.classes, confidence: r.confidence, probabilities: r.probabilities });
    rowsDone = r1;
    if (rowsDone < height && banded.shouldStop?.()) break;
  }
  return { engine, fallbackReason, rowsDone };
}

/** The whole map in memory (tests, the queue's tiles): mapInBands with the bands gathered. */
export async function predictInBands(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, tileRows: number | undefined, opts: ParallelPredictOptions,
): Promise<ParallelPredictResult> {
  const { height, width } = reduced;
  const n = height * width;
  const classes = new Int32Array(n);
  const confidence = opts.probabilities ? new Float32Array(n) : undefined;
  let probabilities: Float32Array | undefined;
  const r = await mapInBands(model, reduced, patch, tileRows, opts, {
    onBand: (band) => {
      const done0 = band.row0 * width;
      classes.set(band.classes, done0);
      if (confidence && band.confidence) confidence.set(band.confidence, done0);
      if (band.probabilities) {
        const k = band.probabilities.length / band.classes.length;
        probabilities ??= new Float32Array(n * k);
        probabilities.set(band.probabilities, done0 * k);
      }
    },
  });
  return { classes, ...(confidence && { confidence }), ...(probabilities && { probabilities }), workers: 0, engine: r.engine, ...(r.fallbackReason && { fallbackReason: r.fallbackReason }) };
}

/**
 * Predicts the given pixels only (row-major indices into the scene, any order), e.g. an experiment's test
 * pixels, band by band as mapInBands cuts them (each band read once with its halo; a scene in memory is one
 * call on its cube). Returns their classes (and, with `opts.probabilities`, the winning class's probability)
 * in the order of `pixels`.
 */
export async function predictPixelsInBands(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, pixels: Int32Array, opts: ParallelPredictOptions,
): Promise<{ classes: Int32Array; confidence?: Float32Array; engine: string; fallbackReason?: string }> {
  if (reduced.cube !== undefined) {
    const r = await predictPatchesParallel(model, reduced.cube, patch, pixels, opts);
    return { classes: r.classes, ...(r.confidence && { confidence: r.confidence }), engine: r.engine, ...(r.fallbackReason && { fallbackReason: r.fallbackReason }) };
  }
  const { height, width, bands } = reduced;
  const halo = (patch - 1) / 2;
  const bandList = rowBands(height, readableBandRows(reduced, patch, undefined), halo);
  // Which band each row belongs to, then the positions (into `pixels`) of each band's pixels.
  const bandOfRow = new Int32Array(height);
  bandList.forEach(({ rows: [r0, r1] }, i) => bandOfRow.fill(i, r0, r1));
  const counts = new Int32Array(bandList.length + 1);
  for (const p of pixels) counts[bandOfRow[Math.floor(p / width)]! + 1]!++;
  for (let i = 1; i < counts.length; i++) counts[i]! += counts[i - 1]!;
  const order = new Int32Array(pixels.length);
  const fill = counts.slice(0, bandList.length);
  pixels.forEach((p, j) => (order[fill[bandOfRow[Math.floor(p / width)]!]!++] = j));

  const classes = new Int32Array(pixels.length);
  const confidence = opts.probabilities ? new Float32Array(pixels.length) : undefined;
  const buffer = new Float32Array(Math.min(height, bandList[0]!.rows[1] - bandList[0]!.rows[0] + 2 * halo) * width * bands);
  let engine = '';
  let fallbackReason: string | undefined;
  for (const [i, { crop: [a, b] }] of bandList.entries()) {
    const mine = order.subarray(counts[i]!, counts[i + 1]!);
    if (mine.length === 0) continue;
    const crop: CubeBIP = { height: b - a, width, bands, data: reduced.rows(a, b, buffer) };
    const local = Int32Array.from(mine, (j) => pixels[j]! - a * width);
    const r = await predictPatchesParallel(model, crop, patch, local, opts);
    mine.forEach((j, k) => {
      classes[j] = r.classes[k]!;
      if (confidence && r.confidence) confidence[j] = r.confidence[k]!;
    });
    engine = r.engine;
    fallbackReason ??= r.fallbackReason;
  }
  return { classes, ...(confidence && { confidence }), engine, ...(fallbackReason && { fallbackReason }) };
}
