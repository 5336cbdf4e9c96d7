/**
 * Training / validation / test splits of a scene's labelled pixels, by one of four strategies:
 *
 * - `random`    a stratified fraction of every class trains (the paper's protocol; not spatially disjoint);
 * - `per-class` N pixels of every class train (classes with ≤ N pixels: half, never all);
 * - `blocks`    spatially disjoint: whole square blocks per set, and every validation/test pixel whose
 *               patch window would contain a training pixel dropped (see blockSplit.ts);
 * - `maps`      given training and test label maps (published fixed splits; see mapSplit.ts);
 * - `polygons`  a mapper's polygons kept whole: each on one side, with the guard band of `blocks`
 *               (see polygonSplit.ts).
 *
 * Validation is always carved from the training side, never from the test side: under `random`,
 * `per-class` and `maps` as a stratified random share of each class's training pixels; under `blocks`
 * as whole blocks, kept clear of training windows like the test blocks. Every strategy reports how many
 * kept test and validation pixels have a training pixel inside their window (`exposed`, 0 under
 * `blocks` by construction), so a report can say how far its test set is from independent.
 *
 * Everything here is a pure function of its arguments: the same labels, options and seed give the same
 * split on every machine. Options that do not apply to the chosen strategy are ignored (the CLI is
 * where a misplaced flag is refused).
 */
import { ConfigError, DataError } from '../core/errors.ts';
import type { ClassInfo, LabelMap } from '../core/types.ts';
import { checkSeed } from '../util/random.ts';
import { assignBlocks } from './blockSplit.ts';
import { assignFromMaps } from './mapSplit.ts';
import { assignPolygons } from './polygonSplit.ts';
import { carveValidation, className, formatCount, roleCounts, SplitRole, type RoleGrid } from './splitRoles.ts';
import { assignStratified, SMALL_CLASS_TRAIN_SHARE } from './stratifiedSplit.ts';
import { patchRadius, windowsTouching } from './windowGuard.ts';

export type SplitStrategy = 'random' | 'per-class' | 'blocks' | 'maps' | 'polygons';
export const SPLIT_STRATEGIES: readonly SplitStrategy[] = ['random', 'per-class', 'blocks', 'maps', 'polygons'];

/** Training share under `random` and `blocks` when none is given: the paper's 80%. */
export const DEFAULT_TRAIN_FRACTION = 0.8;
/** Block side under `blocks` when none is given, in pixels. */
export const DEFAULT_BLOCK_SIZE = 32;

export interface MakeSplitOptions {
  strategy: SplitStrategy;
  /** Every random choice follows this seed (any safe integer). */
  seed: number;
  /**
   * Patch (window) size, odd: `blocks` drops validation/test pixels whose patch×patch window holds a
   * training pixel; every strategy counts such pixels in `exposed`. 1 for spectral (pixel) models.
   */
  patch: number;
  /** `random`: share of each class that trains; `blocks`: target training share. Default 0.8. */
  trainFraction?: number;
  /** `per-class` (required there): training pixels per class; classes with ≤ N pixels train on half. */
  trainPerClass?: number;
  /** Share of the training side held out for validation, stratified; 0 ≤ v < 1, default 0. */
  valFraction?: number;
  /** `blocks`: block side in pixels, default 32. */
  blockSize?: number;
  /** `maps` (required there): training pixels; values are the scene's label values, 0 unlabelled. */
  trainMap?: LabelMap;
  /** `maps`: test pixels; absent: every pixel the scene labels and the training map does not. */
  testMap?: LabelMap;
  /** `maps`: map value v stands for scene value mapRelabel[v] (e.g. INDIAN_PINES_DISJOINT_RELABEL). */
  mapRelabel?: readonly number[];
  /** `polygons` (required there): H×W, which polygon (feature index + 1) covers each pixel, 0 none. */
  polygonOf?: Int32Array;
  /**
   * Accept a split without test pixels (training polygons alone: the map's accuracy then comes from
   * a sample, `spinalnet sample` and `assess`). Default false: an empty test set is an error.
   */
  allowNoTest?: boolean;
}

