/**
 * Rows of a column-major MATLAB array read straight from a file by positioned reads, into BIP: what
 * lets an uncompressed MAT v5 variable (or a compressed one inflated into a temporary file,
 * inflateToFile.ts) be streamed by windows of rows without holding the variable.
 *
 * MATLAB stores element (r, c, b) at r + c·H + b·H·W, so a window of rows [r0, r0+n) is W·B runs of
 * n samples, one per column of each band. The read pattern (measured, see docs/large-scenes.md):
 * columns are taken in blocks small enough that the block's window (n × columns × bands, in the
 * result's type) fits SCRATCH_BYTES; within a block each band's runs are read with as few reads as possible,
 * neighbouring runs merged into one read when the gap between them is at most GAP_BYTES (a read
 * costs about as much as copying a few KiB, so reading a small gap beats a second system call), and
 * no read larger than RAW_BYTES. The block is then transposed with bands innermost, the loop order
 * layout.ts measured as the fast one.
 */
import { readSync } from 'node:fs';
import { InputFileError } from '../../core/errors.ts';
import type { RasterSink } from '../raster/types.ts';
import { viewTyped, type MiType } from './types.ts';

/** Largest single positioned read (raw stored bytes). */
export const RAW_BYTES = 4 * 1024 * 1024;
/** The decoded block of one column block's window (values of the result's type). */
export const SCRATCH_BYTES = 4 * 1024 * 1024;
/** Gap between two runs that one read bridges rather than issuing a second read. */
const GAP_BYTES = 8 * 1024;
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where a column-major array's samples lie in a file. */
export interface ColumnMajorData {
  readonly fd: number;
  /** Names the file in messages (the MAT file, even when reading its inflated copy). */
  readonly file: string;
  /** Absolute file offset of element (0, 0, 0). */
  readonly dataOffset: number;
  readonly type: MiType;
  /** Bytes per stored sample. */
  readonly size: number;
  readonly littleEndian: boolean;
  readonly height: number;
  readonly width: number;
  readonly bands: number;
}

/**
 * Bytes the reader holds while reading a window: its raw read buffer (`size` bytes per stored sample,
 * at most) and the decoded block (`valueBytes` per value: 4 for float32 results, 8 for float64).
 */
export function columnWindowBytes(d: Pick<ColumnMajorData, 'height' | 'width' | 'bands' | 'size'>, valueBytes: 4 | 8): number {
  const all = d.height * d.width * d.bands;
  // The decoded block is at least one column of the window (≤ height × bands values).
  return Math.min(RAW_BYTES, all * d.size) + Math.min(all * valueBytes, Math.max(SCRATCH_BYTES, d.height * d.bands * valueBytes));
}

/** "row 3, column 5, band 2, counting from 1" for element k (r + c·H + b·H·W) of a column-major array. */
export function elementPlace(k: number, height: number, width: number): string {
  return `row ${(k % height) + 1}, column ${(Math.floor(k / height) % width) + 1}, band ${Math.floor(k / (height * width)) + 1}, counting from 1`;
}

/** Reads rows [row0, row0 + rows) into `out` (rows × width × bands, BIP). */
export function readColumnMajorRows(d: ColumnMajorData, row0: number, rows: number, out: RasterSink): void {
  const { height: H, width: W, bands: B, size } = d;
  if (!Number.isInteger(row0) || !Number.isInteger(rows) || row0 < 0 || rows < 0 || row0 + rows > H || out.length !== rows * W * B) {
    throw new RangeError(`MAT window rows ${row0}+${rows} of ${H} into ${out.length} values`);
  }
  if (rows === 0) return;
  // Columns per block: the block's window fits SCRATCH_BYTES (at least one column). Float32 results
  // decode into float32 (the values end there anyway), float64 ones (exact int32 labels) into float64.
  const wide = out instanceof Float64Array;
  const cols = Math.max(1, Math.min(W, Math.floor(SCRATCH_BYTES / (rows * B * (wide ? 8 : 4)))));
  const block = wide ? new Float64Array(rows * B * cols) : new Float32Array(rows * B * cols);
  const rawCap = Math.min(RAW_BYTES, H * W * B * size);
  // allocUnsafeSlow: its own ArrayBuffer starting at byte 0, so typed views over it are aligned.
  const raw = Buffer.allocUnsafeSlow(Math.max(rawCap, size));
  const maxRun = Math.max(1, Math.floor(raw.length / size));
  const gap = Math.floor(GAP_BYTES / size);
  for (let c0 = 0; c0 < W; c0 += cols) {
    const nc = Math.min(cols, W - c0);
    for (let b = 0; b < B; b++) {
      // Runs (element index in the array, length) of this band's columns, in file order; a run longer
      // than one read is split. block[(b·nc + c)·rows + r] receives element (row0 + r, c0 + c, b).
      let segStart = -1, segEnd = -1;
      let pending: { at: number; len: number; dst: number }[] = [];
      const flush = () => {
        if (segStart < 0) return;
        readRuns(d, segStart, segEnd - segStart, raw, pending, block);
        segStart = segEnd = -1;
        pending = [];
      };
      for (let c = 0; c < nc; c++) {
        const first = row0 + (c0 + c) * H + b * H * W;
        for (let r = 0; r < rows; r += maxRun) {
          const len = Math.min(maxRun, rows - r), at = first + r;
          if (segStart >= 0 && (at - segEnd > gap || at + len - segStart > maxRun)) flush();
          if (segStart < 0) segStart = at;
          segEnd = at + len;
          pending.push({ at, len, dst: (b * nc + c) * rows + r });
        }
      }
      flush();
    }
    // Transpose the block: columns outer, rows, bands innermost (contiguous writes per pixel).
    for (let c = 0; c < nc; c++) {
      for (let r = 0; r < rows; r++) {
        let o = (r * W + c0 + c) * B;
        for (let b = 0, k = c * rows + r; b < B; b++, k += nc * rows) out[o++] = block[k];
      }
    }
  }
}

/** One positioned read of elements [start, start + count), then its runs copied into `block`. */
function readRuns(d: ColumnMajorData, start: number, count: number, raw: Buffer, runs: readonly { at: number; len: number; dst: number }[], block: RasterSink): void {
  const bytes = count * d.size;
  const position = d.dataOffset + start * d.size;
  let done = 0;
  while (done < bytes) {
    const got = readSync(d.fd, raw, done, bytes - done, position + done);
    if (got === 0) {
      const k = start + Math.floor(done / d.size);
      throw new InputFileError(
        d.file, `ends at byte ${position + done}, inside the data of ${elementPlace(k, d.height, d.width)}`,
        'the file is truncated: copy or download it again completely',
      );
    }
    done += got;
  }
  if (d.littleEndian !== HOST_LE && d.size > 1) {
    const view = raw.subarray(0, bytes);
    if (d.size === 2) view.swap16();
    else if (d.size === 4) view.swap32();
    else view.swap64();
  }
  const values = viewTyped(d.type, raw.buffer, 0, count);
  const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
  for (const run of runs) {
    const from = run.at - start;
    if (big) for (let i = 0; i < run.len; i++) block[run.dst + i] = Number(values[from + i]);
    else block.set((values as Float64Array).subarray(from, from + run.len), run.dst);
  }
}
