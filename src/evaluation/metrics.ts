/**
 * Classification metrics from a confusion matrix, the same for hyperspectral and image runs.
 * Class indices are model outputs 0..K-1; callers map them to label values and names.
 */
import { disagreement, INTERVAL_METHOD, wilsonInterval } from './accuracy.ts';

/** A 95 % interval [low, high]; null where there are no samples to estimate from. */
export type Interval = readonly [number, number] | null;

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
  /** Producer's accuracy (= recall): share of the class's test samples mapped as it; null without samples. */
  readonly producersAccuracy: number | null;
  readonly producersAccuracyCI95: Interval;
  /** User's accuracy (= precision): share of samples mapped as the class that are it; null if never predicted. */
  readonly usersAccuracy: number | null;
  readonly usersAccuracyCI95: Interval;
  /** 1 − producer's accuracy: the class's samples mapped as something else. */
  readonly omissionError: number | null;
  /** 1 − user's accuracy: samples mapped as the class that are something else. */
  readonly commissionError: number | null;
}

export interface Metrics {
  /** Fraction of test samples classified correctly (0..1). */
  readonly overallAccuracy: number;
  /** Mean of per-class recall over classes that have test samples (0..1). */
  readonly averageAccuracy: number;
  /**
   * Cohen's kappa: agreement beyond chance (1 perfect, 0 chance). Kept for comparison with the literature;
   * Pontius & Millones (2011) and Foody (2020) advise against it: read the disagreements instead.
   */
  readonly kappa: number;
  /** 95 % interval of the overall accuracy (see `intervalMethod`). */
  readonly overallAccuracyCI95: Interval;
  /** How the intervals were computed and what they assume. */
  readonly intervalMethod: string;
  /** Pontius & Millones (2011): share of test samples in disagreement because class amounts differ. */
  readonly quantityDisagreement: number;
  /** …and because the amounts agree but the places differ; quantity + allocation = 1 − OA. */
  readonly allocationDisagreement: number;
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
    const producers = rowSums[i]! > 0 ? recall : null;
    const users = colSums[i]! > 0 ? precision : null;
    return {
      label: c.label, name: c.name, support: rowSums[i]!, precision, recall, f1,
      producersAccuracy: producers,
      producersAccuracyCI95: wilsonInterval(tp, rowSums[i]!),
      usersAccuracy: users,
      usersAccuracyCI95: wilsonInterval(tp, colSums[i]!),
      omissionError: producers === null ? null : 1 - producers,
      commissionError: users === null ? null : 1 - users,
    };
  });
  const present = perClass.filter((c) => c.support > 0);
  const oa = total > 0 ? correct / total : 0;
  let expected = 0;
  for (let i = 0; i < k; i++) expected += rowSums[i]! * colSums[i]!;
  const pe = total > 0 ? expected / (total * total) : 0;
  // Kappa is undefined when chance agreement is 1 (one class only); report 1 if all are right then.
  const kappa = pe < 1 ? (oa - pe) / (1 - pe) : oa === 1 ? 1 : 0;
  const split = disagreement(matrix);
  return {
    overallAccuracy: oa,
    averageAccuracy: present.length > 0 ? present.reduce((a, c) => a + c.recall, 0) / present.length : 0,
    kappa,
    overallAccuracyCI95: wilsonInterval(correct, total),
    intervalMethod: INTERVAL_METHOD,
    quantityDisagreement: split.quantity,
    allocationDisagreement: split.allocation,
    perClass,
    confusionMatrix: matrix.map((row) => [...row]),
  };
}
