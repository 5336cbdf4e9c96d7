import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import type { RgbaImage } from '../../src/render/image.ts';
import { CURVE_COLORS, renderTrainingCurves, type EpochRecord } from '../../src/render/trainingCurves.ts';
import { countColor } from './helpers.ts';

const epochs: EpochRecord[] = Array.from({ length: 30 }, (_, i) => ({
  loss: 2 * Math.exp(-i / 5) + 0.05,
  accuracy: 1 - 0.8 * Math.exp(-i / 5),
  valLoss: 2 * Math.exp(-i / 6) + 0.2,
  valAccuracy: 0.93 - 0.7 * Math.exp(-i / 6),
}));

/** x of every column holding at least `minRun` pixels of the colour: the vertical lines. */
function verticalLines(img: RgbaImage, c: readonly number[], minRun = 40): number[] {
  const xs: number[] = [];
  for (let x = 0; x < img.width; x++) {
    let n = 0;
    for (let y = 0; y < img.height; y++) {
      const i = (y * img.width + x) * 4;
      if (img.data[i] === c[0] && img.data[i + 1] === c[1] && img.data[i + 2] === c[2]) n++;
    }
    if (n >= minRun) xs.push(x);
  }
  return xs;
}

describe('renderTrainingCurves', () => {
  it('draws training and validation lines in two colours, and the kept epoch', () => {
    const img = renderTrainingCurves({ epochs, keptEpoch: 20 });
    expect(img.width).toBeGreaterThan(800);
    expect(img.width).toBeLessThan(1400);
    expect(img.height).toBeGreaterThan(250);
    expect(img.height).toBeLessThan(600);
    expect(countColor(img, CURVE_COLORS.train)).toBeGreaterThan(500);
    expect(countColor(img, CURVE_COLORS.validation)).toBeGreaterThan(500);
    // One 2-pixel-wide dashed line per chart.
    expect(verticalLines(img, CURVE_COLORS.kept).length).toBe(4);
  });

  it('moves the kept-epoch line with the epoch', () => {
    const early = verticalLines(renderTrainingCurves({ epochs, keptEpoch: 3 }), CURVE_COLORS.kept);
    const late = verticalLines(renderTrainingCurves({ epochs, keptEpoch: 28 }), CURVE_COLORS.kept);
    expect(early.length).toBe(4);
    expect(late.length).toBe(4);
    for (let k = 0; k < 4; k++) expect(late[k]!).toBeGreaterThan(early[k]! + 200);
  });

  it('draws no validation line or kept line when there are none', () => {
    const img = renderTrainingCurves({ epochs: epochs.map(({ loss, accuracy }) => ({ loss, accuracy })) });
    expect(countColor(img, CURVE_COLORS.train)).toBeGreaterThan(500);
    expect(countColor(img, CURVE_COLORS.validation)).toBe(0);
    expect(countColor(img, CURVE_COLORS.kept)).toBe(0);
  });

  it('copes with one epoch and with a diverged (NaN) loss', () => {
    const one = renderTrainingCurves({ epochs: [{ loss: 1, accuracy: 0.5 }], keptEpoch: 1 });
    expect(countColor(one, CURVE_COLORS.train)).toBeGreaterThan(10);
    const diverged = epochs.map((e, i) => (i >= 10 ? { ...e, loss: NaN, valLoss: Infinity } : e));
    const img = renderTrainingCurves({ epochs: diverged });
    expect(countColor(img, CURVE_COLORS.train)).toBeGreaterThan(300);
  });

  it('rejects no epochs and a kept epoch outside the run', () => {
    expect(() => renderTrainingCurves({ epochs: [] })).toThrow(DataError);
    expect(() => renderTrainingCurves({ epochs, keptEpoch: 0 })).toThrow(ConfigError);
    expect(() => renderTrainingCurves({ epochs, keptEpoch: 31 })).toThrow(/1 to 30/);
  });
});
