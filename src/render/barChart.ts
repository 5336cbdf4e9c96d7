/**
 * Grouped bar chart with error bars: one group per category (e.g. a split), one bar per series (e.g. a
 * model), the bar at the mean and a whisker of ± one standard deviation. Used by `experiment`.
 */
import { drawLine, drawText, drawWrappedText, fillRect, strokeRect, wrappedTextHeight } from './draw.ts';
import { textHeight, textWidth } from './font.ts';
import { BLACK, createImage, type Rgb, type RgbaImage } from './image.ts';
import { palette } from './palette.ts';
import { formatTick, niceTicks } from './ticks.ts';

export interface BarChartInput {
  title: string;
  /** Axis title, e.g. 'overall accuracy (%)'. */
  valueLabel: string;
  groups: readonly string[];
  series: readonly string[];
  /** mean[g][s] and std[g][s]; NaN leaves the bar out. */
  mean: readonly (readonly number[])[];
  std: readonly (readonly number[])[];
}

const GREY: Rgb = [200, 200, 200];

export function renderBarChart(input: BarChartInput): RgbaImage {
  const s = 2;
  const line = textHeight(s);
  const nG = input.groups.length;
  const nS = input.series.length;
  const barW = 36;
  const groupW = Math.max(nS * barW, ...input.groups.map((g) => textWidth(g, s))) + 40;
  const plotH = 300;
  const left = 90;
  const plotW = Math.max(groupW * nG, 200);
  const legendW = Math.max(...input.series.map((n) => textWidth(n, s))) + 60;
  // The chart decides the width; a longer title wraps into more lines above it.
  const width = left + plotW + 30 + legendW;
  const titleH = wrappedTextHeight(input.title, width - 40, s, 6);
  const top = 30 + line + titleH;
  const img = createImage(width, top + plotH + 3 * line + 20);
  drawWrappedText(img, input.title, 20, 14, width - 40, { scale: s, lineGap: 6 });
  const values = input.mean.flatMap((row, g) => row.map((m, k) => [m - (input.std[g]![k] ?? 0), m + (input.std[g]![k] ?? 0)])).flat().filter(Number.isFinite);
  const ticks = niceTicks(Math.min(...values, 100), Math.max(...values, 0), 6);
  const lo = ticks.min;
  const hi = ticks.max;
  const y = (v: number) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  for (const t of ticks.values) {
    drawLine(img, left, y(t), left + plotW, y(t), GREY);
    drawText(img, formatTick(t, ticks.decimals), left - 8, y(t) - line / 2, { scale: s, align: 'right' });
  }
  drawText(img, input.valueLabel, 16, top + plotH / 2, { scale: s, vertical: true, align: 'center' });
  const colors = palette(nS);
  input.groups.forEach((group, g) => {
    const x0 = left + g * groupW + (groupW - nS * barW) / 2;
    input.series.forEach((_, k) => {
      const m = input.mean[g]![k]!;
      if (!Number.isFinite(m)) return;
      const x = x0 + k * barW;
      const base = y(Math.max(lo, 0));
      fillRect(img, x + 3, Math.min(y(m), base), barW - 6, Math.abs(base - y(m)), colors[k]!);
      const sd = input.std[g]![k] ?? 0;
      if (sd > 0) {
        const cx = x + barW / 2;
        drawLine(img, cx, y(m - sd), cx, y(m + sd), BLACK, { thickness: 2 });
        drawLine(img, cx - 6, y(m + sd), cx + 6, y(m + sd), BLACK, { thickness: 2 });
        drawLine(img, cx - 6, y(m - sd), cx + 6, y(m - sd), BLACK, { thickness: 2 });
      }
    });
    drawText(img, group, x0 + (nS * barW) / 2, top + plotH + 10, { scale: s, align: 'center' });
  });
  strokeRect(img, left, top, plotW, plotH, BLACK);
  input.series.forEach((name, k) => {
    const ly = top + k * (line + 10);
    fillRect(img, left + plotW + 30, ly, line, line, colors[k]!);
    drawText(img, name, left + plotW + 30 + line + 10, ly, { scale: s });
  });
  return img;
}
