/**
 * The cube's value policies, on the BIP cube as loaded: per-band facts gathered in one pass (NaN/±Inf,
 * constant bands, all-zero pixels), which bands to drop (NaN/±Inf, a fixed set for a saved model, bad
 * bands a file marks), removing them in place, and false-colour bands renumbered after.
 */
import { ConfigError, DataError } from '../core/errors.ts';
import type { CubeBIP } from '../core/types.ts';

/** Per-band facts about a BIP cube, gathered in one pass. */
export interface CubeStats {
  /** Non-finite (NaN, ±Inf) values per band. */
  readonly nonFinite: Float64Array;
  /** Zero-based bands with one value at every pixel (bands holding NaN/±Inf are never listed). */
  readonly constant: number[];
  /** First non-finite value (row-major pixel order), for messages. */
  readonly firstNonFinite?: { readonly row: number; readonly col: number; readonly band: number; readonly value: number };
  /** Pixels that are 0 in every band. */
  readonly zeroPixels: number;
  /** Their row-major indices (computed on demand). */
  zeroPixelList(): Int32Array;
}

/**
 * Per-band facts and all-zero pixels of a BIP cube: one accumulator over the whole cube.
 */
export function cubeStats(cube: CubeBIP): CubeStats {
  const acc = new CubeStatsAccumulator(cube.bands, cube.width);
  acc.add(cube.data, 0);
  return acc.result();
}

/**
 * Per-band facts and all-zero pixels gathered over row windows of a BIP cube, in row order (the whole
 * cube is one window). Each band accumulates Σ|v − v₀| (v₀: its value at the first pixel counted) in
 * float64: NaN or ±Inf anywhere in the band makes the sum non-finite, and a finite band sums to exactly 0
 * only when constant (float32 differences are exact in float64 and cannot overflow it). Eight pixels per
 * sweep, as in pcaStats: faster than a per-value min/max/isFinite loop
 * (docs/performance.md#reading-files). All-zero pixels are found by scanning each pixel
 * only up to its first nonzero band (usually the first). Pixels a `skip` mask marks (no data) are left out.
 */
export class CubeStatsAccumulator {
  private readonly acc: Float64Array;
  private ref?: Float64Array;
  private readonly nonFinite: Float64Array;
  private firstNonFinite: CubeStats['firstNonFinite'];
  private readonly zeros: number[] = [];

  constructor(readonly bands: number, readonly width: number) {
    this.acc = new Float64Array(bands);
    this.nonFinite = new Float64Array(bands);
  }

