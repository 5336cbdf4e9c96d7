import { describe, expect, it } from 'vitest';
import { patchRadius, windowsTouching, windowsTouchingIn } from '../../src/sampling/windowGuard.ts';
import { createRng } from '../../src/util/random.ts';

/** The answer by direct scan of every window. */
function bruteForce(mask: Uint8Array, height: number, width: number, radius: number): Uint8Array {
  const out = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      scan: for (let y = Math.max(0, r - radius); y <= Math.min(height - 1, r + radius); y++) {
        for (let x = Math.max(0, c - radius); x <= Math.min(width - 1, c + radius); x++) {
          if (mask[y * width + x]) {
            out[r * width + c] = 1;
            break scan;
          }
        }
      }
    }
  }
  return out;
}

/** Rows of a 0/1 grid as strings, for readable expectations. */
function rows(grid: Uint8Array, width: number): string[] {
  return Array.from({ length: grid.length / width }, (_, r) => Array.from(grid.subarray(r * width, (r + 1) * width)).join(''));
}

describe('windowsTouching', () => {
  it('marks exactly the window around one marked pixel, clipped at the border', () => {
    const mask = new Uint8Array(5 * 6);
    mask[1 * 6 + 4] = 1; // row 1, column 4
    expect(rows(windowsTouching(mask, { height: 5, width: 6 }, 1), 6)).toEqual(['000111', '000111', '000111', '000000', '000000']);
    expect(rows(windowsTouching(mask, { height: 5, width: 6 }, 2), 6)).toEqual(['001111', '001111', '001111', '001111', '000000']);
    expect(rows(windowsTouching(mask, { height: 5, width: 6 }, 0), 6)).toEqual(['000000', '000010', '000000', '000000', '000000']);
  });

  it('agrees with a direct scan on random masks, for the whole scene and for any rectangle', () => {
    const rng = createRng(11, 'test/guard');
    for (let trial = 0; trial < 20; trial++) {
      const height = 1 + rng.int(30);
      const width = 1 + rng.int(30);
      const density = rng.next() * 0.1;
      const mask = Uint8Array.from({ length: height * width }, () => (rng.next() < density ? 1 : 0));
      const radius = rng.int(8);
      const expected = bruteForce(mask, height, width, radius);
      expect(Array.from(windowsTouching(mask, { height, width }, radius))).toEqual(Array.from(expected));
      const top = rng.int(height);
      const left = rng.int(width);
      const bottom = top + 1 + rng.int(height - top);
      const right = left + 1 + rng.int(width - left);
      const part = windowsTouchingIn(mask, { height, width }, radius, { top, left, bottom, right });
      const want: number[] = [];
      for (let r = top; r < bottom; r++) for (let c = left; c < right; c++) want.push(expected[r * width + c]!);
      expect(Array.from(part)).toEqual(want);
    }
  });

  it('refuses a mask of the wrong size, a bad radius and a rectangle outside the scene', () => {
    expect(() => windowsTouching(new Uint8Array(5), { height: 2, width: 3 }, 1)).toThrow(/5 values for 2×3/);
    expect(() => windowsTouching(new Uint8Array(6), { height: 2, width: 3 }, -1)).toThrow(/radius/);
    expect(() => windowsTouchingIn(new Uint8Array(6), { height: 2, width: 3 }, 1, { top: 0, left: 0, bottom: 3, right: 3 })).toThrow(/outside/);
  });

  it('gives the reach of a patch', () => {
    expect([1, 3, 15, 27].map(patchRadius)).toEqual([0, 1, 7, 13]);
  });
});
