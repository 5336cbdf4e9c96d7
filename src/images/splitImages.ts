/**
 * Training and test images of a run: the dataset's own test set when it has one, else a stratified
 * seeded split of its images; optionally cut to stratified seeded subsets (--max-train, --max-test).
 * The train/test split is the scene path's makeSplit (random, stratified), applied to the images as a 1×N "label map", so
 * both paths split the same way.
 */
import { makeSplit } from '../sampling/makeSplit.ts';
import type { ClassInfo } from '../core/types.ts';
import { createRng, deriveSeed } from '../util/random.ts';
import { selectImages, type ImageSet, type LoadedImageDataset } from './types.ts';

export interface ImageSplitOptions {
  /** Share of each class for training when the dataset has no test set (0..1). */
  trainFraction: number;
  maxTrain?: number;
  maxTest?: number;
  seed: number;
}

export interface ImageSplit {
  readonly train: ImageSet;
  /** Class index (0..K−1) of each training image. */
  readonly trainClasses: Int32Array;
  readonly test: ImageSet;
  readonly testClasses: Int32Array;
  /** How the sets were made, for the report. */
  readonly protocol: string;
  readonly warnings: readonly string[];
}

const asLabelMap = (set: ImageSet) => ({ height: 1, width: set.count, data: set.labels });

export function splitImages(ds: LoadedImageDataset, opts: ImageSplitOptions): ImageSplit {
  const warnings: string[] = [];
  let train: ImageSet;
  let test: ImageSet;
  let protocol: string;
  if (ds.test) {
    train = ds.train;
    test = ds.test;
    protocol = "the dataset's own training and test sets";
  } else {
    const split = makeSplit(asLabelMap(ds.train), ds.classes, { strategy: 'random', trainFraction: opts.trainFraction, seed: opts.seed, patch: 1 });
    warnings.push(...split.warnings);
    train = selectImages(ds.train, split.train);
    test = selectImages(ds.train, split.test);
    protocol = `random stratified split, ${(100 * opts.trainFraction).toFixed(1)}% of each class for training (seed ${opts.seed})`;
  }
  if (opts.maxTrain !== undefined && opts.maxTrain < train.count) {
    train = subset(train, opts.maxTrain, deriveSeed(opts.seed, 'max-train'));
    protocol += `; a stratified subset of ${train.count} training images`;
  }
  if (opts.maxTest !== undefined && opts.maxTest < test.count) {
    test = subset(test, opts.maxTest, deriveSeed(opts.seed, 'max-test'));
    protocol += `; a stratified subset of ${test.count} test images`;
  }
  return { train, trainClasses: classIndices(train, ds.classes), test, testClasses: classIndices(test, ds.classes), protocol, warnings };
}

/**
 * Exactly `max` images of `set`, each class keeping its share (largest-remainder rounding, so the counts
 * add up to `max` exactly, which splitPixels' per-class rounding does not promise), chosen by `seed`.
 */
function subset(set: ImageSet, max: number, seed: number): ImageSet {
  const byClass = new Map<number, number[]>();
  set.labels.forEach((v, i) => {
    const list = byClass.get(v);
    if (list) list.push(i);
    else byClass.set(v, [i]);
  });
  const groups = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
  const exact = groups.map((g) => (max * g.length) / set.count);
  const quota = exact.map(Math.floor);
  let left = max - quota.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, k) => [e - Math.floor(e), k] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, k] of byRemainder) if (left-- > 0) quota[k]!++;
  const rng = createRng(seed);
  const chosen = groups.flatMap((g, k) => Array.from(rng.shuffle(Int32Array.from(g)).subarray(0, quota[k]!)));
  return selectImages(set, chosen.sort((a, b) => a - b));
}

/** Model output index of each image's label. */
function classIndices(set: ImageSet, classes: readonly ClassInfo[]): Int32Array {
  const index = new Map(classes.map((c, k) => [c.value, k]));
  return Int32Array.from(set.labels, (v) => {
    const k = index.get(v);
    if (k === undefined) throw new RangeError(`classIndices: label ${v} is not a class`);
    return k;
  });
}
