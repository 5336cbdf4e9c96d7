/**
 * Curves of a mean with a ± one standard deviation band (e.g. accuracy per round over seeds), one chart
 * per panel side by side under one legend: the active-learning figure. Same primitives and look as the
 * training curves.
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { drawLine, drawText, drawWrappedText, fillRect, setPixel, strokeRect } from './draw.ts';
import { GLYPH_ASCENT, textHeight, textWidth } from './font.ts';
import { createImage, type Rgb, type RgbaImage } from './image.ts';
import { formatTick, niceTicks, type Ticks } from './ticks.ts';
import { chartRows, chartScale, drawChartAxes } from './chartAxes.ts';

export interface MeanCurve {
  readonly label: string;
  readonly color: Rgb;
  /** x of each point, increasing. */
  readonly x: readonly number[];
  readonly mean: readonly number[];
  /** One standard deviation at each point (the band is mean ± std). */
  readonly std: readonly number[];
}

export interface MeanCurvesPanel {
  readonly title: string;
  readonly curves: readonly MeanCurve[];
}

export interface MeanCurvesInput {
  readonly title?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly panels: readonly MeanCurvesPanel[];
  /** Bands and axes kept inside [lo, hi] (e.g. [0, 100] for percentages: mean + std may pass 100). */
  readonly clip?: readonly [number, number];
}

const MARGIN = 20;
const S = 2;
const TICK = 5;
const GAP = 56;
const AXIS: Rgb = [60, 60, 60];
const PLOT_W = 420;
const PLOT_H = 280;
/** The legend's note on the bands (the 5×9 font is ASCII). */
const BAND_NOTE = 'bands: mean +/- 1 std';

/** The colour at `alpha` over white (the band's tint). */
const tint = (c: Rgb, alpha: number): Rgb => [0, 1, 2].map((i) => Math.round(255 + alpha * (c[i]! - 255))) as unknown as Rgb;

export function renderMeanCurves(input: MeanCurvesInput): RgbaImage {
  if (input.panels.length === 0) throw new DataError('no panels to plot', 'give at least one panel of curves');
  for (const p of input.panels) {
    for (const c of p.curves) {
      if (c.x.length === 0 || c.mean.length !== c.x.length || c.std.length !== c.x.length) {
        throw new ConfigError(`curve '${c.label}'`, 'as many means and stds as x values (at least one)', `${c.x.length} x, ${c.mean.length} means, ${c.std.length} stds`);
      }
    }
  }
  const lineH = textHeight(S);
  const panels = input.panels.map((p) => {
    const xs = p.curves.flatMap((c) => c.x);
    const [clipLo, clipHi] = input.clip ?? [-Infinity, Infinity];
    const lo = Math.max(clipLo, Math.min(...p.curves.flatMap((c) => c.mean.map((m, i) => m - c.std[i]!))));
    const hi = Math.min(clipHi, Math.max(...p.curves.flatMap((c) => c.mean.map((m, i) => m + c.std[i]!))));
    const xt = niceTicks(Math.min(...xs), Math.max(...xs), 6, 1);
    const ticks = niceTicks(lo, hi === lo ? lo + 1 : hi, 5);
    // Ticks past the clip (100 % when the data reach 99) are dropped.
    const inside = ticks.values.filter((v) => v >= clipLo && v <= clipHi);
    const yt = inside.length >= 2 && inside.length < ticks.values.length ? { ...ticks, values: inside, min: inside[0]!, max: inside[inside.length - 1]! } : ticks;
    return { ...p, xt, yt };
  });
  const yLabelW = Math.max(...panels.flatMap((p) => p.yt.values.map((v) => textWidth(formatTick(v, p.yt.decimals), S))));
  // Each chart: the y-axis title (vertical), its tick labels, the plot.
  const axisTitleW = lineH + 10;
  const chartW = axisTitleW + yLabelW + TICK + 6 + PLOT_W;
  const labels = [...new Set(panels.flatMap((p) => p.curves.map((c) => c.label)))];
  const legendW = labels.reduce((a, l) => a + 36 + textWidth(l, S) + 40, 0) + textWidth(BAND_NOTE, S);
  const width = Math.max(2 * MARGIN + panels.length * chartW + (panels.length - 1) * GAP + 24, 2 * MARGIN + axisTitleW + yLabelW + TICK + 6 + legendW);
  const { titleY, legendY, chartTitleY, plotY, height } = chartRows(width, MARGIN, input.title, PLOT_H);
  const img = createImage(width, height);
  if (input.title) drawWrappedText(img, input.title, MARGIN, titleY, width - 2 * MARGIN, { scale: S, lineGap: 6 });
  // Legend: one entry per curve label (the panels share their curves' labels and colours).
  let lx = MARGIN + axisTitleW + yLabelW + TICK + 6;
  const seen = new Set<string>();
  const mid = legendY + Math.floor((GLYPH_ASCENT * S) / 2);
  for (const c of panels.flatMap((p) => p.curves)) {
    if (seen.has(c.label)) continue;
    seen.add(c.label);
    fillRect(img, lx, mid - 7, 28, 15, tint(c.color, 0.25));
    drawLine(img, lx, mid, lx + 27, mid, c.color, { thickness: 3 });
    lx += 36 + drawText(img, c.label, lx + 36, legendY, { scale: S }) + 40;
  }
  drawText(img, BAND_NOTE, lx, legendY, { scale: S, color: AXIS });
  panels.forEach((p, i) => {
    const px = MARGIN + i * (chartW + GAP) + axisTitleW + yLabelW + TICK + 6;
    drawText(img, p.title, px + Math.floor(PLOT_W / 2), chartTitleY, { scale: S, align: 'center' });
    drawText(img, input.yLabel, MARGIN + i * (chartW + GAP), plotY + Math.floor(PLOT_H / 2), { scale: S, align: 'center', vertical: true });
    drawPanel(img, px, plotY, p.curves, p.xt, p.yt, input.xLabel, input.clip);
  });
  return img;
}

