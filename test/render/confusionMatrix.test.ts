import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { heatColor, layoutConfusionMatrix, renderConfusionMatrix } from '../../src/render/confusionMatrix.ts';
import { pixelAt, type RgbaImage } from '../../src/render/image.ts';
import { luma } from '../../src/render/palette.ts';
import { countColor, countNonWhite } from './helpers.ts';

const KSC = [
  'Scrub', 'Willow swamp', 'Cabbage palm hammock', 'Cabbage palm/oak hammock', 'Slash pine',
  'Oak/broadleaf hammock', 'Hardwood swamp', 'Graminoid marsh', 'Spartina marsh', 'Cattail marsh',
  'Salt marsh', 'Mud flats', 'Water',
];

/** A seeded n×n matrix: a big diagonal and a few errors. */
function matrix(n: number): number[][] {
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: n }, (_, t) => Array.from({ length: n }, (_, p) => (t === p ? 100 + Math.floor(rand() * 800) : rand() < 0.2 ? Math.floor(rand() * 30) : 0)));
}

/** Pixels in the cell's interior that differ from its background (the count's text). */
function textPixels(img: RgbaImage, x: number, y: number, cell: number): number {
  const bg = pixelAt(img, x + 2, y + 2);
  let n = 0;
  for (let yy = y + 2; yy < y + cell - 1; yy++) {
    for (let xx = x + 2; xx < x + cell - 1; xx++) if (pixelAt(img, xx, yy).join() !== bg.join()) n++;
  }
  return n;
}

describe('renderConfusionMatrix', () => {
  it('has a sane size from 2 to 16 classes', () => {
    for (const n of [2, 3, 13, 16]) {
      const img = renderConfusionMatrix(matrix(n), KSC.concat(KSC).slice(0, n));
      expect(img.width).toBeGreaterThan(200);
      expect(img.height).toBeGreaterThan(200);
      expect(img.width).toBeLessThan(1600);
      expect(img.height).toBeLessThan(1600);
    }
  });

  it('colours cells by their share of the row and writes every count with contrast', () => {
    const m = matrix(13);
    const img = renderConfusionMatrix(m, KSC, { title: 'KSC' });
    const { x0, y0, cell } = layoutConfusionMatrix(m, KSC, { title: 'KSC' });
    for (let t = 0; t < 13; t++) {
      const rowSum = m[t]!.reduce((a, b) => a + b, 0);
      for (let p = 0; p < 13; p++) {
        const x = x0 + p * cell;
        const y = y0 + t * cell;
        const bg = pixelAt(img, x + 2, y + 2);
        expect(bg).toEqual(heatColor(m[t]![p]! / rowSum));
        expect(textPixels(img, x, y, cell), `cell ${t},${p}`).toBeGreaterThan(10);
      }
      // The diagonal (most of the row) is dark with white digits.
      const d = x0 + t * cell;
      expect(luma(pixelAt(img, d + 2, y0 + t * cell + 2))).toBeLessThan(150);
      expect(countColor(img, [255, 255, 255], d + 2, y0 + t * cell + 2, d + cell - 1, y0 + (t + 1) * cell - 1)).toBeGreaterThan(10);
    }
  });

  it('writes class names on both axes and the axis titles', () => {
    const m = matrix(5);
    const names = KSC.slice(0, 5);
    const img = renderConfusionMatrix(m, names);
    const { x0, y0, cell } = layoutConfusionMatrix(m, names);
    for (let k = 0; k < 5; k++) {
      // Row label left of row k; column label below column k.
      expect(countNonWhite(img, 40, y0 + k * cell + 2, x0 - 2, y0 + (k + 1) * cell - 2)).toBeGreaterThan(50);
      expect(countNonWhite(img, x0 + k * cell + 2, y0 + 5 * cell + 4, x0 + (k + 1) * cell - 2, img.height - 60)).toBeGreaterThan(50);
    }
    // 'True class' runs down the left margin; 'Predicted class' sits under the column labels.
    expect(countNonWhite(img, 0, 0, 40, img.height)).toBeGreaterThan(100);
    expect(countNonWhite(img, x0, img.height - 60, img.width, img.height)).toBeGreaterThan(100);
  });

  it('cuts long names and keeps a two-class matrix wide enough for its axis titles', () => {
    const long = ['Buildings-Grass-Trees-Drives and more words', 'x'];
    const l = layoutConfusionMatrix([[1, 0], [0, 1]], long, { maxLabelChars: 10 });
    expect(l.names[0]).toBe('Building..');
    expect(l.names[1]).toBe('x');
    expect(2 * l.cell).toBeGreaterThanOrEqual(178); // 'Predicted class' at scale 2
  });

  it('wraps a title longer than the matrix instead of widening the figure', () => {
    const m = [[5, 1], [0, 7]];
    const short = renderConfusionMatrix(m, ['a', 'b'], { title: 'x' });
    const long = renderConfusionMatrix(m, ['a', 'b'], { title: 'Samson 20 % - test pixels (rows: true class), seed 345, 16 epochs, onnxruntime' });
    expect(long.width).toBe(short.width);
    expect(long.height).toBeGreaterThan(short.height + 2 * 18);
  });

  it('maps shares to white through dark blue', () => {
    expect(heatColor(0)).toEqual([255, 255, 255]);
    expect(heatColor(1)).toEqual([8, 48, 107]);
    expect(luma(heatColor(0.3))).toBeGreaterThan(luma(heatColor(0.6)));
    expect(heatColor(NaN)).toEqual([255, 255, 255]);
  });

  it('rejects a matrix that does not match the names or holds negative counts', () => {
    expect(() => renderConfusionMatrix([[1, 2]], ['a', 'b'])).toThrow(DataError);
    expect(() => renderConfusionMatrix([[1, 2], [3]], ['a', 'b'])).toThrow(DataError);
    expect(() => renderConfusionMatrix([[1, -2], [3, 4]], ['a', 'b'])).toThrow(DataError);
  });
});
