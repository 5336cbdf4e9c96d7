/**
 * The one image type every renderer draws into, and PNG in and out (pngjs).
 */
import { PNG } from 'pngjs';
import { ConfigError, DataError, InputFileError } from '../core/errors.ts';
import type { Rgb } from '../core/types.ts';

export type { Rgb };
import { writeFileAtomic } from '../util/atomicWrite.ts';

/**
 * An 8-bit RGBA image, row-major: the red, green, blue, alpha of row y, column x are
 * data[(y * width + x) * 4 + 0..3].
 */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

/** Largest side accepted, so a wrong scale factor fails with a message instead of exhausting memory. */
const MAX_SIDE = 32_768;

/** A new opaque image filled with one colour (default white). */
export function createImage(width: number, height: number, fill: Rgb = WHITE): RgbaImage {
  checkSide('width', width);
  checkSide('height', height);
  const data = new Uint8Array(width * height * 4);
  const [r, g, b] = fill;
  for (let i = 0; i < data.length; i += 4) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = 255;
  }
  return { width, height, data };
}

/** The colour at (x, y), alpha left out. */
export function pixelAt(img: RgbaImage, x: number, y: number): Rgb {
  const i = (y * img.width + x) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

/**
 * The image enlarged by an integer factor, each pixel becoming a factor × factor block
 * (nearest neighbour: class maps must keep their exact colours, never blend them).
 */
export function upscale(img: RgbaImage, factor: number): RgbaImage {
  if (!Number.isInteger(factor) || factor < 1) {
    throw new ConfigError('scale', 'a whole number ≥ 1', factor);
  }
  if (factor === 1) return img;
  const out = createImage(img.width * factor, img.height * factor);
  // Widen one source row into a destination row, then copy that row factor times: a row copy is a
  // memcpy, which matters for a 512×614 map at 4× (about 5 million pixels).
  const rowBytes = out.width * 4;
  for (let y = 0; y < img.height; y++) {
    const first = y * factor * rowBytes;
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 4;
      for (let k = 0; k < factor; k++) {
        const d = first + (x * factor + k) * 4;
        out.data[d] = img.data[s]!;
        out.data[d + 1] = img.data[s + 1]!;
        out.data[d + 2] = img.data[s + 2]!;
        out.data[d + 3] = img.data[s + 3]!;
      }
    }
    for (let k = 1; k < factor; k++) out.data.copyWithin(first + k * rowBytes, first, first + rowBytes);
  }
  return out;
}

/** The image as PNG file bytes (8-bit RGBA). */
export function encodePng(img: RgbaImage): Buffer {
  if (img.data.length !== img.width * img.height * 4) {
    throw new DataError(
      `image data has ${img.data.length} bytes, but ${img.width}×${img.height} RGBA needs ${img.width * img.height * 4}`,
      'build images with createImage() so the buffer matches the size',
    );
  }
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 6 });
}

/** PNG file bytes decoded to an RGBA image (any PNG colour type is converted to 8-bit RGBA). */
export function decodePng(bytes: Uint8Array, source = 'PNG data'): RgbaImage {
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new InputFileError(source, `not a readable PNG (${(err as Error).message})`, 'pass a PNG file written by spinalnet or another PNG encoder');
  }
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** Writes the image as a PNG file, atomically (a reader never sees half a file). */
export function writePng(path: string, img: RgbaImage): void {
  writeFileAtomic(path, encodePng(img));
}

function checkSide(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
    throw new ConfigError(`image ${name}`, `a whole number from 1 to ${MAX_SIDE}`, value);
  }
}
