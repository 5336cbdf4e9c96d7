import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { drawText } from '../../src/render/draw.ts';
import { BLACK, createImage, type Rgb, type RgbaImage } from '../../src/render/image.ts';
import { ERROR_COLORS } from '../../src/render/labelMap.ts';
import { overviewScale, renderOverview } from '../../src/render/overview.ts';
import { countColor, countNonWhite } from './helpers.ts';

const RED: Rgb = [230, 25, 75];
const GREEN: Rgb = [60, 180, 75];

/** Ink of a text drawn at scale 2, in pixels. */
function inkOf(text: string, width = 600): number {
  const img = createImage(width, 30);
  drawText(img, text, 0, 0, { scale: 2 });
  return countNonWhite(img);
}

/** First row below which no row has a run of `run` black pixels: where the panels end. */
function panelsBottom(img: RgbaImage, run = 40): number {
  let bottom = 0;
  for (let y = 0; y < img.height; y++) {
    let n = 0;
    for (let x = 0; x < img.width && n < run; x++) {
      const i = (y * img.width + x) * 4;
      n = img.data[i] === 0 && img.data[i + 1] === 0 && img.data[i + 2] === 0 ? n + 1 : 0;
    }
    if (n >= run) bottom = y + 1;
  }
  return bottom;
}

/** First row with a run of `run` black pixels: where the panels start (the frame is grey, the panels black). */
function panelsTop(img: RgbaImage, run = 40): number {
  for (let y = 0; y < img.height; y++) {
    let n = 0;
    for (let x = 0; x < img.width && n < run; x++) {
      const i = (y * img.width + x) * 4;
      n = img.data[i] === 0 && img.data[i + 1] === 0 && img.data[i + 2] === 0 ? n + 1 : 0;
    }
    if (n >= run) return y;
  }
  return img.height;
}

