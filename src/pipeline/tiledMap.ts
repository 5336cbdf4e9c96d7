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

/** Rows per map band for `--tile-size` (undefined: one band): the tile size, raised to MIN_MAP_BAND_PIXELS. */
export function mapBandRows(tileSize: number | undefined, width: number): number | undefined {
  return tileSize === undefined ? undefined : Math.max(tileSize, Math.ceil(MIN_MAP_BAND_PIXELS / width));
}

/**
 * The map of every pixel of the reduced scene, in bands of `tileRows` rows (undefined: one band). A
 * scene kept in a temporary file is always mapped in bands that fit its `bandRows` (halo included),
 * each read from the file once; a scene in memory is cropped without a copy.
 */
export async function predictInBands(
  model: tf.LayersModel, reduced: ReducedScene, patch: number, tileRows: number | undefined, opts: ParallelPredictOptions,
): Promise<ParallelPredictResult> {
  const { height, width, bands } = reduced;
  const halo = (patch - 1) / 2;
  const fits = reduced.cube === undefined ? Math.max(1, reduced.bandRows - 2 * halo) : undefined;
  const rows = fits === undefined ? tileRows : Math.min(tileRows ?? fits, fits);
  if ((rows === undefined || rows >= height) && reduced.cube !== undefined) return predictPatchesParallel(model, reduced.cube, patch, undefined, opts);
  const n = height * width;
  const classes = new Int32Array(n);
  const confidence = opts.probabilities ? new Float32Array(n) : undefined;
  let probabilities: Float32Array | undefined;
  let last: ParallelPredictResult | undefined;
  const buffer = reduced.cube === undefined ? new Float32Array(Math.min(height, rows! + 2 * halo) * width * bands) : undefined;
  for (const { rows: [r0, r1], crop: [a, b] } of rowBands(height, rows!, halo)) {
    const crop: CubeBIP = { height: b - a, width, bands, data: reduced.rows(a, b, buffer) };
    // The band's own pixels, row-major within the crop; the halo rows only feed their patches.
    const pixels = Int32Array.from({ length: (r1 - r0) * width }, (_, i) => (r0 - a) * width + i);
    const done0 = r0 * width;
    last = await predictPatchesParallel(model, crop, patch, pixels, {
      ...opts, onProgress: opts.onProgress && ((done) => opts.onProgress!(done0 + done, n)),
    });
    classes.set(last.classes, done0);
    if (confidence && last.confidence) confidence.set(last.confidence, done0);
    if (last.probabilities) {
      probabilities ??= new Float32Array(n * (last.probabilities.length / pixels.length));
      probabilities.set(last.probabilities, done0 * (last.probabilities.length / pixels.length));
    }
  }
  return { ...last!, classes, ...(confidence && { confidence }), ...(probabilities && { probabilities }) };
}
