/**
 * The `blocks` split: spatially disjoint training, validation and test sets.
 *
 * The scene is cut into blockSize×blockSize squares (the last row and column of blocks may be
 * smaller); every labelled pixel takes the role of its block. Then every validation and test pixel
 * whose patch window contains a training pixel is dropped, so no test (or validation) window sees a
 * training pixel's spectrum or label. Windows of validation and test pixels may overlap each other:
 * validation labels are never fitted, only used to pick an epoch, so sharing context with test pixels
 * does not leak a label into the test; dropping those too would cost test pixels for no honesty gain.
 *
 * Block assignment: a seeded search, in several seeded tries of which the best is kept.
 * 1. Greedy start: visit the blocks that hold labelled pixels in a seeded random order, blocks holding a
 *    rarer class first (so the few blocks of a rare class are spread over the sets before the common
 *    classes fill them), and give each to the set whose per-class shortfall it reduces most: the set s
 *    minimising Σ_k ((a_sk + c_bk − t_sk) / n_k)², where a_sk is what set s already holds of class k,
 *    c_bk the block's pixels of class k, t_sk the set's target share of class k's n_k pixels. Dividing
 *    by n_k weighs every class equally, so small classes are balanced as carefully as large ones.
 * 2. Hill climbing on what is really left after the window guard: move single blocks to another set
 *    while that lowers the score, which counts heavily every class missing from training or testing
 *    (or validation, when asked; see MISSING_PENALTY), plus the squared gaps between each class's kept shares and the
 *    targets. The greedy start ignores geometry and scatters test blocks among training blocks, where
 *    the guard eats them; the climb gathers them, since a test block beside test blocks loses fewer
 *    pixels. Measured on five real label maps (15×15 patches, 80% training, 32-pixel blocks): see the
 *    numbers in the tests' comments and the report.
 *    Each move is scored incrementally: flipping a block in or out of training changes the guard only
 *    within the patch radius of that block, so only that neighbourhood is recomputed.
 * Not an exact search: the exact problem is a multi-way partition with geometry (NP-hard).
 */
import type { ClassInfo, LabelMap } from '../core/types.ts';
import { createRng, type Rng } from '../util/random.ts';
import { classIndexMap, emptyRoleGrid, SplitRole, type RoleGrid } from './splitRoles.ts';
import { patchRadius, windowsTouching, windowsTouchingIn, type PixelRect } from './windowGuard.ts';

/** Seeded tries per split; each is a greedy start and a hill climb. */
export const BLOCK_TRIES = 8;
/** Hill-climbing passes per try at most (a pass visits every block; most tries settle in fewer). */
const MAX_PASSES = 30;

export interface BlockSplitOptions {
  /** Target share of each class's labelled pixels on the training side (training + validation). */
  readonly trainFraction: number;
  /** Share of the training side's target that goes to validation blocks (0: no validation). */
  readonly valFraction: number;
  /** Block side in pixels. */
  readonly blockSize: number;
  /** Patch size: validation/test pixels within (patch − 1) / 2 of a training pixel are dropped. */
  readonly patch: number;
  readonly seed: number;
}

export interface BlockAssignment {
  readonly grid: RoleGrid;
  /** Validation and test pixels dropped because their window contained a training pixel. */
  readonly dropped: { test: number; validation: number };
  /** How many blocks holding labelled pixels went to each set. */
  readonly blocks: { train: number; validation: number; test: number };
}

const SETS = [SplitRole.train, SplitRole.validation, SplitRole.test] as const;
/**
 * Score of one class missing from training, validation and test: each more than any possible sum of
 * share gaps (≤ 3 per class). When a class cannot be in every set (all its pixels in one block, or in
 * blocks whose test side the guard would eat), it is better untested than unlearnable, and better
 * unvalidated than untested.
 */
const MISSING_PENALTY = [3000, 1000, 2000];

/** The scene cut into blocks, with what each block holds. */
interface Layout {
  readonly shape: LabelMap;
  readonly classOf: Int32Array;
  readonly numClasses: number;
  readonly blockSize: number;
  readonly blocksX: number;
  /** Labelled pixels of class k in block b at b * numClasses + k. */
  readonly blockCounts: Int32Array;
  /** Labelled pixels per class. */
  readonly totals: Int32Array;
  /** Blocks holding labelled pixels, ascending, with the pixel total of the rarest class each holds. */
  readonly occupied: readonly { block: number; rarity: number }[];
  /** Target share of each set (training, validation, test). */
  readonly shares: readonly number[];
  readonly allowed: readonly number[];
  readonly radius: number;
}

