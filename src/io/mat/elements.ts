/**
 * Data elements of a MAT v5 file: the 8-byte tag (or the 4-byte "small data element" form), and the
 * sub-elements at the start of an miMATRIX element (array flags, dimensions, name, real-part tag).
 * Every length is checked against the bytes that exist before anything is read or allocated from it.
 */
import { MatFormatError } from '../../core/errors.ts';
import { FLAG_COMPLEX, FLAG_LOGICAL, MI, MI_NUMERIC, MX_CLASS, NUMERIC_CLASSES, type MatClass } from './types.ts';

/** Which file and variable an error is about. */
export interface ElementContext {
  readonly file: string;
  readonly variable?: string;
  /** File offset of the buffer's first byte, so messages give positions in the file. Default 0. */
  readonly base?: number;
  /** True when the buffer holds a compressed variable's inflated bytes (positions are then in those). */
  readonly inflated?: boolean;
}

/** "byte 1234" (in the file) or "byte 56 of the inflated variable", for messages. */
function bytePosition(ctx: ElementContext, offset: number): string {
  return ctx.inflated === true ? `byte ${offset} of the inflated variable` : `byte ${(ctx.base ?? 0) + offset}`;
}

export interface Tag {
  /** miXXX data type code. */
  readonly type: number;
  /** Byte count of the data, without padding. */
  readonly nbytes: number;
  /** Where the data starts in the buffer. */
  readonly dataOffset: number;
  /** Where the next element starts (after the 8-byte padding, or right after a small element). */
  readonly next: number;
}

/** Thrown by `readTag` when the tag lies beyond the bytes available so far (partial inflation). */
export class NeedMoreBytes extends Error {}

/** Rounds up to a multiple of 8; arithmetic, not `& ~7`, which breaks above 2^31. */
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * Reads the tag at `offset`. `available` is how many bytes of `buf` are valid; `end` is where the
 * enclosing element ends according to its own tag. A tag or data running past `end` is a corrupt
 * or truncated file; past `available` only (while still inside `end`) means "inflate more".
 * `padded` is false for miCOMPRESSED elements, which MATLAB writes back to back without padding.
 */
export function readTag(
  buf: Buffer, offset: number, available: number, end: number, le: boolean, ctx: ElementContext,
): Tag {
  if (offset + 8 > end) throw truncated(ctx, offset, 8, end);
  if (offset + 8 > available) throw new NeedMoreBytes();
  const first = le ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
  // Small data element: the upper half of the first word is the byte count (1-4), data in bytes 4-7.
  if (first >>> 16 !== 0) {
    const nbytes = first >>> 16;
    if (nbytes > 4) {
      throw new MatFormatError(
        ctx.file, ctx.variable, `corrupt small data element at ${bytePosition(ctx, offset)}: it claims ${nbytes} bytes, at most 4 fit`,
        'the file is damaged; re-save or re-download it',
      );
    }
    return { type: first & 0xffff, nbytes, dataOffset: offset + 4, next: offset + 8 };
  }
  const nbytes = le ? buf.readUInt32LE(offset + 4) : buf.readUInt32BE(offset + 4);
  const dataOffset = offset + 8;
  if (dataOffset + nbytes > end) throw truncated(ctx, dataOffset, nbytes, end);
  const next = first === MI.COMPRESSED ? dataOffset + nbytes : Math.min(dataOffset + pad8(nbytes), end);
  return { type: first, nbytes, dataOffset, next };
}

function truncated(ctx: ElementContext, offset: number, nbytes: number, end: number): MatFormatError {
  return new MatFormatError(
    ctx.file, ctx.variable,
    `truncated or corrupt: a data element at ${bytePosition(ctx, offset)} needs ${nbytes} bytes but only ${Math.max(0, end - offset)} remain`,
    'the file is incomplete or damaged; copy or download it again (compare its size with the original)',
  );
}

/** What the first sub-elements of an miMATRIX element say. */
export interface MatrixHeader {
  readonly class: MatClass;
  readonly complex: boolean;
  readonly dims: number[];
  /** Number of elements (product of dims; 0 for MATLAB objects, whose size the header does not give). */
  readonly count: number;
  readonly name: string;
  /** The real-part tag, for numeric and char classes. */
  readonly real?: Tag;
}

/**
 * Parses an miMATRIX payload that starts at `start` and ends at `end` (per its tag). With
 * `wantReal` it also reads the real part's tag and checks that its length matches the dimensions.
 * Throws NeedMoreBytes when `available` stops short of what is needed.
 */
