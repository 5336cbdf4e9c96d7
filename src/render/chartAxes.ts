/** The axes of the line charts (training curves, mean curves): gridlines, ticks and their labels, the x label. */
import { drawLine, drawText, wrappedTextHeight } from './draw.ts';
import { GLYPH_ASCENT, textHeight } from './font.ts';
import type { Rgb, RgbaImage } from './image.ts';
import { formatTick, type Ticks } from './ticks.ts';

/** Text scale of the charts' labels. */
export const CHART_TEXT_SCALE = 2;
/** Length of a tick mark, pixels. */
export const CHART_TICK = 5;
const AXIS: Rgb = [60, 60, 60];
const GRIDLINE: Rgb = [232, 232, 232];

export interface ChartBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Pixel position of a value on each axis of `box`. */
export function chartScale(box: ChartBox, xt: Ticks, yt: Ticks): { toX: (v: number) => number; toY: (v: number) => number } {
  const { x, y, w, h } = box;
  return {
    toX: (v) => x + Math.round(((v - xt.min) / (xt.max - xt.min)) * (w - 1)),
    toY: (v) => y + h - 1 - Math.round(((v - yt.min) / (yt.max - yt.min)) * (h - 1)),
  };
}

/** Horizontal gridlines at the y ticks, tick marks and labels on both axes, and `xLabel` under the x axis. */
export function drawChartAxes(img: RgbaImage, box: ChartBox, xt: Ticks, yt: Ticks, xLabel: string, xDecimals = xt.decimals): void {
  const { x, y, w, h } = box;
  const S = CHART_TEXT_SCALE, TICK = CHART_TICK;
  const { toX, toY } = chartScale(box, xt, yt);
  const capOffset = Math.floor((GLYPH_ASCENT * S) / 2);
  for (const v of yt.values) {
    const ty = toY(v);
    drawLine(img, x + 1, ty, x + w - 2, ty, GRIDLINE);
    drawLine(img, x - TICK, ty, x - 1, ty, AXIS);
    drawText(img, formatTick(v, yt.decimals), x - TICK - 6, ty - capOffset, { scale: S, align: 'right' });
  }
  for (const v of xt.values) {
    const tx = toX(v);
    drawLine(img, tx, y + h, tx, y + h + TICK - 1, AXIS);
    drawText(img, formatTick(v, xDecimals), tx, y + h + TICK + 6, { scale: S, align: 'center' });
  }
  drawText(img, xLabel, x + Math.floor(w / 2), y + h + TICK + 6 + textHeight(S) + 8, { scale: S, align: 'center' });
}

/** The rows of a figure of charts side by side, top to bottom, and its height. */
export interface ChartRows {
  titleY: number;
  legendY: number;
  chartTitleY: number;
  plotY: number;
  height: number;
}

/**
 * The rows of a figure `width` wide with `margin` around: the title wrapped to the width (when given), one
 * line of legend, the charts' titles, plots `plotHeight` high, then their x tick labels and axis title.
 */
export function chartRows(width: number, margin: number, title: string | undefined, plotHeight: number): ChartRows {
  const lineH = textHeight(CHART_TEXT_SCALE);
  let y = margin;
  const titleY = y;
  if (title) y += wrappedTextHeight(title, width - 2 * margin, CHART_TEXT_SCALE, 6) + 12;
  const legendY = y;
  y += lineH + 16;
  const chartTitleY = y;
  y += lineH + 10;
  const plotY = y;
  return { titleY, legendY, chartTitleY, plotY, height: plotY + plotHeight + CHART_TICK + 6 + lineH + 8 + lineH + margin };
}
