/**
 * MAT v5/v7 reader on typed arrays.
 *
 * Why not mat-for-js: it builds nested JS arrays, many times slower and larger than the cube; this reader
 * inflates the variable once into one buffer and hands out a typed-array view of it
 * (numbers: docs/performance.md#reading-files).
 *
 * Listing reads only element tags, and for compressed elements inflates just the first few hundred
 * bytes (zlib with Z_SYNC_FLUSH accepts a cut-off stream), so listing a 60 MB file costs milliseconds.
 *
 * Hostile files: every length is checked against the bytes that exist before use, listing inflates at
 * most LAST_PEEK compressed bytes per variable, and a read that would exceed the memory bound
 * (MatReadOptions.maxBytes) is refused before anything is read or inflated. Whatever the bytes, the
 * result is the data or an InputFileError/MatFormatError naming the file (docs/bad-input.md; the
 * seeded fuzz test in test/fuzz checks it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants as zlibConstants, inflateSync } from 'node:zlib';
import { InputFileError, MatFormatError } from '../../core/errors.ts';
import { type ElementContext, NeedMoreBytes, parseMatrixHeader, readTag, type Tag } from './elements.ts';
import { HEADER_BYTES, type MatHeader, parseMatHeader } from './header.ts';
import { MAX_BUFFER_BYTES, checkMemory, defaultMemoryLimit } from '../../core/memory.ts';
import {
  MI, MI_NUMERIC, NUMERIC_CLASSES, allocTyped, viewTyped,
  type MatNumericArray, type MatNumericClass, type MatStoredArray, type MatTypedArray, type MatVariableInfo, type MiType,
} from './types.ts';

/** Where a listed variable sits in the file. */
interface IndexedVariable extends MatVariableInfo {
  /** Offset of the top-level element's tag. */
  readonly offset: number;
  /** Byte count of the top-level element's data (compressed bytes for miCOMPRESSED). */
  readonly nbytes: number;
  readonly compressed: boolean;
  /** For compressed elements: size of the inflated miMATRIX element, tag included. */
  readonly inflatedBytes: number;
}

/** A MAT file whose header and variable list have been read; data is read on demand. */
export interface MatFileIndex {
  readonly path: string;
  readonly header: MatHeader;
  readonly variables: readonly MatVariableInfo[];
  /** The memory bound reads from this index respect (MatReadOptions.maxBytes). */
  readonly maxBytes: number;
}

export interface MatReadOptions {
  /**
   * Most bytes one read may allocate: the variable's (inflated) data plus any copy made to convert or
   * byte-swap it. A larger variable is refused with a MatFormatError before anything is allocated.
   * Default `defaultMemoryLimit()`: 75% of the machine's memory (or of the container's limit).
   */
  readonly maxBytes?: number;
}

const entries = new WeakMap<MatFileIndex, readonly IndexedVariable[]>();
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Deflate never expands more than 1032:1; a larger claimed size is a corrupt tag. */
const MAX_DEFLATE_RATIO = 1032;
/**
 * Compressed bytes inflated to list a compressed variable: first FIRST_PEEK, then LAST_PEEK. A
 * MATLAB array header (flags, a few dimensions, a name of at most 63 characters) inflates from well
 * under 512 bytes; stopping at LAST_PEEK bounds what a hostile stream can make us inflate while
 * listing to LAST_PEEK × 1032 bytes (4 MiB).
 */
