/**
 * The two pixel-level splits: `random` (a stratified fraction of every class, the paper's protocol)
 * and `per-class` (a fixed count of every class, the usual "N samples per class" protocol).
 *
 * Neither is spatially disjoint: a test pixel's patch window usually contains training pixels, which is
 * why published accuracies under these protocols are optimistic. They are kept because they reproduce
 * the literature; `makeSplit` counts the exposed test pixels and says so in the split's description.
 *
 * Random stream: 'split', one shuffle per class in `classes` order: the same draws as the original
 * `splitPixels`, so existing seeds give the same train/test split as before.
 */
import { DataError } from '../core/errors.ts';
import type { ClassInfo, LabelMap } from '../core/types.ts';
import { createRng } from '../util/random.ts';
import { className, emptyRoleGrid, pixelsByClass, SplitRole, type RoleGrid } from './splitRoles.ts';

/**
 * Share of a class's pixels trained on under `per-class` when the class has no more pixels than the
 * count asked: half (rounded down, at least one), so it is still both learned and measured.
 */
export const SMALL_CLASS_TRAIN_SHARE = 0.5;

export interface StratifiedAssignment {
  readonly grid: RoleGrid;
  readonly warnings: string[];
  /** Classes that got the small-class share under `per-class` (indices into `classes`). */
  readonly smallClasses: number[];
}

/** How many of a class's n pixels train under `random`: the fraction, rounded, with one pixel kept on each side. */
function randomTrainCount(n: number, trainFraction: number): number {
  return Math.min(n - 1, Math.max(1, Math.round(n * trainFraction)));
}

/** How many of a class's n pixels train under `per-class`: N, or the small-class share when n ≤ N. */
function perClassTrainCount(n: number, trainPerClass: number): number {
  return trainPerClass < n ? trainPerClass : Math.max(1, Math.floor(n * SMALL_CLASS_TRAIN_SHARE));
}

/**
 * Assigns each class's pixels to train or test: `trainCount(n)` random pixels of a class of n train,
 * the rest test. Throws a DataError for a class with fewer than 2 pixels (it could not be both learned
 * and measured).
 */
export function assignStratified(
  labels: LabelMap,
  classes: readonly ClassInfo[],
  seed: number,
  mode: { kind: 'random'; trainFraction: number } | { kind: 'per-class'; trainPerClass: number },
): StratifiedAssignment {
  const rng = createRng(seed, 'split');
  const grid = emptyRoleGrid(labels);
  const warnings: string[] = [];
  const smallClasses: number[] = [];
  pixelsByClass(labels, classes).forEach((pixels, k) => {
    const n = pixels.length;
    const name = className(classes[k]!);
    if (n < 2) {
      throw new DataError(
        `${name} has ${n} labelled pixel${n === 1 ? '' : 's'}: a class needs at least 2, one to train and one to test`,
        'relabel or remove that class in the label map, or choose a scene where every class has at least 2 pixels',
      );
    }
    let nTrain: number;
    if (mode.kind === 'per-class') {
      nTrain = perClassTrainCount(n, mode.trainPerClass);
      if (n <= mode.trainPerClass) {
        smallClasses.push(k);
        warnings.push(`${name} has only ${n} pixels, fewer than --train-per-class ${mode.trainPerClass}: trained on ${nTrain}, tested on ${n - nTrain}`);
      }
    } else {
      nTrain = randomTrainCount(n, mode.trainFraction);
    }
    // Shuffle a copy: the list is ascending, so the draws depend only on the seed and the pixel set.
    const order = Int32Array.from(pixels);
    rng.shuffle(order);
    order.forEach((p, i) => {
      grid.role[p] = i < nTrain ? SplitRole.train : SplitRole.test;
      grid.classOf[p] = k;
    });
  });
  return { grid, warnings, smallClasses };
}
