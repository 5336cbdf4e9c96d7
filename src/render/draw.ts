/**
 * Drawing primitives on an RgbaImage: rectangles, lines, text, image copies. Everything clips to the
 * image, so callers can lay out figures without bounds checks. Coordinates are whole pixels,
 * (0, 0) top-left.
 */
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, textHeight, textWidth, toAscii, wrapText } from './font.ts';
import { BLACK, type Rgb, type RgbaImage } from './image.ts';

/** Sets one pixel (opaque); outside the image nothing happens. */
export function setPixel(img: RgbaImage, x: number, y: number, color: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 4;
  img.data[i] = color[0];
  img.data[i + 1] = color[1];
  img.data[i + 2] = color[2];
  img.data[i + 3] = 255;
}

/** Fills the rectangle with top-left (x, y) and size w × h. */
export function fillRect(img: RgbaImage, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(img.width, Math.round(x + w));
  const y1 = Math.min(img.height, Math.round(y + h));
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const i = (yy * img.width + xx) * 4;
      img.data[i] = color[0];
      img.data[i + 1] = color[1];
      img.data[i + 2] = color[2];
      img.data[i + 3] = 255;
    }
  }
}

/** Draws the outline of the rectangle (x, y, w, h), `thickness` pixels wide, inside its bounds. */
export function strokeRect(img: RgbaImage, x: number, y: number, w: number, h: number, color: Rgb, thickness = 1): void {
  fillRect(img, x, y, w, thickness, color);
  fillRect(img, x, y + h - thickness, w, thickness, color);
  fillRect(img, x, y, thickness, h, color);
  fillRect(img, x + w - thickness, y, thickness, h, color);
}

export interface LineOptions {
  /** Pen width in pixels (a square pen centred on the line). Default 1. */
  thickness?: number;
  /** Dash pattern [drawn, skipped] in pixels along the line; default solid. */
  dash?: readonly [number, number];
}

/** Draws a straight line from (x0, y0) to (x1, y1), both ends included (Bresenham). */
export function drawLine(
  img: RgbaImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  color: Rgb,
  opts: LineOptions = {},
): void {
  const { thickness = 1, dash } = opts;
  let x = Math.round(x0);
  let y = Math.round(y0);
  const xe = Math.round(x1);
  const ye = Math.round(y1);
  const dx = Math.abs(xe - x);
  const dy = -Math.abs(ye - y);
  const sx = x < xe ? 1 : -1;
  const sy = y < ye ? 1 : -1;
  const half = Math.floor((thickness - 1) / 2);
  let err = dx + dy;
  for (let step = 0; ; step++) {
    const on = dash === undefined || step % (dash[0] + dash[1]) < dash[0];
    if (on) {
      if (thickness <= 1) setPixel(img, x, y, color);
      else fillRect(img, x - half, y - half, thickness, thickness, color);
    }
    if (x === xe && y === ye) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

/** Copies `src` into `dst` with its top-left corner at (x, y), clipped to `dst`. */
export function blit(dst: RgbaImage, src: RgbaImage, x: number, y: number): void {
  const x0 = Math.max(0, -x);
  const x1 = Math.min(src.width, dst.width - x);
  if (x1 <= x0) return;
  for (let sy = Math.max(0, -y); sy < src.height && sy + y < dst.height; sy++) {
    const s = (sy * src.width + x0) * 4;
    const d = ((sy + y) * dst.width + x + x0) * 4;
    dst.data.set(src.data.subarray(s, s + (x1 - x0) * 4), d);
  }
}

export interface TextOptions {
  /** Default black. */
  color?: Rgb;
  /** Integer magnification of the 5×9 font; 1 gives 9-pixel lines, 2 gives 18. Default 1. */
  scale?: number;
  /**
   * Where x is: 'left' (default) the text starts at x, 'center' it is centred on x, 'right' it ends at x.
   * For vertical text the same applies along y, measured from the bottom where the text starts.
   */
  align?: 'left' | 'center' | 'right';
  /**
   * Rotate 90° counter-clockwise, reading bottom to top (a y-axis title). The text then fills a box
   * textHeight(scale) wide with its left edge at x, and y is the anchor along the text.
   */
  vertical?: boolean;
}

/**
 * Draws one line of text. Horizontal text has its cell's top-left at (x, y) (for align 'left'), the
 * cell being textHeight(scale) tall with the baseline 7 × scale below y. Non-ASCII characters are
 * drawn as their ASCII spelling or '?' (see toAscii). Returns the width of the text in pixels.
 */
export function drawText(img: RgbaImage, text: string, x: number, y: number, opts: TextOptions = {}): number {
  const { color = BLACK, scale = 1, align = 'left', vertical = false } = opts;
  const ascii = toAscii(text);
  const width = textWidth(ascii, scale);
  const shift = align === 'center' ? Math.floor(width / 2) : align === 'right' ? width : 0;
  // Start of the text along its reading direction: x for horizontal text; for vertical text the
  // bottom end, since it reads upwards.
  const start = vertical ? Math.round(y) + shift : Math.round(x) - shift;
  const across = vertical ? Math.round(x) : Math.round(y);
  for (let i = 0; i < ascii.length; i++) {
    const rows = glyphRows(ascii[i]!);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      const bits = rows[gy]!;
      if (bits === 0) continue;
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if ((bits & (0x10 >> gx)) === 0) continue;
        const along = (i * GLYPH_ADVANCE + gx) * scale;
        if (vertical) fillRect(img, across + gy * scale, start - along - scale, scale, scale, color);
        else fillRect(img, start + along, across + gy * scale, scale, scale, color);
      }
    }
  }
  return width;
}

/**
 * Draws `text` wrapped to `maxWidth` pixels (wrapText), one line under the other `lineGap` pixels
 * apart; align applies to each line. Returns the height used: wrappedTextHeight of the same arguments.
 */
export function drawWrappedText(
  img: RgbaImage, text: string, x: number, y: number, maxWidth: number, opts: Omit<TextOptions, 'vertical'> & { lineGap?: number } = {},
): number {
  const { lineGap = 4, ...rest } = opts;
  const lines = wrapText(text, maxWidth, rest.scale ?? 1);
  lines.forEach((line, i) => drawText(img, line, x, y + i * (textHeight(rest.scale ?? 1) + lineGap), rest));
  return wrappedTextHeight(text, maxWidth, rest.scale ?? 1, lineGap);
}

/** Height in pixels of `text` wrapped to `maxWidth` at `scale`, lines `lineGap` apart (0 for ''). */
export function wrappedTextHeight(text: string, maxWidth: number, scale = 1, lineGap = 4): number {
  if (text === '') return 0;
  const n = wrapText(text, maxWidth, scale).length;
  return n * textHeight(scale) + (n - 1) * lineGap;
}
