import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { makeSplit, type MakeSplitOptions } from '../../src/sampling/makeSplit.ts';
import { INDIAN_PINES_DISJOINT_RELABEL } from '../../src/sampling/mapSplit.ts';
import type { LabelMap } from '../../src/core/types.ts';
import { classesUpTo, expectWellFormed, exposedByScan, haveShared, patchyLabels, perClass, readLabels } from './splitHelpers.ts';

const classes = classesUpTo(4);
/** 20×30, four classes, about 20% unlabelled. */
const labels = patchyLabels(20, 30, 4, 5, 12);
/** Every 4th labelled pixel (in row-major order) to training, every 4th + 1 to test. */
function pickEvery(offset: number): LabelMap {
  let i = 0;
  return { ...labels, data: Int32Array.from(labels.data, (v) => (v > 0 && i++ % 4 === offset ? v : 0)) };
}
const trainMap = pickEvery(0);
const testMap = pickEvery(1);
const nonzero = (m: LabelMap) => Array.from(m.data.keys()).filter((p) => m.data[p] !== 0);
const union = (a: LabelMap, b: LabelMap): LabelMap => ({ ...a, data: Int32Array.from(a.data, (v, p) => v || b.data[p]!) });
const base: MakeSplitOptions = { strategy: 'maps', seed: 1, patch: 3, trainMap, testMap };

