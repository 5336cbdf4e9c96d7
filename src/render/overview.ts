/**
 * The overview figure, the image a person opens first after a run: the title with the scores, the
 * false-colour scene, ground truth, prediction and error panels side by side with a caption each,
 * and a legend of the class colours and the error colours.
 */
import { DataError } from '../core/errors.ts';
import { blit, drawText, drawWrappedText, fillRect, strokeRect, wrappedTextHeight } from './draw.ts';
import { GLYPH_ASCENT, fitText, textHeight, textWidth } from './font.ts';
import { createImage, type Rgb, type RgbaImage, upscale } from './image.ts';
import { ERROR_COLORS } from './labelMap.ts';

/** One legend line: a class name and its map colour. */
export interface LegendEntry {
  readonly name: string;
  readonly color: Rgb;
}

export interface OverviewInput {
  /** The scene in false colour (falseColor()), one pixel per scene pixel. Left out when absent. */
  readonly falseColor?: RgbaImage;
  /** Ground truth (renderLabelMap of the labels). Left out when absent. */
  readonly groundTruth?: RgbaImage;
  /** The classification map (renderLabelMap of the prediction). */
  readonly prediction: RgbaImage;
  /** Error map (renderErrorMap). Left out when absent (no ground truth). */
  readonly errors?: RgbaImage;
  /** Every class, in the order of the map colours. */
  readonly classes: readonly LegendEntry[];
  /** e.g. 'spinal-cnn on KSC - OA 95.40%  AA 93.66%  kappa 0.9488'. */
  readonly title: string;
  /** A second, smaller line under the title (split, seed, epochs…). */
  readonly subtitle?: string;
}

export interface OverviewOptions {
  /**
   * Integer magnification of every panel. Default: the largest whole factor that keeps a panel at
   * most targetPanelHeight tall (at least 1, at most 8), so an 83×86 scene is drawn at 5× and a
   * 512×614 scene at 1×.
   */
  scale?: number;
  /** Panel height the automatic scale aims for, in pixels. Default 480. */
  targetPanelHeight?: number;
}

const MARGIN = 24;
const GAP = 20;
const TEXT = 2; // text scale for captions and legend: 18-pixel lines
const SWATCH = 18;
const LEGEND_ROW = 26;
const LINE_GAP = 6; // between the lines of a wrapped title or subtitle
const GREY: Rgb = [90, 90, 90];
const FRAME: Rgb = [160, 160, 160];

/** The panel magnification renderOverview uses for a scene `height` pixels tall. */
export function overviewScale(height: number, targetPanelHeight = 480): number {
  return Math.max(1, Math.min(8, Math.floor(targetPanelHeight / height)));
}

