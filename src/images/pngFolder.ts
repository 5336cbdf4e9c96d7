/**
 * A folder of PNG images with one subfolder per class:
 *
 *   DIR/<class>/*.png                          one set; the pipeline splits it (stratified, seeded)
 *   DIR/train/<class>/*.png, DIR/test/<class>/ the folder's own training and test sets
 *
 * Classes are the subfolder names in sorted order (model output k = k-th name; label values 0..K−1).
 * Every image must have the size of the first one unless `size` asks to resize them all (bilinear).
 * Images are grey (1 channel) when every pixel of every image has R = G = B, else RGB; alpha is ignored.
 * PNG decoding is the renderer's (pngjs), so a damaged file gives the same message everywhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, InputFileError } from '../core/errors.ts';
import { decodePng, type RgbaImage } from '../render/index.ts';
import type { ClassInfo } from '../core/types.ts';
import { resizeBilinear } from './resample.ts';
import type { ImageSet } from './types.ts';

export interface PngFolderOptions {
  /** Resize every image to [height, width]; default: keep sizes, which must then all be equal. */
  size?: readonly [number, number];
}

export interface PngFolderResult {
  readonly classes: readonly ClassInfo[];
  readonly train: ImageSet;
  /** Present when the folder has train/ and test/ subfolders. */
  readonly test?: ImageSet;
  readonly files: readonly string[];
  readonly warnings: readonly string[];
}

const LAYOUT_FIX = 'arrange the images as DIR/<class name>/*.png (or DIR/train/<class>/ and DIR/test/<class>/) and pass --data-dir DIR';

const subfolders = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory())
    .sort();

/** Reads a PNG class folder; see the file comment for the layout. */
export function readPngFolder(dir: string, opts: PngFolderOptions = {}): PngFolderResult {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputFileError(dir, 'folder not found', LAYOUT_FIX);
  const top = subfolders(dir);
  const split = top.includes('train') && top.includes('test');
  const trainDir = split ? join(dir, 'train') : dir;
  const names = subfolders(trainDir);
  if (names.length < 2) {
    throw new DataError(`${trainDir} has ${names.length} class subfolder${names.length === 1 ? '' : 's'}; a classifier needs at least 2`, LAYOUT_FIX);
  }
  const classes = names.map((name, value) => ({ value, name }));
  const warnings: string[] = [];
  const decoded: Decoded[] = [];
  const trainCount = collect(trainDir, names, decoded, warnings);
  if (split) {
    const testNames = subfolders(join(dir, 'test'));
    const unknown = testNames.filter((n) => !names.includes(n));
    if (unknown.length > 0) {
      throw new DataError(`${join(dir, 'test')} has class folders that train/ lacks: ${unknown.join(', ')}`, 'give train/ and test/ the same class subfolders');
    }
    collect(join(dir, 'test'), testNames, decoded, warnings, testNames.map((n) => names.indexOf(n)));
  }
  const { height, width } = opts.size ? { height: opts.size[0], width: opts.size[1] } : decoded[0]!.image;
  if (!opts.size) {
    const odd = decoded.find((d) => d.image.width !== width || d.image.height !== height);
    if (odd) {
      throw new DataError(
        `images differ in size: ${decoded[0]!.file} is ${width}×${height} but ${odd.file} is ${odd.image.width}×${odd.image.height} (width×height)`,
        'pass --image-size N (or HxW) to resize every image to one size, or resize the images yourself',
      );
    }
  }
  const grey = decoded.every((d) => isGrey(d.image));
  const channels = grey ? 1 : 3;
  const pack = (items: Decoded[]): ImageSet => {
    const per = height * width * channels;
    const pixels = new Uint8Array(items.length * per);
    const labels = new Int32Array(items.length);
    items.forEach((d, i) => {
      pixels.set(toChannels(d.image, channels, height, width), i * per);
      labels[i] = d.label;
    });
    return { count: items.length, height, width, channels, pixels, labels };
  };
  const train = pack(decoded.slice(0, trainCount));
  const test = split ? pack(decoded.slice(trainCount)) : undefined;
  return { classes, train, test, files: decoded.map((d) => d.file), warnings };
}

interface Decoded {
  readonly file: string;
  readonly label: number;
  readonly image: RgbaImage;
}

/** Decodes every PNG of each class folder into `out`; returns how many were added. */
function collect(dir: string, names: readonly string[], out: Decoded[], warnings: string[], labels?: readonly number[]): number {
  let added = 0;
  names.forEach((name, k) => {
    const folder = join(dir, name);
    const entries = readdirSync(folder).filter((f) => !f.startsWith('.')).sort();
    const pngs = entries.filter((f) => f.toLowerCase().endsWith('.png'));
    if (pngs.length === 0) throw new DataError(`class folder ${folder} has no .png images`, 'put at least one PNG image in every class folder, or remove the empty folder');
    const others = entries.length - pngs.length;
    if (others > 0) warnings.push(`${folder}: ${others} file${others === 1 ? '' : 's'} not ending in .png skipped`);
    for (const f of pngs) {
      const file = join(folder, f);
      out.push({ file, label: labels?.[k] ?? k, image: decodePng(readFileSync(file), file) });
      added++;
    }
  });
  return added;
}

function isGrey(img: RgbaImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/** RGBA → `channels` bytes per pixel (grey takes red, equal to green and blue), resized when needed. */
function toChannels(img: RgbaImage, channels: number, height: number, width: number): Uint8Array {
  const n = img.width * img.height;
  const data = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) for (let k = 0; k < channels; k++) data[p * channels + k] = img.data[p * 4 + k]!;
  if (img.height === height && img.width === width) return data;
  return resizeBilinear({ height: img.height, width: img.width, channels, data }, height, width);
}
