/**
 * The confusion matrix as a heat map: rows are true classes, columns predicted ones, the count in
 * every cell, the colour the cell's share of its row (so a small class's errors show as clearly as a
 * big one's).
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { drawText, drawWrappedText, fillRect, strokeRect, wrappedTextHeight } from './draw.ts';
import { GLYPH_ASCENT, GLYPH_ADVANCE, fitText, textHeight, textWidth } from './font.ts';
import { createImage, type Rgb, type RgbaImage } from './image.ts';
import { luma } from './palette.ts';

export interface ConfusionMatrixOptions {
  /** A line above the matrix, e.g. 'KSC - test pixels'. Default none. */
  title?: string;
  /** Integer scale of all text; 2 gives 18-pixel lines. Default 2. */
  textScale?: number;
  /** Class names longer than this many characters are cut, ending in '..'. Default 24. */
  maxLabelChars?: number;
}

const MARGIN = 20;
const PAD = 8;
const GRID: Rgb = [215, 215, 215];
const BORDER: Rgb = [60, 60, 60];
const ZERO_TEXT: Rgb = [175, 175, 175];
const NOTE: Rgb = [100, 100, 100];
/** White → light blue → dark blue (ColorBrewer 'Blues' end points and middle). */
const RAMP: readonly Rgb[] = [
  [255, 255, 255],
  [107, 174, 214],
  [8, 48, 107],
];

