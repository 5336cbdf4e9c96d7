import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { makeSplit, type MakeSplitOptions, type SceneSplit } from '../../src/sampling/makeSplit.ts';
import type { ClassInfo, LabelMap } from '../../src/core/types.ts';
import { classesUpTo, expectWellFormed, exposedByScan, haveShared, patchyLabels, perClass, readLabels } from './splitHelpers.ts';

/**
 * Exhaustive checks of a block split: well formed; no validation or test pixel's window holds a
 * training pixel (scanned window by window); every labelled pixel is in a set or dropped, and dropped
 * only if its window does hold a training pixel (nothing is thrown away needlessly); all kept pixels of
 * a block share one set.
 */
function expectHonestBlocks(s: SceneSplit, labels: LabelMap, classes: readonly ClassInfo[], patch: number, blockSize: number): void {
  expectWellFormed(s, labels, classes);
  expect(exposedByScan(s, labels, patch)).toEqual({ test: 0, validation: 0 });
  expect(s.exposed).toEqual({ test: 0, validation: 0 });
  const known = new Set(classes.map((c) => c.value));
  const labelled = labels.data.filter((v) => known.has(v)).length;
  expect(s.train.length + s.validation.length + s.test.length + s.dropped.test + s.dropped.validation).toBe(labelled);

  const { width, height } = labels;
  const inSet = new Uint8Array(width * height);
  const train = new Uint8Array(width * height);
  s.train.forEach((p) => ((inSet[p] = 1), (train[p] = 1)));
  s.validation.forEach((p) => (inSet[p] = 2));
  s.test.forEach((p) => (inSet[p] = 3));
  const r = (patch - 1) / 2;
  let droppedSeen = 0;
  labels.data.forEach((v, p) => {
    if (!known.has(v) || inSet[p]) return;
    droppedSeen++;
    const pr = Math.floor(p / width);
    const pc = p % width;
    let sees = false;
    for (let y = Math.max(0, pr - r); y <= Math.min(height - 1, pr + r) && !sees; y++) {
      for (let x = Math.max(0, pc - r); x <= Math.min(width - 1, pc + r); x++) if (train[y * width + x]) sees = true;
    }
    if (!sees) throw new Error(`pixel ${p} was dropped although its window holds no training pixel`);
  });
  expect(droppedSeen).toBe(s.dropped.test + s.dropped.validation);

  const setOfBlock = new Map<number, number>();
  inSet.forEach((set, p) => {
    if (!set) return;
    const block = Math.floor(Math.floor(p / width) / blockSize) * 1000 + Math.floor((p % width) / blockSize);
    const seen = setOfBlock.get(block);
    if (seen !== undefined && seen !== set) throw new Error(`block ${block} holds pixels of sets ${seen} and ${set}`);
    setOfBlock.set(block, set);
  });
}

const classes = classesUpTo(5);
/** 60×70, five classes in 30 irregular regions, about 20% unlabelled. */
const labels = patchyLabels(60, 70, 5, 2, 30);