export interface SceneSplit {
  /** Row-major pixel indices (r * width + c), ascending, and each pixel's class index 0..K-1 (`classes` order). */
  readonly train: Int32Array;
  readonly trainClasses: Int32Array;
  readonly validation: Int32Array;
  readonly validationClasses: Int32Array;
  readonly test: Int32Array;
  readonly testClasses: Int32Array;
  /** Things the user should know: small classes, classes missing from a set, map oddities. */
  readonly warnings: readonly string[];
  /** Validation/test pixels dropped because their window contained a training pixel (`blocks` only). */
  readonly dropped: { readonly test: number; readonly validation: number };
  /** Kept validation/test pixels whose window contains a training pixel (0 under `blocks`). */
  readonly exposed: { readonly test: number; readonly validation: number };
  readonly strategy: SplitStrategy;
  /** One sentence for report.md: the protocol, the sizes, and how independent the test set is. */
  readonly description: string;
}

/** Splits the scene's labelled pixels by `opts.strategy`; see the file comment. */
export function makeSplit(labels: LabelMap, classes: readonly ClassInfo[], opts: MakeSplitOptions): SceneSplit {
  const { strategy, seed, patch } = opts;
  if (!SPLIT_STRATEGIES.includes(strategy)) {
    throw new ConfigError('--split', `one of ${SPLIT_STRATEGIES.join(', ')}`, strategy);
  }
  checkSeed(seed, '--seed');
  if (!Number.isInteger(patch) || patch < 1 || patch % 2 === 0) {
    throw new ConfigError('--patch', 'an odd positive integer (e.g. 15)', patch);
  }
  const valFraction = opts.valFraction ?? 0;
  if (typeof valFraction !== 'number' || !(valFraction >= 0 && valFraction < 1)) {
    throw new ConfigError('--val-fraction', 'a number from 0 up to (not including) 1', valFraction);
  }
  const { grid, warnings, dropped, protocol } =
    strategy === 'random' || strategy === 'per-class'
      ? stratified(labels, classes, opts, valFraction)
      : strategy === 'blocks'
        ? blocks(labels, classes, opts, valFraction)
        : strategy === 'polygons'
          ? polygons(labels, classes, opts, valFraction)
          : maps(labels, classes, opts, valFraction);

  const counts = roleCounts(grid, classes.length);
  // Under the other strategies carveValidation already named the classes too small to validate.
  const hint =
    strategy === 'blocks' ? ': its pixels lie in too few blocks, or too close together, to share out without a test window seeing a training pixel (a smaller --block-size may help)' : '';
  warnings.push(...missingClassWarnings(counts, classes, strategy === 'blocks' && valFraction > 0, hint));
  const split = pack(grid);
  if (split.train.length === 0 || (split.test.length === 0 && !opts.allowNoTest)) {
    const which = split.train.length === 0 ? 'training' : 'test';
    throw new DataError(
      `the ${strategy} split left no ${which} pixels`,
      strategy === 'blocks'
        ? 'use smaller --block-size, a smaller --patch or another --train-fraction, or a scene with more labelled pixels'
        : 'check the label maps and options: both sets need labelled pixels',
    );
  }
  const exposed = exposure(grid, patch);
  const sizes = `${formatCount(split.train.length)} training, ${valFraction > 0 ? `${formatCount(split.validation.length)} validation, ` : ''}${formatCount(split.test.length)} test pixels`;
  const honesty =
    strategy === 'blocks' || strategy === 'polygons'
      ? ''
      : exposed.test > 0
        ? `; not spatially disjoint: ${formatCount(exposed.test)} of the ${formatCount(split.test.length)} test pixels have a training pixel inside their ${patch}×${patch} window`
        : `; no test pixel has a training pixel inside its ${patch}×${patch} window`;
  return { ...split, warnings, dropped, exposed, strategy, description: `${protocol} (${sizes})${honesty}.` };
}

/**
 * The split as an image: height×width row-major, 0 unused, 1 training, 2 validation, 3 test
 * (SplitRole), as written to split.mat.
 */
