/**
 * A MAT v5/v7 variable behind the scene-source interface (src/io/raster/types.ts). The variable is
 * found by name or by the discovery rules (discover.ts), its size reported (`storedBytes`) so that the caller can check its memory bound
 * before anything is read, then read by windows of rows straight from the file (columnWindows.ts),
 * transposed from MATLAB's column-major order. MAT v5 compresses whole variables as one zlib stream,
 * so a compressed variable is first inflated once into a temporary file (inflateToFile.ts) and read
 * from there.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { DataError, MatFormatError } from '../../core/errors.ts';
import type { OpenRasterOptions, RasterDescription, RasterSink, RasterSource } from '../raster/types.ts';
import { type ColumnMajorData, columnWindowBytes, elementPlace, readColumnMajorRows } from './columnWindows.ts';
import { discoverCube, discoverLabels } from './discover.ts';
import { type ElementContext, NeedMoreBytes, parseMatrixHeader, type Tag } from './elements.ts';
import { INFLATE_STREAM_BYTES, inflateToTempFile } from './inflateToFile.ts';
import { BYTES_PER_CLASS, MAX_HEADER_BYTES, article, describeVariables, openMatFile, type MatFileIndex, type VariableExtent, variableExtent } from './reader.ts';
import { MI_NUMERIC, NUMERIC_CLASSES, type MatNumericClass, type MiType } from './types.ts';

export function openMatV5(file: string | MatFileIndex, opts: OpenRasterOptions = {}): RasterSource {
  const index = typeof file === 'string' ? openMatFile(file, { maxBytes: opts.maxBytes }) : file;
  const role = opts.role ?? 'cube';
  const info = opts.variable !== undefined
    ? index.variables.find((v) => v.name === opts.variable)
    : role === 'cube' ? discoverCube(index.path, index.variables) : discoverLabels(index.path, index.variables, opts.grid ?? { height: 0, width: 0 });
  // An unknown name: variableExtent raises the "no such variable, the file holds …" error.
  const name = info?.name ?? (opts.variable as string);
  const extent = variableExtent(index, name);
  if (info === undefined) throw new Error('unreachable: variableExtent accepted an unlisted variable');
  if (info.complex) {
    throw new MatFormatError(index.path, name, `is complex; ${role === 'cube' ? 'a cube must be real' : 'labels must be real integers'}`,
      role === 'cube' ? 'save the real part (or magnitude) instead' : 'save the labels as uint8/int32');
  }
  if (role === 'cube' && info.dims.length !== 3) {
    throw new DataError(
      `${index.path}: variable '${name}' is ${info.dims.join('×')}, not a 3-D cube (height×width×bands)`,
      `pass the name of the cube variable with --cube-var; the file holds ${describeVariables(index.variables)}`,
    );
  }
  if (role === 'labels' && info.dims.length !== 2) {
    throw new DataError(
      `${index.path}: label map '${name}' is ${info.dims.join('×')}, not a 2-D map (height×width)`,
      'pass the ground truth that belongs to this cube, or name the right variable with --gt-var',
    );
  }
  const [height, width] = info.dims;
  const bands = info.dims[2] ?? 1;
  const count = height * width * bands;
  if (count === 0) {
    throw new DataError(
      `${index.path}: variable '${name}' is ${info.dims.join('×')}, not a non-empty ${role === 'cube' ? '3-D cube (height×width×bands)' : 'label map'}`,
      `pass the name of the ${role === 'cube' ? 'cube variable with --cube-var' : 'label variable with --gt-var'}`,
    );
  }
  if (!NUMERIC_CLASSES.has(info.class)) {
    throw new MatFormatError(index.path, name, `is ${article(info.class)} ${info.class} array, not a numeric one`, `pass the name of a numeric variable; this file holds ${describeVariables(index.variables)}`);
  }
  // Bytes held while reading (checked by the caller against its limit before anything is read): the
  // read buffer and decoded block of columnWindows.ts (the stored sample size is known only once the
  // data tag is read; the class's size bounds it, as MATLAB only ever stores values in a type as small
  // or smaller), and for a compressed variable the streaming inflate's buffers. The inflated data go
  // to a temporary file, not memory.
  const sampleBytes = BYTES_PER_CLASS[info.class as MatNumericClass];
  const inflating = extent.compressed ? Math.min(INFLATE_STREAM_BYTES, extent.nbytes + extent.inflatedBytes) : 0;
  const held = columnWindowBytes({ height, width, bands, size: sampleBytes }, role === 'cube' ? 4 : 8) + inflating;
  const description: RasterDescription = {
    format: 'mat-v5', path: index.path, dataPath: index.path, variable: name, height, width, bands,
    dataType: info.class, interleave: 'column-major', compression: extent.compressed ? 'zlib' : 'none',
    storedBytes: held,
  };
  let data: Promise<{ data: ColumnMajorData; close: () => void }> | undefined;
  let closed = false;
  return {
    describe: () => description,
    async readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T> {
      if (closed) throw new Error('MAT source read after close');
      data ??= locateData(index.path, name, extent, { height, width, bands });
      readColumnMajorRows((await data).data, row0, rows, out);
      return out;
    },
    close() {
      if (closed) return;
      closed = true;
      // A read still inflating closes its file when it settles.
      void data?.then((d) => d.close(), () => undefined);
    },
  };
}

type Shape = { readonly height: number; readonly width: number; readonly bands: number };

/**
 * Opens the variable's data for positioned reads: in the MAT file itself when it is stored plainly,
 * else in a temporary file it is inflated into (inflateToFile.ts). Checks the data tag against the
 * dimensions (parseMatrixHeader) before any value is read.
 */