describe('makeSplit: blocks', () => {
  it.each([
    [1, 7, 10, 0.2],
    [2, 7, 10, 0],
    [3, 5, 8, 0.3],
    [4, 9, 15, 0.2],
    [5, 1, 10, 0.2],
  ])('seed %i, patch %i, blocks of %i, validation %f: no test or validation window sees a training pixel', (seed, patch, blockSize, valFraction) => {
    const s = makeSplit(labels, classes, { strategy: 'blocks', seed, patch, blockSize, valFraction });
    expectHonestBlocks(s, labels, classes, patch, blockSize);
    // On this map every class spans several blocks, so each can be in every set.
    expect(s.warnings).toEqual([]);
    if (patch === 1) expect(s.dropped).toEqual({ test: 0, validation: 0 });
    else expect(s.dropped.test).toBeGreaterThan(0);
  });

  it('lands near the asked shares, per class', () => {
    const s = makeSplit(labels, classes, { strategy: 'blocks', seed: 1, patch: 5, blockSize: 10, trainFraction: 0.6, valFraction: 0.25 });
    const n = perClass(Int32Array.from(labels.data.filter((v) => v > 0), (v) => v - 1), 5);
    const tr = perClass(s.trainClasses, 5);
    const va = perClass(s.validationClasses, 5);
    const te = perClass(s.testClasses, 5);
    // Targets 45% / 15% / 40%; the guard costs validation and test some pixels, so allow ±0.1.
    n.forEach((total, k) => {
      expect(Math.abs(tr[k]! / total - 0.45)).toBeLessThan(0.1);
      expect(Math.abs(va[k]! / total - 0.15)).toBeLessThan(0.1);
      expect(Math.abs(te[k]! / total - 0.4)).toBeLessThan(0.1);
    });
  });

  it('reproduces the split from the seed and changes it with the seed', () => {
    const opts: MakeSplitOptions = { strategy: 'blocks', seed: 7, patch: 5, blockSize: 10, valFraction: 0.2 };
    const a = makeSplit(labels, classes, opts);
    expect(makeSplit(labels, classes, opts)).toEqual(a);
    const c = makeSplit(labels, classes, { ...opts, seed: 8 });
    expect(Array.from(c.test)).not.toEqual(Array.from(a.test));
  });

  it('describes blocks, drops and sizes in one sentence', () => {
    const s = makeSplit(labels, classes, { strategy: 'blocks', seed: 1, patch: 7, blockSize: 10, valFraction: 0.2 });
    expect(s.strategy).toBe('blocks');
    expect(s.description).toMatch(/^Spatially disjoint block split: 10×10-pixel blocks, \d+ for training, \d+ for validation and \d+ for testing/);
    expect(s.description).toContain(`${s.dropped.test} test and ${s.dropped.validation} validation pixels dropped because their 7×7 window contained a training pixel`);
    expect(s.description).toContain(`(${s.train.length.toLocaleString('en-US')} training, ${s.validation.length} validation, ${s.test.length} test pixels)`);
  });

  it('warns when a class sits in one block, and keeps it for training rather than testing', () => {
    // Class 6: a 3×3 square inside the block at rows 10..19, columns 20..29.
    const data = Int32Array.from(labels.data, (v, p) => {
      const r = Math.floor(p / 70);
      const c = p % 70;
      return r >= 12 && r < 15 && c >= 22 && c < 25 ? 6 : v === 6 ? 0 : v;
    });
    const six = classesUpTo(6);
    const map: LabelMap = { ...labels, data };
    const s = makeSplit(map, six, { strategy: 'blocks', seed: 1, patch: 5, blockSize: 10 });
    expectHonestBlocks(s, map, six, 5, 10);
    expect(perClass(s.trainClasses, 6)[5]).toBe(9);
    expect(s.warnings).toEqual([
      'class 6 (c6) has no test pixels (its accuracy is not measured): its pixels lie in too few blocks, or too close together, to share out without a test window seeing a training pixel (a smaller --block-size may help)',
    ]);
  });

  it('warns when blocks are smaller than the patch', () => {
    const s = makeSplit(labels, classes, { strategy: 'blocks', seed: 1, patch: 9, blockSize: 6 });
    expectHonestBlocks(s, labels, classes, 9, 6);
    expect(s.warnings[0]).toMatch(/^--block-size 6 is smaller than the 9×9 patch/);
  });

  it('refuses a split that leaves nothing to test, naming what to change', () => {
    const small = patchyLabels(12, 12, 2, 3, 4, 0);
    expect(() => makeSplit(small, classesUpTo(2), { strategy: 'blocks', seed: 1, patch: 5, blockSize: 32 })).toThrow(DataError);
    expect(() => makeSplit(small, classesUpTo(2), { strategy: 'blocks', seed: 1, patch: 5, blockSize: 32 })).toThrow(/left no test pixels/);
  });
});

describe.skipIf(!haveShared('samson/Samson_gt.mat', 'salinasA/SalinasA_gt.mat', 'ksc/KSC_gt.mat'))('makeSplit: blocks on real label maps', () => {
  it('Samson: honest at the paper patch, every class in every set', () => {
    const map = readLabels('samson/Samson_gt.mat', 'samson_gt');
    const cls = classesUpTo(3);
    for (const seed of [1, 2]) {
      const s = makeSplit(map, cls, { strategy: 'blocks', seed, patch: 15, valFraction: 0.1 });
      expectHonestBlocks(s, map, cls, 15, 32);
      expect(s.warnings).toEqual([]);
    }
  });

  it('SalinasA: honest; its class 1 sits in one 32-pixel block but splits at 16', () => {
    const map = readLabels('salinasA/SalinasA_gt.mat', 'salinasA_gt');
    const cls = [1, 10, 11, 12, 13, 14].map((value) => ({ value, name: `c${value}` }));
    const coarse = makeSplit(map, cls, { strategy: 'blocks', seed: 1, patch: 15 });
    expectHonestBlocks(coarse, map, cls, 15, 32);
    expect(coarse.warnings.join('\n')).toMatch(/^class 1 \(c1\) has no test pixels/);
    const fine = makeSplit(map, cls, { strategy: 'blocks', seed: 1, patch: 15, blockSize: 16 });
    expectHonestBlocks(fine, map, cls, 15, 16);
    expect(fine.warnings).toEqual([]);
  });

  it('KSC: honest over the whole 512×614 scene, every class learned', () => {
    const map = readLabels('ksc/KSC_gt.mat', 'KSC_gt');
    const cls = classesUpTo(13);
    const s = makeSplit(map, cls, { strategy: 'blocks', seed: 1, patch: 15, valFraction: 0.1 });
    expectHonestBlocks(s, map, cls, 15, 32);
    expect(perClass(s.trainClasses, 13).every((n) => n > 0)).toBe(true);
    expect(s.test.length).toBeGreaterThan(1000);
  });
});
