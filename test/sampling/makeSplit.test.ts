import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import { makeSplit, splitToMap, type MakeSplitOptions } from '../../src/sampling/makeSplit.ts';
import type { LabelMap } from '../../src/core/types.ts';
import { classesUpTo, expectWellFormed, exposedByScan, patchyLabels, perClass } from './splitHelpers.ts';

const classes = classesUpTo(5);
/** 40×50, five classes in irregular regions, about 20% unlabelled. */
const labels = patchyLabels(40, 50, 5, 1);
const counts = perClass(Int32Array.from(labels.data.filter((v) => v > 0), (v) => v - 1), 5);

/** The training-side rule stated in the brief, written out again here. */
const trainSide = (n: number, f: number) => Math.min(n - 1, Math.max(1, Math.round(n * f)));
const validationShare = (m: number, f: number) => (m < 2 ? 0 : Math.min(m - 1, Math.max(1, Math.round(m * f))));

describe('makeSplit: random', () => {
  it('keeps the fraction of every class on the training side and tests the rest', () => {
    const s = makeSplit(labels, classes, { strategy: 'random', seed: 3, patch: 15, trainFraction: 0.3 });
    expectWellFormed(s, labels, classes);
    expect(perClass(s.trainClasses, 5)).toEqual(counts.map((n) => trainSide(n, 0.3)));
    expect(perClass(s.testClasses, 5)).toEqual(counts.map((n) => n - trainSide(n, 0.3)));
    expect(s.validation.length).toBe(0);
    expect(s.dropped).toEqual({ test: 0, validation: 0 });
    expect(s.strategy).toBe('random');
  });

  it('carves validation from the training side only, stratified, leaving the test set as it was', () => {
    const without = makeSplit(labels, classes, { strategy: 'random', seed: 3, patch: 15, trainFraction: 0.6 });
    const withVal = makeSplit(labels, classes, { strategy: 'random', seed: 3, patch: 15, trainFraction: 0.6, valFraction: 0.25 });
    expectWellFormed(withVal, labels, classes);
    expect(Array.from(withVal.test)).toEqual(Array.from(without.test));
    const before = new Set(without.train);
    expect(withVal.validation.every((p) => before.has(p))).toBe(true);
    expect(withVal.train.every((p) => before.has(p))).toBe(true);
    const side = counts.map((n) => trainSide(n, 0.6));
    expect(perClass(withVal.validationClasses, 5)).toEqual(side.map((m) => validationShare(m, 0.25)));
    expect(perClass(withVal.trainClasses, 5)).toEqual(side.map((m) => m - validationShare(m, 0.25)));
  });

  it('counts the test pixels whose window holds a training pixel, and says so', () => {
    const s = makeSplit(labels, classes, { strategy: 'random', seed: 4, patch: 5, valFraction: 0.1 });
    const scanned = exposedByScan(s, labels, 5);
    expect(s.exposed).toEqual(scanned);
    expect(scanned.test).toBeGreaterThan(0);
    expect(s.description).toContain(`${scanned.test.toLocaleString('en-US')} of the ${s.test.length.toLocaleString('en-US')} test pixels`);
    expect(s.description).toMatch(/^Stratified random split \(the paper's protocol\): 80% of each class/);
  });

  it('reproduces the split from the seed and changes it with the seed', () => {
    const opts: MakeSplitOptions = { strategy: 'random', seed: 8, patch: 3, valFraction: 0.2 };
    const a = makeSplit(labels, classes, opts);
    const b = makeSplit(labels, classes, opts);
    const c = makeSplit(labels, classes, { ...opts, seed: 9 });
    expect(b).toEqual(a);
    expect(Array.from(c.train)).not.toEqual(Array.from(a.train));
    expect(Array.from(c.validation)).not.toEqual(Array.from(a.validation));
  });

  it('ignores label values that are not among the classes', () => {
    const data = Int32Array.from(labels.data, (v, i) => (i % 7 === 0 ? 9 : v));
    const withStray: LabelMap = { ...labels, data };
    const s = makeSplit(withStray, classes, { strategy: 'random', seed: 1, patch: 1 });
    expectWellFormed(s, withStray, classes);
    const used = s.train.length + s.test.length;
    expect(used).toBe(data.filter((v) => v >= 1 && v <= 5).length);
  });
});

describe('makeSplit: per-class', () => {
  /** The patchy map plus a class 6 of 9 pixels in the top-left corner. */
  const withSmall: LabelMap = { ...labels, data: Int32Array.from(labels.data, (v, i) => (i % 50 < 3 && i < 150 ? 6 : v)) };
  const six = classesUpTo(6);

  it('trains on N pixels of every class and on half of a class with at most N, saying so', () => {
    const s = makeSplit(withSmall, six, { strategy: 'per-class', seed: 2, patch: 7, trainPerClass: 30 });
    expectWellFormed(s, withSmall, six);
    const n = perClass(Int32Array.from(withSmall.data.filter((v) => v > 0), (v) => v - 1), 6);
    expect(n[5]).toBe(9);
    expect(perClass(s.trainClasses, 6)).toEqual(n.map((x) => (x > 30 ? 30 : Math.floor(x / 2))));
    expect(perClass(s.testClasses, 6)).toEqual(n.map((x) => (x > 30 ? x - 30 : x - Math.floor(x / 2))));
    expect(s.warnings).toEqual(['class 6 (c6) has only 9 pixels, fewer than --train-per-class 30: trained on 4, tested on 5']);
    expect(s.description).toMatch(/^Per-class split: 30 pixels of each class on the training side \(50% of the 1 class with at most 30\)/);
  });

  it('carves validation out of the N, never out of the test pixels', () => {
    const without = makeSplit(withSmall, six, { strategy: 'per-class', seed: 2, patch: 7, trainPerClass: 30 });
    const s = makeSplit(withSmall, six, { strategy: 'per-class', seed: 2, patch: 7, trainPerClass: 30, valFraction: 0.2 });
    expectWellFormed(s, withSmall, six);
    expect(Array.from(s.test)).toEqual(Array.from(without.test));
    expect(perClass(s.validationClasses, 6)).toEqual([6, 6, 6, 6, 6, 1]);
    expect(perClass(s.trainClasses, 6)).toEqual([24, 24, 24, 24, 24, 3]);
  });

  it('warns about a class whose training side is too small to validate', () => {
    const tiny: LabelMap = { ...labels, data: Int32Array.from(labels.data, (v, i) => (i === 0 || i === 1 ? 6 : v)) };
    const s = makeSplit(tiny, six, { strategy: 'per-class', seed: 2, patch: 1, trainPerClass: 10, valFraction: 0.3 });
    expect(perClass(s.trainClasses, 6)[5]).toBe(1);
    expect(s.warnings).toContain('class 6 (c6) has 1 training pixel: none can be held out for validation');
  });

  it('reproduces the split from the seed and changes it with the seed', () => {
    const opts: MakeSplitOptions = { strategy: 'per-class', seed: 5, patch: 1, trainPerClass: 20 };
    expect(makeSplit(labels, classes, opts)).toEqual(makeSplit(labels, classes, opts));
    expect(Array.from(makeSplit(labels, classes, { ...opts, seed: 6 }).train)).not.toEqual(Array.from(makeSplit(labels, classes, opts).train));
  });
});

describe('splitToMap', () => {
  it('writes 1 for training, 2 for validation, 3 for test and 0 elsewhere', () => {
    const map = splitToMap({ train: Int32Array.of(0, 5), validation: Int32Array.of(2), test: Int32Array.of(3, 4) }, 2, 3);
    expect(Array.from(map)).toEqual([1, 0, 2, 3, 3, 1]);
  });

  it('matches a real split pixel for pixel', () => {
    const s = makeSplit(labels, classes, { strategy: 'random', seed: 1, patch: 1, valFraction: 0.1 });
    const map = splitToMap(s, labels.height, labels.width);
    expect(map.filter((v) => v === 1).length).toBe(s.train.length);
    s.validation.forEach((p) => expect(map[p]).toBe(2));
    s.test.forEach((p) => expect(map[p]).toBe(3));
    labels.data.forEach((v, p) => (v === 0 ? expect(map[p]).toBe(0) : undefined));
  });

  it('refuses pixels outside the scene and pixels in two sets', () => {
    expect(() => splitToMap({ train: Int32Array.of(6), validation: new Int32Array(), test: new Int32Array() }, 2, 3)).toThrow(/outside a 2×3 scene/);
    expect(() => splitToMap({ train: Int32Array.of(1), validation: new Int32Array(), test: Int32Array.of(1) }, 2, 3)).toThrow(/more than one set/);
  });
});

describe('makeSplit: option checks', () => {
  const base: MakeSplitOptions = { strategy: 'random', seed: 1, patch: 15 };
  const cases: [string, Partial<MakeSplitOptions>, RegExp][] = [
    ['an unknown strategy', { strategy: 'spatial' as MakeSplitOptions['strategy'] }, /^--split: expected one of random, per-class, blocks, maps, polygons, got 'spatial'/],
    ['an even patch', { patch: 4 }, /^--patch: expected an odd positive integer/],
    ['a fractional seed', { seed: 1.5 }, /^--seed: expected an integer/],
    ['a validation share of 1', { valFraction: 1 }, /^--val-fraction: expected a number from 0 up to \(not including\) 1, got 1/],
    ['a negative validation share', { valFraction: -0.1 }, /^--val-fraction/],
    ['a training share of 0', { trainFraction: 0 }, /^--train-fraction: expected a number between 0 and 1 \(exclusive\), got 0/],
    ['per-class without N', { strategy: 'per-class' }, /^--train-per-class: expected a positive integer/],
    ['per-class with N = 2.5', { strategy: 'per-class', trainPerClass: 2.5 }, /^--train-per-class/],
    ['blocks of size 0', { strategy: 'blocks', blockSize: 0 }, /^--block-size: expected a positive integer/],
    ['blocks with a training share of 1', { strategy: 'blocks', trainFraction: 1 }, /^--train-fraction/],
    ['maps without a training map', { strategy: 'maps' }, /^--train-map: expected a training label map/],
  ];
  it.each(cases)('refuses %s with a ConfigError naming the option', (_, change, message) => {
    let caught: unknown;
    try {
      makeSplit(labels, classes, { ...base, ...change });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(message);
    expect((caught as ConfigError).fix.length).toBeGreaterThan(0);
  });

  it('refuses a class with a single pixel under random and per-class (it cannot be learned and tested)', () => {
    const one: LabelMap = { ...labels, data: Int32Array.from(labels.data, (v, i) => (i === 0 ? 6 : v === 6 ? 0 : v)) };
    for (const strategy of ['random', 'per-class'] as const) {
      expect(() => makeSplit(one, classesUpTo(6), { strategy, seed: 1, patch: 1, trainPerClass: 5 })).toThrow(DataError);
    }
  });
});