  /** Adds a window of whole rows starting at scene row `row0`; `skip` (window-local, 1 = leave out) marks no-data pixels. */
  add(data: Float32Array, row0: number, skip?: Uint8Array): void {
    const { bands, width } = this;
    const n = data.length / bands;
    const win = new Float64Array(bands);
    let p0 = 0;
    if (this.ref === undefined) {
      while (p0 < n && skip !== undefined && skip[p0] === 1) p0++;
      if (p0 === n) return;
      this.ref = Float64Array.from(data.subarray(p0 * bands, (p0 + 1) * bands));
    }
    const ref = this.ref;
    if (skip === undefined) {
      const stride = 8 * bands;
      let o = 0;
      for (; o + stride <= data.length; o += stride) {
        for (let i = o, b = 0; b < bands; i++, b++) {
          const r = ref[b];
          win[b] +=
            Math.abs(data[i] - r) + Math.abs(data[i + bands] - r) +
            (Math.abs(data[i + 2 * bands] - r) + Math.abs(data[i + 3 * bands] - r)) +
            (Math.abs(data[i + 4 * bands] - r) + Math.abs(data[i + 5 * bands] - r) +
              (Math.abs(data[i + 6 * bands] - r) + Math.abs(data[i + 7 * bands] - r)));
        }
      }
      for (; o < data.length; o += bands) for (let b = 0; b < bands; b++) win[b] += Math.abs(data[o + b] - ref[b]);
    } else {
      for (let p = 0; p < n; p++) {
        if (skip[p] === 1) continue;
        for (let b = 0, o = p * bands; b < bands; b++) win[b] += Math.abs(data[o + b] - ref[b]);
      }
    }
    let anyNonFinite = false;
    for (let b = 0; b < bands; b++) {
      this.acc[b] += win[b];
      if (Number.isFinite(win[b])) continue;
      // Rare: count this band's NaN/±Inf values (v − v is NaN exactly for those).
      anyNonFinite = true;
      for (let p = 0; p < n; p++) if ((skip === undefined || skip[p] === 0) && data[p * bands + b] - data[p * bands + b] !== 0) this.nonFinite[b]++;
    }
    if (anyNonFinite && this.firstNonFinite === undefined) {
      for (let i = 0; i < data.length; i++) {
        const p = Math.floor(i / bands);
        if (data[i] - data[i] === 0 || (skip !== undefined && skip[p] === 1)) continue;
        const q = row0 * width + p;
        this.firstNonFinite = { row: Math.floor(q / width), col: q % width, band: i % bands, value: data[i] };
        break;
      }
    }
    for (let p = 0; p < n; p++) {
      if (skip !== undefined && skip[p] === 1) continue;
      let b = 0;
      const q = p * bands;
      while (b < bands && data[q + b] === 0) b++;
      if (b === bands) this.zeros.push(row0 * width + p);
    }
  }

  result(): CubeStats {
    const constant: number[] = [];
    for (let b = 0; b < this.bands; b++) if (this.acc[b] === 0) constant.push(b);
    const zeros = Int32Array.from(this.zeros);
    return {
      nonFinite: Float64Array.from(this.nonFinite), constant, firstNonFinite: this.firstNonFinite, zeroPixels: zeros.length,
      zeroPixelList: () => zeros.slice(),
    };
  }
}

/** How bands are chosen (LoadSceneOptions' `nonFinite` and `dropBands`, plus the bands a file marks bad). */
export interface DropPolicy {
  readonly nonFinite?: 'drop-bands' | 'error';
  readonly dropBands?: readonly number[];
  /** Zero-based bands the file marks bad (ENVI `bbl`); dropped unless `dropBands` fixes the set. */
  readonly badBands?: readonly number[];
}

