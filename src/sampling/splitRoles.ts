/**
 * The working form every split strategy fills in: one role and one class index per pixel.
 *
 * A scene-sized role grid (rather than growing lists of pixels) makes the strategies simple to state
 * ("this block's labelled pixels are training pixels"), makes disjointness hold by construction (a
 * pixel has exactly one role), and gives ascending pixel lists for free by scanning it once. It is also
 * exactly what `split.mat` stores. Memory: 5 bytes per pixel (1.5 MiB for KSC's 512×614).
 */
import type { ClassInfo, LabelMap } from '../core/types.ts';
import { createRng } from '../util/random.ts';

/** A pixel's role; the numbers are the values written to split.mat / split.png. */
export const SplitRole = { unused: 0, train: 1, validation: 2, test: 3 } as const;

/** Role and class index per pixel, row-major; `classOf` is -1 where no class applies. */
export interface RoleGrid {
  readonly height: number;
  readonly width: number;
  readonly role: Uint8Array;
  readonly classOf: Int32Array;
}

/** An empty grid (every pixel unused) of the label map's shape. */
export function emptyRoleGrid(shape: Pick<LabelMap, 'height' | 'width'>): RoleGrid {
  const n = shape.height * shape.width;
  return { height: shape.height, width: shape.width, role: new Uint8Array(n), classOf: new Int32Array(n).fill(-1) };
}

/** Each label value's class index (its position in `classes`, the model's output order). */
export function classIndexOf(classes: readonly ClassInfo[]): Map<number, number> {
  return new Map(classes.map((c, k) => [c.value, k]));
}

/** The class index of every pixel of `labels` (-1: unlabelled or a value not in `classes`). */
export function classIndexMap(labels: LabelMap, classes: readonly ClassInfo[]): Int32Array {
  const indexOf = classIndexOf(classes);
  return Int32Array.from(labels.data, (v) => indexOf.get(v) ?? -1);
}

/** The pixels of each class, ascending, in `classes` order. */
export function pixelsByClass(labels: LabelMap, classes: readonly ClassInfo[]): Int32Array[] {
  return pixelsOfEachClass(classIndexMap(labels, classes), classes.length, () => true);
}

/** Pixels (ascending) of each class index 0..numClasses-1 among those `keep` accepts. */
function pixelsOfEachClass(classOf: Int32Array, numClasses: number, keep: (pixel: number) => boolean): Int32Array[] {
  const counts = new Int32Array(numClasses);
  classOf.forEach((k, p) => {
    if (k >= 0 && keep(p)) counts[k]!++;
  });
  const lists = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(numClasses);
  classOf.forEach((k, p) => {
    if (k >= 0 && keep(p)) lists[k]![fill[k]!++] = p;
  });
  return lists;
}

/** How many pixels of each class hold each role: counts[role][k]. */
export function roleCounts(grid: RoleGrid, numClasses: number): Int32Array[] {
  const counts = [0, 1, 2, 3].map(() => new Int32Array(numClasses));
  grid.role.forEach((r, p) => {
    const k = grid.classOf[p]!;
    if (k >= 0) counts[r]![k]!++;
  });
  return counts;
}

/**
 * How many of a class's `available` training-side pixels to hold out for validation: the fraction,
 * rounded, but at least one when there are two or more (so every class can be validated) and never
 * all of them (so every class is still trained on).
 */
function validationCount(available: number, valFraction: number): number {
  if (valFraction <= 0 || available < 2) return 0;
  return Math.min(available - 1, Math.max(1, Math.round(available * valFraction)));
}

/**
 * Moves a stratified random share of each class's training pixels to validation (in place) and
 * returns warnings for classes too small to give any. Seeded on its own stream ('split/validation'),
 * so asking for validation never changes which pixels are on the training side versus the test side.
 */
export function carveValidation(
  grid: RoleGrid,
  classes: readonly ClassInfo[],
  valFraction: number,
  seed: number,
): string[] {
  const warnings: string[] = [];
  if (valFraction <= 0) return warnings;
  const rng = createRng(seed, 'split/validation');
  const trainSide = pixelsOfEachClass(grid.classOf, classes.length, (p) => grid.role[p] === SplitRole.train);
  trainSide.forEach((pixels, k) => {
    const nVal = validationCount(pixels.length, valFraction);
    if (nVal === 0) {
      warnings.push(`${className(classes[k]!)} has ${pixels.length} training pixel${pixels.length === 1 ? '' : 's'}: none can be held out for validation`);
      return;
    }
    rng.shuffle(pixels);
    for (let i = 0; i < nVal; i++) grid.role[pixels[i]!] = SplitRole.validation;
  });
  return warnings;
}

/** "class 3 (Corn)": how messages name a class. */
export function className(c: ClassInfo): string {
  return `class ${c.value} (${c.name})`;
}

/** 12345 → "12,345", for messages and report sentences. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
