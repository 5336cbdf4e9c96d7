/** Summaries over repeated runs: mean ± sample standard deviation, and paired model comparisons. */

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single run. */
  std: number;
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

export interface Paired {
  /** Runs compared (seeds both models ran on). */
  n: number;
  /** Mean of (a − b) over the pairs, with its sample standard deviation. */
  difference: MeanStd;
  /** Pairs where a scored higher, where b did, and equal. */
  winsA: number;
  winsB: number;
  ties: number;
}

/** Compares two models seed by seed: `a[i]` and `b[i]` come from the same seed and split. */
export function paired(a: readonly number[], b: readonly number[]): Paired {
  if (a.length !== b.length) throw new RangeError(`paired: ${a.length} and ${b.length} values`);
  const diffs = a.map((v, i) => v - b[i]!);
  return {
    n: a.length,
    difference: meanStd(diffs),
    winsA: diffs.filter((d) => d > 0).length,
    winsB: diffs.filter((d) => d < 0).length,
    ties: diffs.filter((d) => d === 0).length,
  };
}