const FIRST_PEEK = 512;
const LAST_PEEK = 4096;
/** An array header (before its data) longer than this is corrupt; real ones take a few hundred bytes. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Opens a MAT v5 file, checks its header and lists its top-level variables. */
export function openMatFile(path: string, opts: MatReadOptions = {}): MatFileIndex {
  const maxBytes = opts.maxBytes ?? defaultMemoryLimit();
  return withFile(path, (fd, size) => {
    const head = readAt(fd, 0, Math.min(size, 520));
    const header = parseMatHeader(path, head, size);
    const vars: IndexedVariable[] = [];
    let offset = HEADER_BYTES;
    while (offset < size) {
      const tagBytes = readAt(fd, offset, Math.min(8, size - offset));
      // A few trailing zero bytes are padding some writers leave; anything else short is a cut-off file.
      if (tagBytes.length < 8 && tagBytes.every((b) => b === 0)) break;
      const tag = readTag(tagBytes, 0, tagBytes.length, size - offset, header.littleEndian, { file: path, base: offset });
      const element = { offset, nbytes: tag.nbytes };
      offset += tag.next;
      if (element.offset === header.subsystemOffset) continue; // MATLAB-object support data, not a variable
      if (tag.type === MI.MATRIX) vars.push(indexPlain(fd, path, header.littleEndian, element));
      else if (tag.type === MI.COMPRESSED) {
        const v = indexCompressed(fd, path, header.littleEndian, element);
        if (v !== undefined) vars.push(v);
      }
    }
    const index: MatFileIndex = { path, header, variables: vars.map(publicInfo), maxBytes };
    entries.set(index, vars);
    return index;
  });
}

/** Lists the top-level variables of a MAT file: name, class, dimensions, complex flag. */
export function listMatVariables(path: string): MatVariableInfo[] {
  return [...openMatFile(path).variables];
}

/**
 * Bytes a variable occupies once read: its inflated size for a compressed element, else its size in
 * the file (header and padding included). Known from the listing, before anything is read.
 */
export function storedBytes(index: MatFileIndex, name: string): number {
  const v = findVariable(index, name);
  return v.compressed ? v.inflatedBytes : v.nbytes;
}

/** Where a listed variable's element lies in the file, for readers that stream it (matSource.ts). */
export interface VariableExtent {
  /** File offset of the element's payload (after its 8-byte tag). */
  readonly payload: number;
  /** Payload bytes in the file (compressed bytes for a compressed element). */
  readonly nbytes: number;
  readonly compressed: boolean;
  /** For a compressed element: the inflated miMATRIX element's size, its own tag included. */
  readonly inflatedBytes: number;
  readonly littleEndian: boolean;
}

export function variableExtent(index: MatFileIndex, name: string): VariableExtent {
  const v = findVariable(index, name);
  return { payload: v.offset + 8, nbytes: v.nbytes, compressed: v.compressed, inflatedBytes: v.inflatedBytes, littleEndian: index.header.littleEndian };
}

/**
 * Reads the real part of a numeric or logical variable as a typed array of its class, column-major.
 * A double variable stored in a smaller type (MATLAB does this) is converted to Float64Array.
 */
export function readMatNumeric(file: string | MatFileIndex, name: string): MatNumericArray {
  const index = typeof file === 'string' ? openMatFile(file) : file;
  const stored = readMatStored(index, name);
  const target: MatNumericClass = stored.class;
  if (sameType(target, stored.storedType)) return stripStored(stored, stored.data);
  checkMemory({
    file: index.path, variable: name, limit: index.maxBytes,
    bytes: storedBytes(index, name) + stored.data.length * BYTES_PER_CLASS[target],
    what: `to read its ${stored.dims.join('×')} data and convert it from ${stored.storedType} to ${target}`,
  });
  const out = allocTyped(target, stored.data.length);
  convertInto(out, stored.data);
  return stripStored(stored, out);
}

/**
 * Reads a numeric or logical variable's real part in the type the file stores it in (values are the
 * same as the class's; see MatStoredArray). Saves a conversion copy for callers that convert anyway.
 */
export function readMatStored(file: string | MatFileIndex, name: string): MatStoredArray {
  const index = typeof file === 'string' ? openMatFile(file) : file;
  const v = findVariable(index, name);
  if (!NUMERIC_CLASSES.has(v.class)) {
    throw new MatFormatError(
      index.path, name, `is ${article(v.class)} ${v.class} array, not a numeric one`,
      `pass the name of a numeric variable; this file holds ${describeVariables(index.variables)}`,
    );
  }
  const { buf, start, end, le, ctx } = loadElement(index, v);
  const h = parseMatrixHeader(buf, start, end, end, le, ctx, true);
  const real = h.real as Tag; // present for numeric classes (parseMatrixHeader checks it)
  const stored = MI_NUMERIC.get(real.type) as { type: MiType; size: number };
  const data = typedFromBytes(buf, real, stored.type, stored.size, h.count, le, () =>
    checkMemory({
      file: index.path, variable: name, limit: index.maxBytes, bytes: buf.length + real.nbytes,
      what: `to read its ${h.dims.join('×')} data (a copy, as the data are byte-swapped or unaligned)`,
    }),
  );
  return { name: v.name, class: v.class as MatNumericClass, dims: h.dims, complex: h.complex, data, storedType: stored.type };
}

