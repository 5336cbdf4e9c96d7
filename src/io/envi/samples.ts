/**
 * Raw ENVI samples → BIP numbers. The bytes are swapped in place when the file's byte order is not the
 * machine's, viewed as a typed array of the sample type, and gathered pixel by pixel into the sink
 * (BIP: the engine's own TypedArray.set converts them in one native pass).
 */
import { InputFileError } from '../../core/errors.ts';
import type { RasterSink } from '../raster/types.ts';
import type { EnviInterleave } from './header.ts';

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Samples = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array | Uint16Array | Uint32Array | Float64Array;

/** `raw` must own its buffer from byte 0 (it is swapped in place). */
export function decodeSamples(
  raw: Uint8Array, dataType: number, littleEndian: boolean, interleave: EnviInterleave,
  rows: number, width: number, bands: number, out: RasterSink, path: string,
): void {
  const count = rows * width * bands;
  const size = raw.length / count;
  if (littleEndian !== HOST_LE && size > 1) {
    const b = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    if (size === 2) b.swap16();
    else if (size === 4) b.swap32();
    else b.swap64();
  }
  const src = view(raw, dataType, count, path);
  if (interleave === 'bip') out.set(src);
  else if (interleave === 'bil') bilToBip(src, out, rows, width, bands);
  else bsqToBip(src, out, rows * width, bands);
}

function view(raw: Uint8Array, dataType: number, n: number, path: string): Samples {
  const buf = raw.buffer;
  switch (dataType) {
    case 1: return raw;
    case 2: return new Int16Array(buf, raw.byteOffset, n);
    case 3: return new Int32Array(buf, raw.byteOffset, n);
    case 4: return new Float32Array(buf, raw.byteOffset, n);
    case 5: return new Float64Array(buf, raw.byteOffset, n);
    case 12: return new Uint16Array(buf, raw.byteOffset, n);
    case 13: return new Uint32Array(buf, raw.byteOffset, n);
    case 14: case 15: return exactInt64(dataType === 14 ? new BigInt64Array(buf, raw.byteOffset, n) : new BigUint64Array(buf, raw.byteOffset, n), path);
    default: throw new RangeError(`ENVI data type ${dataType}`);
  }
}

/** int64/uint64 samples as float64, refused when one is beyond 2^53 (it would not come back exactly). */
function exactInt64(src: BigInt64Array | BigUint64Array, path: string): Float64Array {
  const out = new Float64Array(src.length);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v > max || v < -max) {
      throw new InputFileError(
        path, `holds the 64-bit integer ${v} (sample ${i + 1} of the rows read), beyond 2^53: float64 cannot hold it exactly`,
        'rescale the data into a smaller type (int32 or float32) before classifying it',
      );
    }
    out[i] = Number(v);
  }
  return out;
}

/*
 * Both gathers read the source directly (no converted copy), 16 bands at a time: within a group the
 * pixels run outer and the bands inner, so the writes come in runs of 16 and only 16 source streams are
 * live, which the hardware prefetcher follows (all 176 at once it does not). Faster than all bands of a
 * pixel at once or a converted copy scattered band line by band line (docs/performance.md#reading-files).
 */
const GROUP = 16;

/** BIL: row r holds B lines of W samples; band b of pixel (r, c) is at (r·B + b)·W + c. */
function bilToBip(src: Samples, out: RasterSink, rows: number, W: number, B: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * W * B;
    for (let b0 = 0; b0 < B; b0 += GROUP) {
      const b1 = Math.min(B, b0 + GROUP);
      for (let c = 0; c < W; c++) {
        for (let b = b0, k = base + b0 * W + c, o = base + c * B + b0; b < b1; b++, k += W) out[o++] = src[k];
      }
    }
  }
}

/** BSQ (one block of rows): B planes of `pixels` samples; band b of pixel p is at b·pixels + p. */
function bsqToBip(src: Samples, out: RasterSink, pixels: number, B: number): void {
  for (let b0 = 0; b0 < B; b0 += GROUP) {
    const b1 = Math.min(B, b0 + GROUP);
    for (let p = 0; p < pixels; p++) {
      for (let b = b0, k = b0 * pixels + p, o = p * B + b0; b < b1; b++, k += pixels) out[o++] = src[k];
    }
  }
}
