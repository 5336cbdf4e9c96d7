import { describe, expect, it } from 'vitest';
import { makeSplit } from '../../src/sampling/makeSplit.ts';
import type { ClassInfo, LabelMap } from '../../src/core/types.ts';

/** 20×20 map: class 3 in 200 pixels, class 7 in 100, class 9 in 40, rest unlabelled. */
function labels(): LabelMap {
  const data = new Int32Array(400);
  for (let i = 0; i < 400; i++) data[i] = i < 200 ? 3 : i < 300 ? 7 : i < 340 ? 9 : 0;
  return { height: 20, width: 20, data };
}
const classes: ClassInfo[] = [3, 7, 9].map((value) => ({ value, name: `c${value}` }));

/** A two-way stratified split: no validation set, a 1×1 window (no exposure accounting). */
const splitPixels = (map: LabelMap, cls: ClassInfo[], o: { trainFraction?: number; trainPerClass?: number; seed: number }) =>
  makeSplit(map, cls, { strategy: o.trainPerClass !== undefined ? 'per-class' : 'random', patch: 1, ...o });

describe('makeSplit, random and per-class', () => {
  it('is stratified: each class keeps the asked fraction in training', () => {
    const s = splitPixels(labels(), classes, { trainFraction: 0.25, seed: 1 });
    const count = (cl: Int32Array, k: number) => cl.filter((x) => x === k).length;
    expect([0, 1, 2].map((k) => count(s.trainClasses, k))).toEqual([50, 25, 10]);
    expect([0, 1, 2].map((k) => count(s.testClasses, k))).toEqual([150, 75, 30]);
  });

  it('keeps train and test disjoint, inside labelled pixels, with the right class indices', () => {
    const map = labels();
    const s = splitPixels(map, classes, { trainFraction: 0.5, seed: 2 });
    const trainSet = new Set(s.train);
    expect(s.test.some((p) => trainSet.has(p))).toBe(false);
    expect(s.train.length + s.test.length).toBe(340);
    s.train.forEach((p, i) => expect(classes[s.trainClasses[i]!]!.value).toBe(map.data[p]));
    s.test.forEach((p, i) => expect(classes[s.testClasses[i]!]!.value).toBe(map.data[p]));
  });

  it('is reproducible from the seed and changes with it', () => {
    const a = splitPixels(labels(), classes, { trainFraction: 0.1, seed: 5 });
    const b = splitPixels(labels(), classes, { trainFraction: 0.1, seed: 5 });
    const c = splitPixels(labels(), classes, { trainFraction: 0.1, seed: 6 });
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.train)).not.toEqual(Array.from(c.train));
  });

  it('takes a fixed count per class, halving a class too small for it with a warning', () => {
    const s = splitPixels(labels(), classes, { trainPerClass: 60, seed: 3 });
    expect([0, 1, 2].map((k) => s.trainClasses.filter((x) => x === k).length)).toEqual([60, 60, 20]);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/class 9 .* only 40 pixels/);
  });

  it('keeps at least one training pixel per class at tiny fractions', () => {
    const s = splitPixels(labels(), classes, { trainFraction: 0.001, seed: 4 });
    expect(Array.from(new Set(s.trainClasses)).sort()).toEqual([0, 1, 2]);
  });

  it('names the problem for a one-pixel class and for bad options', () => {
    const map = labels();
    map.data[399] = 11;
    const withTiny = [...classes, { value: 11, name: 'tiny' }];
    expect(() => splitPixels(map, withTiny, { trainFraction: 0.5, seed: 1 })).toThrow(/class 11 \(tiny\) has 1 labelled pixel/);
    expect(() => splitPixels(labels(), classes, { trainFraction: 1.2, seed: 1 })).toThrow(/--train-fraction/);
    expect(() => splitPixels(labels(), classes, { trainPerClass: 0, seed: 1 })).toThrow(/--train-per-class/);
  });
});
