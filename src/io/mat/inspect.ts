/**
 * What `spinalnet inspect FILE.mat` shows: every top-level variable's name, MATLAB class and
 * dimensions, and for real numeric arrays the smallest and largest value. The first thing to run on
 * an unknown file, so it reads what it can and refuses what it cannot with the reader's typed errors.
 */
import { formatBytes } from '../../core/memory.ts';
import { openMatFile, readMatStored, storedBytes, type MatFileIndex, type MatReadOptions } from './reader.ts';
import { NUMERIC_CLASSES, type MatClass, type MatTypedArray } from './types.ts';

/** One variable as `inspect` reports it; `--json` prints an array of these. */
export interface MatVariableSummary {
  readonly name: string;
  /** MATLAB class as `class(x)` prints it ('double', 'uint8', 'cell', 'struct', 'sparse', 'opaque'…). */
  readonly class: MatClass;
  /** MATLAB dimensions (empty for MATLAB objects, class 'opaque'). */
  readonly dims: readonly number[];
  /** Present, and true, only for complex arrays (their min and max are not given). */
  readonly complex?: true;
  /**
   * Smallest and largest finite value of a real numeric or logical array. Absent for empty, complex
   * and non-numeric arrays, for arrays with no finite value, and when `minMax` is off. int64/uint64
   * values beyond 2^53 are rounded to the nearest double.
   */
  readonly min?: number;
  readonly max?: number;
  /** How many values are NaN or ±Inf; present only when some are (floating-point arrays only). */
  readonly nonFinite?: number;
  /** Why min and max are missing from a numeric array that has values (e.g. too large to read). */
  readonly note?: string;
}

export interface InspectOptions extends MatReadOptions {
  /** Read each numeric variable for its min and max. Default true; false only lists (milliseconds). */
  readonly minMax?: boolean;
}

/**
 * Lists the variables of a MAT file (a path or an index from `openMatFile`) with their min and max.
 * Variables are read one at a time, so memory peaks at the largest one; one whose read would exceed
 * `maxBytes` gets a `note` instead of min/max. Throws the reader's typed errors (InputFileError,
 * MatFormatError) for a file or a variable that cannot be read.
 */
export function inspectMatFile(file: string | MatFileIndex, opts: InspectOptions = {}): MatVariableSummary[] {
  const index = typeof file === 'string' ? openMatFile(file, opts) : file;
  const minMax = opts.minMax ?? true;
  return index.variables.map((v): MatVariableSummary => {
    const base = { name: v.name, class: v.class, dims: [...v.dims], ...(v.complex && { complex: true as const }) };
    const count = v.dims.reduce((a, b) => a * b, 1);
    if (!minMax || v.complex || !NUMERIC_CLASSES.has(v.class) || v.dims.length === 0 || count === 0) return base;
    const bytes = storedBytes(index, v.name);
    if (bytes > index.maxBytes) {
      return { ...base, note: `not read for min/max: needs ${formatBytes(bytes)}, more than the ${formatBytes(index.maxBytes)} allowed` };
    }
    const range = valueRange(readMatStored(index, v.name).data);
    const single = v.class === 'single';
    return {
      ...base,
      ...(range.min !== undefined && { min: single ? shortestSingle(range.min) : range.min }),
      ...(range.max !== undefined && { max: single ? shortestSingle(range.max) : range.max }),
      ...(range.nonFinite > 0 && { nonFinite: range.nonFinite }),
    };
  });
}

/** Smallest and largest finite value and the count of NaN/±Inf values of a typed array. */
export function valueRange(data: MatTypedArray): { min?: number; max?: number; nonFinite: number } {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    if (data.length === 0) return { nonFinite: 0 };
    let lo = data[0], hi = data[0];
    for (let i = 1; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return { min: Number(lo), max: Number(hi), nonFinite: 0 };
  }
  let lo = Infinity, hi = -Infinity, bad = 0;
  if (data instanceof Float64Array || data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      // v - v is 0 for finite values and NaN for NaN and ±Inf.
      if (v - v !== 0) bad++;
      else {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? { min: lo, max: hi, nonFinite: bad } : { nonFinite: bad };
}

/** The shortest decimal that reads back as the same float32 (0.025677603, not 0.025677603483200073). */
function shortestSingle(v: number): number {
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return Number(v.toPrecision(9));
}

/** The summaries as an aligned text table with a header row, one line per variable. */
export function formatInspection(vars: readonly MatVariableSummary[]): string[] {
  if (vars.length === 0) return ['(no variables)'];
  const rows = vars.map((v) => [
    v.name,
    `${v.complex ? 'complex ' : ''}${v.class}`,
    v.dims.length > 0 ? v.dims.join('×') : '-',
    v.min === undefined ? '' : String(v.min),
    v.max === undefined ? '' : String(v.max),
    [v.nonFinite === undefined ? '' : `${v.nonFinite} NaN/Inf values`, v.note ?? ''].filter((s) => s !== '').join('; '),
  ]);
  const table = [['name', 'class', 'dims', 'min', 'max', ''], ...rows];
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => [...r[c]].length)));
  return table.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}
