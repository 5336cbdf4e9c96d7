/**
 * A result file written piece by piece (appended blocks, or positioned writes at known offsets) under a
 * temporary name beside its final path and renamed into place by `finish`, so a reader never sees half a
 * file. A full disk (ENOSPC, EDQUOT) or a file-size limit (EFBIG) becomes an OutputSpaceError naming the
 * file; the temporary file is then removed.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OutputSpaceError } from '../core/errors.ts';

const SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** `err` as an OutputSpaceError when it says the disk (or a size limit) is full, else unchanged. */
export function outputWriteError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && SPACE_CODES.has(code) ? new OutputSpaceError(file, code) : err;
}

export class OutputFile {
  readonly path: string;
  private readonly tmp: string;
  private fd: number | undefined;
  /** Bytes appended so far (the next append's position). */
  private end = 0;

  constructor(path: string) {
    this.path = path;
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    mkdirSync(dirname(path), { recursive: true });
    this.fd = this.guard(() => openSync(this.tmp, 'w'));
  }

  get size(): number {
    return this.end;
  }

  /** Writes `bytes` at the end of what was appended so far. */
  append(bytes: Uint8Array): void {
    this.writeAt(bytes, this.end);
  }

  /** Writes `bytes` at `position` (past the end leaves a hole of zeros, as a file system does). */
  writeAt(bytes: Uint8Array, position: number): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${this.path} is already closed`); // a bug in the caller
    this.guard(() => {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
    });
    this.end = Math.max(this.end, position + bytes.length);
  }

  /** Closes the file and moves it to its final name. */
  finish(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    this.guard(() => {
      closeSync(fd);
      renameSync(this.tmp, this.path);
    });
  }

  /** Closes and deletes the temporary file (after a failure); safe to call twice. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // Closing after a failed write may fail too; the file is removed either way.
      }
      this.fd = undefined;
    }
    rmSync(this.tmp, { force: true });
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      this.abort();
      throw outputWriteError(err, this.path);
    }
  }
}