/** Assigns blocks and applies the window guard; see the file comment. */
export function assignBlocks(labels: LabelMap, classes: readonly ClassInfo[], opts: BlockSplitOptions): BlockAssignment {
  const layout = makeLayout(labels, classes, opts);
  const { classOf, occupied } = layout;
  let best: Climb | undefined;
  for (let t = 0; t < BLOCK_TRIES; t++) {
    const rng = createRng(opts.seed, `split/blocks/${t}`);
    const order = Array.from(rng.permutation(occupied.length), (i) => occupied[i]!);
    order.sort((a, b) => a.rarity - b.rarity); // stable: equal rarity keeps the seeded order
    const climb = new Climb(layout, greedyAssign(layout, order));
    climb.run(rng);
    if (best === undefined || climb.score < best.score) best = climb;
  }

  const grid = emptyRoleGrid(labels);
  const dropped = { test: 0, validation: 0 };
  const blocks = { train: 0, validation: 0, test: 0 };
  if (best === undefined) return { grid, dropped, blocks }; // unreachable: BLOCK_TRIES > 0
  classOf.forEach((k, p) => {
    if (k < 0) return;
    const set = best.setOf[blockOf(layout, p)]!;
    if (set !== SplitRole.train && best.touched[p]) {
      if (set === SplitRole.test) dropped.test++;
      else dropped.validation++;
      return;
    }
    grid.role[p] = set;
    grid.classOf[p] = k;
  });
  for (const { block } of occupied) {
    const set = best.setOf[block]!;
    if (set === SplitRole.train) blocks.train++;
    else if (set === SplitRole.validation) blocks.validation++;
    else blocks.test++;
  }
  return { grid, dropped, blocks };
}

function makeLayout(labels: LabelMap, classes: readonly ClassInfo[], opts: BlockSplitOptions): Layout {
  const { blockSize, valFraction, trainFraction } = opts;
  const numClasses = classes.length;
  const classOf = classIndexMap(labels, classes);
  const blocksX = Math.ceil(labels.width / blockSize);
  const numBlocks = Math.ceil(labels.height / blockSize) * blocksX;
  const partial = { shape: labels, blockSize, blocksX };
  const blockCounts = new Int32Array(numBlocks * numClasses);
  const totals = new Int32Array(numClasses);
  classOf.forEach((k, p) => {
    if (k < 0) return;
    blockCounts[blockOf(partial, p) * numClasses + k]!++;
    totals[k]!++;
  });
  const occupied: { block: number; rarity: number }[] = [];
  for (let b = 0; b < numBlocks; b++) {
    let rarity = Infinity;
    for (let k = 0; k < numClasses; k++) if (blockCounts[b * numClasses + k]! > 0) rarity = Math.min(rarity, totals[k]!);
    if (rarity < Infinity) occupied.push({ block: b, rarity });
  }
  return {
    shape: labels,
    classOf,
    numClasses,
    blockSize,
    blocksX,
    blockCounts,
    totals,
    occupied,
    shares: [trainFraction * (1 - valFraction), trainFraction * valFraction, 1 - trainFraction],
    allowed: valFraction > 0 ? SETS : [SplitRole.train, SplitRole.test],
    radius: patchRadius(opts.patch),
  };
}

function blockOf(layout: Pick<Layout, 'shape' | 'blockSize' | 'blocksX'>, p: number): number {
  const { width } = layout.shape;
  return Math.floor(Math.floor(p / width) / layout.blockSize) * layout.blocksX + Math.floor((p % width) / layout.blockSize);
}

function blockRect(layout: Layout, block: number, grow: number): PixelRect {
  const { height, width } = layout.shape;
  const top = Math.floor(block / layout.blocksX) * layout.blockSize;
  const left = (block % layout.blocksX) * layout.blockSize;
  return {
    top: Math.max(0, top - grow),
    left: Math.max(0, left - grow),
    bottom: Math.min(height, top + layout.blockSize + grow),
    right: Math.min(width, left + layout.blockSize + grow),
  };
}

/** Greedy start: each block, in `order`, to the allowed set whose squared relative shortfall it reduces most. */
function greedyAssign(layout: Layout, order: readonly { block: number }[]): Uint8Array {
  const { numClasses, blockCounts, totals, shares, allowed } = layout;
  const setOf = new Uint8Array(blockCounts.length / Math.max(1, numClasses)); // 0 (unused): no labelled pixels
  // held[s][k]: pixels of class k given to set s (s = role − 1).
  const held = SETS.map(() => new Float64Array(numClasses));
  for (const { block } of order) {
    const base = block * numClasses;
    let bestSet = allowed[0]!;
    let bestDelta = Infinity;
    for (const set of allowed) {
      const s = set - 1;
      let delta = 0;
      for (let k = 0; k < numClasses; k++) {
        const c = blockCounts[base + k]!;
        if (c === 0) continue;
        // ((a + c − t)² − (a − t)²) / n² = c (2(a − t) + c) / n²
        const n = totals[k]!;
        delta += (c * (2 * (held[s]![k]! - shares[s]! * n) + c)) / (n * n);
      }
      if (delta < bestDelta) {
        bestDelta = delta;
        bestSet = set;
      }
    }
    setOf[block] = bestSet;
    const s = bestSet - 1;
    for (let k = 0; k < numClasses; k++) held[s]![k]! += blockCounts[base + k]!;
  }
  return setOf;
}

