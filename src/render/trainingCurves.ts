/**
 * Training curves: loss and accuracy per epoch, training and validation, with the epoch whose
 * weights were kept marked. Two small line charts side by side under one legend.
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { drawLine, drawText, drawWrappedText, fillRect, strokeRect } from './draw.ts';
import { GLYPH_ASCENT, textWidth } from './font.ts';
import { createImage, type Rgb, type RgbaImage } from './image.ts';
import { formatTick, niceTicks, type Ticks } from './ticks.ts';
import { chartRows, chartScale, type ChartBox, drawChartAxes } from './chartAxes.ts';

/** One epoch's numbers as training reports them; accuracies are fractions 0..1. */
export interface EpochRecord {
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
}

export interface TrainingCurvesInput {
  /** Epoch 1 first. Non-finite values (a diverged run) leave a gap in the line. */
  readonly epochs: readonly EpochRecord[];
  /** 1-based number of the epoch whose weights were kept (best validation); marked with a line. */
  readonly keptEpoch?: number;
  /** A line above the charts. Default none. */
  readonly title?: string;
}

export interface TrainingCurvesOptions {
  /** Size of each chart's plotting area in pixels. Default 440 × 260. */
  plotWidth?: number;
  plotHeight?: number;
}

/** Series colours, exported so tests and callers can find them. */
export const CURVE_COLORS = {
  train: [31, 119, 180] as Rgb,
  validation: [255, 127, 14] as Rgb,
  kept: [44, 160, 44] as Rgb,
} as const;

const MARGIN = 20;
const S = 2; // text scale
const TICK = 5;
const GAP = 48;
const AXIS: Rgb = [60, 60, 60];

interface Series {
  readonly values: readonly (number | undefined)[];
  readonly color: Rgb;
}

/** Draws the two charts (loss; accuracy) with a legend and, when given, the kept epoch. */
export function renderTrainingCurves(input: TrainingCurvesInput, opts: TrainingCurvesOptions = {}): RgbaImage {
  const { plotWidth = 440, plotHeight = 260 } = opts;
  const { epochs, keptEpoch, title } = input;
  if (epochs.length === 0) throw new DataError('no epochs to plot', 'train for at least one epoch before drawing the curves');
  if (keptEpoch !== undefined && !(Number.isInteger(keptEpoch) && keptEpoch >= 1 && keptEpoch <= epochs.length)) {
    throw new ConfigError('keptEpoch', `a 1-based epoch number from 1 to ${epochs.length}`, keptEpoch);
  }
  for (const [name, v] of [['plotWidth', plotWidth], ['plotHeight', plotHeight]] as const) {
    if (!Number.isInteger(v) || v < 60) throw new ConfigError(name, 'a whole number of pixels ≥ 60', v);
  }
  const hasVal = epochs.some((e) => e.valLoss !== undefined || e.valAccuracy !== undefined);
  const loss: Series[] = [{ values: epochs.map((e) => e.loss), color: CURVE_COLORS.train }];
  const acc: Series[] = [{ values: epochs.map((e) => e.accuracy), color: CURVE_COLORS.train }];
  if (hasVal) {
    loss.push({ values: epochs.map((e) => e.valLoss), color: CURVE_COLORS.validation });
    acc.push({ values: epochs.map((e) => e.valAccuracy), color: CURVE_COLORS.validation });
  }

  const xTicks = niceTicks(1, Math.max(2, epochs.length), 6, 1);
  const lossRange = finiteRange(loss);
  // Loss from 0 (cross-entropy is never negative), accuracy over the range it actually covers.
  const lossTicks = niceTicks(Math.min(0, lossRange[0]), lossRange[1], 5);
  const accRange = finiteRange(acc);
  const accTicks = clampTicks(niceTicks(accRange[0], accRange[1], 5), 0, 1, accRange);

  const labels = (t: Ticks) => t.values.map((v) => textWidth(formatTick(v, t.decimals), S));
  const yLabelW = Math.max(...labels(lossTicks), ...labels(accTicks));
  const chartW = yLabelW + TICK + 6 + plotWidth;
  // Room on the right for half of the last epoch label, which is centred on the plot's edge.
  const width = 2 * MARGIN + 2 * chartW + GAP + Math.ceil(textWidth(String(xTicks.max), S) / 2);
  // A title longer than the two charts wraps into more lines.
  const { titleY, legendY, chartTitleY, plotY, height } = chartRows(width, MARGIN, title, plotHeight);

  const img = createImage(width, height);
  if (title) drawWrappedText(img, title, MARGIN, titleY, width - 2 * MARGIN, { scale: S, lineGap: 6 });
  drawLegend(img, MARGIN + yLabelW + TICK + 6, legendY, hasVal, keptEpoch);
  const charts: [string, Series[], Ticks][] = [
    ['Loss', loss, lossTicks],
    ['Accuracy', acc, accTicks],
  ];
  charts.forEach(([name, series, yTicks], i) => {
    const px = MARGIN + i * (chartW + GAP) + yLabelW + TICK + 6;
    drawText(img, name, px + Math.floor(plotWidth / 2), chartTitleY, { scale: S, align: 'center' });
    drawChart(img, { x: px, y: plotY, w: plotWidth, h: plotHeight }, series, xTicks, yTicks, keptEpoch);
  });
  return img;
}