function drawPanel(img: RgbaImage, x: number, y: number, curves: readonly MeanCurve[], xt: Ticks, yt: Ticks, xLabel: string, clip?: readonly [number, number]): void {
  const w = PLOT_W, h = PLOT_H;
  const box = { x, y, w, h };
  const { toX, toY } = chartScale(box, xt, yt);
  drawChartAxes(img, box, xt, yt, xLabel);
  // Bands first (translucent-looking tints, darker where two overlap), then the mean lines on top.
  for (const c of curves) {
    const band = tint(c.color, 0.22);
    for (let i = 0; i + 1 < c.x.length; i++) {
      const x0 = toX(c.x[i]!), x1 = toX(c.x[i + 1]!);
      // Each column once: a segment ends before the next one's first column (the last segment includes its end).
      const end = i + 2 === c.x.length ? x1 : x1 - 1;
      for (let px = x0; px <= end; px++) {
        const t = x1 === x0 ? 0 : (px - x0) / (x1 - x0);
        const m = c.mean[i]! + t * (c.mean[i + 1]! - c.mean[i]!);
        const s = c.std[i]! + t * (c.std[i + 1]! - c.std[i]!);
        const top = Math.max(y, toY(Math.min(m + s, clip?.[1] ?? Infinity, yt.max)));
        const bottom = Math.min(y + PLOT_H - 1, toY(Math.max(m - s, clip?.[0] ?? -Infinity, yt.min)));
        for (let py = top; py <= bottom; py++) {
          const at = (py * img.width + px) * 4;
          const under: Rgb = [img.data[at]!, img.data[at + 1]!, img.data[at + 2]!];
          // Multiply over what is there, so overlapping bands show both.
          setPixel(img, px, py, [0, 1, 2].map((k) => Math.round((under[k]! * band[k]!) / 255)) as unknown as Rgb);
        }
      }
    }
  }
  for (const c of curves) {
    for (let i = 0; i < c.x.length; i++) {
      const p = [toX(c.x[i]!), toY(c.mean[i]!)] as const;
      if (i > 0) drawLine(img, toX(c.x[i - 1]!), toY(c.mean[i - 1]!), p[0], p[1], c.color, { thickness: 2 });
      fillRect(img, p[0] - 3, p[1] - 3, 7, 7, c.color);
    }
  }
  strokeRect(img, x - 1, y - 1, w + 2, h + 2, AXIS);
}
