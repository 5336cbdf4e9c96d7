import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import { pixelAt, type Rgb } from '../../src/render/image.ts';
import { ERROR_COLORS, renderErrorMap, renderLabelMap } from '../../src/render/labelMap.ts';

const A: Rgb = [200, 10, 10];
const B: Rgb = [10, 200, 10];
const C: Rgb = [10, 10, 200];
const K: Rgb = [0, 0, 0];

// 3 rows × 4 columns; values 1, 10, 14 as in SalinasA (not contiguous); 7 is not a class.
const grid = {
  height: 3,
  width: 4,
  data: Int32Array.from([
    1, 1, 10, 0,
    14, 10, 7, 1,
    0, 14, 14, 10,
  ]),
};
const values = [1, 10, 14];
const colors = [A, B, C];
const expected: Rgb[][] = [
  [A, A, B, K],
  [C, B, K, A],
  [K, C, C, B],
];

describe('renderLabelMap', () => {
  it('colours every pixel by its class and is exactly H×W', () => {
    const img = renderLabelMap(grid, values, colors);
    expect([img.width, img.height]).toEqual([4, 3]);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(pixelAt(img, c, r), `(${r}, ${c})`).toEqual(expected[r]![c]);
    for (let i = 3; i < img.data.length; i += 4) expect(img.data[i]).toBe(255);
  });

  it('scales by an integer factor, each pixel a block', () => {
    const img = renderLabelMap(grid, values, colors, { scale: 2 });
    expect([img.width, img.height]).toEqual([8, 6]);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) expect(pixelAt(img, x, y)).toEqual(expected[y >> 1]![x >> 1]);
  });

  it('draws masked pixels black', () => {
    const mask = Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1]);
    const img = renderLabelMap(grid, values, colors, { mask });
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) expect(pixelAt(img, c, r)).toEqual(mask[r * 4 + c] ? expected[r]![c] : K);
    }
    // A label map as the mask keeps labelled pixels only (--mask-background).
    const pred = { ...grid, data: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]) };
    const masked = renderLabelMap(pred, values, colors, { mask: grid.data });
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(pixelAt(masked, c, r)).toEqual(grid.data[r * 4 + c] ? A : K);
  });

  it('rejects too few colours, a wrong-sized mask or grid, and a bad scale', () => {
    expect(() => renderLabelMap(grid, values, [A, B])).toThrow(ConfigError);
    expect(() => renderLabelMap(grid, values, colors, { mask: new Uint8Array(11) })).toThrow(DataError);
    expect(() => renderLabelMap({ ...grid, width: 5 }, values, colors)).toThrow(DataError);
    expect(() => renderLabelMap(grid, values, colors, { scale: 0 })).toThrow(ConfigError);
  });
});

describe('renderErrorMap', () => {
  const predicted = {
    height: 3,
    width: 4,
    data: Int32Array.from([
      1, 10, 10, 14,
      14, 10, 1, 1,
      10, 14, 1, 10,
    ]),
  };
  // Test pixels: row 0 and row 2; row 1 was used for training.
  const test = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
  const { correct: G, wrong: R, notScored: D } = ERROR_COLORS;

  it('colours test pixels right/wrong, other labelled pixels grey, unlabelled black', () => {
    const img = renderErrorMap(grid, predicted, test);
    const want: Rgb[][] = [
      [G, R, G, K],
      [D, D, D, D],
      [K, G, R, G],
    ];
    expect([img.width, img.height]).toEqual([4, 3]);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(pixelAt(img, c, r), `(${r}, ${c})`).toEqual(want[r]![c]);
  });

  it('can leave non-test pixels black, and scales', () => {
    const img = renderErrorMap(grid, predicted, test, { showNotScored: false, scale: 3 });
    expect([img.width, img.height]).toEqual([12, 9]);
    for (let x = 0; x < 12; x++) expect(pixelAt(img, x, 4)).toEqual(K);
    expect(pixelAt(img, 5, 2)).toEqual(R);
  });

  it('uses colours that differ from each other and from black', () => {
    const all = [G, R, D, K].map((c) => c.join(','));
    expect(new Set(all).size).toBe(4);
  });

  it('rejects maps of different sizes', () => {
    expect(() => renderErrorMap(grid, { height: 4, width: 3, data: predicted.data }, test)).toThrow(DataError);
    expect(() => renderErrorMap(grid, predicted, new Uint8Array(3))).toThrow(DataError);
  });
});
