/**
 * Accuracy as map users report it (Olofsson et al. 2014; Foody 2020): proportions with confidence
 * intervals, and disagreement split into quantity and allocation (Pontius & Millones 2011).
 *
 * Hand-written because each is a few lines of closed-form arithmetic; the tests check them against
 * SciPy's binomtest(...).proportion_ci(method='wilson') and a worked matrix.
 */

/** z for a two-sided 95 % interval: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959963984540054;

/** What the intervals in metrics.json are, in words (written beside them). */
export const INTERVAL_METHOD =
  'Wilson score interval, 95 % (z = 1.96), treating the test samples as a simple random sample of the map; spatially clustered test pixels make it too narrow';

/**
 * Wilson score interval for a binomial proportion of `successes` in `n` trials (Wilson 1927).
 * Unlike the normal ("Wald") interval it stays inside [0, 1] and is not zero-width at 0 or n.
 * Returns null when n is 0: there is nothing to estimate.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z95): [number, number] | null {
  if (!(n > 0)) return null;
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface Disagreement {
  /** Share of samples where the amounts per class differ: ½ Σ_g |row_g − col_g| / N. */
  quantity: number;
  /** Share where the amounts agree but the places differ: ½ Σ_g 2·min(row_g − n_gg, col_g − n_gg) / N. */
  allocation: number;
}

/**
 * Pontius & Millones (2011) quantity and allocation disagreement from a confusion matrix (rows true),
 * as proportions of all samples; quantity + allocation = 1 − OA.
 */
export function disagreement(matrix: readonly (readonly number[])[]): Disagreement {
  const k = matrix.length;
  let total = 0;
  let quantity = 0;
  let allocation = 0;
  for (let g = 0; g < k; g++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += matrix[g]![j]!;
      col += matrix[j]![g]!;
    }
    total += row;
    const diag = matrix[g]![g]!;
    quantity += Math.abs(row - col);
    allocation += 2 * Math.min(row - diag, col - diag);
  }
  if (total === 0) return { quantity: 0, allocation: 0 };
  return { quantity: quantity / 2 / total, allocation: allocation / 2 / total };
}
