import { describe, expect, it } from 'vitest';
import { confusionMatrix, metricsFromConfusion } from '../../src/evaluation/metrics.ts';

const classes = [
  { label: 1, name: 'a' },
  { label: 2, name: 'b' },
  { label: 3, name: 'c' },
];

describe('confusionMatrix', () => {
  it('counts rows as true class and columns as prediction', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(m).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
  });
  it('rejects classes out of range and length mismatch', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/outside/);
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow(/predictions/);
  });
});

describe('metricsFromConfusion', () => {
  it('matches hand-computed OA, AA, kappa, precision, recall and F1', () => {
    // 50 samples, computed by hand:
    // rows (true): a 10 right of 15, b 18 of 20, c 12 of 15 → OA 40/50 = 0.8, AA = (10/15 + 18/20 + 12/15)/3
    // columns (predicted): a 13, b 22, c 15 → pe = (15·13 + 20·22 + 15·15)/2500, kappa = (OA − pe)/(1 − pe)
    const m = [
      [10, 3, 2],
      [1, 18, 1],
      [2, 1, 12],
    ];
    const r = metricsFromConfusion(m, classes);
    expect(r.overallAccuracy).toBeCloseTo(0.8, 10);
    expect(r.averageAccuracy).toBeCloseTo((10 / 15 + 18 / 20 + 12 / 15) / 3, 10);
    const colA = 13, colB = 22, colC = 15;
    const pe = (15 * colA + 20 * colB + 15 * colC) / 2500;
    expect(r.kappa).toBeCloseTo((0.8 - pe) / (1 - pe), 10);
    expect(r.perClass[0]).toMatchObject({ label: 1, name: 'a', support: 15 });
    expect(r.perClass[0]!.precision).toBeCloseTo(10 / 13, 10);
    expect(r.perClass[1]!.precision).toBeCloseTo(18 / 22, 10);
    const p = 12 / 15, rc = 12 / 15;
    expect(r.perClass[2]!.f1).toBeCloseTo((2 * p * rc) / (p + rc), 10);
  });

  it('gives kappa 1 and OA 1 for a perfect diagonal, 0 kappa for chance-level constant guessing', () => {
    expect(metricsFromConfusion([[5, 0, 0], [0, 3, 0], [0, 0, 2]], classes).kappa).toBe(1);
    const constant = metricsFromConfusion([[5, 0, 0], [3, 0, 0], [2, 0, 0]], classes);
    expect(constant.overallAccuracy).toBe(0.5);
    expect(constant.kappa).toBeCloseTo(0, 12);
    expect(constant.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('leaves classes without test samples out of AA', () => {
    const r = metricsFromConfusion([[4, 0, 0], [0, 0, 0], [1, 0, 3]], classes);
    expect(r.averageAccuracy).toBeCloseTo((1 + 0.75) / 2, 12);
    expect(r.perClass[1]!.support).toBe(0);
  });
});
