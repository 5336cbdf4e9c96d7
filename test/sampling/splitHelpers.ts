/**
 * Shared fixtures and checks for the split tests: synthetic label maps with known layouts, readers for
 * the real maps in ../shared/data, and invariant checks written independently of the code under test
 * (direct window scans, no prefix sums).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/index.ts';
import { columnMajorToLabels } from '../../src/io/mat/layout.ts';
import type { SceneSplit } from '../../src/sampling/makeSplit.ts';
import type { ClassInfo, LabelMap } from '../../src/core/types.ts';
import { createRng } from '../../src/util/random.ts';

/** ../shared/data from the repository root, computed from this file's place. */
export const SHARED_DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));

/** Whether all the named files exist under ../shared/data; prints why a suite is skipped when not. */
export function haveShared(...files: string[]): boolean {
  const missing = files.filter((f) => !existsSync(SHARED_DATA + f));
  if (missing.length > 0) console.log(`skipping: ${missing.join(', ')} not found under ${SHARED_DATA}`);
  return missing.length === 0;
}

/** A label map read from a MAT file in ../shared/data. */
export function readLabels(file: string, variable: string): LabelMap {
  const m = readMatNumeric(SHARED_DATA + file, variable);
  const [height, width] = m.dims as [number, number];
  const { data } = columnMajorToLabels(m.data, height, width);
  if (!data) throw new Error(`${file}: not a label map`);
  return { height, width, data };
}

/** Classes 1..n named c1..cn. */
export function classesUpTo(n: number): ClassInfo[] {
  return Array.from({ length: n }, (_, i) => ({ value: i + 1, name: `c${i + 1}` }));
}

/**
 * A height×width map of `numClasses` classes in irregular patches, like a real scene: a seeded
 * Voronoi partition into `cells` regions, each region one class (cycling so every class has several
 * regions), with a share `unlabelled` of pixels left at 0.
 */
export function patchyLabels(height: number, width: number, numClasses: number, seed: number, cells = 24, unlabelled = 0.2): LabelMap {
  const rng = createRng(seed, 'test/patchy');
  const centres = Array.from({ length: cells }, (_, i) => ({ r: rng.int(height), c: rng.int(width), k: (i % numClasses) + 1 }));
  const data = new Int32Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      let best = centres[0]!;
      let bestD = Infinity;
      for (const ce of centres) {
        const d = (ce.r - r) ** 2 + (ce.c - c) ** 2;
        if (d < bestD) [best, bestD] = [ce, d];
      }
      data[r * width + c] = rng.next() < unlabelled ? 0 : best.k;
    }
  }
  return { height, width, data };
}

/**
 * Checks what every split must satisfy: ascending, in range, pairwise disjoint, class indices equal to
 * the class of the label the split was made from (`truth`: the labels, or the maps' labels).
 */
export function expectWellFormed(split: SceneSplit, truth: LabelMap, classes: readonly ClassInfo[]): void {
  const seen = new Uint8Array(truth.height * truth.width);
  const sets: [Int32Array, Int32Array][] = [
    [split.train, split.trainClasses],
    [split.validation, split.validationClasses],
    [split.test, split.testClasses],
  ];
  for (const [pixels, cls] of sets) {
    expect(cls.length).toBe(pixels.length);
    for (let i = 0; i < pixels.length; i++) {
      const p = pixels[i]!;
      if (i > 0 && !(p > pixels[i - 1]!)) throw new Error(`not strictly ascending at ${i}: ${pixels[i - 1]}, ${p}`);
      if (!(p >= 0 && p < seen.length)) throw new Error(`pixel ${p} out of range`);
      if (seen[p]) throw new Error(`pixel ${p} is in two sets`);
      seen[p] = 1;
      const value = classes[cls[i]!]?.value;
      if (value !== truth.data[p]) throw new Error(`pixel ${p}: class index ${cls[i]} (value ${value}) but label ${truth.data[p]}`);
    }
  }
}

/**
 * Test (and validation) pixels whose patch×patch window contains a training pixel, found by scanning
 * each window directly.
 */
export function exposedByScan(split: SceneSplit, shape: Pick<LabelMap, 'height' | 'width'>, patch: number): { test: number; validation: number } {
  const { height, width } = shape;
  const train = new Uint8Array(height * width);
  split.train.forEach((p) => (train[p] = 1));
  const r = (patch - 1) / 2;
  const sees = (p: number) => {
    const pr = Math.floor(p / width);
    const pc = p % width;
    for (let y = Math.max(0, pr - r); y <= Math.min(height - 1, pr + r); y++) {
      for (let x = Math.max(0, pc - r); x <= Math.min(width - 1, pc + r); x++) if (train[y * width + x]) return true;
    }
    return false;
  };
  return { test: split.test.filter(sees).length, validation: split.validation.filter(sees).length };
}

/** Pixels per class index in a class list. */
export function perClass(cls: Int32Array, numClasses: number): number[] {
  const out = new Array<number>(numClasses).fill(0);
  cls.forEach((k) => out[k]!++);
  return out;
}