/** One try's state during hill climbing: block sets, training mask, guard and kept counts. */
class Climb {
  readonly setOf: Uint8Array;
  /** 1 where a pixel's window holds a training pixel. */
  readonly touched: Uint8Array;
  score: number;
  private readonly trainMask: Uint8Array;
  /** kept[s][k]: pixels of class k that set s keeps after the guard (s = role − 1). */
  private kept: Int32Array[];

  constructor(
    private readonly layout: Layout,
    setOf: Uint8Array,
  ) {
    const { shape, classOf, numClasses, radius } = layout;
    this.setOf = setOf;
    this.trainMask = new Uint8Array(classOf.length);
    classOf.forEach((k, p) => {
      if (k >= 0 && setOf[blockOf(layout, p)] === SplitRole.train) this.trainMask[p] = 1;
    });
    this.touched = windowsTouching(this.trainMask, shape, radius);
    this.kept = SETS.map(() => new Int32Array(numClasses));
    classOf.forEach((k, p) => {
      if (k < 0) return;
      const set = setOf[blockOf(layout, p)]!;
      if (set === SplitRole.train || !this.touched[p]) this.kept[set - 1]![k]!++;
    });
    this.score = scoreKept(this.kept, layout);
  }

  /** Moves blocks while a move lowers the score; visits blocks in a seeded order each pass. */
  run(rng: Rng): void {
    const { occupied, allowed } = this.layout;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let improved = false;
      for (const i of rng.permutation(occupied.length)) {
        const block = occupied[i]!.block;
        for (const set of allowed) {
          if (set !== this.setOf[block] && this.tryMove(block, set)) {
            improved = true;
            break;
          }
        }
      }
      if (!improved) return;
    }
  }

  /** Moves `block` to `set` if that lowers the score; returns whether it did. */
  private tryMove(block: number, set: number): boolean {
    const layout = this.layout;
    const { classOf, radius, shape } = layout;
    const from = this.setOf[block]!;
    const inner = blockRect(layout, block, 0);
    const guardChanges = from === SplitRole.train || set === SplitRole.train;
    // Pixels whose kept status can change: the block itself, and, when training grows or shrinks, every
    // pixel within the patch radius of it.
    const region = guardChanges ? blockRect(layout, block, radius) : inner;
    if (guardChanges) this.paintTrain(inner, set === SplitRole.train ? 1 : 0);
    const touchedNow = guardChanges ? windowsTouchingIn(this.trainMask, shape, radius, region) : undefined;
    const kept = this.kept.map((row) => Int32Array.from(row));
    const regionWidth = region.right - region.left;
    for (let r = region.top; r < region.bottom; r++) {
      for (let c = region.left; c < region.right; c++) {
        const p = r * shape.width + c;
        const k = classOf[p]!;
        if (k < 0) continue;
        const before = this.setOf[blockOf(layout, p)]!;
        const after = r >= inner.top && r < inner.bottom && c >= inner.left && c < inner.right ? set : before;
        const touchedAfter = touchedNow ? touchedNow[(r - region.top) * regionWidth + (c - region.left)]! : this.touched[p]!;
        if (before === SplitRole.train || !this.touched[p]) kept[before - 1]![k]!--;
        if (after === SplitRole.train || !touchedAfter) kept[after - 1]![k]!++;
      }
    }
    const score = scoreKept(kept, layout);
    // Strictly lower (beyond rounding noise), so the climb cannot cycle between equal layouts.
    if (!(score < this.score - 1e-12)) {
      if (guardChanges) this.paintTrain(inner, from === SplitRole.train ? 1 : 0);
      return false;
    }
    this.setOf[block] = set;
    this.kept = kept;
    this.score = score;
    if (touchedNow) {
      for (let r = region.top; r < region.bottom; r++) {
        this.touched.set(touchedNow.subarray((r - region.top) * regionWidth, (r - region.top + 1) * regionWidth), r * shape.width + region.left);
      }
    }
    return true;
  }

  /** Sets the training mask of the rectangle's labelled pixels to `value`. */
  private paintTrain(rect: PixelRect, value: number): void {
    const { classOf, shape } = this.layout;
    for (let r = rect.top; r < rect.bottom; r++) {
      for (let c = rect.left; c < rect.right; c++) {
        const p = r * shape.width + c;
        if (classOf[p]! >= 0) this.trainMask[p] = value;
      }
    }
  }
}

/** A layout's score (lower is better): missing classes, then squared gaps between kept shares and targets. */
function scoreKept(kept: readonly Int32Array[], layout: Layout): number {
  const { totals, shares, allowed } = layout;
  let score = 0;
  for (let k = 0; k < totals.length; k++) {
    const n = totals[k]!;
    if (n === 0) continue;
    for (const set of allowed) {
      const got = kept[set - 1]![k]!;
      if (got === 0) score += MISSING_PENALTY[set - 1]!;
      score += (got / n - shares[set - 1]!) ** 2;
    }
  }
  return score;
}
