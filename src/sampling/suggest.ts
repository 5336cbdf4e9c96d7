/**
 * Where to label next (uncertainty sampling): the candidate pixels the model is least sure of — the
 * smallest margin between its two most probable classes, or, with several models (an experiment's
 * seeds), the pixels they disagree on most, ties to the smaller mean margin — spread out so that no two
 * are closer than a spacing. Pure: typed arrays in, pixel indices out; the run-folder side is
 * pipeline/suggestRun.ts.
 */
import { checkInteger } from '../core/errors.ts';

/**
 * p(first) − p(second) of every sample: `probabilities` is sample-major (class k of sample j at
 * [j * classes + k]). 0 means a tie between the two best classes, 1 a certain model. One class: 1.
 */
export function marginsOf(probabilities: Float32Array, classes: number): Float32Array {
  checkInteger('classes', classes, 1);
  if (probabilities.length % classes !== 0) throw new RangeError(`marginsOf: ${probabilities.length} values are not whole samples of ${classes} classes`);
  const n = probabilities.length / classes;
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let first = -Infinity, second = -Infinity;
    for (let k = 0; k < classes; k++) {
      const p = probabilities[j * classes + k]!;
      if (p > first) {
        second = first;
        first = p;
      } else if (p > second) second = p;
    }
    out[j] = classes === 1 ? 1 : first - second;
  }
  return out;
}

/** The most probable class (0-based) of every sample, ties to the lower class. */
export function argmaxOf(probabilities: Float32Array, classes: number): Int32Array {
  const n = probabilities.length / classes;
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[j * classes + k]! > probabilities[j * classes + best]!) best = k;
    out[j] = best;
  }
  return out;
}

/**
 * How much several models disagree on each sample: the share of models whose class differs from the
 * majority's (0 = all agree; with m models at most 1 − 1/m). `votes[i][j]` is model i's class of sample j.
 */
export function disagreementOf(votes: readonly Int32Array[], classes: number): Float32Array {
  const m = votes.length;
  if (m === 0) throw new RangeError('disagreementOf: no models');
  const n = votes[0]!.length;
  if (votes.some((v) => v.length !== n)) throw new RangeError('disagreementOf: the models voted on different numbers of samples');
  const counts = new Int32Array(classes);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    counts.fill(0);
    let top = 0;
    for (let i = 0; i < m; i++) top = Math.max(top, ++counts[votes[i]![j]!]!);
    out[j] = (m - top) / m;
  }
  return out;
}

export interface SuggestInput {
  /** Scene width in pixels (pixel p lies at row ⌊p / width⌋, column p mod width). */
  readonly width: number;
  /** Candidate pixels (row-major indices), each at most once: already-labelled pixels are left out by the caller. */
  readonly candidates: Int32Array;
  /** Margin of each candidate (marginsOf; with several models their mean). */
  readonly margin: Float32Array;
  /** Disagreement of each candidate between several models (disagreementOf), ranked before the margin. */
  readonly disagreement?: Float32Array;
  /** Pixels to return (fewer when the spacing leaves fewer). */
  readonly size: number;
  /**
   * No two returned pixels lie within `spacing − 1` rows and `spacing − 1` columns of each other, so with
   * spacing = the patch side their patches do not overlap; 1 allows neighbours.
   */
  readonly spacing: number;
  /** Pixels already chosen (e.g. this round's earlier picks) that the new ones keep the spacing from. */
  readonly keepAwayFrom?: Int32Array;
}

export interface Suggestion {
  /** Row-major pixel indices, most uncertain first. */
  readonly pixels: Int32Array;
  /** Position of each returned pixel in `candidates`. */
  readonly positions: Int32Array;
}

/**
 * The `size` most uncertain candidates subject to the spacing: candidates are ranked (disagreement
 * descending, then margin ascending, then pixel index) and taken greedily, each one skipped when it lies
 * too close to one already taken. NaN margins (no prediction) are never taken.
 */
export function suggestPixels(input: SuggestInput): Suggestion {
  const { width, candidates, margin, disagreement, size, spacing } = input;
  checkInteger('--size', size, 1);
  checkInteger('--spacing', spacing, 1);
  if (!(width > 0)) throw new RangeError(`suggestPixels: width ${width}`);
  if (margin.length !== candidates.length) throw new RangeError(`suggestPixels: ${candidates.length} candidates but ${margin.length} margins`);
  if (disagreement && disagreement.length !== candidates.length) throw new RangeError(`suggestPixels: ${candidates.length} candidates but ${disagreement.length} disagreements`);
  const order: number[] = [];
  for (let i = 0; i < candidates.length; i++) if (!Number.isNaN(margin[i]!)) order.push(i);
  order.sort((a, b) => (disagreement ? disagreement[b]! - disagreement[a]! : 0) || margin[a]! - margin[b]! || candidates[a]! - candidates[b]!);
  // Taken pixels bucketed in cells of spacing × spacing: a pixel too close to one taken lies in the same or a neighbouring cell.
  const cells = new Map<number, number[]>();
  const cellKey = (r: number, c: number) => r * 1_048_576 + c;
  const take = (p: number) => {
    const key = cellKey(Math.floor(Math.floor(p / width) / spacing), Math.floor((p % width) / spacing));
    const list = cells.get(key);
    if (list) list.push(p);
    else cells.set(key, [p]);
  };
  const tooClose = (p: number): boolean => {
    if (spacing === 1) return false;
    const r = Math.floor(p / width), c = p % width;
    const cr = Math.floor(r / spacing), cc = Math.floor(c / spacing);
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        for (const q of cells.get(cellKey(cr + dr, cc + dc)) ?? []) {
          if (Math.abs(Math.floor(q / width) - r) < spacing && Math.abs((q % width) - c) < spacing) return true;
        }
      }
    }
    return false;
  };
  for (const p of input.keepAwayFrom ?? []) take(p);
  const positions: number[] = [];
  const seen = new Set<number>();
  for (const i of order) {
    if (positions.length >= size) break;
    const p = candidates[i]!;
    if (seen.has(p)) throw new RangeError(`suggestPixels: pixel ${p} is a candidate twice`);
    seen.add(p);
    if (tooClose(p)) continue;
    take(p);
    positions.push(i);
  }
  return { pixels: Int32Array.from(positions, (i) => candidates[i]!), positions: Int32Array.from(positions) };
}
