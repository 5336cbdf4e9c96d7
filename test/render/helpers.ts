/** Small helpers shared by the render tests. */
import type { Rgb, RgbaImage } from '../../src/render/image.ts';

/** Number of pixels in the rectangle [x0, x1) × [y0, y1) that are not white. */
export function countNonWhite(img: RgbaImage, x0 = 0, y0 = 0, x1 = img.width, y1 = img.height): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) {
      const i = (y * img.width + x) * 4;
      if (img.data[i] !== 255 || img.data[i + 1] !== 255 || img.data[i + 2] !== 255) n++;
    }
  }
  return n;
}

/** Number of pixels of exactly this colour in the rectangle (default: the whole image). */
export function countColor(img: RgbaImage, c: Rgb, x0 = 0, y0 = 0, x1 = img.width, y1 = img.height): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) {
      const i = (y * img.width + x) * 4;
      if (img.data[i] === c[0] && img.data[i + 1] === c[1] && img.data[i + 2] === c[2]) n++;
    }
  }
  return n;
}

/** Bounding box [x0, y0, x1, y1) of pixels that are not white, or undefined when all are white. */
export function inkBox(img: RgbaImage): [number, number, number, number] | undefined {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      if (img.data[i] === 255 && img.data[i + 1] === 255 && img.data[i + 2] === 255) continue;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
    }
  }
  return x1 < 0 ? undefined : [x0, y0, x1, y1];
}
