/**
 * The scale of the images a run leaves (label PNGs, false colour, overview): a scene whose longer side
 * passes PREVIEW_MAX_SIDE is drawn at 1:f, f the smallest whole factor that brings both sides within it.
 * 4,096 px because a larger PNG is not read on a screen anyway (a 4K display is 3,840 px wide; image
 * viewers and browsers scale it down), and it bounds each RGBA image to 4,096² × 4 B = 64 MiB whatever
 * the scene's size. Class maps take the pixel at the centre of each f × f block (nearest neighbour: a
 * class map must keep exact class colours, and a mode would need a count per class per output pixel);
 * the false colour averages the block. Scenes within the limit are drawn at 1:1, as before.
 */
import type { CubeBIP } from '../core/types.ts';
import type { LabelGrid } from './labelMap.ts';

export const PREVIEW_MAX_SIDE = 4096;

/** The images' size: scale f (1 = full resolution) and the sides ⌈height / f⌉ × ⌈width / f⌉. */
export interface PreviewShape {
  readonly scale: number;
  readonly height: number;
  readonly width: number;
}

export function previewShape(height: number, width: number, maxSide = PREVIEW_MAX_SIDE): PreviewShape {
  const scale = Math.max(1, Math.ceil(Math.max(height, width) / maxSide));
  return { scale, height: Math.ceil(height / scale), width: Math.ceil(width / scale) };
}

/** The source row (or column) drawn at output row `o`: the centre of its block, clipped to the scene. */
const pick = (o: number, scale: number, n: number): number => Math.min(n - 1, o * scale + (scale >> 1));

/** A per-pixel grid (labels, masks) sampled at the preview's pixels; the same array at scale 1. */
export function samplePixels<T extends Int32Array | Uint8Array>(data: T, height: number, width: number, shape: PreviewShape): T {
  if (shape.scale === 1) return data;
  const out = new (data.constructor as new (n: number) => T)(shape.height * shape.width);
  for (let oy = 0; oy < shape.height; oy++) {
    const row = pick(oy, shape.scale, height) * width;
    for (let ox = 0; ox < shape.width; ox++) out[oy * shape.width + ox] = data[row + pick(ox, shape.scale, width)]!;
  }
  return out;
}

/** A label grid gathered window by window at the preview's pixels (the whole grid at scale 1). */
export class LabelPreview {
  readonly grid: LabelGrid & { data: Int32Array };
  private readonly shape: PreviewShape;
  private readonly sourceWidth: number;
  private readonly sourceHeight: number;

  constructor(sourceHeight: number, sourceWidth: number, shape: PreviewShape) {
    this.shape = shape;
    this.sourceHeight = sourceHeight;
    this.sourceWidth = sourceWidth;
    this.grid = { height: shape.height, width: shape.width, data: new Int32Array(shape.height * shape.width) };
  }

  /** Takes the output rows whose source row lies in rows [row0, row0 + rows) of `values` (row-major, the scene's width). */
  addRows(row0: number, rows: number, values: Int32Array): void {
    const { scale, width } = this.shape;
    const W = this.sourceWidth;
    if (scale === 1) {
      this.grid.data.set(values, row0 * W);
      return;
    }
    const first = Math.ceil(Math.max(0, row0 - (scale >> 1)) / scale);
    for (let oy = first; oy < this.shape.height; oy++) {
      const sy = pick(oy, scale, this.sourceHeight);
      if (sy >= row0 + rows) break;
      if (sy < row0) continue;
      const from = (sy - row0) * W;
      for (let ox = 0; ox < width; ox++) this.grid.data[oy * width + ox] = values[from + pick(ox, scale, W)]!;
    }
  }
}

/**
 * Bands `keep` of the cube averaged over scale × scale blocks (edge blocks over the pixels they have),
 * as a cube of keep.length bands.
 */
export function averageCube(cube: CubeBIP, shape: PreviewShape, keep: readonly number[]): CubeBIP {
  const { scale } = shape;
  const { height, width, data } = cube;
  const bands = keep.length;
  const sums = new Float64Array(shape.height * shape.width * bands);
  for (let r = 0; r < height; r++) {
    const oy = Math.floor(r / scale);
    for (let c = 0; c < width; c++) {
      const o = (oy * shape.width + Math.floor(c / scale)) * bands;
      const s = (r * width + c) * cube.bands;
      for (let b = 0; b < bands; b++) sums[o + b] += data[s + keep[b]!]!;
    }
  }
  const out = new Float32Array(sums.length);
  for (let oy = 0; oy < shape.height; oy++) {
    const rows = Math.min(scale, height - oy * scale);
    for (let ox = 0; ox < shape.width; ox++) {
      const count = rows * Math.min(scale, width - ox * scale);
      const o = (oy * shape.width + ox) * bands;
      for (let b = 0; b < bands; b++) out[o + b] = sums[o + b]! / count;
    }
  }
  return { height: shape.height, width: shape.width, bands, data: out };
}

/** "1:4 (each image pixel is 4 × 4 scene pixels: class maps show the centre pixel, false colour the mean)", or undefined at 1:1. */
export function previewNote(shape: PreviewShape): string | undefined {
  const f = shape.scale;
  return f === 1 ? undefined : `images at 1:${f} (each image pixel is ${f}×${f} scene pixels: class maps show the block's centre pixel, false colour its mean)`;
}
