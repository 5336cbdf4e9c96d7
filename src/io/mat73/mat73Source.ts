/**
 * MAT v7.3 files (HDF5 behind a 512-byte MATLAB header) through h5wasm (HDF5 compiled to WebAssembly).
 * Variables are the file's top-level datasets and groups with a MATLAB_class attribute; the cube and
 * labels are found by the same rules as MAT v5 (src/io/mat/discover.ts). MATLAB writes its column-major
 * array with the dimensions reversed, so an H×W×B cube is an HDF5 dataset of shape [B, W, H] whose
 * row-major bytes are MATLAB's column-major order: the MAT v5 transposition (columnMajorRowsToBIP)
 * applies as it is, and a window of rows is the hyperslab [0:B, 0:W, row0:row0+rows] (the last HDF5
 * dimension), read from the file by HDF5 itself: the raster is never held whole. Chunked and
 * deflate-compressed datasets are decoded by HDF5 itself. Structs, cells, sparse and complex arrays
 * are refused by name.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Dataset, File as H5File, Group } from 'h5wasm';
import { DataError, MatFormatError, SpinalnetError } from '../../core/errors.ts';
import { discoverCube, discoverLabels } from '../mat/discover.ts';
import { columnMajorRowsToBIP } from '../mat/layout.ts';
import { describeVariables } from '../mat/reader.ts';
import type { MatClass, MatTypedArray, MatVariableInfo } from '../mat/types.ts';
import type { OpenRasterOptions, RasterDescription, RasterSink, RasterSource } from '../raster/types.ts';

type H5wasmModule = typeof import('h5wasm');

let h5: Promise<H5wasmModule> | undefined;
/**
 * Loads and starts h5wasm once, on first use (not at import: most runs never open a v7.3 file).
 * Through require (Node ≥ 20.19 loads ES modules that way) when it can: the CLI runs under tsx's ESM
 * hooks (bin/spinalnet.js), and tsx rewriting the 4 MB h5wasm module on import costs hundreds of MB of
 * RSS and seconds; required, it stays outside those hooks (docs/performance.md#reading-files).
 */
function h5wasm(): Promise<H5wasmModule> {
  h5 ??= loadH5wasm().then(async (m) => {
    await m.ready;
    return m;
  });
  return h5;
}

async function loadH5wasm(): Promise<H5wasmModule> {
  try {
    // The package exports './node' for import only; its file is required by path.
    return createRequire(import.meta.url)(fileURLToPath(import.meta.resolve('h5wasm/node'))) as H5wasmModule;
  } catch {
    return import('h5wasm/node');
  }
}

async function openH5(path: string): Promise<H5File> {
  const { head, size } = readHead(path);
  if (!head.subarray(512, 520).equals(HDF5_SIGNATURE)) {
    throw new MatFormatError(path, undefined, 'says it is a MAT v7.3 file, but holds no HDF5 data (no HDF5 signature at byte 512): it is truncated or damaged', 'copy the file again, or re-save it in MATLAB');
  }
  const end = hdf5End(head);
  if (end !== undefined && end > size) {
    // HDF5 refuses such a file with a bare "unable to open file"; say what is wrong instead.
    throw new MatFormatError(
      path, undefined, `is truncated: its HDF5 superblock says the data end at byte ${end}, but the file has ${size} bytes`,
      'copy or download the file again completely (compare its size with the original)',
    );
  }
  const mod = await h5wasm();
  let file: H5File | undefined;
  try {
    file = new mod.File(path, 'r');
    file.keys(); // h5wasm opens lazily: a damaged file fails here, with a plain error
    return file;
  } catch (e) {
    try {
      file?.close();
    } catch {
      // the handle was never valid
    }
    throw h5Error(path, e);
  }
}