/** Draws the overview figure (white background, black text). */
export function renderOverview(input: OverviewInput, opts: OverviewOptions = {}): RgbaImage {
  const panels: { caption: string; image: RgbaImage }[] = [];
  if (input.falseColor) panels.push({ caption: 'False colour', image: input.falseColor });
  if (input.groundTruth) panels.push({ caption: 'Ground truth', image: input.groundTruth });
  panels.push({ caption: 'Prediction', image: input.prediction });
  if (input.errors) panels.push({ caption: 'Errors (test pixels)', image: input.errors });
  const { width: w, height: h } = input.prediction;
  for (const p of panels) {
    if (p.image.width !== w || p.image.height !== h) {
      throw new DataError(
        `overview panel '${p.caption}' is ${p.image.width}×${p.image.height} pixels but the prediction is ${w}×${h}`,
        'render every panel from the same scene at scale 1; renderOverview scales them itself',
      );
    }
  }
  const scale = opts.scale ?? overviewScale(h, opts.targetPanelHeight);

  // Columns are as wide as the panel or its caption, whichever is wider (a 217-pixel-wide scene at
  // scale 1 is narrower than 'Errors (test pixels)').
  const panelW = w * scale;
  const panelH = h * scale;
  const colW = Math.max(panelW, ...panels.map((p) => textWidth(p.caption, TEXT)));
  // The panels decide the figure's width: a title or subtitle longer than them wraps into more lines.
  const contentW = panels.length * colW + (panels.length - 1) * GAP;
  const titleScale = textWidth(input.title, 3) <= contentW ? 3 : 2;
  const titleH = wrappedTextHeight(input.title, contentW, titleScale, LINE_GAP);
  const subtitleH = wrappedTextHeight(input.subtitle ?? '', contentW, TEXT, LINE_GAP);

  const errorKey: LegendEntry[] = input.errors
    ? [
        { name: 'correct', color: ERROR_COLORS.correct },
        { name: 'wrong', color: ERROR_COLORS.wrong },
        { name: 'labelled, not a test pixel', color: ERROR_COLORS.notScored },
      ]
    : [];
  const legend = layoutLegend(input.classes, contentW);
  const errorKeyX = MARGIN + textWidth('Errors:', TEXT) + 12;
  const errorKeyCells = flowItems(errorKey.map((e) => legendItemWidth(e.name)), errorKeyX, MARGIN + contentW);

  // Vertical layout, top to bottom.
  let y = MARGIN;
  const titleY = y;
  y += titleH + 6;
  const subtitleY = y;
  if (subtitleH > 0) y += subtitleH + 6;
  y += 12;
  const captionY = y;
  y += textHeight(TEXT) + 8;
  const panelY = y;
  y += panelH + 24;
  const legendY = y;
  y += legend.rows * LEGEND_ROW;
  const errorKeyY = y + 6;
  if (errorKey.length > 0) y += (Math.max(...errorKeyCells.map((c) => c.row)) + 1) * LEGEND_ROW + 6;
  const height = y + MARGIN - 8;
  const width = contentW + 2 * MARGIN;

  const img = createImage(width, height);
  drawWrappedText(img, input.title, MARGIN, titleY, contentW, { scale: titleScale, lineGap: LINE_GAP });
  if (input.subtitle) drawWrappedText(img, input.subtitle, MARGIN, subtitleY, contentW, { scale: TEXT, color: GREY, lineGap: LINE_GAP });

  panels.forEach((p, i) => {
    const colX = MARGIN + i * (colW + GAP);
    const x = colX + Math.floor((colW - panelW) / 2);
    drawText(img, p.caption, colX + Math.floor(colW / 2), captionY, { scale: TEXT, align: 'center' });
    blit(img, upscale(p.image, scale), x, panelY);
    strokeRect(img, x - 1, panelY - 1, panelW + 2, panelH + 2, FRAME);
  });

  legend.cells.forEach((cell, k) => {
    drawLegendItem(img, MARGIN + cell.col * legend.colW, legendY + cell.row * LEGEND_ROW, legend.names[k]!, input.classes[k]!.color);
  });
  if (errorKey.length > 0) {
    drawText(img, 'Errors:', MARGIN, errorKeyY + textOffset(), { scale: TEXT, color: GREY });
    errorKey.forEach((e, k) => drawLegendItem(img, errorKeyCells[k]!.x, errorKeyY + errorKeyCells[k]!.row * LEGEND_ROW, e.name, e.color));
  }
  return img;
}

interface LegendLayout {
  readonly rows: number;
  readonly colW: number;
  /** Names as drawn (cut with '..' only if one would not fit the figure). */
  readonly names: readonly string[];
  /** Column-major placement of entry k, so the list reads down the columns in class order. */
  readonly cells: readonly { row: number; col: number }[];
}

function layoutLegend(classes: readonly LegendEntry[], contentW: number): LegendLayout {
  const maxNameW = contentW - SWATCH - 8;
  const names = classes.map((c) => fitText(c.name, maxNameW, TEXT));
  const colW = Math.max(1, ...names.map(legendItemWidth)) + 2 * GAP;
  const cols = Math.max(1, Math.min(classes.length, Math.floor((contentW + 2 * GAP) / colW)));
  const rows = Math.ceil(classes.length / cols);
  const cells = classes.map((_, k) => ({ row: k % rows, col: Math.floor(k / rows) }));
  return { rows, colW, names, cells };
}

/** Items `widths` wide placed left to right from `x0`, GAP apart, a new row (from x0) where one would pass `right`. */
function flowItems(widths: readonly number[], x0: number, right: number): { x: number; row: number }[] {
  let x = x0;
  let row = 0;
  return widths.map((w) => {
    if (x > x0 && x + w > right) {
      x = x0;
      row++;
    }
    const cell = { x, row };
    x += w + GAP;
    return cell;
  });
}

function legendItemWidth(name: string): number {
  return SWATCH + 8 + textWidth(name, TEXT);
}

/** Vertical offset that centres capital letters on a swatch. */
function textOffset(): number {
  return Math.round((SWATCH - GLYPH_ASCENT * TEXT) / 2);
}

function drawLegendItem(img: RgbaImage, x: number, y: number, name: string, color: Rgb): void {
  fillRect(img, x, y, SWATCH, SWATCH, color);
  // A dark outline keeps light colours (yellow, mint) visible against the white background.
  strokeRect(img, x, y, SWATCH, SWATCH, [60, 60, 60]);
  drawText(img, name, x + SWATCH + 8, y + textOffset(), { scale: TEXT });
}
