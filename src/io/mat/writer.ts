/**
 * MAT v5/v7 writer for numeric arrays (what MATLAB's `save -v7` and scipy.io.savemat produce), written
 * atomically. Data are column-major, as MATLAB and the reader use them.
 */
import { deflateSync } from 'node:zlib';
import { ConfigError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../util/atomicWrite.ts';
import { OutputFile } from '../../util/outputFile.ts';
import { FLAG_LOGICAL, MI, WRITE_CODES, type MatNumericClass, type MatTypedArray } from './types.ts';

export interface MatWriteVariable {
  /** MATLAB variable name: a letter, then letters, digits or '_', at most 63 characters. */
  readonly name: string;
  /** Values in column-major order; the array type picks the class (Float32Array → single…). */
  readonly data: MatTypedArray;
  /** MATLAB dimensions; their product must equal data.length. One dimension n is written as n×1. */
  readonly dims: readonly number[];
  /** Write a Uint8Array as a MATLAB logical array. Default false. */
  readonly logical?: boolean;
}

export interface MatWriteOptions {
  /** zlib-compress each variable (miCOMPRESSED, as MATLAB's default -v7 does). Default true. */
  readonly compress?: boolean;
  /** Byte order of the file. Default 'little' (what every current MATLAB platform writes). */
  readonly byteOrder?: 'little' | 'big';
}

export interface MatWriteResult {
  readonly path: string;
  readonly bytes: number;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
/** Rounds up to a multiple of 8; arithmetic, not `& ~7`, which breaks above 2^31. */
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** Writes `variables` to a MAT v5 file at `path` (temporary name, then rename). */
export function writeMatV5(path: string, variables: readonly MatWriteVariable[], opts: MatWriteOptions = {}): MatWriteResult {
  const { compress = true, byteOrder = 'little' } = opts;
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new ConfigError('byteOrder', "'little' or 'big'", byteOrder);
  const le = byteOrder === 'little';
  const seen = new Set<string>();
  const parts: Buffer[] = [header(le)];
  for (const v of variables) {
    if (seen.has(v.name)) throw new ConfigError('variables', 'unique variable names', v.name, `rename the second '${v.name}'`);
    seen.add(v.name);
    const element = matrixElement(v, le);
    if (!compress) {
      parts.push(element);
      continue;
    }
    const packed = deflateSync(element);
    const tag = Buffer.alloc(8);
    writeU32(tag, 0, MI.COMPRESSED, le);
    writeU32(tag, 4, packed.length, le);
    parts.push(tag, packed); // compressed elements are not padded
  }
  const file = Buffer.concat(parts);
  writeFileAtomic(path, file);
  return { path, bytes: file.length };
}

function header(le: boolean): Buffer {
  const h = Buffer.alloc(128, 0x20);
  const text = `MATLAB 5.0 MAT-file, Platform: nodejs-${process.platform}, Created on: ${new Date().toUTCString()} by spinalnet`;
  h.write(text.slice(0, 116), 0, 'latin1');
  h.fill(0, 116, 124); // no subsystem data
  if (le) h.writeUInt16LE(0x0100, 124);
  else h.writeUInt16BE(0x0100, 124);
  h.write(le ? 'IM' : 'MI', 126, 'latin1');
  return h;
}

/** One uncompressed miMATRIX element: flags, dimensions, name, real part. */
function matrixElement(v: MatWriteVariable, le: boolean): Buffer {
  const { head, dataBytes } = matrixHead(v, le);
  const b = Buffer.alloc(head.length + pad8(dataBytes));
  head.copy(b);
  const o = head.length;
  const raw = Buffer.from(v.data.buffer, v.data.byteOffset, dataBytes);
  raw.copy(b, o);
  if (le !== HOST_LE) swapBytes(b.subarray(o, o + dataBytes), v.data.BYTES_PER_ELEMENT);
  return b;
}

/** An element's bytes up to its data: the miMATRIX tag, flags, dimensions, name and the data's tag. */
function matrixHead(v: MatWriteVariable, le: boolean, length = v.data.length): { head: Buffer; dataBytes: number } {
  const cls = classOf(v);
  const dims = checkDims(v, length);
  const codes = WRITE_CODES[cls];
  const dataBytes = length * v.data.BYTES_PER_ELEMENT;
  const nameBytes = Buffer.from(v.name, 'latin1');
  const nameLen = nameBytes.length <= 4 ? 8 : 8 + pad8(nameBytes.length);
  const payload = 16 + 8 + pad8(4 * dims.length) + nameLen + 8 + pad8(dataBytes);
  if (payload + 8 > 0xffffffff) {
    throw new ConfigError(`variables['${v.name}']`, 'at most 4 GiB of data per variable (a MAT v5 limit)', `${dataBytes} bytes`,
      'split the array into several variables');
  }
  const b = Buffer.alloc(8 + payload - pad8(dataBytes));
  let o = 0;
  o = tag(b, o, MI.MATRIX, payload, le);
  o = tag(b, o, MI.UINT32, 8, le);
  writeU32(b, o, codes.mx | (cls === 'logical' ? FLAG_LOGICAL : 0), le);
  o += 8; // second flags word (nzmax) stays 0
  o = tag(b, o, MI.INT32, 4 * dims.length, le);
  for (const d of dims) {
    if (le) b.writeInt32LE(d, o);
    else b.writeInt32BE(d, o);
    o += 4;
  }
  o = pad8(o);
  if (nameBytes.length <= 4) {
    // Small data element: byte count in the upper half of the first word, data in the second.
    writeU32(b, o, (nameBytes.length << 16) | MI.INT8, le);
    nameBytes.copy(b, o + 4);
    o += 8;
  } else {
    o = tag(b, o, MI.INT8, nameBytes.length, le);
    nameBytes.copy(b, o);
    o += pad8(nameBytes.length);
  }
  o = tag(b, o, codes.mi, dataBytes, le);
  if (o !== b.length) throw new Error('MAT element head miscounted'); // a bug here
  return { head: b, dataBytes };
}

function swapBytes(slice: Buffer, size: number): void {
  if (size === 2) slice.swap16();
  else if (size === 4) slice.swap32();
  else if (size === 8) slice.swap64();
}

/** A MAT file of one uncompressed variable whose values arrive in pieces (openMatV5Variable). */
export interface MatVariableWriter<T extends MatTypedArray> {
  /** Writes `values` at element `index` of the variable (column-major), anywhere, in any order. */
  writeAt(index: number, values: T): void;
  /** Renames the finished file into place. */
  finish(): MatWriteResult;
  /** Removes the unfinished file. */
  abort(): void;
  /** The constructor of the variable's array type (for buffers to write). */
  kind(): new (length: number) => T;
}

/**
 * A MAT v5 file holding one uncompressed variable whose values are written by position as they are
 * produced (a map's bands: each is a run of rows, i.e. one segment per column in MATLAB's column-major
 * order). Uncompressed, because a zlib stream cannot be written out of order; MATLAB, scipy and the
 * reader here read either. Little-endian. `kind` is an empty array of the variable's class.
 */
export function openMatV5Variable<T extends MatTypedArray>(path: string, name: string, dims: readonly number[], kind: T): MatVariableWriter<T> {
  const length = dims.reduce((a, b) => a * b, 1);
  const { head, dataBytes } = matrixHead({ name, data: kind, dims }, true, length);
  const file = new OutputFile(path);
  const dataAt = 128 + head.length;
  const size = kind.BYTES_PER_ELEMENT;
  try {
    file.append(header(true));
    file.append(head);
    // The data's padding to 8 bytes: written now so the file has its full length whatever order the values come in.
    const end = dataAt + pad8(dataBytes);
    if (end > dataAt + dataBytes) file.writeAt(new Uint8Array(end - dataAt - dataBytes), dataAt + dataBytes);
    else if (dataBytes > 0) file.writeAt(new Uint8Array(size), dataAt + dataBytes - size);
  } catch (err) {
    file.abort();
    throw err;
  }
  return {
    writeAt(index, values) {
      if (index < 0 || index + values.length > length) throw new Error(`MAT values ${index}…${index + values.length} past ${length}`); // a bug in the caller
      file.writeAt(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataAt + index * size);
    },
    finish() {
      file.finish();
      return { path, bytes: dataAt + pad8(dataBytes) };
    },
    abort: () => file.abort(),
    kind: () => kind.constructor as new (length: number) => T,
  };
}

function classOf(v: MatWriteVariable): MatNumericClass {
  if (typeof v.name !== 'string' || !NAME_RE.test(v.name)) {
    throw new ConfigError('variable name', 'a letter, then letters, digits or _, at most 63 characters', v.name);
  }
  const d = v.data;
  if (v.logical === true) {
    if (!(d instanceof Uint8Array)) {
      throw new ConfigError(`variables['${v.name}'].data`, 'a Uint8Array for a logical variable', d?.constructor?.name);
    }
    return 'logical';
  }
  if (d instanceof Float64Array) return 'double';
  if (d instanceof Float32Array) return 'single';
  if (d instanceof Int8Array) return 'int8';
  if (d instanceof Uint8Array) return 'uint8';
  if (d instanceof Int16Array) return 'int16';
  if (d instanceof Uint16Array) return 'uint16';
  if (d instanceof Int32Array) return 'int32';
  if (d instanceof Uint32Array) return 'uint32';
  if (d instanceof BigInt64Array) return 'int64';
  if (d instanceof BigUint64Array) return 'uint64';
  // Reached only from untyped callers (plain JS, a Uint8ClampedArray…).
  throw new ConfigError(`variables['${v.name}'].data`, 'a numeric typed array (Float64Array, Uint8Array…)',
    (d as object | undefined)?.constructor?.name ?? String(d));
}

function checkDims(v: MatWriteVariable, length = v.data.length): number[] {
  const dims = v.dims.length === 1 ? [v.dims[0], 1] : [...v.dims];
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0x7fffffff) {
      throw new ConfigError(`variables['${v.name}'].dims`, 'non-negative integers', v.dims);
    }
    count *= d;
  }
  if (dims.length === 0 || count !== length) {
    throw new ConfigError(`variables['${v.name}'].dims`, `dimensions whose product is data.length (${length})`, v.dims);
  }
  return dims;
}

function tag(b: Buffer, o: number, type: number, nbytes: number, le: boolean): number {
  writeU32(b, o, type, le);
  writeU32(b, o + 4, nbytes, le);
  return o + 8;
}

function writeU32(b: Buffer, o: number, value: number, le: boolean): void {
  if (le) b.writeUInt32LE(value >>> 0, o);
  else b.writeUInt32BE(value >>> 0, o);
}
