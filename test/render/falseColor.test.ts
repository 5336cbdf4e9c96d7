import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { bandStretch, falseColor, percentile } from '../../src/render/falseColor.ts';
import { pixelAt } from '../../src/render/image.ts';
import type { CubeBIP } from '../../src/core/types.ts';

/** A 10×10 cube with 4 bands: band b of pixel p is p * (b + 1) (so 0..99, 0..198, …). */
function ramp(): CubeBIP {
  const data = new Float32Array(100 * 4);
  for (let p = 0; p < 100; p++) for (let b = 0; b < 4; b++) data[p * 4 + b] = p * (b + 1);
  return { height: 10, width: 10, bands: 4, data };
}

describe('falseColor', () => {
  it('uses numpy-style linear percentiles', () => {
    const v = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(percentile(v, 0)).toBe(0);
    expect(percentile(v, 100)).toBe(9);
    expect(percentile(v, 50)).toBeCloseTo(4.5);
    expect(percentile(v, 2)).toBeCloseTo(0.18); // np.percentile(range(10), 2)
  });

  it('stretches each band between its 2nd and 98th percentiles', () => {
    const cube = ramp();
    // np.percentile(range(100), [2, 98]) = [1.98, 97.02]; band 2 holds 3 × that.
    const s0 = bandStretch(cube, 0);
    expect(s0.low).toBeCloseTo(1.98, 4);
    expect(s0.high).toBeCloseTo(97.02, 4);
    expect(bandStretch(cube, 2).high).toBeCloseTo(3 * 97.02, 3);
    const img = falseColor(cube, [3, 0, 2]);
    expect([img.width, img.height]).toEqual([10, 10]);
    const level = (p: number) => Math.round(((p - 1.98) / (97.02 - 1.98)) * 255);
    // Every band is a multiple of the pixel index, so all three channels stretch to the same level.
    for (const p of [0, 1, 2, 30, 50, 97, 99]) {
      const want = Math.min(255, Math.max(0, level(p)));
      const got = pixelAt(img, p % 10, Math.floor(p / 10));
      for (const ch of got) expect(Math.abs(ch - want)).toBeLessThanOrEqual(1);
    }
    expect(pixelAt(img, 0, 0)).toEqual([0, 0, 0]);
    expect(pixelAt(img, 9, 9)).toEqual([255, 255, 255]);
  });

  it('puts the bands on the asked channels', () => {
    const data = new Float32Array(4 * 3);
    // Pixel 0 bright in band 0 only, pixel 1 in band 1, pixel 2 in band 2, pixel 3 dark.
    for (let p = 0; p < 3; p++) data[p * 3 + p] = 10;
    const cube = { height: 2, width: 2, bands: 3, data };
    const img = falseColor(cube, [2, 1, 0], { lowPercentile: 0, highPercentile: 100 });
    expect(pixelAt(img, 0, 0)).toEqual([0, 0, 255]);
    expect(pixelAt(img, 1, 0)).toEqual([0, 255, 0]);
    expect(pixelAt(img, 0, 1)).toEqual([255, 0, 0]);
    expect(pixelAt(img, 1, 1)).toEqual([0, 0, 0]);
  });

  it('estimates percentiles from a strided sample close to the full ones', () => {
    const cube = ramp();
    const full = bandStretch(cube, 1);
    const sampled = bandStretch(cube, 1, { maxSamples: 25 });
    expect(Math.abs(sampled.low - full.low)).toBeLessThan(10);
    expect(Math.abs(sampled.high - full.high)).toBeLessThan(10);
  });

  it('draws non-finite pixels black, a constant band mid-grey', () => {
    const data = Float32Array.from([1, 5, 2, 5, NaN, 5, 4, 5]);
    const cube = { height: 2, width: 2, bands: 2, data };
    const img = falseColor(cube, [0, 1, 0]);
    expect(pixelAt(img, 0, 1)).toEqual([0, 0, 0]); // pixel 2 has NaN in band 0
    expect(pixelAt(img, 0, 0)[1]).toBe(128); // band 1 is constant
    expect(pixelAt(img, 1, 1)[0]).toBe(255);
  });

  it('rejects band indices outside the cube and bad percentiles', () => {
    const cube = ramp();
    expect(() => falseColor(cube, [0, 1, 4])).toThrow(ConfigError);
    expect(() => falseColor(cube, [0, -1, 2])).toThrow(/0 to 3/);
    expect(() => falseColor(cube, [0, 1, 2], { lowPercentile: 98, highPercentile: 2 })).toThrow(ConfigError);
  });
});
