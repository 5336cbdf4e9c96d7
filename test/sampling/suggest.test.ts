import { describe, expect, it } from 'vitest';
import { argmaxOf, disagreementOf, marginsOf, suggestPixels } from '../../src/sampling/suggest.ts';
import { createRng } from '../../src/util/random.ts';

/** Random softmax-like rows: n samples of k classes, each row summing to 1. */
function randomProbabilities(n: number, k: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n * k);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[j * k + c] = Math.exp(3 * rng.normal());
    for (let c = 0; c < k; c++) out[j * k + c]! /= sum;
  }
  return out;
}

const chebyshev = (a: number, b: number, width: number) => Math.max(Math.abs(Math.floor(a / width) - Math.floor(b / width)), Math.abs((a % width) - (b % width)));

describe('margins and votes', () => {
  it('margin is the first minus the second probability; argmax the first', () => {
    const p = Float32Array.of(0.2, 0.5, 0.3, /**/ 0.6, 0.1, 0.3, /**/ 0.4, 0.4, 0.2);
    expect(Array.from(marginsOf(p, 3), (v) => +v.toFixed(6))).toEqual([0.2, 0.3, 0]);
    expect(Array.from(argmaxOf(p, 3))).toEqual([1, 0, 0]);
  });

  it('disagreement is the share of models off the majority', () => {
    const votes = [Int32Array.of(0, 1, 2), Int32Array.of(0, 1, 1), Int32Array.of(0, 2, 0), Int32Array.of(0, 1, 1)];
    expect(Array.from(disagreementOf(votes, 3))).toEqual([0, 0.25, 0.5]);
  });
});

describe('suggestPixels', () => {
  const height = 60, width = 70, k = 4;
  const probs = randomProbabilities(height * width, k, 7);
  const margins = marginsOf(probs, k);
  // Every third pixel is "labelled": not a candidate.
  const candidates = Int32Array.from({ length: height * width }, (_, p) => p).filter((p) => p % 3 !== 0);
  const margin = Float32Array.from(candidates, (p) => margins[p]!);

  it('without spacing returns exactly the lowest-margin candidates, in order', () => {
    const s = suggestPixels({ width, candidates, margin, size: 25, spacing: 1 });
    const sorted = Array.from(candidates).sort((a, b) => margins[a]! - margins[b]! || a - b).slice(0, 25);
    expect(Array.from(s.pixels)).toEqual(sorted);
    expect(Array.from(s.positions, (i) => candidates[i])).toEqual(sorted);
  });

  it('with spacing: none closer than the spacing, none labelled, and each skipped lower-margin candidate lies too close to a pick ranked before it', () => {
    const spacing = 9;
    const s = suggestPixels({ width, candidates, margin, size: 30, spacing });
    expect(s.pixels.length).toBe(30);
    const picks = Array.from(s.pixels);
    for (const p of picks) expect(p % 3).not.toBe(0);
    for (let i = 0; i < picks.length; i++) for (let j = i + 1; j < picks.length; j++) expect(chebyshev(picks[i]!, picks[j]!, width)).toBeGreaterThanOrEqual(spacing);
    // Picks come in rising margin; every candidate ranked above the last pick and not picked is blocked by an earlier pick.
    for (let i = 1; i < picks.length; i++) expect(margins[picks[i]!]!).toBeGreaterThanOrEqual(margins[picks[i - 1]!]!);
    const last = margins[picks[picks.length - 1]!]!;
    const picked = new Set(picks);
    let blocked = 0;
    for (const c of candidates) {
      if (picked.has(c) || margins[c]! >= last) continue;
      const before = picks.filter((p) => margins[p]! < margins[c]! || (margins[p] === margins[c] && p < c));
      expect(before.some((p) => chebyshev(p, c, width) < spacing), `candidate ${c} (margin ${margins[c]}) was skipped without a closer pick`).toBe(true);
      blocked++;
    }
    expect(blocked).toBeGreaterThan(0); // the spacing did change the answer
  });

  it('returns fewer when the spacing leaves fewer, and keeps away from given pixels', () => {
    const all = suggestPixels({ width, candidates, margin, size: 1000, spacing: 30 });
    // 60×70 holds at most 3 × 3 pixels 30 apart.
    expect(all.pixels.length).toBeLessThanOrEqual(9);
    expect(all.pixels.length).toBeGreaterThan(0);
    const away = suggestPixels({ width, candidates, margin, size: 5, spacing: 10, keepAwayFrom: Int32Array.of(0) });
    for (const p of away.pixels) expect(chebyshev(p, 0, width)).toBeGreaterThanOrEqual(10);
  });

  it('ranks disagreement first, ties by margin', () => {
    const cands = Int32Array.of(0, 10, 20, 30);
    const s = suggestPixels({ width, candidates: cands, margin: Float32Array.of(0.1, 0.5, 0.2, 0.05), disagreement: Float32Array.of(0, 0.5, 0.5, 0), size: 3, spacing: 1 });
    expect(Array.from(s.pixels)).toEqual([20, 10, 30]);
  });

  it('refuses a size or spacing below 1', () => {
    expect(() => suggestPixels({ width, candidates, margin, size: 0, spacing: 1 })).toThrow(/--size/);
    expect(() => suggestPixels({ width, candidates, margin, size: 3, spacing: 0 })).toThrow(/--spacing/);
  });
});
