/**
 * A false-colour view of a hyperspectral cube: three bands shown as red, green and blue, each
 * stretched between two percentiles so that a few very bright or dark pixels do not wash out the rest.
 */
import { ConfigError } from '../core/errors.ts';
import type { CubeBIP } from '../core/types.ts';
import { BLACK, createImage, type RgbaImage } from './image.ts';

export interface FalseColorOptions {
  /** Percentile (0–100) shown as 0. Default 2. */
  lowPercentile?: number;
  /** Percentile (0–100) shown as 255. Default 98. */
  highPercentile?: number;
  /**
   * Most pixels read to estimate the percentiles, taken at an even stride over the scene. Default
   * 65,536: on a 512×614×176 KSC-shaped cube that is every 5th pixel, and the percentiles come out
   * within one band value of the full scene's in a fraction of the time (docs/performance.md#maps-and-images).
   */
  maxSamples?: number;
}

/** The band values a channel maps to 0 and 255. */
export interface Stretch {
  readonly low: number;
  readonly high: number;
}

/**
 * The scene as an RGB image from bands [red, green, blue] (zero-based). Each band is mapped linearly
 * from its low percentile (0) to its high percentile (255) and clipped. A pixel with a non-finite
 * value in any of the three bands is black; a band whose percentiles are equal is mid-grey.
 */
export function falseColor(
  cube: CubeBIP,
  bands: readonly [number, number, number],
  opts: FalseColorOptions = {},
): RgbaImage {
  const { lowPercentile = 2, highPercentile = 98, maxSamples = 65_536 } = opts;
  for (const b of bands) {
    if (!Number.isInteger(b) || b < 0 || b >= cube.bands) {
      throw new ConfigError('false-colour bands', `three band indices from 0 to ${cube.bands - 1}`, [...bands]);
    }
  }
  if (!(lowPercentile >= 0 && lowPercentile < highPercentile && highPercentile <= 100)) {
    throw new ConfigError('percentiles', '0 ≤ low < high ≤ 100', `${lowPercentile}, ${highPercentile}`);
  }
  if (!Number.isInteger(maxSamples) || maxSamples < 1) throw new ConfigError('maxSamples', 'a whole number ≥ 1', maxSamples);

  const pixels = cube.height * cube.width;
  const stretch = bands.map((b) => bandStretch(cube, b, { lowPercentile, highPercentile, maxSamples }));
  const img = createImage(cube.width, cube.height, BLACK);
  const { data } = cube;
  for (let p = 0; p < pixels; p++) {
    const base = p * cube.bands;
    let ok = true;
    for (let ch = 0; ch < 3; ch++) {
      const v = data[base + bands[ch]!]!;
      if (!Number.isFinite(v)) {
        ok = false;
        break;
      }
      const { low, high } = stretch[ch]!;
      const level = high > low ? ((v - low) / (high - low)) * 255 : 128;
      img.data[4 * p + ch] = level <= 0 ? 0 : level >= 255 ? 255 : Math.round(level);
    }
    if (!ok) img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = 0;
  }
  return img;
}

/**
 * The stretch falseColor uses for one band: its low and high percentiles over an evenly strided
 * sample of pixels, non-finite values skipped ({0, 0} when there are none).
 */
export function bandStretch(cube: CubeBIP, band: number, opts: FalseColorOptions = {}): Stretch {
  const { lowPercentile = 2, highPercentile = 98, maxSamples = 65_536 } = opts;
  const pixels = cube.height * cube.width;
  const stride = Math.max(1, Math.ceil(pixels / maxSamples));
  const sample = new Float32Array(Math.ceil(pixels / stride));
  let n = 0;
  for (let p = 0; p < pixels; p += stride) {
    const v = cube.data[p * cube.bands + band]!;
    if (Number.isFinite(v)) sample[n++] = v;
  }
  if (n === 0) return { low: 0, high: 0 };
  const sorted = sample.subarray(0, n).sort();
  return { low: percentile(sorted, lowPercentile), high: percentile(sorted, highPercentile) };
}

/** Linear-interpolated percentile of ascending values (the same rule as numpy's default). */
export function percentile(sorted: ArrayLike<number>, pct: number): number {
  const pos = (pct / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
