/**
 * Images as a SampleSource for the shared training loop and prediction: stored bytes are normalised
 * (and, for training, optionally augmented) as each batch is cut, so no float copy of a dataset exists.
 */
import type { SampleSource } from '../sampling/sampleSource.ts';
import type { Rng } from '../util/random.ts';
import { drawAffine, warpAffine, type AugmentOptions } from './augment.ts';
import { imageBytes, type ImageSet, type Normalization } from './types.ts';

/** Per-channel mean and standard deviation of the images `indices` (default all), in 0..1 units. */
export function fitNormalization(set: ImageSet, indices?: ArrayLike<number>): Normalization {
  const c = set.channels;
  const per = imageBytes(set);
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const n = indices?.length ?? set.count;
  for (let i = 0; i < n; i++) {
    const base = (indices ? indices[i]! : i) * per;
    for (let p = 0; p < per; p++) {
      const v = set.pixels[base + p]! / 255;
      sum[p % c] += v;
      sumSq[p % c] += v * v;
    }
  }
  const values = (n * per) / c;
  const mean = Array.from(sum, (s) => s / values);
  // A constant channel (an all-black folder) would divide by 0; 1 leaves it centred instead.
  const std = Array.from(sumSq, (s, k) => Math.sqrt(Math.max(0, s / values - mean[k]! ** 2)) || 1);
  return { mean, std };
}

export interface ImageSourceOptions {
  /** Images of `set` served, in this order (default all). */
  indices?: ArrayLike<number>;
  /** Random shifts and rotations for training, drawn from `rng`. Default none. */
  augment?: AugmentOptions & { rng: Rng };
}

/** Serves normalised images of `set` (NHWC floats) to trainModel / predictClasses. */
export function imageSource(set: ImageSet, norm: Normalization, opts: ImageSourceOptions = {}): SampleSource {
  const { height, width, channels } = set;
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new RangeError(`imageSource: normalisation for ${norm.mean.length} channels, images have ${channels}`);
  }
  const per = imageBytes(set);
  const indices = opts.indices;
  // (v / 255 − mean) / std as one multiply-add per value.
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, k) => -m / norm.std[k]!);
  const augment = opts.augment;
  const warped = augment ? new Float32Array(per) : undefined;
  return {
    count: indices?.length ?? set.count,
    sampleShape: [height, width, channels],
    fill(which, out) {
      for (let i = 0; i < which.length; i++) {
        const image = indices ? indices[which[i]!]! : which[i]!;
        let src: ArrayLike<number> = set.pixels.subarray(image * per, (image + 1) * per);
        if (augment && warped) {
          warpAffine({ height, width, channels, data: src }, drawAffine(augment.rng, augment), warped);
          src = warped;
        }
        const o = i * per;
        for (let p = 0; p < per; p++) {
          const k = p % channels;
          out[o + p] = src[p]! * scale[k]! + shift[k]!;
        }
      }
    },
  };
}