/** The MATLAB header and the HDF5 superblock's start (bytes 0-559), and the file's size. */
function readHead(path: string): { head: Buffer; size: number } {
  const head = Buffer.alloc(512 + 48);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
    return { head, size: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the HDF5 data end (the end-of-file address of the superblock at byte 512), for
 * superblock versions 0-3 with 8-byte offsets; undefined for a layout this does not read.
 */
function hdf5End(head: Buffer): number | undefined {
  const version = head[512 + 8];
  // Versions 0/1: offset size at byte 13 of the superblock, EOF address at 40; versions 2/3: 9 and 28.
  const [sizeAt, eofAt] = version <= 1 ? [13, 40] : version <= 3 ? [9, 28] : [0, 0];
  if (sizeAt === 0 || head[512 + sizeAt] !== 8) return undefined;
  // HDF5 (h5py, MATLAB) writes the end-of-file address counted from the start of the file, user block
  // included, although the spec counts addresses from the base address: taking it as it is can only
  // under-estimate the end, so a complete file is never refused.
  return Number(head.readBigUInt64LE(512 + eofAt));
}

/**
 * The file must still reach its HDF5 end: HDF5 reads bytes past the end of a file as zeros, so a file
 * cut short after it was opened would otherwise stream zeros (or garbage from a chunk's missing part).
 * One read of the superblock per window.
 */
function checkStillWhole(path: string, row0: number, rows: number): void {
  const { head, size } = readHead(path);
  const end = hdf5End(head);
  if (end !== undefined && end > size) {
    throw new MatFormatError(
      path, undefined, `was cut short while being read: it now has ${size} bytes, but its HDF5 data end at byte ${end}, so rows ${row0 + 1}–${row0 + rows} cannot be read`,
      'copy the file again completely (and do not change it while spinalnet reads it)',
    );
  }
}

/** HDF5's own errors (plain Errors from h5wasm) as the typed error that names the file. */
function h5Error(path: string, e: unknown): Error {
  if (e instanceof SpinalnetError) return e;
  return new MatFormatError(path, undefined, `is a MAT v7.3 (HDF5) file that HDF5 cannot read (${e instanceof Error ? e.message : String(e)}): it is truncated or damaged`, 'copy the file again, or re-save it in MATLAB');
}

/** HDF5's default raw-data chunk cache per open dataset (H5Pset_cache's rdcc_nbytes default; h5wasm keeps it). */
const HDF5_CHUNK_CACHE_BYTES = 1024 * 1024;

/** Bytes of one chunk as stored, 0 for a contiguous dataset. */
function chunkBytes(dataset: Dataset, size: number): number {
  const chunks = dataset.metadata.chunks;
  return chunks === null || chunks === undefined ? 0 : chunks.reduce((a, b) => a * b, size);
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

const HDF5_INTEGER = 0, HDF5_FLOAT = 1, HDF5_COMPOUND = 6;
const NOT_ARRAYS: ReadonlySet<string> = new Set(['struct', 'cell', 'sparse', 'function_handle', 'object', 'char']);

interface Variable extends MatVariableInfo {
  readonly dataset?: Dataset;
}

export async function openMat73(path: string, opts: OpenRasterOptions = {}): Promise<RasterSource> {
  const file = await openH5(path);
  try {
    const vars = listVariables(file);
    const role = opts.role ?? 'cube';
    const chosen = opts.variable !== undefined
      ? vars.find((v) => v.name === opts.variable)
      : role === 'cube' ? discoverCube(path, vars) : discoverLabels(path, vars, opts.grid ?? { height: 0, width: 0 });
    if (chosen === undefined) {
      throw new MatFormatError(path, opts.variable, `no such variable; the file holds ${describeVariables(vars)}`, 'pass one of the names listed (MATLAB names are case-sensitive)');
    }
    const v = checkArray(path, chosen, role);
    const [height, width] = v.dims;
    const bands = v.dims[2] ?? 1;
    const dataset = v.dataset as Dataset;
    const size = dataset.metadata.size;
    const description: RasterDescription = {
      format: 'mat-v7.3', path, dataPath: path, variable: v.name, height, width, bands, dataType: v.class,
      interleave: 'column-major', compression: dataset.filters.map((f) => f.name).join(', ') || 'none',
      // h5wasm reads the file itself by positioned reads (its Node build uses NODERAWFS: nothing is copied
      // into an in-memory file system). HDF5 holds its chunk cache (1 MiB by default) and, for a chunked
      // dataset, one chunk as read and one inflated; each window's hyperslab is decoded into the
      // WebAssembly heap and copied out (twice the window as stored; the heap keeps its largest size).
      storedBytes: HDF5_CHUNK_CACHE_BYTES + 2 * chunkBytes(dataset, size),
      windowBytesPerRow: 2 * width * bands * size,
    };
    let closed = false;
    return {
      describe: () => description,
      async readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T> {
        if (closed) throw new Error('MAT v7.3 source read after close');
        checkStillWhole(path, row0, rows);
        const shape: [number, number][] = v.dims.length === 3 ? [[0, bands], [0, width], [row0, row0 + rows]] : [[0, width], [row0, row0 + rows]];
        let block: MatTypedArray | null;
        try {
          block = dataset.slice(shape) as MatTypedArray | null;
        } catch (e) {
          throw h5Error(path, e);
        }
        if (block === null || typeof block !== 'object' || !('length' in block)) throw new MatFormatError(path, v.name, 'could not be read as a numeric array', 'save it as a plain numeric array');
        columnMajorRowsToBIP(block, rows, width, bands, 0, rows, out);
        return out;
      },
      close() {
        if (!closed) file.close();
        closed = true;
      },
    };
  } catch (e) {
    file.close();
    throw h5Error(path, e);
  }
}

/** The variables of a MAT v7.3 file (name, class, dims, complex), for `inspect`. */
export async function listMat73Variables(path: string): Promise<MatVariableInfo[]> {
  const file = await openH5(path);
  try {
    return listVariables(file).map(({ name, class: cls, dims, complex }) => ({ name, class: cls, dims, complex }));
  } catch (e) {
    throw h5Error(path, e);
  } finally {
    file.close();
  }
}

/** Top-level variables (MATLAB's own '#refs#' and '#subsystem#' groups are not variables). */
function listVariables(file: H5File): Variable[] {
  const out: Variable[] = [];
  for (const name of file.keys()) {
    if (name.startsWith('#')) continue;
    const entity = file.get(name) as Dataset | Group | null;
    if (entity === null) continue;
    const attr = entity.attrs.MATLAB_class?.value;
    const cls = (typeof attr === 'string' ? attr : 'unknown') as MatClass;
    if (!('shape' in entity)) {
      // A group: a struct, a sparse matrix (data/ir/jc), or an object.
      const sparse = entity.attrs.MATLAB_sparse !== undefined;
      out.push({ name, class: sparse ? 'sparse' : cls === 'unknown' ? 'struct' : cls, dims: [], complex: false });
      continue;
    }
    const meta = entity.metadata;
    const dims = [...(entity.shape ?? [])].reverse();
    const empty = entity.attrs.MATLAB_empty !== undefined;
    const complex = meta.type === HDF5_COMPOUND;
    const known = meta.type === HDF5_INTEGER || meta.type === HDF5_FLOAT || complex;
    out.push({ name, class: known || NOT_ARRAYS.has(cls) ? cls : 'unknown', dims: empty ? [0, 0] : dims, complex, dataset: entity });
  }
  return out;
}

function checkArray(path: string, v: Variable, role: 'cube' | 'labels'): Variable {
  const fixSave = 'save the numeric array itself as a variable (MATLAB: `X = s.field; save(FILE, "X", "-v7.3")`)';
  if (NOT_ARRAYS.has(v.class) || v.class === 'unknown' || v.dataset === undefined) {
    throw new MatFormatError(path, v.name, `is a MATLAB ${v.class === 'unknown' ? 'value of unknown class' : v.class}, not a numeric array; a ${role === 'cube' ? 'cube' : 'label map'} must be one`, fixSave);
  }
  if (v.complex) {
    throw new MatFormatError(path, v.name, `is complex; ${role === 'cube' ? 'a cube must be real' : 'labels must be real integers'}`, role === 'cube' ? 'save the real part (or magnitude) instead' : 'save the labels as uint8/int32');
  }
  const want = role === 'cube' ? 3 : 2;
  if (v.dims.length !== want || v.dims.some((d) => d === 0)) {
    throw new DataError(
      `${path}: variable '${v.name}' is ${v.dims.join('×')}, not a non-empty ${role === 'cube' ? '3-D cube (height×width×bands)' : '2-D label map (height×width)'}`,
      `pass the name of the ${role === 'cube' ? 'cube variable with --cube-var' : 'label variable with --gt-var'}`,
    );
  }
  return v;
}
