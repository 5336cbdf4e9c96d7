/**
 * The PCA-reduced scene (height × width × components float32, BIP), kept in memory when it fits the
 * memory limit, else in a temporary file: one small interface, so training patches
 * (src/sampling/patches.ts) and the map's windows (src/pipeline/tiledMap.ts) are cut the same way from
 * either. The projection pass (sceneScan.ts `transform`) writes it window by window in row order.
 *
 * The file is plain little-endian float32 BIP rows, read back with positioned reads (fs.readSync) of
 * row runs straight into the caller's buffer: a patch row is one read, a map window one read. Reads are
 * synchronous because patch batches are cut synchronously (SampleSource.fill); the pages a run reads
 * again (neighbouring patches) come from the OS cache.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TempFileError } from '../core/errors.ts';
import { makeTempDir, removeTempDir } from '../util/tempFiles.ts';
import type { CubeBIP } from '../core/types.ts';

/** Row runs of a BIP raster, wherever it is kept: what patches are cut from (patches.ts). */
export interface BipRows {
  readonly height: number;
  readonly width: number;
  readonly bands: number;
  /** Copies columns [c0, c1) of row `row` (all bands) into out[at …]. */
  copyRun(row: number, c0: number, c1: number, out: Float32Array, at: number): void;
}

export interface ReducedScene extends BipRows {
  /** 'memory', or 'file' (a temporary file, removed by `close`). */
  readonly storage: 'memory' | 'file';
  /** The temporary file, when there is one. */
  readonly path?: string;
  /** The whole scene as one cube, when it is in memory. */
  readonly cube?: CubeBIP;
  /** Rows a reader may hold at once with halo included (the whole height in memory; the plan's map window for a file). */
  readonly windowRows: number;
  /** Rows [r0, r1), BIP: a view of the array in memory, or read from the file into `out` (allocated when absent). */
  rows(r0: number, r1: number, out?: Float32Array): Float32Array;
  /** Writes `data` (whole rows, BIP) from row `r0` on; the projection pass writes each window once, in row order. */
  writeRows(r0: number, data: Float32Array): void;
  /** Releases the array or removes the temporary file (idempotent). */
  close(): void;
}

/** The reduced scene as one array (the scene fits the memory limit). */
export function memoryReducedScene(cube: CubeBIP): ReducedScene {
  const { height, width, bands, data } = cube;
  const rowLen = width * bands;
  return {
    height, width, bands, storage: 'memory', cube, windowRows: height,
    copyRun(row, c0, c1, out, at) {
      out.set(data.subarray((row * width + c0) * bands, (row * width + c1) * bands), at);
    },
    rows: (r0, r1) => data.subarray(r0 * rowLen, r1 * rowLen),
    writeRows(r0, rows) {
      data.set(rows, r0 * rowLen);
    },
    close() {},
  };
}

/**
 * The reduced scene in a new temporary file (spinalnet-reduced-XXXXXX/reduced.f32 under the system's
 * temporary folder), `windowRows` rows per read window. The file is removed by `close`, and by the process
 * hooks of src/util/tempFiles.ts if the process ends first (Ctrl-C, SIGTERM, exit).
 */
export function fileReducedScene(shape: { height: number; width: number; bands: number }, windowRows: number): ReducedScene {
  const { height, width, bands } = shape;
  const rowBytes = width * bands * 4;
  const dir = makeTempDir('reduced');
  const path = join(dir, 'reduced.f32');
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w+');
  } catch (err) {
    removeTempDir(dir);
    throw tempFileError(path, err);
  }
  const open = (): number => {
    if (fd === undefined) throw new Error(`the reduced scene's temporary file ${path} was closed`);
    return fd;
  };
  /** Reads or writes `bytes` bytes at file offset `pos` from/to `view`'s bytes from `at`, looping over short counts. */
  const io = (write: boolean, view: Float32Array, at: number, bytes: number, pos: number): void => {
    const buf = new Uint8Array(view.buffer, view.byteOffset + at * 4, bytes);
    let done = 0;
    try {
      while (done < bytes) {
        const n = write
          ? writeSync(open(), buf, done, bytes - done, pos + done)
          : readSync(open(), buf, done, bytes - done, pos + done);
        if (n === 0) throw new Error(`the file ends at byte ${pos + done}, ${bytes - done} bytes early`);
        done += n;
      }
    } catch (err) {
      throw tempFileError(path, err);
    }
  };
  return {
    height, width, bands, storage: 'file', path, windowRows: Math.max(1, Math.min(height, windowRows)),
    copyRun(row, c0, c1, out, at) {
      io(false, out, at, (c1 - c0) * bands * 4, row * rowBytes + c0 * bands * 4);
    },
    rows(r0, r1, out) {
      const data = out?.subarray(0, (r1 - r0) * width * bands) ?? new Float32Array((r1 - r0) * width * bands);
      if (r1 > r0) io(false, data, 0, (r1 - r0) * rowBytes, r0 * rowBytes);
      return data;
    },
    writeRows(r0, data) {
      io(true, data, 0, data.length * 4, r0 * rowBytes);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      removeTempDir(dir);
    },
  };
}

function tempFileError(path: string, err: unknown): TempFileError {
  const why = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : (err as Error).message;
  return new TempFileError(
    `the reduced scene's temporary file ${path} could not be written or read: ${why}`,
    'free space in the temporary folder (or point TMPDIR at a disk with room: the file holds pixels × components × 4 bytes), or raise --memory-limit so the reduced scene stays in memory',
  );
}
