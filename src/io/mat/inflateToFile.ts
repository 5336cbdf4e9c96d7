/**
 * A compressed (miCOMPRESSED) MAT variable inflated once, streaming, into a temporary file, so that it
 * can be read by windows of rows like an uncompressed one (columnWindows.ts) instead of being inflated
 * into memory. MAT v5 compresses each variable as one zlib stream, so there is no reading part of it
 * without inflating what comes before.
 *
 * The temporary file is created in os.tmpdir() (TMPDIR) and unlinked as soon as it is open: the data
 * stay reachable through the descriptor only, and the system frees them when the descriptor closes —
 * on close(), on an error, and also when the process dies of Ctrl-C, SIGTERM or even SIGKILL, with no
 * handler to run. Where unlinking an open file is refused (Windows), the file is removed on close and
 * at process exit instead.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, unlinkSync, write } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createInflate } from 'node:zlib';
import { InputFileError, MatFormatError } from '../../core/errors.ts';
import { formatBytes } from '../../core/memory.ts';

/**
 * Chunks read from the MAT file and inflated at a time: Node's defaults (64 KiB read, 16 KiB out) make
 * thousands of small writes and were much slower; 1 MiB was no faster than 256 KiB
 * (docs/performance.md#reading-files).
 */
const STREAM_CHUNK = 256 * 1024;

/**
 * Memory the streaming inflate holds: a read chunk and its copy inside zlib, zlib's 32 KiB window and
 * state, an output chunk being written and one queued behind it; counted with a margin.
 */
export const INFLATE_STREAM_BYTES = 5 * STREAM_CHUNK;

/** A temporary file holding an inflated variable, open for reading and writing. */
export interface InflatedFile {
  readonly fd: number;
  /** Bytes written (the inflated size). */
  readonly bytes: number;
  close(): void;
}

const pendingPaths = new Set<string>();
let exitHookInstalled = false;

/** Prefix of the temporary files, for tests that check none is left behind. */
export const TEMP_PREFIX = 'spinalnet-mat-';

/**
 * Inflates the zlib stream at bytes [start, start + length) of `file` into a new temporary file.
 * `expected` is the inflated size the element announces; a stream that ends before it, or goes past
 * it, is a MatFormatError (`where(bytesWritten)` names the place in the data for the message).
 */
export async function inflateToTempFile(
  file: string, variable: string, start: number, length: number, expected: number, where: (fd: number, written: number) => string,
): Promise<InflatedFile> {
  const temp = openTemp(file, expected);
  let ok = false;
  try {
    // With the default Z_FINISH on the last chunk, a cut stream is an 'unexpected end of file' error,
    // and whether the output decoded from that chunk reaches the file first depends on timing (zlib
    // applies Z_FINISH when the input's end is already known as it takes the chunk; then it reports
    // the error without pushing the chunk's output). Z_SYNC_FLUSH ends a cut stream normally with all
    // it decoded, so the size check below names the same place every time.
    const inflater = createInflate({ chunkSize: STREAM_CHUNK, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    let inflated = 0;
    inflater.on('data', (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > expected) {
        inflater.destroy(new MatFormatError(file, variable, `corrupt MAT data: its compressed data inflates to more than the ${expected} bytes its element declares`, 'the file is damaged; re-save or re-download it'));
      }
    });
    const sink = new FdWriter(temp.fd);
    try {
      await pipeline(createReadStream(file, { start, end: start + length - 1, highWaterMark: STREAM_CHUNK }), inflater, sink);
    } catch (e) {
      // pipeline rejects without waiting for a write in flight: let it land so the count and the
      // place in the message describe what the file holds.
      await sink.idle();
      if (e instanceof MatFormatError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
        throw new InputFileError(
          file, `variable '${variable}' is compressed and must be inflated into a temporary file of ${formatBytes(expected)}, but the temporary folder ${tmpdir()} ran out of space`,
          'point TMPDIR at a folder with that much free space, or save the variable uncompressed (MATLAB: save(FILE, "X", "-v6"))',
        );
      }
      if (err.code?.startsWith('Z_') === true || /unexpected end|incorrect|invalid/i.test(err.message)) {
        throw new MatFormatError(
          file, variable, `its compressed data stops after ${sink.bytesWritten} of the ${expected} inflated bytes it declares (${where(temp.fd, sink.bytesWritten)}): ${err.message}`,
          'the file is truncated or damaged: copy or download it again completely, or re-save it in MATLAB',
        );
      }
      throw e;
    }
    if (sink.bytesWritten !== expected) {
      throw new MatFormatError(
        file, variable, `its compressed data ends after ${sink.bytesWritten} of the ${expected} inflated bytes it declares (${where(temp.fd, sink.bytesWritten)})`,
        'the file is truncated or damaged: copy or download it again completely, or re-save it in MATLAB',
      );
    }
    ok = true;
    return { fd: temp.fd, bytes: expected, close: temp.close };
  } finally {
    if (!ok) temp.close();
  }
}

/**
 * Appends to a descriptor it does not own: fs.WriteStream closes its descriptor when destroyed (as
 * pipeline does on an error), even with autoClose false, and the descriptor is the only handle on the
 * unlinked file.
 */
class FdWriter extends Writable {
  bytesWritten = 0;
  private inFlight: Promise<void> = Promise.resolve();
  constructor(private readonly fd: number) {
    super();
  }

  /** Resolves when no write is in flight. */
  idle(): Promise<void> {
    return this.inFlight;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.inFlight = new Promise<void>((settle) => {
      const next = (from: number): void => {
        write(this.fd, chunk, from, chunk.length - from, this.bytesWritten, (err, n) => {
          if (err) {
            settle();
            return done(err);
          }
          this.bytesWritten += n;
          if (from + n < chunk.length) return next(from + n);
          settle();
          done();
        });
      };
      next(0);
    });
  }
}

function openTemp(file: string, expected: number): { fd: number; close: () => void } {
  const path = join(tmpdir(), `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}.raw`);
  let fd: number;
  try {
    fd = openSync(path, 'wx+', 0o600);
  } catch (e) {
    throw new InputFileError(
      file, `is compressed and needs a temporary file of ${formatBytes(expected)} in ${tmpdir()}, which cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'point TMPDIR at a writable folder with enough free space',
    );
  }
  let linked = true;
  try {
    unlinkSync(path);
    linked = false;
  } catch {
    // Unlinking an open file is refused on Windows: remove it on close, or at exit at the latest.
    pendingPaths.add(path);
    installExitHook();
  }
  let open = true;
  return {
    fd,
    close() {
      if (open) closeSync(fd);
      open = false;
      if (linked) removeQuietly(path);
      linked = false;
    },
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of pendingPaths) removeQuietly(p);
  });
}

function removeQuietly(path: string): void {
  pendingPaths.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
