/**
 * MAT v5 vocabulary: the element data types (miXXX), the array classes (mxXXX) and the public types
 * the reader and writer hand out. Codes are from MathWorks' "MAT-File Format" (R2019b), tables 1-1
 * and 1-3.
 */

/** A variable's MATLAB class, as `class(x)` would print it, plus the non-numeric kinds we only list. */
export type MatClass =
  | 'double' | 'single'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'logical' | 'char'
  | 'cell' | 'struct' | 'object' | 'sparse' | 'function' | 'opaque' | 'unknown';

/** The classes whose real part `readMatNumeric` returns. */
export type MatNumericClass =
  | 'double' | 'single'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'logical';

/**
 * Numeric data as it sits in memory. int64/uint64 come back as BigInt64Array/BigUint64Array so that
 * no value is rounded; callers wanting numbers convert with Number().
 */
export type MatTypedArray =
  | Float64Array | Float32Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** One top-level variable of a MAT file, as listed without reading its data. */
export interface MatVariableInfo {
  readonly name: string;
  readonly class: MatClass;
  /**
   * MATLAB dimensions, at least two (a column vector is [n, 1]); empty for MATLAB objects (class
   * 'opaque': string, table, datetime…), whose size the file keeps inside the object's own data.
   */
  readonly dims: readonly number[];
  readonly complex: boolean;
}

/** The real part of a numeric variable, in MATLAB's column-major order. */
export interface MatNumericArray {
  readonly name: string;
  readonly class: MatNumericClass;
  readonly dims: readonly number[];
  /** True when the variable is complex; `data` is then its real part only. */
  readonly complex: boolean;
  /**
   * Typed array of the variable's class: double → Float64Array, single → Float32Array, int16 →
   * Int16Array…, logical → Uint8Array (0/1), int64/uint64 → BigInt64Array/BigUint64Array. Element
   * (i, j, k) of an I×J×K array is data[i + j*I + k*I*J]. It may be a view into the larger inflated
   * buffer (byteOffset > 0): use data.length/byteOffset, not data.buffer alone.
   */
  readonly data: MatTypedArray;
}

/**
 * The real part as the file stores it. MATLAB often stores a double array in a smaller integer type
 * (SalinasA's double cube is stored as int16); `data` is that stored type, values unchanged. Readers
 * that convert anyway (the scene loader, to Float32) use this and skip a full-size conversion copy.
 */
export interface MatStoredArray extends MatNumericArray {
  readonly storedType: MiType;
}

/** Element data types (miXXX) that can carry array data. */
export type MiType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'single' | 'double' | 'int64' | 'uint64';

export const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

/** miXXX code → stored numeric type and its byte size; codes absent here carry no numeric data. */
export const MI_NUMERIC: ReadonlyMap<number, { readonly type: MiType; readonly size: number }> = new Map([
  [MI.INT8, { type: 'int8', size: 1 }],
  [MI.UINT8, { type: 'uint8', size: 1 }],
  [MI.INT16, { type: 'int16', size: 2 }],
  [MI.UINT16, { type: 'uint16', size: 2 }],
  [MI.INT32, { type: 'int32', size: 4 }],
  [MI.UINT32, { type: 'uint32', size: 4 }],
  [MI.SINGLE, { type: 'single', size: 4 }],
  [MI.DOUBLE, { type: 'double', size: 8 }],
  [MI.INT64, { type: 'int64', size: 8 }],
  [MI.UINT64, { type: 'uint64', size: 8 }],
]);

/** mxXXX class code → class name (logical is a flag on uint8, handled by the caller). */
export const MX_CLASS: ReadonlyMap<number, MatClass> = new Map<number, MatClass>([
  [1, 'cell'], [2, 'struct'], [3, 'object'], [4, 'char'], [5, 'sparse'],
  [6, 'double'], [7, 'single'], [8, 'int8'], [9, 'uint8'], [10, 'int16'], [11, 'uint16'],
  [12, 'int32'], [13, 'uint32'], [14, 'int64'], [15, 'uint64'], [16, 'function'], [17, 'opaque'],
]);

/** Class name → (mxXXX code, miXXX code used to store it) for the writer. */
export const WRITE_CODES: Readonly<Record<MatNumericClass, { readonly mx: number; readonly mi: number }>> = {
  double: { mx: 6, mi: MI.DOUBLE },
  single: { mx: 7, mi: MI.SINGLE },
  int8: { mx: 8, mi: MI.INT8 },
  uint8: { mx: 9, mi: MI.UINT8 },
  int16: { mx: 10, mi: MI.INT16 },
  uint16: { mx: 11, mi: MI.UINT16 },
  int32: { mx: 12, mi: MI.INT32 },
  uint32: { mx: 13, mi: MI.UINT32 },
  int64: { mx: 14, mi: MI.INT64 },
  uint64: { mx: 15, mi: MI.UINT64 },
  logical: { mx: 9, mi: MI.UINT8 },
};

/** Array-flags bits (second byte of the flags word). */
export const FLAG_COMPLEX = 0x0800;
export const FLAG_LOGICAL = 0x0200;

/** Classes with a numeric real part. */
export const NUMERIC_CLASSES: ReadonlySet<MatClass> = new Set<MatClass>([
  'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical',
]);

/** Builds an empty typed array of a stored or class type. */
export function allocTyped(type: MiType | MatNumericClass, length: number): MatTypedArray {
  switch (type) {
    case 'double': return new Float64Array(length);
    case 'single': return new Float32Array(length);
    case 'int8': return new Int8Array(length);
    case 'uint8': case 'logical': return new Uint8Array(length);
    case 'int16': return new Int16Array(length);
    case 'uint16': return new Uint16Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint32': return new Uint32Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'uint64': return new BigUint64Array(length);
  }
}

/** A typed-array view of `length` elements of `type` over `buffer` at `byteOffset` (must be aligned). */
export function viewTyped(type: MiType, buffer: ArrayBufferLike, byteOffset: number, length: number): MatTypedArray {
  switch (type) {
    case 'double': return new Float64Array(buffer, byteOffset, length);
    case 'single': return new Float32Array(buffer, byteOffset, length);
    case 'int8': return new Int8Array(buffer, byteOffset, length);
    case 'uint8': return new Uint8Array(buffer, byteOffset, length);
    case 'int16': return new Int16Array(buffer, byteOffset, length);
    case 'uint16': return new Uint16Array(buffer, byteOffset, length);
    case 'int32': return new Int32Array(buffer, byteOffset, length);
    case 'uint32': return new Uint32Array(buffer, byteOffset, length);
    case 'int64': return new BigInt64Array(buffer, byteOffset, length);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, length);
  }
}