/** The DataError makeSplit throws for these options (fails the test when none is thrown). */
function dataError(labelMap: LabelMap, opts: MakeSplitOptions): DataError {
  try {
    makeSplit(labelMap, classes, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('no error thrown');
}

describe('makeSplit: maps', () => {
  it('trains on the training map and tests on the test map, pixel for pixel', () => {
    const s = makeSplit(labels, classes, base);
    expectWellFormed(s, labels, classes);
    expect(Array.from(s.train)).toEqual(nonzero(trainMap));
    expect(Array.from(s.test)).toEqual(nonzero(testMap));
    expect(s.validation.length).toBe(0);
    expect(s.warnings).toEqual([]);
    expect(s.exposed).toEqual(exposedByScan(s, labels, 3));
    expect(s.description).toMatch(/^Fixed split from label maps: the training map's pixels on the training side, the test map's pixels tested \(\d+ training, \d+ test pixels\); not spatially disjoint: \d+ of the \d+ test pixels have a training pixel inside their 3×3 window\.$/);
  });

  it('carves validation from the training map only, stratified and seeded', () => {
    const s = makeSplit(labels, classes, { ...base, valFraction: 0.3 });
    expectWellFormed(s, labels, classes);
    expect([...s.train, ...s.validation].sort((a, b) => a - b)).toEqual(nonzero(trainMap));
    expect(Array.from(s.test)).toEqual(nonzero(testMap));
    const side = perClass(Int32Array.from(nonzero(trainMap), (p) => trainMap.data[p]! - 1), 4);
    expect(perClass(s.validationClasses, 4)).toEqual(side.map((m) => Math.min(m - 1, Math.max(1, Math.round(m * 0.3)))));
    const again = makeSplit(labels, classes, { ...base, valFraction: 0.3 });
    expect(again).toEqual(s);
    const other = makeSplit(labels, classes, { ...base, valFraction: 0.3, seed: 2 });
    expect(Array.from(other.validation)).not.toEqual(Array.from(s.validation));
  });

  it('without a test map, tests every labelled pixel the training map leaves', () => {
    const s = makeSplit(labels, classes, { ...base, testMap: undefined });
    expectWellFormed(s, labels, classes);
    const trained = new Set(nonzero(trainMap));
    expect(Array.from(s.test)).toEqual(nonzero(labels).filter((p) => !trained.has(p)));
    expect(s.description).toContain('every other labelled pixel of the scene tested');
  });

  it('uses the map where it labels what the scene leaves blank or labels otherwise, and counts both', () => {
    const data = Int32Array.from(trainMap.data);
    const blank = labels.data.indexOf(0);
    data[blank] = 2;
    const differ = nonzero(trainMap).find((p) => labels.data[p] === 3)!;
    data[differ] = 4;
    const map: LabelMap = { ...trainMap, data };
    const s = makeSplit(labels, classes, { ...base, trainMap: map });
    expectWellFormed(s, union(map, testMap), classes);
    expect(s.warnings).toEqual([
      "1 training map pixels are unlabelled in the scene's label map; the map's labels are used",
      "1 training map pixels carry another class in the scene's label map; the map's labels are used",
    ]);
  });

  it('refuses maps of another shape, saying both shapes', () => {
    const wrong: LabelMap = { height: 30, width: 20, data: trainMap.data };
    const e = dataError(labels, { ...base, trainMap: wrong });
    expect(e.message).toBe("the training map is 30×20 but the scene's label map is 20×30 (transposed?)");
    expect(e.fix).toMatch(/same height and width/);
    const short: LabelMap = { height: 19, width: 30, data: testMap.data.subarray(0, 570) };
    expect(dataError(labels, { ...base, testMap: short }).message).toBe("the test map is 19×30 but the scene's label map is 20×30");
  });

  it('refuses pixels labelled in both maps, counting them', () => {
    const overlap = Int32Array.from(testMap.data);
    const [p, q] = nonzero(trainMap);
    overlap[p!] = trainMap.data[p!]!;
    overlap[q!] = trainMap.data[q!]!;
    const e = dataError(labels, { ...base, testMap: { ...testMap, data: overlap } });
    expect(e.message).toMatch(new RegExp(`^2 pixels are labelled in both the training map and the test map \\(first at row ${Math.floor(p! / 30)}, column ${p! % 30}, 0-based\\)`));
  });

  it('refuses values that are not scene classes', () => {
    const data = Int32Array.from(trainMap.data);
    data[45] = 7;
    expect(dataError(labels, { ...base, trainMap: { ...trainMap, data } }).message).toBe(
      "the training map labels row 1, column 15 (0-based) with 7, which is not one of the scene's classes (1, 2, 3, 4)",
    );
  });

  it('refuses a map numbered differently from the scene, and takes it with a relabelling table', () => {
    const swap = [0, 2, 1, 3, 4]; // map value 1 means scene value 2 and the other way round
    const renumbered: LabelMap = { ...trainMap, data: Int32Array.from(trainMap.data, (v) => swap[v]!) };
    const e = dataError(labels, { ...base, trainMap: renumbered });
    expect(e.message).toMatch(/^the training map seems numbered differently from the scene's label map: map value 1 lies on 2 in \d+ of \d+ pixels; 2 lies on 1/);
    expect(e.fix).toContain('[0, 2, 3, 5, 6, 8, 10, 11, 12, 14, 1, 4, 7, 9, 13, 15, 16]');
    // The table applies to both maps: a published pair is numbered alike.
    const renumberedTest: LabelMap = { ...testMap, data: Int32Array.from(testMap.data, (v) => swap[v]!) };
    const s = makeSplit(labels, classes, { ...base, trainMap: renumbered, testMap: renumberedTest, mapRelabel: swap });
    expectWellFormed(s, labels, classes);
    expect(Array.from(s.train)).toEqual(nonzero(trainMap));
    expect(Array.from(s.test)).toEqual(nonzero(testMap));
    expect(dataError(labels, { ...base, mapRelabel: [1, 2, 3, 4, 5] }).message).toMatch(/sends 0 \(unlabelled\) to 1/);
    const first = trainMap.data.findIndex((v) => v > 2);
    expect(dataError(labels, { ...base, mapRelabel: [0, 1, 2] }).message).toBe(
      `the training map uses value ${trainMap.data[first]} (row ${Math.floor(first / 30)}, column ${first % 30}) but the relabelling table only covers 0..2`,
    );
  });

  it('warns about classes a map leaves out', () => {
    const noFour: LabelMap = { ...testMap, data: Int32Array.from(testMap.data, (v) => (v === 4 ? 0 : v)) };
    const s = makeSplit(labels, classes, { ...base, testMap: noFour });
    expect(s.warnings).toEqual(['class 4 (c4) has no test pixels (its accuracy is not measured)']);
  });
});

describe.skipIf(!haveShared('gt-only/PaviaU_gt.mat', 'gt-only/TRpavia_fixed.mat', 'gt-only/TSpavia_fixed.mat'))('makeSplit: the Pavia University fixed split', () => {
  // Read in beforeAll: a skipped describe's body still runs while tests are collected.
  let gt: LabelMap, tr: LabelMap, ts: LabelMap;
  beforeAll(() => {
    gt = readLabels('gt-only/PaviaU_gt.mat', 'paviaU_gt');
    tr = readLabels('gt-only/TRpavia_fixed.mat', 'TRpavia_fixed');
    ts = readLabels('gt-only/TSpavia_fixed.mat', 'TSpavia_fixed');
  });
  const pavia = classesUpTo(9);

  it('takes the published maps as they are, with the counts scipy reads', () => {
    const s = makeSplit(gt, pavia, { strategy: 'maps', seed: 1, patch: 15, trainMap: tr, testMap: ts });
    expectWellFormed(s, union(tr, ts), pavia);
    // Per-class pixel counts of TRpavia_fixed and TSpavia_fixed (numpy, from scipy.io.loadmat).
    expect(perClass(s.trainClasses, 9)).toEqual([548, 540, 392, 524, 265, 532, 375, 514, 231]);
    expect(perClass(s.testClasses, 9)).toEqual([6304, 18146, 1815, 2912, 1113, 4572, 981, 3364, 795]);
    expect(s.warnings).toEqual(["1,147 training map pixels are unlabelled in the scene's label map; the map's labels are used"]);
    // Test pixels with a training pixel in their window, by scipy.ndimage.binary_dilation with a
    // 15×15 (and 5×5) square: the published split is not spatially disjoint.
    expect(s.exposed.test).toBe(9892);
    expect(makeSplit(gt, pavia, { strategy: 'maps', seed: 1, patch: 5, trainMap: tr, testMap: ts }).exposed.test).toBe(2687);
  });

  it('carves validation from TRpavia only', () => {
    const s = makeSplit(gt, pavia, { strategy: 'maps', seed: 3, patch: 15, trainMap: tr, testMap: ts, valFraction: 0.1 });
    expect(s.validation.every((p) => tr.data[p] !== 0)).toBe(true);
    expect(s.validation.length + s.train.length).toBe(3921);
    expect(s.test.length).toBe(40002);
  });

  it("is refused against another scene's label map", () => {
    const indian = readLabels('gt-only/Indian_pines_gt.mat', 'indian_pines_gt');
    expect(() => makeSplit(indian, classesUpTo(16), { strategy: 'maps', seed: 1, patch: 15, trainMap: tr, testMap: ts })).toThrow(
      "the training map is 610×340 but the scene's label map is 145×145",
    );
  });
});

describe.skipIf(!haveShared('gt-only/Indian_pines_gt.mat', 'gt-only/indianpines_disjoint_dset.mat'))('makeSplit: the Indian Pines disjoint set', () => {
  let gt: LabelMap, disjoint: LabelMap;
  beforeAll(() => {
    gt = readLabels('gt-only/Indian_pines_gt.mat', 'indian_pines_gt');
    disjoint = readLabels('gt-only/indianpines_disjoint_dset.mat', 'indianpines_disjoint_dset');
  });
  const indian = classesUpTo(16);

  it('is refused as numbered, since its values are not the scene values', () => {
    expect(() => makeSplit(gt, indian, { strategy: 'maps', seed: 1, patch: 15, trainMap: disjoint })).toThrow(
      /numbered differently from the scene's label map: map value 1 lies on 2 in 753 of 753 pixels/,
    );
  });

  it('works with its relabelling table, testing the rest of the scene', () => {
    const s = makeSplit(gt, indian, { strategy: 'maps', seed: 1, patch: 15, trainMap: disjoint, mapRelabel: INDIAN_PINES_DISJOINT_RELABEL });
    // Counts from numpy: the relabelled map per class, and Indian_pines_gt minus the map's pixels.
    expect(perClass(s.trainClasses, 16)).toEqual([29, 762, 435, 146, 232, 394, 16, 235, 10, 470, 1424, 328, 132, 728, 291, 57]);
    expect(perClass(s.testClasses, 16)).toEqual([25, 675, 404, 99, 274, 354, 2, 250, 10, 503, 1065, 282, 80, 545, 99, 44]);
    expect(s.warnings).toEqual([
      "151 training map pixels are unlabelled in the scene's label map; the map's labels are used",
      "10 training map pixels carry another class in the scene's label map; the map's labels are used",
    ]);
    expect(s.exposed.test).toBe(4526);
  });
});