/** Reads a char variable as its rows (a 1×n char array gives one string). */
export function readMatChar(file: string | MatFileIndex, name: string): string[] {
  const index = typeof file === 'string' ? openMatFile(file) : file;
  const v = findVariable(index, name);
  if (v.class !== 'char') {
    throw new MatFormatError(index.path, name, `is ${article(v.class)} ${v.class} array, not char`, 'pass the name of a char variable');
  }
  const { buf, start, end, le, ctx } = loadElement(index, v);
  const h = parseMatrixHeader(buf, start, end, end, le, ctx, true);
  const real = h.real as Tag;
  const bytes = buf.subarray(real.dataOffset, real.dataOffset + real.nbytes);
  let units: string;
  if (real.type === MI.UTF8) units = bytes.toString('utf8');
  else if (real.type === MI.UINT8 || real.type === MI.INT8) units = bytes.toString('latin1');
  else if (real.type === MI.UINT16 || real.type === MI.UTF16) {
    if (bytes.length % 2 !== 0) {
      throw new MatFormatError(
        index.path, name, `corrupt MAT data: its UTF-16 text has an odd byte count (${bytes.length})`, 'the file is damaged; re-save it',
      );
    }
    const copy = Buffer.from(bytes);
    if (!le) copy.swap16();
    units = copy.toString('utf16le');
  } else throw new MatFormatError(index.path, name, `char data stored as element type ${real.type}`, 're-save the file');
  const rows = h.dims[0], cols = h.count / Math.max(rows, 1);
  const chars = [...units];
  if (chars.length !== h.count) return [units]; // multi-byte UTF-8 text: keep it whole
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    let s = '';
    for (let c = 0; c < cols; c++) s += chars[r + c * rows];
    out.push(s);
  }
  return out;
}

/** "a (double 3×4), b (uint8 2×2)" for messages. */
export function describeVariables(vars: readonly MatVariableInfo[]): string {
  if (vars.length === 0) return 'no variables';
  return vars.map((v) => `'${v.name}' (${v.complex ? 'complex ' : ''}${v.class}${v.dims.length > 0 ? ` ${v.dims.join('×')}` : ''})`).join(', ');
}

function findVariable(index: MatFileIndex, name: string): IndexedVariable {
  const v = (entries.get(index) ?? []).find((e) => e.name === name);
  if (v === undefined) {
    throw new MatFormatError(
      index.path, name, `no such variable; the file holds ${describeVariables(index.variables)}`,
      'pass one of the names listed (MATLAB names are case-sensitive)',
    );
  }
  return v;
}

function publicInfo(v: IndexedVariable): MatVariableInfo {
  return { name: v.name, class: v.class, dims: v.dims, complex: v.complex };
}

function indexPlain(fd: number, file: string, le: boolean, el: { offset: number; nbytes: number }): IndexedVariable {
  // The header of an miMATRIX is small; read more only if the name or dimensions are unusually long.
  for (let want = Math.min(el.nbytes, 1024); ; want = Math.min(el.nbytes, MAX_HEADER_BYTES, want * 4)) {
    const buf = readAt(fd, el.offset + 8, want);
    try {
      const h = parseMatrixHeader(buf, 0, buf.length, el.nbytes, le, { file, base: el.offset + 8 }, false);
      return { name: h.name, class: h.class, dims: h.dims, complex: h.complex, ...el, compressed: false, inflatedBytes: 0 };
    } catch (e) {
      if (!(e instanceof NeedMoreBytes)) throw e;
      // Reading all of el.nbytes never asks for more; stopping short of it at the cap does.
      if (want === el.nbytes || want >= MAX_HEADER_BYTES) throw headerTooLong(file, el.offset, MAX_HEADER_BYTES, 'bytes');
    }
  }
}

