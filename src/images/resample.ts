/**
 * Bilinear resampling of one HWC image: resizing PNG-folder images to one size and the small shifts and
 * rotations of augmentation. Hand-written because it is a few lines on typed arrays, and running it per
 * sample inside a batch fill costs microseconds where a tfjs op per image would cost a kernel launch.
 */

/** One HWC image, values 0–255 as numbers (Uint8Array for stored images). */
export interface HwcImage {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: ArrayLike<number>;
}

/**
 * The value of channel k at the real-valued position (y, x), pixel centres at whole numbers; positions
 * outside the image read `fill` (what lies beyond the border: 0, black, for digits on black).
 */
export function bilinearAt(img: HwcImage, y: number, x: number, k: number, fill = 0): number {
  const { height, width, channels, data } = img;
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const at = (r: number, c: number): number => (r < 0 || c < 0 || r >= height || c >= width ? fill : data[(r * width + c) * channels + k]!);
  const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
  const bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * The image resized to outHeight × outWidth (bilinear, pixel centres aligned as in PIL and
 * tf.image.resizeBilinear with halfPixelCenters: output pixel i samples input (i + 0.5)·scale − 0.5,
 * clamped to the image so borders repeat instead of fading to black).
 */
export function resizeBilinear(img: HwcImage, outHeight: number, outWidth: number): Uint8Array {
  const { height, width, channels } = img;
  const out = new Uint8Array(outHeight * outWidth * channels);
  const sy = height / outHeight;
  const sx = width / outWidth;
  for (let r = 0; r < outHeight; r++) {
    const y = Math.min(height - 1, Math.max(0, (r + 0.5) * sy - 0.5));
    for (let c = 0; c < outWidth; c++) {
      const x = Math.min(width - 1, Math.max(0, (c + 0.5) * sx - 0.5));
      for (let k = 0; k < channels; k++) out[(r * outWidth + c) * channels + k] = Math.round(bilinearAt(img, y, x, k));
    }
  }
  return out;
}