export function splitToMap(split: Pick<SceneSplit, 'train' | 'validation' | 'test'>, height: number, width: number): Uint8Array {
  const map = new Uint8Array(height * width);
  const put = (pixels: Int32Array, role: number, what: string) =>
    pixels.forEach((p) => {
      if (!(p >= 0 && p < map.length)) throw new RangeError(`splitToMap: ${what} pixel ${p} is outside a ${height}×${width} scene`);
      if (map[p] !== SplitRole.unused) throw new RangeError(`splitToMap: pixel ${p} is in more than one set`);
      map[p] = role;
    });
  put(split.train, SplitRole.train, 'training');
  put(split.validation, SplitRole.validation, 'validation');
  put(split.test, SplitRole.test, 'test');
  return map;
}

/** What a strategy hands back to makeSplit. */
interface Assigned {
  grid: RoleGrid;
  warnings: string[];
  dropped: { test: number; validation: number };
  /** The description's first clause: the protocol and its parameters. */
  protocol: string;
}

function validationClause(valFraction: number): string {
  return valFraction > 0 ? `, ${percent(valFraction)} of the training side held out for validation` : '';
}

function stratified(labels: LabelMap, classes: readonly ClassInfo[], opts: MakeSplitOptions, valFraction: number): Assigned {
  const { seed } = opts;
  let assigned;
  let protocol: string;
  if (opts.strategy === 'random') {
    const trainFraction = checkFraction(opts.trainFraction);
    assigned = assignStratified(labels, classes, seed, { kind: 'random', trainFraction });
    protocol = `Stratified random split (the paper's protocol): ${percent(trainFraction)} of each class's labelled pixels on the training side${validationClause(valFraction)}, the rest tested`;
  } else {
    const n = opts.trainPerClass;
    if (n === undefined || !Number.isInteger(n) || n < 1) {
      throw new ConfigError('--train-per-class', 'a positive integer (training pixels per class)', n);
    }
    assigned = assignStratified(labels, classes, seed, { kind: 'per-class', trainPerClass: n });
    const small = assigned.smallClasses.length;
    protocol =
      `Per-class split: ${n} pixels of each class on the training side` +
      (small > 0 ? ` (${percent(SMALL_CLASS_TRAIN_SHARE)} of the ${small} class${small === 1 ? '' : 'es'} with at most ${n})` : '') +
      `${validationClause(valFraction)}, the rest tested`;
  }
  const warnings = [...assigned.warnings, ...carveValidation(assigned.grid, classes, valFraction, seed)];
  return { grid: assigned.grid, warnings, dropped: { test: 0, validation: 0 }, protocol };
}

function blocks(labels: LabelMap, classes: readonly ClassInfo[], opts: MakeSplitOptions, valFraction: number): Assigned {
  const { patch, seed } = opts;
  const trainFraction = checkFraction(opts.trainFraction);
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new ConfigError('--block-size', 'a positive integer (block side in pixels)', blockSize);
  }
  const warnings: string[] = [];
  if (blockSize < patch) {
    warnings.push(`--block-size ${blockSize} is smaller than the ${patch}×${patch} patch: test blocks next to training blocks lose most of their pixels`);
  }
  const { grid, dropped, blocks: n } = assignBlocks(labels, classes, { trainFraction, valFraction, blockSize, patch, seed });
  const withVal = valFraction > 0;
  const protocol =
    `Spatially disjoint block split: ${blockSize}×${blockSize}-pixel blocks, ${n.train} for training` +
    (withVal ? `, ${n.validation} for validation` : '') +
    ` and ${n.test} for testing (seeded, balanced per class toward ${percent(trainFraction)} training${withVal ? `, ${percent(valFraction)} of it validation` : ''}); ` +
    `${formatCount(dropped.test)} test${withVal ? ` and ${formatCount(dropped.validation)} validation` : ''} pixels dropped because their ` +
    `${patch}×${patch} window contained a training pixel, so no test window sees one`;
  return { grid, warnings, dropped, protocol };
}

function maps(labels: LabelMap, classes: readonly ClassInfo[], opts: MakeSplitOptions, valFraction: number): Assigned {
  if (opts.trainMap === undefined) {
    throw new ConfigError('--train-map', 'a training label map for --split maps', undefined, 'pass --train-map FILE (and usually --test-map FILE)');
  }
  const { grid, warnings, testFromMap } = assignFromMaps(labels, classes, { trainMap: opts.trainMap, testMap: opts.testMap, relabel: opts.mapRelabel });
  warnings.push(...carveValidation(grid, classes, valFraction, opts.seed));
  const protocol =
    `Fixed split from label maps: the training map's pixels on the training side${validationClause(valFraction)}, ` +
    (testFromMap ? "the test map's pixels tested" : 'every other labelled pixel of the scene tested');
  return { grid, warnings, dropped: { test: 0, validation: 0 }, protocol };
}