async function locateData(file: string, name: string, extent: VariableExtent, shape: Shape): Promise<{ data: ColumnMajorData; close: () => void }> {
  if (!extent.compressed) {
    const fd = openSync(file, 'r');
    try {
      return { data: dataAt(fd, file, name, extent, shape, extent.payload, 0, extent.nbytes, { file, variable: name, base: extent.payload }), close: () => closeSync(fd) };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }
  const temp = await inflateToTempFile(file, name, extent.payload, extent.nbytes, extent.inflatedBytes, (fd, written) => placeOf(fd, file, name, extent, shape, written));
  try {
    // The temporary file holds the inflated element, its own 8-byte tag first.
    return { data: dataAt(temp.fd, file, name, extent, shape, 0, 8, extent.inflatedBytes, { file, variable: name, inflated: true }), close: temp.close };
  } catch (err) {
    temp.close();
    throw err;
  }
}

/** Parses the array header at `at` + `start` of `fd` (the element ends at `end`) and says where its samples lie. */
function dataAt(fd: number, file: string, name: string, extent: VariableExtent, shape: Shape, at: number, start: number, end: number, ctx: ElementContext): ColumnMajorData {
  const head = Buffer.alloc(Math.min(end, MAX_HEADER_BYTES));
  const got = readSync(fd, head, 0, head.length, at);
  let h;
  try {
    h = parseMatrixHeader(head, start, got, end, extent.littleEndian, ctx, true);
  } catch (err) {
    if (err instanceof NeedMoreBytes) {
      throw new MatFormatError(file, name, `corrupt MAT data: its array header does not end within its first ${MAX_HEADER_BYTES} bytes`, 'the file is damaged; re-save it');
    }
    throw err;
  }
  const real = h.real as Tag; // present for numeric classes (parseMatrixHeader checks it)
  const stored = MI_NUMERIC.get(real.type) as { type: MiType; size: number };
  if (h.count !== shape.height * shape.width * shape.bands) {
    throw new MatFormatError(file, name, 'the file changed since it was listed (its dimensions differ)', 'read it again');
  }
  return { fd, file, dataOffset: at + real.dataOffset, type: stored.type, size: stored.size, littleEndian: extent.littleEndian, ...shape };
}

/** Where a compressed variable's data stop, for the message: the row (and column, band) of the first missing sample. */
function placeOf(fd: number, file: string, name: string, extent: VariableExtent, shape: Shape, written: number): string {
  let d: ColumnMajorData;
  try {
    d = dataAt(fd, file, name, extent, shape, 0, 8, extent.inflatedBytes, { file, variable: name, inflated: true });
  } catch {
    return 'inside its array header';
  }
  const k = Math.floor((written - d.dataOffset) / d.size);
  if (k < 0) return 'inside its array header';
  return `the data stop at ${elementPlace(k, shape.height, shape.width)}`;
}
