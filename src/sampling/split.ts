/**
 * The original two-way split API, kept for callers that need no validation set: `splitPixels` is
 * `makeSplit` with the `random` or `per-class` strategy (same seed, same pixels as before), without the
 * validation set and the window accounting. New code should call `makeSplit` (makeSplit.ts).
 */
import { ConfigError } from '../core/errors.ts';
import { makeSplit } from './makeSplit.ts';
import type { ClassInfo, LabelMap } from '../core/types.ts';

export { pixelsByClass } from './splitRoles.ts';

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

/** Stratified random split: the same fraction (or count) of every class goes to training. */
export function splitPixels(labels: LabelMap, classes: readonly ClassInfo[], opts: SplitOptions): PixelSplit {
  const { trainFraction, trainPerClass, seed } = opts;
  if (trainPerClass === undefined && trainFraction === undefined) {
    // makeSplit would default to 0.8; this API has always asked for one explicitly.
    throw new ConfigError('--train-fraction', 'a number between 0 and 1 (exclusive)', undefined);
  }
  const s = makeSplit(labels, classes, {
    strategy: trainPerClass !== undefined ? 'per-class' : 'random',
    seed,
    patch: 1, // a 1×1 window: no exposure accounting wanted here
    trainFraction,
    trainPerClass,
  });
  return { train: s.train, trainClasses: s.trainClasses, test: s.test, testClasses: s.testClasses, warnings: s.warnings };
}
