import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { outputWriteError } from './outputFile.ts';

/**
 * Writes a file under a temporary name in the same folder and renames it into place, so a reader
 * never sees a half-written file, even if the process dies mid-write.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // A full disk is the user's to fix: say which file and what to do (OutputSpaceError).
    throw outputWriteError(err, path);
  }
}
