/**
 * Hand-assembled MAT bytes for tests: lets a test build exactly the damaged or unusual file it needs
 * (absurd dimensions, char and cell arrays, v4 and v7.3 headers) without going through the writer.
 * Little-endian throughout.
 */
import { deflateSync } from 'node:zlib';

/** Rounds up to a multiple of 8; arithmetic, not `& ~7`, which breaks above 2^31. */
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** A 128-byte v5 header; `version` and `indicator` can be bent for error tests. */
export function v5Header(text = 'MATLAB 5.0 MAT-file, test', version = 0x0100, indicator = 'IM'): Buffer {
  const h = Buffer.alloc(128, 0x20);
  h.write(text, 0, 'latin1');
  h.fill(0, 116, 124);
  h.writeUInt16LE(version, 124);
  h.write(indicator, 126, 'latin1');
  return h;
}

/** A data element: tag + data + padding to 8 bytes. */
export function element(type: number, data: Buffer, nbytes = data.length): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(nbytes, 4);
  return Buffer.concat([tag, data, Buffer.alloc(pad8(data.length) - data.length)]);
}

export interface RawMatrix {
  /** mxCLASS code (6 double, 4 char, 1 cell…). */
  readonly classCode: number;
  readonly flags?: number;
  /** Second word of the array flags: nzmax for sparse arrays, 0 otherwise. */
  readonly nzmax?: number;
  readonly dims: readonly number[];
  readonly name: string;
  /** Sub-elements after the name (real part, cell contents…), already encoded. */
  readonly body: readonly Buffer[];
}

/** An miMATRIX element from its parts. */
export function matrix(m: RawMatrix): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(m.classCode | (m.flags ?? 0), 0);
  flags.writeUInt32LE(m.nzmax ?? 0, 4);
  const dims = Buffer.alloc(4 * m.dims.length);
  m.dims.forEach((d, i) => dims.writeInt32LE(d, 4 * i));
  const payload = Buffer.concat([
    element(6, flags), element(5, dims), element(1, Buffer.from(m.name, 'latin1')), ...m.body,
  ]);
  return element(14, payload);
}

/** Wraps an element in miCOMPRESSED (no padding, as MATLAB writes it). */
export function compressed(el: Buffer): Buffer {
  const z = deflateSync(el);
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(15, 0);
  tag.writeUInt32LE(z.length, 4);
  return Buffer.concat([tag, z]);
}

/** A double matrix element with the given values (column-major). */
export function doubleMatrix(name: string, dims: readonly number[], values: readonly number[]): Buffer {
  return matrix({ classCode: 6, dims, name, body: [element(9, Buffer.from(new Float64Array(values).buffer))] });
}

/** A char row vector stored as UTF-16 code units (miUINT16), as MATLAB does. */
export function charMatrix(name: string, text: string): Buffer {
  return matrix({ classCode: 4, dims: [1, text.length], name, body: [element(4, Buffer.from(text, 'utf16le'))] });
}

/** A 1×1 cell holding one double scalar. */
export function cellMatrix(name: string, value: number): Buffer {
  return matrix({ classCode: 1, dims: [1, 1], name, body: [doubleMatrix('', [1, 1], [value])] });
}

/** A MAT v4 file with one double matrix: header (type, rows, cols, imag, namelen), name, data. */
export function v4File(name: string, rows: number, cols: number, values: readonly number[]): Buffer {
  const h = Buffer.alloc(20);
  h.writeInt32LE(0, 0); // MOPT 0000: little-endian, double, full numeric matrix
  h.writeInt32LE(rows, 4);
  h.writeInt32LE(cols, 8);
  h.writeInt32LE(0, 12);
  h.writeInt32LE(name.length + 1, 16);
  return Buffer.concat([h, Buffer.from(`${name}\0`, 'latin1'), Buffer.from(new Float64Array(values).buffer)]);
}

/** A struct array (dims, default 1×1) with the given fields; each value is an unnamed matrix element. */
export function structMatrix(name: string, fields: Record<string, Buffer>, dims: readonly number[] = [1, 1]): Buffer {
  const names = Object.keys(fields);
  const fieldNameLength = Buffer.alloc(8);
  fieldNameLength.writeUInt32LE((4 << 16) | 5, 0); // small element: 4 bytes of miINT32
  fieldNameLength.writeInt32LE(32, 4);
  const table = Buffer.alloc(32 * names.length);
  names.forEach((n, i) => table.write(n, 32 * i, 'latin1'));
  return matrix({ classCode: 2, dims, name, body: [fieldNameLength, element(1, table), ...Object.values(fields)] });
}

/** A sparse double matrix from (row, col, value) triplets sorted by column (zero-based). */
export function sparseMatrix(name: string, rows: number, cols: number, entries: readonly [number, number, number][]): Buffer {
  const ir = Buffer.alloc(4 * entries.length);
  const jc = Buffer.alloc(4 * (cols + 1));
  const pr = Buffer.alloc(8 * entries.length);
  entries.forEach(([r, , v], i) => {
    ir.writeInt32LE(r, 4 * i);
    pr.writeDoubleLE(v, 8 * i);
  });
  for (let c = 0; c <= cols; c++) jc.writeInt32LE(entries.filter(([, cc]) => cc < c).length, 4 * c);
  return matrix({ classCode: 5, dims: [rows, cols], name, nzmax: entries.length, body: [element(5, ir), element(5, jc), element(9, pr)] });
}

/** A complex double matrix: real and imaginary parts, column-major. */
export function complexMatrix(name: string, dims: readonly number[], re: readonly number[], im: readonly number[]): Buffer {
  const part = (v: readonly number[]) => element(9, Buffer.from(new Float64Array(v).buffer));
  return matrix({ classCode: 6, flags: 0x0800, dims, name, body: [part(re), part(im)] });
}

/** A logical matrix (uint8 storage with the logical flag). */
export function logicalMatrix(name: string, dims: readonly number[], values: readonly number[]): Buffer {
  return matrix({ classCode: 9, flags: 0x0200, dims, name, body: [element(2, Buffer.from(values))] });
}

/**
 * A MATLAB object (mxOPAQUE_CLASS, e.g. a `string`): array flags, name, "MCOS", the class name and a
 * uint32 reference into the subsystem data. It has no dimensions sub-element.
 */
export function opaqueMatrix(name: string, className = 'string'): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(17, 0);
  const ref = matrix({ classCode: 13, dims: [6, 1], name: '', body: [element(6, Buffer.from(new Uint32Array([0xdd000000, 2, 1, 1, 1, 1]).buffer))] });
  const payload = Buffer.concat([
    element(6, flags), element(1, Buffer.from(name, 'latin1')), element(1, Buffer.from('MCOS', 'latin1')),
    element(1, Buffer.from(className, 'latin1')), ref,
  ]);
  return element(14, payload);
}