function headerTooLong(file: string, offset: number, limit: number, what: string): MatFormatError {
  return new MatFormatError(
    file, undefined,
    `corrupt MAT data: the array header of the element at byte ${offset} does not end within its first ${limit} ${what} ` +
      '(a real one — flags, dimensions, a name of at most 63 characters — takes a few hundred bytes)',
    'the file is damaged or not written by a MAT v5 writer; re-save it',
  );
}

function indexCompressed(
  fd: number, file: string, le: boolean, el: { offset: number; nbytes: number },
): IndexedVariable | undefined {
  for (let want = Math.min(el.nbytes, FIRST_PEEK); ; want = Math.min(el.nbytes, LAST_PEEK)) {
    const out = inflate(readAt(fd, el.offset + 8, want), file, undefined, undefined);
    try {
      const inflated: ElementContext = { file, inflated: true };
      const inner = readTag(out, 0, out.length, Number.MAX_SAFE_INTEGER, le, inflated);
      if (inner.type !== MI.MATRIX) return undefined; // not an array: nothing to list
      const inflatedBytes = 8 + inner.nbytes;
      const h = parseMatrixHeader(out, 8, out.length, inflatedBytes, le, inflated, false);
      if (inflatedBytes > el.nbytes * MAX_DEFLATE_RATIO + 1024) {
        throw new MatFormatError(
          file, h.name, `corrupt MAT data: it claims ${inflatedBytes} bytes once inflated, impossible from ${el.nbytes} compressed bytes`,
          'the file is damaged; re-save or re-download it',
        );
      }
      return { name: h.name, class: h.class, dims: h.dims, complex: h.complex, ...el, compressed: true, inflatedBytes };
    } catch (e) {
      if (!(e instanceof NeedMoreBytes)) throw e;
      if (want === el.nbytes) {
        throw new MatFormatError(
          file, undefined, `truncated or corrupt: the compressed element at byte ${el.offset} ends inside its own header`,
          'the file is damaged; re-save or re-download it',
        );
      }
      if (want >= LAST_PEEK) throw headerTooLong(file, el.offset, LAST_PEEK, 'compressed bytes');
    }
  }
}

/** Reads (and inflates) a variable's miMATRIX payload into one buffer. */
function loadElement(index: MatFileIndex, v: IndexedVariable) {
  const le = index.header.littleEndian;
  const ctx: ElementContext = v.compressed
    ? { file: index.path, variable: v.name, inflated: true }
    : { file: index.path, variable: v.name, base: v.offset + 8 };
  // The size is known from the listing: refuse before reading or inflating anything.
  checkMemory({
    file: index.path, variable: v.name, limit: index.maxBytes, oneBuffer: true,
    bytes: v.compressed ? v.nbytes + v.inflatedBytes : v.nbytes,
    what: `to read its ${v.dims.join('×')} ${v.class} data${v.compressed ? ` (${v.nbytes} compressed bytes inflating to ${v.inflatedBytes})` : ''}`,
  });
  return withFile(index.path, (fd, size) => {
    if (v.offset + 8 + v.nbytes > size) {
      throw new MatFormatError(index.path, v.name, 'the file changed or shrank since it was listed', 'read it again');
    }
    const raw = readAt(fd, v.offset + 8, v.nbytes);
    if (!v.compressed) return { buf: raw, start: 0, end: raw.length, le, ctx };
    // Inflate straight into one buffer of the size the inner tag announced (checked when listing):
    // a chunk larger than the output makes zlib return that buffer instead of concatenating pieces.
    const buf = inflate(raw, index.path, v.name, v.inflatedBytes);
    if (buf.length < v.inflatedBytes) {
      throw new MatFormatError(
        index.path, v.name, `truncated or corrupt: its compressed data inflates to ${buf.length} bytes, the element says ${v.inflatedBytes}`,
        'the file is damaged; re-save or re-download it',
      );
    }
    return { buf, start: 8, end: v.inflatedBytes, le, ctx };
  });
}

