/**
 * Train/test splits of a scene's labelled pixels: stratified by class, seeded, disjoint.
 * Pixels are row-major indices (r * width + c); class indices follow `classes` order (model outputs).
 */
import { ConfigError, DataError } from '../errors.ts';
import { createRng } from '../util/random.ts';
import type { ClassInfo, LabelMap } from '../scene/types.ts';

export interface SplitOptions {
  /** Share of each class's pixels used for training (0..1); the paper uses 0.8. */
  trainFraction?: number;
  /** Instead of a fraction: this many training pixels per class. */
  trainPerClass?: number;
  /** Every random choice follows this seed. */
  seed: number;
}

export interface PixelSplit {
  /** Training pixels, ascending. */
  readonly train: Int32Array;
  /** Class index (0..K-1) of each training pixel. */
  readonly trainClasses: Int32Array;
  /** Test pixels, ascending; disjoint from train. */
  readonly test: Int32Array;
  readonly testClasses: Int32Array;
  /** Things the user should know (e.g. a class too small for the count asked). */
  readonly warnings: readonly string[];
}

/** The pixels of each class, ascending, in `classes` order. */
export function pixelsByClass(labels: LabelMap, classes: readonly ClassInfo[]): Int32Array[] {
  const indexOf = new Map(classes.map((c, k) => [c.value, k]));
  const counts = new Int32Array(classes.length);
  for (const v of labels.data) {
    const k = indexOf.get(v);
    if (k !== undefined) counts[k]!++;
  }
  const lists = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(classes.length);
  labels.data.forEach((v, i) => {
    const k = indexOf.get(v);
    if (k !== undefined) lists[k]![fill[k]!++] = i;
  });
  return lists;
}

/** Stratified random split: the same fraction (or count) of every class goes to training. */
export function splitPixels(labels: LabelMap, classes: readonly ClassInfo[], opts: SplitOptions): PixelSplit {
  const { trainFraction, trainPerClass, seed } = opts;
  if (trainPerClass !== undefined) {
    if (!Number.isInteger(trainPerClass) || trainPerClass < 1) {
      throw new ConfigError('--train-per-class', 'a positive integer', trainPerClass);
    }
  } else if (trainFraction === undefined || !(trainFraction > 0 && trainFraction < 1)) {
    throw new ConfigError('--train-fraction', 'a number between 0 and 1 (exclusive)', trainFraction);
  }
  const rng = createRng(seed, 'split');
  const warnings: string[] = [];
  const train: [number, number][] = [];
  const test: [number, number][] = [];
  pixelsByClass(labels, classes).forEach((pixels, k) => {
    const n = pixels.length;
    const name = `class ${classes[k]!.value} (${classes[k]!.name})`;
    if (n < 2) {
      throw new DataError(
        `${name} has ${n} labelled pixel${n === 1 ? '' : 's'}: a class needs at least 2, one to train and one to test`,
        'relabel or remove that class in the label map, or choose a scene where every class has at least 2 pixels',
      );
    }
    let nTrain: number;
    if (trainPerClass !== undefined) {
      nTrain = trainPerClass;
      if (nTrain >= n) {
        nTrain = Math.floor(n / 2);
        warnings.push(`${name} has only ${n} pixels, fewer than --train-per-class ${trainPerClass}: trained on ${nTrain}, tested on ${n - nTrain}`);
      }
    } else {
      // At least one pixel on each side, so every class is both learned and measured.
      nTrain = Math.min(n - 1, Math.max(1, Math.round(n * trainFraction!)));
    }
    const order = Int32Array.from(pixels);
    rng.shuffle(order);
    order.forEach((p, i) => (i < nTrain ? train : test).push([p, k]));
  });
  const pack = (pairs: [number, number][]) => {
    pairs.sort((a, b) => a[0] - b[0]);
    return [Int32Array.from(pairs, (p) => p[0]), Int32Array.from(pairs, (p) => p[1])] as const;
  };
  const [trainPx, trainCl] = pack(train);
  const [testPx, testCl] = pack(test);
  return { train: trainPx, trainClasses: trainCl, test: testPx, testClasses: testCl, warnings };
}
