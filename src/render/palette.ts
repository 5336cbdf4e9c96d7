/**
 * Class colours for maps and legends. Black is reserved for unlabelled / masked pixels, so no class
 * colour is black or close to it; white is the figure background, so none is close to white either.
 */
import { ConfigError } from '../core/errors.ts';
import type { Rgb } from './image.ts';

/**
 * Twenty hand-picked colours that stay distinct next to each other on a map (after Sasha
 * Trubetskoy's "20 simple distinct colours": navy lightened so it does not read as the black
 * background, beige replaced by steel blue because it sat 42 RGB units from apricot and almost
 * white). Ordered so that the first few classes, which every scene has, get the most different hues.
 */
const FIXED: readonly Rgb[] = [
  [230, 25, 75], // red
  [60, 180, 75], // green
  [255, 225, 25], // yellow
  [0, 130, 200], // blue
  [245, 130, 48], // orange
  [145, 30, 180], // purple
  [70, 240, 240], // cyan
  [240, 50, 230], // magenta
  [210, 245, 60], // lime
  [250, 170, 190], // pink
  [0, 128, 128], // teal
  [200, 170, 255], // lavender
  [170, 110, 40], // brown
  [90, 120, 150], // steel
  [128, 0, 0], // maroon
  [140, 255, 190], // mint
  [128, 128, 0], // olive
  [255, 200, 150], // apricot
  [60, 70, 190], // indigo
  [150, 150, 150], // grey
];

/** Smallest brightness (max channel) a generated colour may have, keeping it apart from black. */
const MIN_VALUE = 0.55;

/**
 * `n` distinct class colours: the fixed list first, then generated hues spaced by the golden angle
 * with alternating brightness and saturation (so neighbours in the list differ in more than hue).
 * The same n always gives the same colours, and palette(n) is a prefix of palette(n + 1).
 */
export function palette(n: number): Rgb[] {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError('palette size', 'a whole number ≥ 0', n);
  const out: Rgb[] = FIXED.slice(0, n);
  for (let i = FIXED.length; i < n; i++) {
    const k = i - FIXED.length;
    const hue = (k * 137.508 + 15) % 360;
    const saturation = [0.85, 0.55, 0.7][k % 3]!;
    const value = [0.95, 0.75, MIN_VALUE + 0.05][Math.floor(k / 3) % 3]!;
    out.push(hsvToRgb(hue, saturation, value));
  }
  return out;
}

/** HSV (hue in degrees, saturation and value 0..1) to 8-bit RGB. */
export function hsvToRgb(hue: number, saturation: number, value: number): Rgb {
  const c = value * saturation;
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] =
    h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = value - c;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** Perceived brightness 0–255 (Rec. 601 luma), for choosing black or white text on a colour. */
export function luma(color: Rgb): number {
  return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
}

/**
 * One colour per class: the class's own colour where its label file gave one (ENVI class lookup, TIFF
 * colour map, GDAL colour table), so a map keeps the colours its users know; palette(n)'s otherwise.
 */
export function classColors(classes: readonly { readonly color?: readonly [number, number, number] }[]): Rgb[] {
  const fallback = palette(classes.length);
  return classes.map((c, k) => (c.color ? [c.color[0], c.color[1], c.color[2]] : fallback[k]!));
}
