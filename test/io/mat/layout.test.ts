import { describe, expect, it } from 'vitest';
import { columnMajorToBIP, columnMajorToLabels } from '../../../src/io/mat/layout.ts';
import type { MatTypedArray } from '../../../src/io/mat/types.ts';

/** Value that says where it belongs: row r, column c, band b → r*100 + c*10 + b. */
const code = (r: number, c: number, b: number) => r * 100 + c * 10 + b;

/** A column-major H×W×B array (MATLAB order) of `code` values in the given array type. */
function columnMajor(make: (n: number) => MatTypedArray, H: number, W: number, B: number): MatTypedArray {
  const a = make(H * W * B);
  const big = a instanceof BigInt64Array || a instanceof BigUint64Array;
  // Written through a plain index signature: the element type (number or bigint) depends on `a`.
  const put = a as unknown as { [i: number]: number | bigint };
  for (let b = 0; b < B; b++) for (let c = 0; c < W; c++) for (let r = 0; r < H; r++) {
    put[r + c * H + b * H * W] = big ? BigInt(code(r, c, b)) : code(r, c, b);
  }
  return a;
}

describe('columnMajorToBIP', () => {
  it('puts (r, c, b) at (r*W + c)*B + b for every element', () => {
    const [H, W, B] = [3, 4, 5];
    const out = columnMajorToBIP(columnMajor((n) => new Int16Array(n), H, W, B), H, W, B);
    expect(out).toBeInstanceOf(Float32Array);
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let b = 0; b < B; b++) {
      expect(out[(r * W + c) * B + b]).toBe(code(r, c, b));
    }
  });

  it('gives the same result from every stored type', () => {
    const [H, W, B] = [2, 2, 3]; // codes stay below 128 so that Int8Array holds them
    const ref = Array.from(columnMajorToBIP(columnMajor((n) => new Float64Array(n), H, W, B), H, W, B));
    const makers: ((n: number) => MatTypedArray)[] = [
      (n: number) => new Uint8Array(n), (n: number) => new Uint16Array(n), (n: number) => new Int32Array(n),
      (n: number) => new Uint32Array(n), (n: number) => new Float32Array(n), (n: number) => new Int8Array(n),
    ];
    for (const make of makers) expect(Array.from(columnMajorToBIP(columnMajor(make, H, W, B), H, W, B))).toEqual(ref);
    expect(Array.from(columnMajorToBIP(columnMajor((n) => new BigInt64Array(n), H, W, B), H, W, B))).toEqual(ref);
  });

  it('handles single rows, columns and bands', () => {
    for (const [H, W, B] of [[1, 4, 2], [4, 1, 2], [3, 2, 1], [1, 1, 7]]) {
      const out = columnMajorToBIP(columnMajor((n) => new Float64Array(n), H, W, B), H, W, B);
      expect(out[((H - 1) * W + (W - 1)) * B + (B - 1)]).toBe(code(H - 1, W - 1, B - 1));
    }
  });

  it('refuses a length that does not match the shape', () => {
    expect(() => columnMajorToBIP(new Float32Array(10), 2, 2, 2)).toThrow(RangeError);
  });
});

describe('columnMajorToLabels', () => {
  it('transposes column-major to row-major Int32', () => {
    // MATLAB [1 2 3; 4 5 6] is stored 1 4 2 5 3 6.
    const { data, problem } = columnMajorToLabels(new Float64Array([1, 4, 2, 5, 3, 6]), 2, 3);
    expect(problem).toBeUndefined();
    expect(data).toBeInstanceOf(Int32Array);
    expect(Array.from(data as Int32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('accepts integral floats and unsigned types', () => {
    expect(Array.from(columnMajorToLabels(new Float32Array([0, 2, 13, 1]), 2, 2).data as Int32Array)).toEqual([0, 13, 2, 1]);
    expect(Array.from(columnMajorToLabels(new Uint32Array([7, 0]), 1, 2).data as Int32Array)).toEqual([7, 0]);
  });

  it('reports the first bad pixel in row-major order, with its kind and value', () => {
    // 2×3, MATLAB order; (0,2) holds 2.5 and (1,0) holds -1: row-major, (0,2) comes first.
    expect(columnMajorToLabels(new Float64Array([1, -1, 2, 2, 2.5, 3]), 2, 3).problem)
      .toEqual({ kind: 'not-integer', row: 0, col: 2, value: 2.5 });
    expect(columnMajorToLabels(new Int16Array([1, -1, 2, 2, 3, 3]), 2, 3).problem)
      .toEqual({ kind: 'negative', row: 1, col: 0, value: -1 });
    expect(columnMajorToLabels(new Float64Array([Number.NaN, 1]), 1, 2).problem?.kind).toBe('not-integer');
    expect(columnMajorToLabels(new Uint32Array([1, 2 ** 31]), 1, 2).problem)
      .toEqual({ kind: 'too-large', row: 0, col: 1, value: 2 ** 31 });
  });
});
