/**
 * MATLAB's column-major arrays → the row-major layouts the pipeline uses (src/core/types.ts).
 *
 * Hand-written rather than done with a general library (ml-matrix has no 3-D transpose and would go
 * through nested arrays): this is the hot path of loading a scene. The pixel loop below (columns outer,
 * rows inner, bands innermost) beat a band-outer loop and band tiles staged through a scratch
 * (docs/performance.md#reading-files). Why it wins: consecutive rows read neighbouring values of each band plane, so the 176 source cache
 * lines of one pixel serve the next 31 pixels too, and each pixel's bands are written as one
 * contiguous run.
 */
import type { MatTypedArray } from './types.ts';

/** A typed array read as numbers (not BigInt). */
type NumberArray = Exclude<MatTypedArray, BigInt64Array | BigUint64Array>;

/**
 * Converts a column-major height×width×bands array (element (r, c, b) at r + c*H + b*H*W) of any
 * numeric type into a band-interleaved-by-pixel Float32Array (element at (r*W + c)*B + b), in one
 * pass. int64/uint64 values go through Number (exact up to 2^53, then rounded to float32 anyway).
 */
export function columnMajorToBIP(src: MatTypedArray, height: number, width: number, bands: number): Float32Array {
  const hw = height * width;
  if (src.length !== hw * bands) {
    throw new RangeError(`columnMajorToBIP: ${src.length} values for ${height}×${width}×${bands}`);
  }
  const out = new Float32Array(hw * bands);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    transpose(Float64Array.from(src, Number), out, height, width, bands);
  } else {
    transpose(src, out, height, width, bands);
  }
  return out;
}

function transpose(src: NumberArray, out: Float32Array, height: number, width: number, bands: number): void {
  transposeRows(src, out, height, width, bands, 0, height);
}

/**
 * Rows [row0, row0 + rows) of a column-major height×width×bands array into BIP `out` (rows×width×bands),
 * Float32 (cubes) or Float64 (labels, exact for every int32), same loop order as above.
 */
export function columnMajorRowsToBIP(
  src: MatTypedArray, height: number, width: number, bands: number, row0: number, rows: number, out: Float32Array | Float64Array,
): void {
  if (src.length !== height * width * bands || out.length !== rows * width * bands || row0 < 0 || row0 + rows > height) {
    throw new RangeError(`columnMajorRowsToBIP: rows ${row0}+${rows} of ${height}×${width}×${bands} (${src.length} values) into ${out.length}`);
  }
  const values: NumberArray = src instanceof BigInt64Array || src instanceof BigUint64Array ? Float64Array.from(src, Number) : src;
  transposeRows(values, out, height, width, bands, row0, rows);
}

function transposeRows(
  src: NumberArray, out: Float32Array | Float64Array, height: number, width: number, bands: number, row0: number, rows: number,
): void {
  const hw = height * width;
  for (let c = 0; c < width; c++) {
    for (let r = 0; r < rows; r++) {
      let o = (r * width + c) * bands;
      for (let b = 0, k = row0 + r + c * height; b < bands; b++, k += hw) out[o++] = src[k];
    }
  }
}

/** Where a label map breaks a rule, for the error message (0-based row and column). */
export interface LabelProblem {
  readonly kind: 'not-integer' | 'negative' | 'too-large';
  readonly row: number;
  readonly col: number;
  readonly value: number;
}

export interface LabelConversion {
  /** Row-major labels (element (r, c) at r*W + c); undefined when `problem` is set. */
  readonly data?: Int32Array;
  /** The first pixel, in row-major order, whose value is not a non-negative int32. */
  readonly problem?: LabelProblem;
}

/**
 * Converts a column-major height×width array of any numeric type into row-major Int32 labels,
 * checking that every value is an integer in [0, 2^31). Float classes are accepted when integral.
 */
export function columnMajorToLabels(src: MatTypedArray, height: number, width: number): LabelConversion {
  if (src.length !== height * width) throw new RangeError(`columnMajorToLabels: ${src.length} values for ${height}×${width}`);
  const values: NumberArray = src instanceof BigInt64Array || src instanceof BigUint64Array ? Float64Array.from(src, Number) : src;
  const out = new Int32Array(height * width);
  let bad = -1;
  for (let c = 0, k = 0; c < width; c++) {
    for (let r = 0; r < height; r++, k++) {
      const v = values[k];
      // `v | 0` equals v exactly for integers in int32 range; NaN, fractions and big values fail.
      if ((v | 0) !== v || v < 0) {
        const p = r * width + c;
        if (bad < 0 || p < bad) bad = p;
        continue;
      }
      out[r * width + c] = v;
    }
  }
  if (bad < 0) return { data: out };
  const row = Math.floor(bad / width), col = bad % width;
  const value = values[row + col * height];
  const kind = v2kind(value);
  return { problem: { kind, row, col, value } };
}

function v2kind(v: number): LabelProblem['kind'] {
  if (!Number.isInteger(v)) return 'not-integer';
  return v < 0 ? 'negative' : 'too-large';
}
