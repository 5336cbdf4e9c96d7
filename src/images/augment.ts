/**
 * Light, seeded augmentation of training images: a random rotation about the image centre and a random
 * shift, bilinear, with black (0) coming in at the borders, as PyTorch's RandomAffine fills by default.
 * The draws come from the run's seeded Rng in batch order, so a run with --augment is repeatable.
 */
import type { Rng } from '../util/random.ts';
import { bilinearAt, type HwcImage } from './resample.ts';

export interface AugmentOptions {
  /** Largest shift in pixels along each axis, drawn uniformly in ±maxShift. Default 2. */
  maxShift?: number;
  /** Largest rotation in degrees, drawn uniformly in ±maxRotation. Default 10. */
  maxRotation?: number;
}

export const AUGMENT_DEFAULTS: Required<AugmentOptions> = { maxShift: 2, maxRotation: 10 };

/** One random transform drawn from `rng`. */
export interface AffineDraw {
  readonly dy: number;
  readonly dx: number;
  /** Radians, counter-clockwise. */
  readonly angle: number;
}

export function drawAffine(rng: Rng, opts: AugmentOptions = {}): AffineDraw {
  const { maxShift, maxRotation } = { ...AUGMENT_DEFAULTS, ...opts };
  const dy = rng.uniform(-maxShift, maxShift);
  const dx = rng.uniform(-maxShift, maxShift);
  const angle = (rng.uniform(-maxRotation, maxRotation) * Math.PI) / 180;
  return { dy, dx, angle };
}

/**
 * Writes `img` rotated by `t.angle` about its centre and shifted by (t.dy, t.dx) into `out`
 * (HWC, the same size, values in the image's own range). Each output pixel samples the source at the
 * inverse transform of its position.
 */
export function warpAffine(img: HwcImage, t: AffineDraw, out: Float32Array): void {
  const { height, width, channels } = img;
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  for (let r = 0; r < height; r++) {
    const y = r - cy - t.dy;
    for (let c = 0; c < width; c++) {
      const x = c - cx - t.dx;
      // Inverse rotation of (y, x), with rows growing downwards: a positive angle turns the picture
      // counter-clockwise as seen on screen (what was right of the centre moves to the top).
      const sy = cos * y + sin * x + cy;
      const sx = cos * x - sin * y + cx;
      for (let k = 0; k < channels; k++) out[(r * width + c) * channels + k] = bilinearAt(img, sy, sx, k, 0);
    }
  }
}
