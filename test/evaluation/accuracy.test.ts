/**
 * The intervals and disagreements of metrics.json against references: SciPy's Wilson interval
 * (run through Debian's python3 when it has SciPy), Newcombe's (1998) published numbers, and a
 * confusion matrix worked by hand for Pontius & Millones' quantity and allocation disagreement.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { disagreement, wilsonInterval } from '../../src/evaluation/accuracy.ts';
import { metricsFromConfusion } from '../../src/evaluation/metrics.ts';

const CASES: [number, number][] = [[81, 263], [15, 148], [0, 20], [20, 20], [1, 1], [417, 500], [3, 7], [9990, 10000]];

function scipyWilson(): [number, number][] | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const script = `import json,sys\nfrom scipy.stats import binomtest\nprint(json.dumps([list(binomtest(k,n).proportion_ci(confidence_level=0.95, method='wilson')) for k,n in json.loads(sys.argv[1])]))`;
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify(CASES)], { encoding: 'utf8' }));
  } catch {
    return undefined;
  }
}
const reference = scipyWilson();
if (!reference) console.warn('skipping the SciPy comparison: /usr/bin/python3 with scipy is absent (apt-get install python3-scipy)');

describe('wilsonInterval', () => {
  it.skipIf(!reference)('matches SciPy binomtest(k, n).proportion_ci(method="wilson")', () => {
    CASES.forEach(([k, n], i) => {
      const ours = wilsonInterval(k, n)!;
      expect(ours[0]).toBeCloseTo(reference![i]![0]!, 12);
      expect(ours[1]).toBeCloseTo(reference![i]![1]!, 12);
    });
  });
  it("gives Newcombe's (1998, Table I) published intervals", () => {
    const a = wilsonInterval(81, 263)!;
    expect(a[0]).toBeCloseTo(0.2553, 4);
    expect(a[1]).toBeCloseTo(0.3662, 4);
    const b = wilsonInterval(15, 148)!;
    expect(b[0]).toBeCloseTo(0.0624, 4);
    expect(b[1]).toBeCloseTo(0.1605, 4);
  });
  it('is null without samples and never leaves [0, 1]', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(0, 5)![0]).toBe(0);
    expect(wilsonInterval(5, 5)![1]).toBeCloseTo(1, 15);
  });
});

describe('disagreement (Pontius & Millones 2011)', () => {
  // Rows true: totals a 15, b 20, c 15; columns predicted: a 13, b 22, c 15; 40 of 50 right.
  const m = [
    [10, 3, 2],
    [1, 18, 1],
    [2, 1, 12],
  ];
  it('splits 1 − OA into quantity and allocation, worked by hand', () => {
    // quantity: (|15−13| + |20−22| + |15−15|) / 2 / 50 = 0.04
    // allocation: 2·min(5, 3) + 2·min(2, 4) + 2·min(3, 3) = 16 → 16 / 2 / 50 = 0.16
    const d = disagreement(m);
    expect(d.quantity).toBeCloseTo(0.04, 12);
    expect(d.allocation).toBeCloseTo(0.16, 12);
  });
  it('is all quantity when one class is predicted everywhere', () => {
    // Everything mapped as a: amounts differ by 50 − 10 = 40 of 50, no swaps are possible.
    const d = disagreement([[10, 0], [40, 0]]);
    expect(d.quantity).toBeCloseTo(0.8, 12);
    expect(d.allocation).toBe(0);
  });
  it('is all allocation when two classes are swapped in equal amounts', () => {
    const d = disagreement([[5, 5], [5, 5]]);
    expect(d.quantity).toBe(0);
    expect(d.allocation).toBeCloseTo(0.5, 12);
  });
});

describe('metricsFromConfusion: the accuracy fields of metrics.json', () => {
  const classes = [{ label: 1, name: 'a' }, { label: 2, name: 'b' }, { label: 3, name: 'c' }];
  it("reports user's and producer's accuracy, errors and intervals per class, OA with its interval", () => {
    const r = metricsFromConfusion([[10, 3, 2], [1, 18, 1], [2, 1, 12]], classes);
    expect(r.overallAccuracyCI95).toEqual(wilsonInterval(40, 50));
    expect(r.quantityDisagreement + r.allocationDisagreement).toBeCloseTo(1 - r.overallAccuracy, 12);
    const a = r.perClass[0]!;
    expect(a.producersAccuracy).toBeCloseTo(10 / 15, 12);
    expect(a.usersAccuracy).toBeCloseTo(10 / 13, 12);
    expect(a.omissionError).toBeCloseTo(5 / 15, 12);
    expect(a.commissionError).toBeCloseTo(3 / 13, 12);
    expect(a.producersAccuracyCI95).toEqual(wilsonInterval(10, 15));
    expect(a.usersAccuracyCI95).toEqual(wilsonInterval(10, 13));
    expect(r.intervalMethod).toMatch(/Wilson/);
  });
  it('leaves accuracies of a class without samples or predictions null, not 0', () => {
    const r = metricsFromConfusion([[4, 0, 0], [0, 0, 0], [1, 0, 3]], classes);
    expect(r.perClass[1]).toMatchObject({ producersAccuracy: null, producersAccuracyCI95: null, usersAccuracy: null, omissionError: null, commissionError: null });
  });
});
