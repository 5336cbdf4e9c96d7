/** Small dataset files written by the tests themselves: CIFAR records, IDX pairs, PNG class folders. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CIFAR_RECORD } from '../../src/images/cifar.ts';
import { encodeIdx } from '../../src/images/idx.ts';
import { createImage, encodePng, type Rgb } from '../../src/render/index.ts';

/** `n` records; record i has label i % 10 and plane p (0 R, 1 G, 2 B) pixel j = (i + 3p + j) % 256. */
export function cifarBytes(n: number): Uint8Array {
  const out = new Uint8Array(n * CIFAR_RECORD);
  for (let i = 0; i < n; i++) {
    out[i * CIFAR_RECORD] = i % 10;
    for (let p = 0; p < 3; p++) for (let j = 0; j < 1024; j++) out[i * CIFAR_RECORD + 1 + p * 1024 + j] = (i + 3 * p + j) % 256;
  }
  return out;
}

/**
 * An IDX images/labels pair of `count` side×side images; image i has label labels(i) and pixel (r, c)
 * = (i + r·side + c) % 256. Written gzip-compressed when `gz`.
 */
export function writeIdxPair(dir: string, names: { images: string; labels: string }, count: number, side: number, labels: (i: number) => number, gz = false): void {
  mkdirSync(dir, { recursive: true });
  const px = Uint8Array.from({ length: count * side * side }, (_, j) => (Math.floor(j / (side * side)) + (j % (side * side))) % 256);
  const img = encodeIdx(0x08, [count, side, side], px);
  const lab = encodeIdx(0x08, [count], Array.from({ length: count }, (_, i) => labels(i)));
  writeFileSync(join(dir, names.images + (gz ? '.gz' : '')), gz ? gzipSync(img) : img);
  writeFileSync(join(dir, names.labels + (gz ? '.gz' : '')), gz ? gzipSync(lab) : lab);
}

/** Writes a w×h PNG filled with `color`, with a one-pixel mark of `mark` at (x, y) when given. */
export function writeSolidPng(path: string, w: number, h: number, color: Rgb, mark?: { x: number; y: number; color: Rgb }): void {
  const img = createImage(w, h, color);
  if (mark) {
    const i = (mark.y * w + mark.x) * 4;
    img.data[i] = mark.color[0];
    img.data[i + 1] = mark.color[1];
    img.data[i + 2] = mark.color[2];
  }
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, encodePng(img));
}
