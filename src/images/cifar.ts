/**
 * CIFAR-10 binary batches (www.cs.toronto.edu/~kriz/cifar.html, "binary version"): each record is one
 * label byte (0–9) and 3072 pixel bytes, the red plane then the green then the blue, each 32×32
 * row-major. Records are converted to interleaved RGB (NHWC) here. Files: data_batch_1.bin …
 * data_batch_5.bin (10,000 records each) and test_batch.bin, optionally gzip-compressed.
 */
import { InputFileError } from '../core/errors.ts';
import { readMaybeGzip } from './idx.ts';
import type { ImageSet } from './types.ts';

export const CIFAR_SIDE = 32;
const PLANE = CIFAR_SIDE * CIFAR_SIDE;
/** Bytes of one record: label + three colour planes. */
export const CIFAR_RECORD = 1 + 3 * PLANE;

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Parses one batch file's bytes; `source` names the file in errors. */
export function parseCifarBatch(bytes: Uint8Array, source: string): ImageSet {
  const fix = 'download the CIFAR-10 binary version again (cifar-10-binary.tar.gz) and unpack it unchanged';
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
    const whole = Math.floor(bytes.length / CIFAR_RECORD);
    throw new InputFileError(
      source,
      `${bytes.length} bytes is not a whole number of ${CIFAR_RECORD}-byte CIFAR-10 records (${whole} whole, ${bytes.length - whole * CIFAR_RECORD} bytes left over): truncated, or not a CIFAR-10 binary batch`,
      fix,
    );
  }
  const count = bytes.length / CIFAR_RECORD;
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const rec = i * CIFAR_RECORD;
    const label = bytes[rec]!;
    if (label >= CIFAR10_CLASSES.length) {
      throw new InputFileError(source, `record ${i} has label ${label}; CIFAR-10 labels are 0–9 (a CIFAR-100 file has two label bytes per record and is not supported)`, fix);
    }
    labels[i] = label;
    const out = i * 3 * PLANE;
    for (let p = 0; p < PLANE; p++) {
      pixels[out + 3 * p] = bytes[rec + 1 + p]!;
      pixels[out + 3 * p + 1] = bytes[rec + 1 + PLANE + p]!;
      pixels[out + 3 * p + 2] = bytes[rec + 1 + 2 * PLANE + p]!;
    }
  }
  return { count, height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3, pixels, labels };
}

/** Reads and concatenates batch files, in the order given. */
export function readCifarBatches(paths: readonly string[]): ImageSet {
  const sets = paths.map((p) => parseCifarBatch(readMaybeGzip(p), p));
  return concatImageSets(sets);
}

/** Sets of one image size, one after another. */
export function concatImageSets(sets: readonly ImageSet[]): ImageSet {
  const first = sets[0];
  if (!first) throw new RangeError('concatImageSets: no sets');
  const count = sets.reduce((a, s) => a + s.count, 0);
  const pixels = new Uint8Array(sets.reduce((a, s) => a + s.pixels.length, 0));
  const labels = new Int32Array(count);
  let p = 0;
  let l = 0;
  for (const s of sets) {
    if (s.height !== first.height || s.width !== first.width || s.channels !== first.channels) {
      throw new RangeError(`concatImageSets: ${s.height}×${s.width}×${s.channels} after ${first.height}×${first.width}×${first.channels}`);
    }
    pixels.set(s.pixels, p);
    labels.set(s.labels, l);
    p += s.pixels.length;
    l += s.count;
  }
  return { count, height: first.height, width: first.width, channels: first.channels, pixels, labels };
}