function drawChart(img: RgbaImage, box: ChartBox, series: readonly Series[], xt: Ticks, yt: Ticks, kept?: number): void {
  const { x, y, w, h } = box;
  const { toX, toY } = chartScale(box, xt, yt);
  drawChartAxes(img, box, xt, yt, 'epoch', 0);

  if (kept !== undefined) {
    const kx = toX(kept);
    drawLine(img, kx, y + 1, kx, y + h - 2, CURVE_COLORS.kept, { thickness: 2, dash: [6, 4] });
  }
  // Markers only while they stay apart; with hundreds of epochs they would blur into the line.
  const markers = xt.max - xt.min <= w / 10;
  for (const s of series) {
    let prev: [number, number] | undefined;
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) {
        prev = undefined;
        return;
      }
      const p: [number, number] = [toX(i + 1), toY(v)];
      if (prev) drawLine(img, prev[0], prev[1], p[0], p[1], s.color, { thickness: 2 });
      if (markers || !prev) fillRect(img, p[0] - 2, p[1] - 2, 5, 5, s.color);
      prev = p;
    });
  }
  strokeRect(img, x - 1, y - 1, w + 2, h + 2, AXIS);
}

function drawLegend(img: RgbaImage, x: number, y: number, hasVal: boolean, kept?: number): void {
  const items: [string, Rgb, boolean][] = [['training', CURVE_COLORS.train, false]];
  if (hasVal) items.push(['validation', CURVE_COLORS.validation, false]);
  if (kept !== undefined) items.push([`kept epoch ${kept}`, CURVE_COLORS.kept, true]);
  const mid = y + Math.floor((GLYPH_ASCENT * S) / 2);
  for (const [label, color, dashed] of items) {
    drawLine(img, x, mid, x + 27, mid, color, { thickness: 3, dash: dashed ? [6, 4] : undefined });
    x += 36 + drawText(img, label, x + 36, y, { scale: S }) + 40;
  }
}

/** [min, max] over every finite value of the series; [0, 1] when there is none. */
function finiteRange(series: readonly Series[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (v === undefined || !Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Accuracy ticks kept inside [0, 1] when the data are; values outside (a bug upstream) still show. */
function clampTicks(t: Ticks, lo: number, hi: number, data: [number, number]): Ticks {
  if (data[0] < lo || data[1] > hi) return t;
  const values = t.values.filter((v) => v >= lo - 1e-9 && v <= hi + 1e-9);
  if (values.length < 2) return t;
  return { ...t, values, min: values[0]!, max: values[values.length - 1]! };
}
