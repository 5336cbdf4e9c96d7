/**
 * Where training and prediction read samples from. A source writes any subset of its samples into a
 * caller's NHWC buffer, so batches are cut on demand and a whole scene is never materialised. The
 * hyperspectral path serves patches of a cube; the image path serves images.
 */
import { extractPatches } from './patches.ts';
import type { BipRows } from '../scene/reducedScene.ts';
import type { CubeBIP } from '../core/types.ts';

export interface SampleSource {
  /** Number of samples. */
  readonly count: number;
  /** One sample's shape [height, width, channels] (NHWC without N). */
  readonly sampleShape: readonly [number, number, number];
  /** Writes samples `indices` (each in 0..count-1) into `out`, one after another, NHWC. */
  fill(indices: ArrayLike<number>, out: Float32Array): void;
}

/**
 * Patches of `cube` (in memory, or the reduced scene's rows wherever they are kept) centred on `pixels`
 * (row-major indices), or on every pixel when `pixels` is omitted; cut per batch, so only a batch exists.
 */
export function patchSource(cube: CubeBIP | BipRows, patch: number, pixels?: Int32Array): SampleSource {
  let scratch = new Int32Array(0);
  return {
    count: pixels?.length ?? cube.height * cube.width,
    sampleShape: [patch, patch, cube.bands],
    fill(indices, out) {
      if (!pixels) {
        extractPatches(cube, indices, patch, out);
        return;
      }
      if (scratch.length < indices.length) scratch = new Int32Array(indices.length);
      const px = scratch.subarray(0, indices.length);
      for (let i = 0; i < indices.length; i++) px[i] = pixels[indices[i]!]!;
      extractPatches(cube, px, patch, out);
    },
  };
}

/** Number of values in one sample. */
export const sampleSize = (s: SampleSource): number => s.sampleShape[0] * s.sampleShape[1] * s.sampleShape[2];

/** One batch of {@link batchesOf}: `size` samples in `data`, the first being sample `start + offset`. */
export interface Batch {
  data: Float32Array;
  size: number;
  /** Position of the batch's first sample in the range. */
  offset: number;
}

/**
 * Samples start … end − 1 of `source` in batches of `batchSize`, cut into one buffer that every batch
 * reuses (so a whole scene never exists at once): use each batch before asking for the next.
 */
export function* batchesOf(source: SampleSource, start: number, end: number, batchSize: number): Generator<Batch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const per = sampleSize(source);
  const total = end - start;
  const cap = Math.min(batchSize, Math.max(total, 1));
  const buffer = new Float32Array(cap * per);
  const indices = new Int32Array(cap);
  for (let offset = 0; offset < total; offset += batchSize) {
    const size = Math.min(batchSize, total - offset);
    for (let i = 0; i < size; i++) indices[i] = start + offset + i;
    source.fill(indices.subarray(0, size), buffer);
    yield { data: buffer.subarray(0, size * per), size, offset };
  }
}

/** Samples already in memory, NHWC, one after another (training patches, image datasets). */
export function arraySource(data: Float32Array, sampleShape: readonly [number, number, number]): SampleSource {
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  if (data.length % per !== 0) throw new RangeError(`arraySource: ${data.length} values are not whole samples of ${per}`);
  return {
    count: data.length / per,
    sampleShape,
    fill(indices, out) {
      for (let i = 0; i < indices.length; i++) {
        const s = indices[i]! * per;
        out.set(data.subarray(s, s + per), i * per);
      }
    },
  };
}
