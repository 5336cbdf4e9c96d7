/**
 * A MAT v5/v7 variable behind the scene-source interface (src/io/raster/types.ts). The variable is
 * found by name or by the discovery rules (discover.ts), its size reported (`storedBytes`) so that the caller can check its memory bound
 * before anything is read, then read once (MAT v5 compresses whole variables, so there is no reading
 * part of one) and handed out by rows, transposed from MATLAB's column-major order.
 */
import { DataError, MatFormatError } from '../../errors.ts';
import type { OpenRasterOptions, RasterDescription, RasterSink, RasterSource } from '../raster/types.ts';
import { discoverCube, discoverLabels } from './discover.ts';
import { columnMajorRowsToBIP } from './layout.ts';
import { describeVariables, isCompressed, openMatFile, readMatStored, storedBytes, type MatFileIndex } from './reader.ts';
import type { MatStoredArray } from './types.ts';

export function openMatV5(file: string | MatFileIndex, opts: OpenRasterOptions = {}): RasterSource {
  const index = typeof file === 'string' ? openMatFile(file, { maxBytes: opts.maxBytes }) : file;
  const role = opts.role ?? 'cube';
  const info = opts.variable !== undefined
    ? index.variables.find((v) => v.name === opts.variable)
    : role === 'cube' ? discoverCube(index.path, index.variables) : discoverLabels(index.path, index.variables, opts.grid ?? { height: 0, width: 0 });
  // An unknown name: storedBytes raises the "no such variable, the file holds …" error.
  const name = info?.name ?? (opts.variable as string);
  const bytes = storedBytes(index, name);
  if (info === undefined) throw new Error('unreachable: storedBytes accepted an unlisted variable');
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
  // The caller checks bytes + the result against its memory bound before reading (loadScene's loadCube).
  if (count === 0) {
    throw new DataError(
      `${index.path}: variable '${name}' is ${info.dims.join('×')}, not a non-empty ${role === 'cube' ? '3-D cube (height×width×bands)' : 'label map'}`,
      `pass the name of the ${role === 'cube' ? 'cube variable with --cube-var' : 'label variable with --gt-var'}`,
    );
  }
  const bigInt = info.class === 'int64' || info.class === 'uint64' ? count * 8 : 0;
  const description: RasterDescription = {
    format: 'mat-v5', path: index.path, dataPath: index.path, variable: name, height, width, bands,
    dataType: info.class, interleave: 'column-major', compression: isCompressed(index, name) ? 'zlib' : 'none',
    storedBytes: bytes + bigInt,
  };
  let stored: MatStoredArray | undefined;
  return {
    describe: () => description,
    async readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T> {
      stored ??= readMatStored(index, name);
      columnMajorRowsToBIP(stored.data, height, width, bands, row0, rows, out);
      return out;
    },
    close() {
      stored = undefined;
    },
  };
}
