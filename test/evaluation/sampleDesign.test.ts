import { describe, expect, it } from 'vitest';
import { allocateSample, drawSample, sampleSizeForOverallAccuracy } from '../../src/evaluation/sampleDesign.ts';

const frames = [
  { value: 1, pixels: 8000, eligible: 7000 },
  { value: 2, pixels: 1500, eligible: 1500 },
  { value: 3, pixels: 400, eligible: 30 },
  { value: 4, pixels: 100, eligible: 100 },
];

describe('the sample design', () => {
  it('gives each class its minimum, then the rest by mapped area, never more than a class has', () => {
    const { counts } = allocateSample(frames, 300, 50);
    expect(Array.from(counts).reduce((a, b) => a + b, 0)).toBe(300);
    // Class 3 has only 30 pixels outside training: it gets them all; the others at least 50.
    expect(counts[2]).toBe(30);
    expect(counts[0]).toBeGreaterThan(counts[1]!);
    expect(counts[3]).toBeGreaterThanOrEqual(50);
    // What is left after the minimums (300 − 180 = 120) goes 8000 : 1500 : 100 to classes 1, 2, 4 (class 3 is full):
    // 100, 18.75, 1.25 → floors 100, 18, 1, and the largest remainder (class 2) takes the last point.
    expect(Array.from(counts)).toEqual([150, 69, 30, 51]);
  });

  it('refuses a sample larger than the frame or smaller than the minimums', () => {
    expect(() => allocateSample(frames, 9000, 50)).toThrow(/at most the 8630/);
    expect(() => allocateSample(frames, 100, 50)).toThrow(/--size/);
  });

  it('sizes the sample for a target standard error of overall accuracy (Olofsson et al. 2014, eq. 13)', () => {
    // Their numerical example: W = 0.02, 0.015, 0.32, 0.645 with U = 0.7, 0.6, 0.9, 0.95 and S(Ô) = 0.01 give n ≈ 641.
    const w = [0.02, 0.015, 0.32, 0.645];
    const u = [0.7, 0.6, 0.9, 0.95];
    const ex = w.map((wi, i) => ({ value: i + 1, pixels: wi * 1e6, eligible: wi * 1e6 }));
    expect(sampleSizeForOverallAccuracy(ex, (v) => u[v - 1]!, 0.01)).toBe(641);
  });

  it('draws each pixel at most once, only eligible pixels of the stratum, the same for the same seed', () => {
    const map = Int32Array.from({ length: 400 }, (_, p) => 1 + (p % 3));
    const eligible = Uint8Array.from({ length: 400 }, (_, p) => (p < 40 ? 0 : 1));
    const f = [1, 2, 3].map((value) => ({ value, pixels: 0, eligible: 0 }));
    const counts = Int32Array.from([20, 10, 5]);
    const a = drawSample(map, eligible, f, counts, 7);
    expect(a.length).toBe(35);
    expect(new Set(a).size).toBe(35);
    expect(Array.from(a).every((p) => p >= 40)).toBe(true);
    expect(Array.from(a.subarray(0, 20)).every((p) => map[p] === 1)).toBe(true);
    expect(Array.from(drawSample(map, eligible, f, counts, 7))).toEqual(Array.from(a));
    expect(Array.from(drawSample(map, eligible, f, counts, 8))).not.toEqual(Array.from(a));
  });
});
