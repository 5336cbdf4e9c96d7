/**
 * Where training and prediction read samples from. A source writes any subset of its samples into a
 * caller's NHWC buffer, so batches are cut on demand and a whole scene is never materialised. The
 * hyperspectral path serves patches of a cube; the image path serves images.
 */
import { extractPatches } from '../sampling/patches.ts';
import type { CubeBIP } from '../scene/types.ts';

export interface SampleSource {
  /** Number of samples. */
  readonly count: number;
  /** One sample's shape [height, width, channels] (NHWC without N). */
  readonly sampleShape: readonly [number, number, number];
  /** Writes samples `indices` (each in 0..count-1) into `out`, one after another, NHWC. */
  fill(indices: ArrayLike<number>, out: Float32Array): void;
}

/** Patches of `cube` centred on `pixels` (row-major indices), or on every pixel when `pixels` is omitted. */
export function patchSource(cube: CubeBIP, patch: number, pixels?: Int32Array): SampleSource {
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
