/**
 * Typed errors. Every error a user can cause is a SpinalnetError: its message names the problem and
 * `fix` says what to do. The CLI prints both and exits non-zero; anything else is a bug.
 */
export class SpinalnetError extends Error {
  /** What the user can do about it, one sentence. */
  readonly fix: string;
  constructor(message: string, fix: string) {
    super(message);
    this.name = new.target.name;
    this.fix = fix;
  }
}

/** A file that is missing, unreadable, or not what its name says. */
export class InputFileError extends SpinalnetError {
  constructor(readonly file: string, problem: string, fix: string) {
    super(`${file}: ${problem}`, fix);
  }
}

/** A MAT file whose structure cannot be read, or a variable in it that is not what is needed. */
export class MatFormatError extends SpinalnetError {
  constructor(
    readonly file: string,
    readonly variable: string | undefined,
    problem: string,
    fix: string,
  ) {
    super(`${file}${variable === undefined ? '' : ` (variable '${variable}')`}: ${problem}`, fix);
  }
}

/** An option value that is out of range or inconsistent with the others. */
export class ConfigError extends SpinalnetError {
  constructor(
    readonly parameter: string,
    expected: string,
    got: unknown,
    fix?: string,
  ) {
    super(`${parameter}: expected ${expected}, got ${formatGot(got)}`, fix ?? `pass ${parameter} as ${expected}`);
  }
}

/** Data that is readable but cannot be used as asked (sizes disagree, no labels, too few pixels…). */
export class DataError extends SpinalnetError {}

/**
 * Vector reference data (GeoPackage, shapefile, GeoJSON) that cannot be used as asked: a layer that is
 * not there, a geometry type or CRS spinalnet cannot handle. `file` is the vector file, when there is one.
 */
export class VectorError extends SpinalnetError {
  constructor(readonly file: string | undefined, problem: string, fix: string) {
    super(file === undefined ? problem : `${file}: ${problem}`, fix);
  }
}

/** A compute backend that cannot be loaded or cannot run the requested operation. */
export class BackendError extends SpinalnetError {}

/** A download that failed or whose checksum does not match. */
export class DownloadError extends SpinalnetError {}

/** A temporary file spinalnet keeps while it works (the reduced scene) that could not be written or read. */
export class TempFileError extends SpinalnetError {}

/** Throws a ConfigError unless `value` is an integer ≥ `min` (every count-like option checks this way). */
export function checkInteger(parameter: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(parameter, `an integer ≥ ${min}`, value);
}

function formatGot(got: unknown): string {
  if (typeof got === 'string') return `'${got}'`;
  if (Array.isArray(got)) return `[${got.join(', ')}]`;
  return String(got);
}

/** The output disk filled (ENOSPC, EDQUOT) or a file-size limit was hit (EFBIG) while writing results. */
export class OutputSpaceError extends SpinalnetError {
  constructor(readonly file: string, readonly code: string) {
    const what = code === 'EFBIG' ? 'the file grew past the size this process may write (EFBIG: a file-size limit)'
      : code === 'EDQUOT' ? 'the disk quota is used up (EDQUOT)' : 'no space left on the device (ENOSPC)';
    super(`${file}: ${what} while writing the results; nothing was published`,
      code === 'EFBIG' ? 'raise the file-size limit (ulimit -f) or write to another --out'
        : 'free space on that disk (or raise the quota), or pass --out a folder on a disk with more room, and run again');
  }
}