describe('renderOverview', () => {
  // An 83×86 scene (SalinasA's size): a red blob on black in the maps.
  const H = 83;
  const W = 86;
  const map = createImage(W, H, BLACK);
  for (let y = 20; y < 40; y++) for (let x = 10; x < 30; x++) map.data.set([...RED, 255], (y * W + x) * 4);
  const fc = createImage(W, H, [120, 90, 60]);
  const errors = createImage(W, H, BLACK);
  const base = {
    falseColor: fc,
    groundTruth: map,
    prediction: map,
    errors,
    classes: [
      { name: 'Scrub', color: RED },
      { name: 'Water', color: GREEN },
    ],
    title: 'spinal-cnn on SalinasA — OA 95.40%  AA 93.66%  kappa 0.9488',
  };

  it('chooses a panel scale that makes small scenes legible and keeps big ones at 1', () => {
    expect(overviewScale(83)).toBe(5);
    expect(overviewScale(145)).toBe(3);
    expect(overviewScale(512)).toBe(1);
    expect(overviewScale(1476)).toBe(1);
    expect(overviewScale(10)).toBe(8);
    for (const h of [83, 95, 145, 217, 340]) {
      const panel = h * overviewScale(h);
      expect(panel).toBeGreaterThanOrEqual(300);
      expect(panel).toBeLessThanOrEqual(600);
    }
  });

  it('draws four scaled panels side by side with the title above and the legend below', () => {
    const img = renderOverview(base);
    const panelW = W * 5;
    expect(img.width).toBeGreaterThanOrEqual(4 * panelW);
    expect(img.width).toBeLessThan(4 * panelW + 200);
    expect(img.height).toBeGreaterThan(H * 5);
    expect(img.height).toBeLessThan(H * 5 + 250);
    // The red blob appears in ground truth and prediction, each 20×20 scene pixels at 5×, plus the
    // legend swatch (18×18 minus its outline).
    expect(countColor(img, RED)).toBe(2 * 20 * 20 * 25 + 16 * 16);
    // The false-colour panel is there at 5×.
    expect(countColor(img, [120, 90, 60])).toBe(W * H * 25);
    // Title: ink in the top band.
    expect(countNonWhite(img, 0, 0, img.width, 40)).toBeGreaterThan(inkOf('spinal-cnn') * 2);
  });

  it('writes every class name in the legend', () => {
    const named = renderOverview(base);
    const unnamed = renderOverview({ ...base, classes: base.classes.map((c) => ({ ...c, name: '' })) });
    const legendInk = (img: RgbaImage) => countNonWhite(img, 0, panelsBottom(img) + 2, img.width, img.height);
    // Same figure but for the names: the legend differs by exactly the names' ink.
    expect(legendInk(named) - legendInk(unnamed)).toBe(inkOf('Scrub') + inkOf('Water'));
    expect(countColor(named, GREEN, 0, panelsBottom(named))).toBe(16 * 16);
    // The error key is in the legend too.
    expect(countColor(named, ERROR_COLORS.wrong, 0, panelsBottom(named))).toBe(16 * 16);
  });

  it('lays out many long class names without losing any', () => {
    const classes = Array.from({ length: 16 }, (_, k) => ({ name: `Class number ${k} with a long name`, color: [10 + k * 10, 100, 200 - k * 5] as Rgb }));
    const img = renderOverview({ ...base, classes });
    const bottom = panelsBottom(img);
    for (const c of classes) expect(countColor(img, c.color, 0, bottom)).toBe(16 * 16);
    expect(img.height - bottom).toBeGreaterThan(16 * 26 / 3); // several legend rows
  });

  it('leaves out panels that are not given', () => {
    const full = renderOverview(base);
    const predOnly = renderOverview({ prediction: map, classes: base.classes, title: 'map only' });
    expect(predOnly.width).toBeLessThan(full.width / 2);
    expect(countColor(predOnly, RED)).toBe(20 * 20 * 25 + 16 * 16);
    expect(countColor(predOnly, ERROR_COLORS.wrong)).toBe(0);
  });

  it('draws a 512×614 scene at scale 1 and honours an explicit scale', () => {
    const big = createImage(614, 512, BLACK);
    const img = renderOverview({ prediction: big, groundTruth: big, classes: base.classes, title: 'KSC' });
    expect(img.width).toBeGreaterThanOrEqual(2 * 614);
    expect(img.width).toBeLessThan(2 * 614 + 120);
    const scaled = renderOverview({ ...base, errors: undefined }, { scale: 2 });
    expect(countColor(scaled, RED)).toBe(2 * 20 * 20 * 4 + 16 * 16);
  });

  it('keeps the demo-sized figure as wide as its four panels and wraps a long subtitle', () => {
    // The demo scene: 96×96, drawn at 5×; its subtitle (split, leakage note, seed, epochs, backend) is
    // about 300 characters, which on one line made the figure 3,490 pixels wide.
    const demo = createImage(96, 96, BLACK);
    const input = { ...base, falseColor: demo, groundTruth: demo, prediction: demo, errors: demo };
    const panelsW = 4 * 96 * 5 + 3 * 20;
    const short = renderOverview({ ...input, subtitle: 'seed 345' });
    expect(short.width).toBeLessThanOrEqual(panelsW + 2 * 24);
    const subtitle = "Stratified random split (the paper's protocol): 20% of each class's labelled pixels on the training side, " +
      'the rest tested (662 training, 2,654 test pixels): not spatially disjoint: 2,654 of the 2,654 test pixels have a ' +
      'training pixel inside their 15x15 window; seed 345; 16 epochs; wasm (SIMD, 1 thread)';
    const long = renderOverview({ ...input, subtitle });
    expect(long.width).toBe(short.width);
    // Two lines instead of one: one more line of text (18 pixels) and the gap between them.
    expect(long.height).toBeGreaterThanOrEqual(short.height + 18);
    // Every character is drawn: the subtitle band holds the ink of the whole subtitle.
    const ink = (img: RgbaImage) => countNonWhite(img, 0, 0, img.width, panelsTop(img));
    const noSubtitle = renderOverview(input);
    expect(ink(long) - ink(noSubtitle)).toBe(inkOf(subtitle, 4000));
    // A title too long for the panels wraps too.
    const title = `${base.title} ${'and more words '.repeat(20)}`;
    const wrapped = renderOverview({ ...input, title });
    expect(wrapped.width).toBe(short.width);
    expect(wrapped.height).toBeGreaterThan(noSubtitle.height);
  });

  it('rejects panels of different sizes', () => {
    expect(() => renderOverview({ ...base, errors: createImage(W + 1, H) })).toThrow(DataError);
  });
});