export function parseMatrixHeader(
  buf: Buffer, start: number, available: number, end: number, le: boolean, ctx: ElementContext, wantReal: boolean,
): MatrixHeader {
  const flagsTag = readTag(buf, start, available, end, le, ctx);
  if (flagsTag.type !== MI.UINT32 || flagsTag.nbytes !== 8) {
    throw corrupt(ctx, `its array-flags sub-element is type ${flagsTag.type} with ${flagsTag.nbytes} bytes, expected miUINT32 with 8`);
  }
  if (flagsTag.next > available) throw new NeedMoreBytes();
  const flags = le ? buf.readUInt32LE(flagsTag.dataOffset) : buf.readUInt32BE(flagsTag.dataOffset);
  const classCode = flags & 0xff;
  let cls: MatClass = MX_CLASS.get(classCode) ?? 'unknown';
  if (cls === 'uint8' && (flags & FLAG_LOGICAL) !== 0) cls = 'logical';
  const complex = (flags & FLAG_COMPLEX) !== 0;

  if (cls === 'opaque') {
    // MATLAB objects (string, table, datetime…) have no dimensions sub-element: the name comes right
    // after the flags, then the object's type and class names and a reference into the subsystem data.
    const name = readName(buf, flagsTag.next, available, end, le, ctx).name;
    return { class: cls, complex: false, dims: [], count: 0, name };
  }

  const dimsTag = readTag(buf, flagsTag.next, available, end, le, ctx);
  if (dimsTag.type !== MI.INT32 || dimsTag.nbytes % 4 !== 0 || dimsTag.nbytes === 0) {
    throw corrupt(ctx, `its dimensions sub-element is type ${dimsTag.type} with ${dimsTag.nbytes} bytes, expected miINT32`);
  }
  if (dimsTag.dataOffset + dimsTag.nbytes > available) throw new NeedMoreBytes();
  const dims: number[] = [];
  let count = 1;
  for (let o = dimsTag.dataOffset; o < dimsTag.dataOffset + dimsTag.nbytes; o += 4) {
    const d = le ? buf.readInt32LE(o) : buf.readInt32BE(o);
    if (d < 0) throw corrupt(ctx, `it has a negative dimension (${d})`);
    dims.push(d);
    count *= d;
  }
  if (dims.length === 1) dims.push(1);

  const { name, tag: nameTag } = readName(buf, dimsTag.next, available, end, le, ctx);
  const named: ElementContext = { ...ctx, variable: ctx.variable ?? name };

  if (!wantReal || !(NUMERIC_CLASSES.has(cls) || cls === 'char')) return { class: cls, complex, dims, count, name };

  const real = readTag(buf, nameTag.next, available, end, le, named);
  if (cls !== 'char') {
    const stored = MI_NUMERIC.get(real.type);
    if (stored === undefined) {
      throw corrupt(named, `its ${cls} data is stored as element type ${real.type}, which holds no numbers`);
    }
    // The product of the dimensions must match the data length exactly: this is what stops an absurd
    // dimension from turning into an allocation.
    if (real.nbytes !== count * stored.size) {
      throw corrupt(
        named,
        `its dimensions ${dims.join('×')} make ${count} values (${count * stored.size} bytes of ${stored.type}) ` +
          `but its data element holds ${real.nbytes} bytes`,
      );
    }
  }
  return { class: cls, complex, dims, count, name, real };
}

/** The variable-name sub-element (miINT8 text; some writers use miUINT8 or miUTF8). */
function readName(
  buf: Buffer, offset: number, available: number, end: number, le: boolean, ctx: ElementContext,
): { name: string; tag: Tag } {
  const tag = readTag(buf, offset, available, end, le, ctx);
  if (tag.type !== MI.INT8 && tag.type !== MI.UINT8 && tag.type !== MI.UTF8) {
    throw corrupt(ctx, `its name sub-element is type ${tag.type}, expected miINT8`);
  }
  if (tag.dataOffset + tag.nbytes > available) throw new NeedMoreBytes();
  return { name: buf.toString('latin1', tag.dataOffset, tag.dataOffset + tag.nbytes), tag };
}

function corrupt(ctx: ElementContext, problem: string): MatFormatError {
  return new MatFormatError(
    ctx.file, ctx.variable, `corrupt MAT data: ${problem}`, 'the file is damaged or not written by a MAT v5 writer; re-save it',
  );
}
