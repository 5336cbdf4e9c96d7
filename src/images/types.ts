/**
 * The in-memory layout every image loader produces and every later stage reads. Loaders convert what a
 * file holds (IDX, CIFAR records, PNGs, the mnist package's JSON) into this once, EMNIST's transposition
 * included.
 */
import type { ClassInfo } from '../core/types.ts';

/**
 * Images of one size, NHWC, 8-bit (0–255, as every supported format stores them; kept as bytes so
 * EMNIST's 800k images take 0.6 GB, not 2.5 GB as floats). The value of image i, row r, column c,
 * channel k is pixels[((i * height + r) * width + c) * channels + k]; labels[i] is image i's label value
 * (the dataset's own numbers: 0–9 for digits, 1–26 for EMNIST letters).
 */
export interface ImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** 1 (grey levels) or 3 (RGB). */
  readonly channels: number;
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
}

/** Per-channel input normalisation: a pixel byte v becomes (v / 255 − mean[k]) / std[k]. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A dataset as loaded: its classes, the training images and, when the dataset has one, its test set. */
export interface LoadedImageDataset {
  readonly id: string;
  readonly title: string;
  /** Model output k is classes[k]; ascending by value. */
  readonly classes: readonly ClassInfo[];
  readonly train: ImageSet;
  /** The dataset's own test set; absent when the pipeline must split `train` (mnist, a flat PNG folder). */
  readonly test?: ImageSet;
  /** The files read, for run.json and the report. */
  readonly files: readonly string[];
  /** Things the user should know (fewer CIFAR batches than usual, files skipped in a folder…). */
  readonly warnings: readonly string[];
}

/** Number of bytes of one image. */
export const imageBytes = (s: Pick<ImageSet, 'height' | 'width' | 'channels'>): number => s.height * s.width * s.channels;

/** The images `indices` of `set`, copied into a new set (subsets and splits). */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = imageBytes(set);
  const pixels = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!(j >= 0 && j < set.count)) throw new RangeError(`selectImages: index ${j} outside 0..${set.count - 1}`);
    pixels.set(set.pixels.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = set.labels[j]!;
  }
  return { count: indices.length, height: set.height, width: set.width, channels: set.channels, pixels, labels };
}
