import { describe, expect, it } from 'vitest';
import { checkPatchSize, extractPatches } from '../../src/sampling/patches.ts';
import type { CubeBIP } from '../../src/core/types.ts';

/** 4×5 scene, 2 bands: value = 100·row + 10·col + band + 1 (never 0, so padding is visible). */
function grid(): CubeBIP {
  const height = 4, width = 5, bands = 2;
  const data = new Float32Array(height * width * bands);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++)
      for (let b = 0; b < bands; b++) data[(r * width + c) * bands + b] = 100 * r + 10 * c + b + 1;
  return { height, width, bands, data };
}

/** Reference: the obvious per-value loop. */
function naive(cube: CubeBIP, p: number, patch: number): number[] {
  const out: number[] = [];
  const rad = (patch - 1) / 2;
  const r0 = Math.floor(p / cube.width), c0 = p % cube.width;
  for (let dy = -rad; dy <= rad; dy++)
    for (let dx = -rad; dx <= rad; dx++)
      for (let b = 0; b < cube.bands; b++) {
        const r = r0 + dy, c = c0 + dx;
        out.push(r < 0 || c < 0 || r >= cube.height || c >= cube.width ? 0 : cube.data[(r * cube.width + c) * cube.bands + b]!);
      }
  return out;
}

describe('extractPatches', () => {
  it('cuts an interior 3×3 window in NHWC order', () => {
    const patch = extractPatches(grid(), [1 * 5 + 2], 3);
    // Row 0 of the window is scene row 0, columns 1..3, bands interleaved.
    expect(Array.from(patch.subarray(0, 6))).toEqual([11, 12, 21, 22, 31, 32]);
    expect(patch[4 * 2]).toBe(121); // the centre pixel, band 0
  });

  it('zero-pads at every border and corner, matching a naive loop on every pixel', () => {
    const cube = grid();
    for (const size of [1, 3, 5, 7]) {
      const pixels = Array.from({ length: 20 }, (_, i) => i);
      const got = extractPatches(cube, pixels, size);
      const want = pixels.flatMap((p) => naive(cube, p, size));
      expect(Array.from(got)).toEqual(want);
    }
  });

  it('reuses a given buffer and refuses one too small', () => {
    const buf = new Float32Array(2 * 9 * 2).fill(-1);
    extractPatches(grid(), [0, 19], 3, buf);
    expect(buf[0]).toBe(0); // top-left corner padding overwritten
    expect(() => extractPatches(grid(), [0, 1, 2], 3, buf)).toThrow(/buffer/);
  });
});

describe('checkPatchSize', () => {
  it('accepts odd sizes that fit and names the problem otherwise', () => {
    expect(() => checkPatchSize(3, { height: 4, width: 5 })).not.toThrow();
    expect(() => checkPatchSize(4, { height: 4, width: 5 })).toThrow(/odd/);
    expect(() => checkPatchSize(7, { height: 4, width: 5 })).toThrow(/at most 4/);
  });
});