function polygons(labels: LabelMap, classes: readonly ClassInfo[], opts: MakeSplitOptions, valFraction: number): Assigned {
  if (opts.polygonOf === undefined) {
    throw new ConfigError('--split', 'polygons only with training polygons (--train-vector)', 'polygons', 'pass --train-vector FILE, or choose another --split');
  }
  const trainFraction = checkFraction(opts.trainFraction);
  const { grid, warnings, dropped, polygons: n } = assignPolygons(labels, classes, { polygonOf: opts.polygonOf, trainFraction, seed: opts.seed, patch: opts.patch });
  warnings.push(...carveValidation(grid, classes, valFraction, opts.seed));
  const protocol =
    `Polygon split: whole polygons, ${n.train} for training and ${n.test} for testing (seeded, about ${percent(trainFraction)} of each class's polygons training${validationClause(valFraction)}); ` +
    `${formatCount(dropped.test)} test pixels dropped because their ${opts.patch}×${opts.patch} window contained a training pixel`;
  return { grid, warnings, dropped, protocol };
}

function checkFraction(trainFraction: number | undefined): number {
  const f = trainFraction ?? DEFAULT_TRAIN_FRACTION;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) {
    throw new ConfigError('--train-fraction', 'a number between 0 and 1 (exclusive)', f);
  }
  return f;
}

/** Ascending pixel lists with class indices, one scan of the grid. */
function pack(grid: RoleGrid): Pick<SceneSplit, 'train' | 'trainClasses' | 'validation' | 'validationClasses' | 'test' | 'testClasses'> {
  const sizes = [0, 0, 0, 0];
  grid.role.forEach((r) => sizes[r]!++);
  const pixels = sizes.map((n) => new Int32Array(n));
  const cls = sizes.map((n) => new Int32Array(n));
  const fill = [0, 0, 0, 0];
  grid.role.forEach((r, p) => {
    if (r === SplitRole.unused) return;
    const i = fill[r]!++;
    pixels[r]![i] = p;
    cls[r]![i] = grid.classOf[p]!;
  });
  return {
    train: pixels[SplitRole.train]!,
    trainClasses: cls[SplitRole.train]!,
    validation: pixels[SplitRole.validation]!,
    validationClasses: cls[SplitRole.validation]!,
    test: pixels[SplitRole.test]!,
    testClasses: cls[SplitRole.test]!,
  };
}

/** Kept validation/test pixels whose patch window contains a training pixel. */
function exposure(grid: RoleGrid, patch: number): { test: number; validation: number } {
  const trainMask = grid.role.map((r) => (r === SplitRole.train ? 1 : 0));
  const touched = windowsTouching(trainMask, grid, patchRadius(patch));
  const out = { test: 0, validation: 0 };
  grid.role.forEach((r, p) => {
    if (!touched[p]) return;
    if (r === SplitRole.test) out.test++;
    else if (r === SplitRole.validation) out.validation++;
  });
  return out;
}

/** A warning for each class that no pixel of some set represents. */
function missingClassWarnings(counts: Int32Array[], classes: readonly ClassInfo[], wantValidation: boolean, hint: string): string[] {
  const warnings: string[] = [];
  classes.forEach((c, k) => {
    const gaps: string[] = [];
    if (counts[SplitRole.train]![k] === 0) gaps.push('no training pixels (the model cannot learn it)');
    if (wantValidation && counts[SplitRole.validation]![k] === 0) gaps.push('no validation pixels');
    if (counts[SplitRole.test]![k] === 0) gaps.push('no test pixels (its accuracy is not measured)');
    if (gaps.length > 0) warnings.push(`${className(c)} has ${gaps.join(', ')}${hint}`);
  });
  return warnings;
}

function percent(f: number): string {
  return `${Math.round(f * 1000) / 10}%`;
}