/** Full inflation when `expected` is given, else as much as the (possibly cut) input allows. */
function inflate(data: Buffer, file: string, variable: string | undefined, expected: number | undefined): Buffer {
  // A little slack past the announced size: a stream that inflates to more than that is corrupt, and
  // maxOutputLength makes zlib stop there instead of inflating a bomb to the end. (Node's sync zlib
  // frees a failed inflater only on the next event-loop tick: code that reads many damaged files in
  // one synchronous loop should yield now and then, as test/fuzz/matFuzzCases.ts does.)
  const cap = expected === undefined ? 0 : Math.min(expected + 4096, MAX_BUFFER_BYTES);
  try {
    if (expected === undefined) return inflateSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return inflateSync(data, { chunkSize: Math.min(cap + 8, MAX_BUFFER_BYTES), maxOutputLength: cap });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new MatFormatError(
        file, variable, `corrupt MAT data: its compressed data inflates to more than the ${expected} bytes its element declares`,
        'the file is damaged; re-save or re-download it',
      );
    }
    throw new MatFormatError(
      file, variable, `compressed (zlib) data does not inflate: ${(e as Error).message}`,
      'the file is damaged or truncated; copy or download it again',
    );
  }
}

/**
 * A native-endian typed array over the data, copied only when misaligned or byte-swapped
 * (`beforeCopy` runs first, to check the copy fits in memory).
 */
function typedFromBytes(
  buf: Buffer, real: Tag, type: MiType, size: number, count: number, le: boolean, beforeCopy: () => void,
): MatTypedArray {
  const at = buf.byteOffset + real.dataOffset;
  if (le === HOST_LE && at % size === 0) return viewTyped(type, buf.buffer, at, count);
  beforeCopy();
  // A fresh typed array is aligned; copy the bytes into it and swap them in place.
  const out = allocTyped(type, count);
  const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  buf.copy(bytes, 0, real.dataOffset, real.dataOffset + real.nbytes);
  if (le !== HOST_LE) {
    if (size === 2) bytes.swap16();
    else if (size === 4) bytes.swap32();
    else if (size === 8) bytes.swap64();
  }
  return out;
}

export const BYTES_PER_CLASS: Readonly<Record<MatNumericClass, number>> = {
  double: 8, single: 4, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, logical: 1,
};

/** "an int8", "a uint8", "an opaque". */
export function article(word: string): string {
  return /^[aeio]/.test(word) ? 'an' : 'a';
}

function sameType(cls: MatNumericClass, stored: MiType): boolean {
  return cls === stored || (cls === 'logical' && stored === 'uint8');
}

function convertInto(out: MatTypedArray, src: MatTypedArray): void {
  const outBig = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const srcBig = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (outBig === srcBig) {
    // TypedArray.set converts between element types in native code (saturation rules aside, the
    // stored type always fits the class: MATLAB only narrows the storage when values fit).
    (out as Float64Array).set(src as Float64Array);
  } else if (outBig) {
    for (let i = 0; i < src.length; i++) (out as BigInt64Array)[i] = BigInt((src as Float64Array)[i]);
  } else {
    for (let i = 0; i < src.length; i++) (out as Float64Array)[i] = Number((src as BigInt64Array)[i]);
  }
}

function stripStored(s: MatStoredArray, data: MatTypedArray): MatNumericArray {
  return { name: s.name, class: s.class, dims: s.dims, complex: s.complex, data };
}

function withFile<T>(path: string, fn: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fileError(path, e as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(path, 'is a directory, not a MAT file', 'pass the path of a .mat file');
    return fn(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

function fileError(path: string, e: NodeJS.ErrnoException): InputFileError {
  if (e.code === 'ENOENT') return new InputFileError(path, 'does not exist', 'check the path (relative paths start from the current folder)');
  if (e.code === 'EACCES' || e.code === 'EPERM') return new InputFileError(path, 'cannot be read: permission denied', 'make the file readable');
  if (e.code === 'EISDIR') return new InputFileError(path, 'is a directory, not a MAT file', 'pass the path of a .mat file');
  return new InputFileError(path, `cannot be opened (${e.code ?? e.message})`, 'check the path and the file');
}

/** Reads exactly `length` bytes at `position` (less only at the end of the file). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    // readSync takes at most 2 GiB per call.
    const n = readSync(fd, buf, got, Math.min(length - got, 1 << 30), position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}