/** Which bands to remove, by `dropBands`, the file's bad bands and the non-finite policy; throws when none would be left. */
export function bandsToDrop(
  what: string, cube: Pick<CubeBIP, 'bands'>, stats: CubeStats, opts: DropPolicy,
): { bands: number[]; warnings: string[] } {
  const marked = new Set(opts.dropBands === undefined ? opts.badBands ?? [] : []);
  const bad: number[] = [];
  for (let b = 0; b < cube.bands; b++) if (stats.nonFinite[b] > 0 && !marked.has(b)) bad.push(b);
  const total = bad.reduce((s, b) => s + stats.nonFinite[b], 0);
  const f = stats.firstNonFinite;
  const first = f === undefined || marked.has(f.band) ? '' : `; the first is ${f.value} at row ${f.row + 1}, column ${f.col + 1}, band ${f.band + 1}`;
  const cleanFix = 'replace the NaN/Inf values in the source data (MATLAB: `X(~isfinite(X)) = 0;`), or crop the pixels that hold them';
  if (opts.dropBands !== undefined) {
    const fixed = [...new Set(opts.dropBands)].sort((a, b) => a - b);
    if (!fixed.every((b) => Number.isInteger(b) && b >= 0 && b < cube.bands)) {
      throw new ConfigError('dropBands', `zero-based band indices from 0 to ${cube.bands - 1}`, [...opts.dropBands]);
    }
    const fixedSet = new Set(fixed);
    const left = bad.filter((b) => !fixedSet.has(b));
    if (left.length > 0) {
      throw new DataError(
        `${what} holds NaN or infinite values in ${bandList(left)}, which the band selection given keeps${first}`,
        `${cleanFix}; the model was trained without bands ${bandList(fixed, false)} only`,
      );
    }
    if (fixed.length === cube.bands) throw new ConfigError('dropBands', `fewer than all ${cube.bands} bands`, `all of them`);
    return { bands: fixed, warnings: [] };
  }
  const warnings: string[] = [];
  const markedList = [...marked].sort((a, b) => a - b);
  if (markedList.length > 0) {
    if (markedList.length === cube.bands) {
      throw new DataError(`${what}: the file marks every band bad (bbl all 0), so none is left to use`, 'correct the bbl list in the header (1 = good band)');
    }
    warnings.push(`${what}: dropped ${bandList(markedList)}, which the file marks bad (bbl = 0); ${cube.bands - markedList.length} bands are left.`);
  }
  if (bad.length === 0) return { bands: markedList, warnings };
  const summary = `${total} NaN or infinite value${total === 1 ? '' : 's'} in ${bad.length} of its ${cube.bands} bands${first} (counting from 1)`;
  if (bad.length + markedList.length === cube.bands) {
    throw new DataError(`${what} holds ${summary}: every band${markedList.length > 0 ? ' not marked bad' : ''} has some, so none is left to use`, cleanFix);
  }
  if (opts.nonFinite === 'error') throw new DataError(`${what} holds ${summary}`, `${cleanFix}, or let the loader drop those bands`);
  const left = cube.bands - bad.length - markedList.length;
  warnings.push(`${what}: dropped ${bandList(bad)} (${summary.replace(/ \(counting from 1\)$/, '')}); ${left} bands are left.`);
  return { bands: [...markedList, ...bad].sort((a, b) => a - b), warnings };
}

/** Removes bands from a BIP cube in place; the result's data is a view of the start of the same buffer. */
export function removeBands(cube: CubeBIP, drop: readonly number[]): CubeBIP {
  const { bands, data } = cube;
  const keep: number[] = [];
  const dropped = new Set(drop);
  for (let b = 0; b < bands; b++) if (!dropped.has(b)) keep.push(b);
  const n = cube.height * cube.width;
  const k = keep.length;
  // Writing pixel p at p*k never overtakes reading it at p*bands (k < bands), so no copy is needed.
  for (let p = 0, w = 0; p < n; p++) {
    const o = p * bands;
    for (let j = 0; j < k; j++) data[w++] = data[o + keep[j]];
  }
  return { height: cube.height, width: cube.width, bands: k, data: data.subarray(0, n * k) };
}

/** rgbBands given for the file's bands, renumbered for the kept ones (a dropped one: its nearest kept band). */
export function remapRgb(
  rgb: readonly [number, number, number], drop: readonly number[], bands: number, warnings: string[],
): [number, number, number] {
  if (drop.length === 0) return [rgb[0], rgb[1], rgb[2]];
  const dropped = new Set(drop);
  const kept: number[] = [];
  for (let b = 0; b < bands; b++) if (!dropped.has(b)) kept.push(b);
  const out = rgb.map((b) => {
    let best = 0;
    for (let j = 1; j < kept.length; j++) if (Math.abs(kept[j] - b) < Math.abs(kept[best] - b)) best = j;
    if (kept[best] !== b) warnings.push(`false-colour band ${b + 1} was dropped; band ${kept[best] + 1} is shown instead (counting from 1).`);
    return best;
  });
  return [out[0], out[1], out[2]];
}

/** "band 5" / "bands 5, 6, 100" (counting from 1, as MATLAB does), shortened past 20 entries. */
export function bandList(zeroBased: readonly number[], word = true): string {
  const shown = zeroBased.slice(0, 20).map((b) => b + 1).join(', ');
  const more = zeroBased.length > 20 ? ` and ${zeroBased.length - 20} more` : '';
  return `${word ? (zeroBased.length === 1 ? 'band ' : 'bands ') : ''}${shown}${more}`;
}
