/**
 * Classification metrics from a confusion matrix, the same for hyperspectral and image runs.
 * Class indices are model outputs 0..K-1; callers map them to label values and names.
 */

/** Per-class results; `recall` is the class's accuracy (producer's accuracy in remote sensing). */
export interface ClassMetrics {
  /** The class's label value in the scene (or index for image datasets). */
  readonly label: number;
  readonly name: string;
  /** Number of test samples of this class. */
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface Metrics {
  /** Fraction of test samples classified correctly (0..1). */
  readonly overallAccuracy: number;
  /** Mean of per-class recall over classes that have test samples (0..1). */
  readonly averageAccuracy: number;
  /** Cohen's kappa: agreement beyond chance (1 perfect, 0 chance). */
  readonly kappa: number;
  readonly perClass: readonly ClassMetrics[];
  /** confusionMatrix[t][p]: samples of true class t predicted as p. */
  readonly confusionMatrix: readonly (readonly number[])[];
}

/** Counts (true, predicted) pairs into a K×K matrix, rows = true class. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  if (truth.length !== predicted.length) {
    throw new RangeError(`confusionMatrix: ${truth.length} true labels but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`confusionMatrix: sample ${i} has class ${t} → ${p}, outside 0..${numClasses - 1}`);
    }
    m[t]![p]!++;
  }
  return m;
}

/**
 * OA, AA, kappa and per-class precision/recall/F1 from a confusion matrix (rows true).
 * A class with no test samples has recall 0 and is left out of AA; a class never predicted has
 * precision 0; F1 is 0 when precision + recall is 0.
 */
export function metricsFromConfusion(
  matrix: readonly (readonly number[])[],
  classes: readonly { readonly label: number; readonly name: string }[],
): Metrics {
  const k = matrix.length;
  if (classes.length !== k) throw new RangeError(`metrics: ${k}×${k} matrix but ${classes.length} classes`);
  const rowSums = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: k }, (_, j) => matrix.reduce((a, row) => a + row[j]!, 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  let correct = 0;
  for (let i = 0; i < k; i++) correct += matrix[i]![i]!;
  const perClass: ClassMetrics[] = classes.map((c, i) => {
    const tp = matrix[i]![i]!;
    const precision = colSums[i]! > 0 ? tp / colSums[i]! : 0;
    const recall = rowSums[i]! > 0 ? tp / rowSums[i]! : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: c.label, name: c.name, support: rowSums[i]!, precision, recall, f1 };
  });
  const present = perClass.filter((c) => c.support > 0);
  const oa = total > 0 ? correct / total : 0;
  let expected = 0;
  for (let i = 0; i < k; i++) expected += rowSums[i]! * colSums[i]!;
  const pe = total > 0 ? expected / (total * total) : 0;
  // Kappa is undefined when chance agreement is 1 (one class only); report 1 if all are right then.
  const kappa = pe < 1 ? (oa - pe) / (1 - pe) : oa === 1 ? 1 : 0;
  return {
    overallAccuracy: oa,
    averageAccuracy: present.length > 0 ? present.reduce((a, c) => a + c.recall, 0) / present.length : 0,
    kappa,
    perClass,
    confusionMatrix: matrix.map((row) => [...row]),
  };
}
