/**
 * IDX files, the format of MNIST and its family (Fashion-MNIST, KMNIST, QMNIST, EMNIST), plain or
 * gzip-compressed (recognised by the gzip magic bytes, whatever the file is called).
 *
 * Layout (yann.lecun.com/exdb/mnist): bytes 0–1 are zero, byte 2 the element type (0x08 unsigned byte,
 * 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), byte 3 the number of
 * dimensions; then each dimension as a big-endian uint32; then the elements, big-endian, row-major.
 * A file must hold exactly the bytes its header announces: fewer is a truncated download, more is not an
 * IDX file of that shape, and both are refused with the numbers.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputFileError } from '../core/errors.ts';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** Element type byte from the header (0x08 … 0x0E). */
  readonly type: number;
  readonly dims: readonly number[];
  /** Row-major elements, converted to the platform's byte order. */
  readonly data: IdxData;
}

interface TypeInfo {
  readonly name: string;
  readonly bytes: number;
  read(view: DataView, offset: number, n: number): IdxData;
}

const TYPES: Readonly<Record<number, TypeInfo>> = {
  0x08: { name: 'unsigned byte', bytes: 1, read: (v, o, n) => new Uint8Array(v.buffer, v.byteOffset + o, n).slice() },
  0x09: { name: 'signed byte', bytes: 1, read: (v, o, n) => new Int8Array(v.buffer, v.byteOffset + o, n).slice() },
  0x0b: { name: 'int16', bytes: 2, read: (v, o, n) => Int16Array.from({ length: n }, (_, i) => v.getInt16(o + 2 * i)) },
  0x0c: { name: 'int32', bytes: 4, read: (v, o, n) => Int32Array.from({ length: n }, (_, i) => v.getInt32(o + 4 * i)) },
  0x0d: { name: 'float32', bytes: 4, read: (v, o, n) => Float32Array.from({ length: n }, (_, i) => v.getFloat32(o + 4 * i)) },
  0x0e: { name: 'float64', bytes: 8, read: (v, o, n) => Float64Array.from({ length: n }, (_, i) => v.getFloat64(o + 8 * i)) },
};

const REFETCH = 'download the file again (docs/images.md lists where each dataset comes from) and place it unchanged in the data folder';

/** The file's bytes, decompressed when they start with the gzip magic 1F 8B. */
export function readMaybeGzip(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new InputFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'check the path and the file permissions');
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (err) {
      throw new InputFileError(path, `gzip data is damaged or cut short (${(err as Error).message})`, REFETCH);
    }
  }
  return raw;
}

/** Parses IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputFileError(source, `not an IDX file: it starts with bytes ${head || '(none)'}, an IDX file starts with 00 00 <type> <dimensions>`, 'pass the IDX file itself (e.g. train-images-idx3-ubyte or its .gz), not another format');
  }
  const type = TYPES[bytes[2]!];
  if (!type) {
    throw new InputFileError(source, `unknown IDX element type 0x${bytes[2]!.toString(16).padStart(2, '0')} (expected 08, 09, 0B, 0C, 0D or 0E)`, REFETCH);
  }
  const ndims = bytes[3]!;
  if (ndims < 1 || ndims > 4) throw new InputFileError(source, `IDX header announces ${ndims} dimensions; image and label files have 1 to 3`, REFETCH);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw new InputFileError(source, `truncated: the IDX header needs ${headerBytes} bytes, the file has ${bytes.length}`, REFETCH);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length < expected) {
    throw new InputFileError(source, `truncated: the header announces ${dims.join('×')} ${type.name} values (${expected} bytes), the file has ${bytes.length}`, REFETCH);
  }
  if (bytes.length > expected) {
    throw new InputFileError(source, `${bytes.length - expected} bytes more than the header's ${dims.join('×')} ${type.name} values: not a valid IDX file`, REFETCH);
  }
  return { type: bytes[2]!, dims, data: type.read(view, headerBytes, count) };
}

/** Reads and parses an IDX file (plain or gzip). */
export function readIdx(path: string): IdxArray {
  return parseIdx(readMaybeGzip(path), path);
}

export interface IdxImages {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** count × height × width bytes, row-major (transposed back when the file stores columns first). */
  readonly pixels: Uint8Array;
}

/**
 * An IDX image file: unsigned bytes, dimensions [count, rows, columns]. `transpose`: the file stores
 * each image column by column (EMNIST does), so it is turned back to row-major here, once.
 */
export function readIdxImages(path: string, opts: { transpose?: boolean } = {}): IdxImages {
  const idx = readIdx(path);
  if (idx.type !== 0x08 || idx.dims.length !== 3) {
    throw new InputFileError(path, `not an IDX image file: it holds ${idx.dims.join('×')} ${TYPES[idx.type]!.name} values, images are count×rows×columns unsigned bytes`, 'pass the images file (…-images-idx3-ubyte), not the labels file');
  }
  const [count, rows, cols] = idx.dims as [number, number, number];
  const data = idx.data as Uint8Array;
  if (!opts.transpose) return { count, height: rows, width: cols, pixels: data };
  // Stored: value at (image, r, c) is the pixel at row c, column r of the real image.
  const pixels = new Uint8Array(data.length);
  const per = rows * cols;
  for (let i = 0; i < count; i++) {
    const base = i * per;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) pixels[base + c * rows + r] = data[base + r * cols + c]!;
  }
  return { count, height: cols, width: rows, pixels };
}

/**
 * An IDX label file: integers, dimensions [count] or, as QMNIST ships them, [count, columns] with the
 * class in column 0 (the other columns are writer ids and indices).
 */
export function readIdxLabels(path: string): Int32Array {
  const idx = readIdx(path);
  if (idx.type === 0x0d || idx.type === 0x0e || idx.dims.length > 2) {
    throw new InputFileError(path, `not an IDX label file: it holds ${idx.dims.join('×')} ${TYPES[idx.type]!.name} values, labels are one integer per image`, 'pass the labels file (…-labels-idx1-ubyte), not the images file');
  }
  const columns = idx.dims.length === 2 ? idx.dims[1]! : 1;
  const count = idx.dims[0]!;
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = idx.data[i * columns]!;
  return labels;
}

/** Encodes an IDX file (for tests and for users who convert their own data). */
export function encodeIdx(type: 0x08 | 0x0c, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const size = TYPES[type]!.bytes;
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new RangeError(`encodeIdx: ${values.length} values for dimensions ${dims.join('×')}`);
  const out = new Uint8Array(4 + 4 * dims.length + count * size);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const start = 4 + 4 * dims.length;
  for (let i = 0; i < count; i++) {
    if (type === 0x08) out[start + i] = values[i]!;
    else view.setInt32(start + 4 * i, values[i]!);
  }
  return out;
}