/** Colour of a cell holding `share` (0..1) of its row. */
export function heatColor(share: number): Rgb {
  const t = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Where everything goes; computed once and shared by the renderer and by callers that annotate. */
export interface ConfusionMatrixLayout {
  readonly width: number;
  readonly height: number;
  /** Top-left corner of cell (0, 0). */
  readonly x0: number;
  readonly y0: number;
  /** Side of one square cell. */
  readonly cell: number;
  /** Class names as drawn (cut to maxLabelChars). */
  readonly names: readonly string[];
  /** Widest drawn name, in pixels (row labels' column width; column labels' height). */
  readonly labelW: number;
}

const NOTE_TEXT = 'colour: share of the true class (row)';

/** The layout renderConfusionMatrix uses; checks the matrix and the options. */
export function layoutConfusionMatrix(
  matrix: readonly (readonly number[])[],
  classNames: readonly string[],
  opts: ConfusionMatrixOptions = {},
): ConfusionMatrixLayout {
  const { title, textScale: s = 2, maxLabelChars = 24 } = opts;
  const n = classNames.length;
  checkMatrix(matrix, n);
  if (!Number.isInteger(s) || s < 1) throw new ConfigError('textScale', 'a whole number ≥ 1', s);
  if (!Number.isInteger(maxLabelChars) || maxLabelChars < 3) {
    throw new ConfigError('maxLabelChars', 'a whole number ≥ 3', maxLabelChars);
  }
  // Cells fit the longest count with some air, never get smaller than 20 font pixels, and together
  // are at least as wide as the axis titles and note under them (a 2-class matrix).
  const widest = Math.max(...matrix.flat().map((v) => textWidth(formatCount(v), s)));
  const minMatrixW = Math.max(textWidth('Predicted class', s), textWidth('True class', s), textWidth(NOTE_TEXT, 1)) + 2 * PAD;
  const cell = Math.max(20 * s, widest + 6 * s, Math.ceil(minMatrixW / n));
  const names = classNames.map((name) => fitText(name, (maxLabelChars * GLYPH_ADVANCE - 1) * s, s));
  const labelW = Math.max(...names.map((name) => textWidth(name, s)));
  const lineH = textHeight(s);
  // Horizontal: margin, vertical axis title, row labels, matrix, margin.
  const x0 = MARGIN + lineH + 2 * PAD + labelW + PAD;
  // Vertical: margin, title (wrapped to the matrix's width), matrix, column labels, axis title, note, margin.
  const matrixW = n * cell;
  const width = x0 + matrixW + MARGIN;
  const y0 = MARGIN + (title ? wrappedTextHeight(title, width - 2 * MARGIN, s, PAD) + 2 * PAD : 0);
  const height = y0 + matrixW + PAD + labelW + 2 * PAD + lineH + PAD + textHeight(1) + MARGIN;
  return { width, height, x0, y0, cell, names, labelW };
}

/**
 * Draws matrix[t][p] (samples of true class t predicted as p) with the class names on both axes:
 * true classes down the left, predicted classes along the bottom (text read upwards), axis titles
 * 'True class' and 'Predicted class'. Counts are written black on light cells, white on dark ones,
 * and grey where they are 0.
 */
export function renderConfusionMatrix(
  matrix: readonly (readonly number[])[],
  classNames: readonly string[],
  opts: ConfusionMatrixOptions = {},
): RgbaImage {
  const { x0, y0, cell, names, labelW, width, height } = layoutConfusionMatrix(matrix, classNames, opts);
  const s = opts.textScale ?? 2;
  const n = names.length;
  const matrixW = n * cell;
  const lineH = textHeight(s);
  const img = createImage(width, height);
  if (opts.title) drawWrappedText(img, opts.title, MARGIN, MARGIN, width - 2 * MARGIN, { scale: s, lineGap: PAD });

  // Cells with their grid line, then the count on top.
  const capOffset = Math.round((cell - GLYPH_ASCENT * s) / 2);
  for (let t = 0; t < n; t++) {
    const rowSum = matrix[t]!.reduce((a, b) => a + b, 0);
    for (let p = 0; p < n; p++) {
      const v = matrix[t]![p]!;
      const bg = heatColor(rowSum > 0 ? v / rowSum : 0);
      const x = x0 + p * cell;
      const y = y0 + t * cell;
      fillRect(img, x, y, cell, cell, bg);
      strokeRect(img, x, y, cell + 1, cell + 1, GRID);
      const color: Rgb = v === 0 ? ZERO_TEXT : luma(bg) < 150 ? [255, 255, 255] : [0, 0, 0];
      drawText(img, formatCount(v), x + Math.floor(cell / 2) + 1, y + capOffset, { scale: s, color, align: 'center' });
    }
  }
  strokeRect(img, x0 - 1, y0 - 1, matrixW + 2, matrixW + 2, BORDER);

  // Row names right-aligned against the matrix; column names below it, read upwards, their ends
  // lined up under the matrix.
  const colLabelY = y0 + matrixW + PAD;
  for (let k = 0; k < n; k++) {
    drawText(img, names[k]!, x0 - PAD, y0 + k * cell + capOffset, { scale: s, align: 'right' });
    const colCentre = x0 + k * cell + Math.floor(cell / 2);
    drawText(img, names[k]!, colCentre - Math.floor((GLYPH_ASCENT * s) / 2), colLabelY, {
      scale: s,
      vertical: true,
      align: 'right',
    });
  }
  const axisTitleY = colLabelY + labelW + 2 * PAD;
  drawText(img, 'True class', MARGIN, y0 + Math.floor(matrixW / 2), { scale: s, vertical: true, align: 'center' });
  drawText(img, 'Predicted class', x0 + Math.floor(matrixW / 2), axisTitleY, { scale: s, align: 'center' });
  drawText(img, NOTE_TEXT, x0 + Math.floor(matrixW / 2), axisTitleY + lineH + PAD, { scale: 1, align: 'center', color: NOTE });
  return img;
}

/** Whole counts as they are; fractions (a normalised matrix) with two decimals. */
function formatCount(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function checkMatrix(matrix: readonly (readonly number[])[], n: number): void {
  if (n < 1) throw new ConfigError('classNames', 'at least one class name', 'none');
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    const shape = `${matrix.length}×${matrix.map((r) => r.length).join('/')}`;
    throw new DataError(
      `confusion matrix is ${shape} but there are ${n} class names`,
      'pass a square K×K matrix (rows = true class) and one name per class',
    );
  }
  for (const row of matrix) {
    for (const v of row) {
      if (!(Number.isFinite(v) && v >= 0)) {
        throw new DataError(`confusion matrix holds ${v}`, 'pass counts (or shares): finite numbers ≥ 0');
      }
    }
  }
}
