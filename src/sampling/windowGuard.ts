/**
 * Which pixels' patch windows would see a marked pixel (usually: a training pixel).
 *
 * A model fed patch×patch windows sees, for a pixel p, every pixel within Chebyshev distance
 * r = (patch - 1) / 2 of p. A test pixel whose window contains a training pixel is not an honest test:
 * the network was fitted on that training pixel's spectrum and label while the test window shows it
 * again. The split strategies use this to drop such pixels (`blocks`) or to count them (the others).
 *
 * Computed with a 2-D prefix sum (summed-area table) of the mask, so each window query is four reads
 * and the whole scene costs O(H·W) whatever the patch size; a direct scan would cost O(H·W·patch²)
 * (225× more at the paper's 15×15). Windows are clipped at the scene border: the zero padding outside
 * the scene holds no pixel at all, so nothing there can be marked.
 */
import type { LabelMap } from '../core/types.ts';

/** A scene-shaped grid, row-major. */
export type GridShape = Pick<LabelMap, 'height' | 'width'>;

/** A rectangle of pixels: rows top..bottom-1, columns left..right-1. */
export interface PixelRect {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

/**
 * For every pixel, 1 when the window of half-width `radius` centred on it (clipped to the scene)
 * contains at least one pixel with `mask[p] !== 0`, else 0. `radius` 0 looks at the pixel itself only.
 * `mask`: row-major, height×width values.
 */
export function windowsTouching(mask: ArrayLike<number>, shape: GridShape, radius: number): Uint8Array {
  return windowsTouchingIn(mask, shape, radius, { top: 0, left: 0, bottom: shape.height, right: shape.width });
}

/**
 * `windowsTouching` for the pixels of `rect` only (row-major within the rectangle), reading the mask
 * only within `radius` of it: what the block split needs after flipping one block, at the cost of the
 * rectangle rather than the scene.
 */
export function windowsTouchingIn(mask: ArrayLike<number>, shape: GridShape, radius: number, rect: PixelRect): Uint8Array {
  const { height, width } = shape;
  if (mask.length !== height * width) {
    throw new RangeError(`windowsTouching: mask has ${mask.length} values for ${height}×${width}`);
  }
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`windowsTouching: radius must be a non-negative integer, got ${radius}`);
  const { top, left, bottom, right } = rect;
  if (!(top >= 0 && left >= 0 && bottom <= height && right <= width && top <= bottom && left <= right)) {
    throw new RangeError(`windowsTouching: rectangle rows ${top}..${bottom}, columns ${left}..${right} is outside ${height}×${width}`);
  }
  // The summed-area table covers the rectangle grown by `radius`, clipped to the scene:
  // sat[(r+1)*stride + (c+1)] = marked pixels in rows r0..r0+r, columns c0..c0+c. Int32 holds any
  // count of a scene that fits in memory (< 2^31 pixels).
  const r0 = Math.max(0, top - radius);
  const r1 = Math.min(height, bottom + radius);
  const c0 = Math.max(0, left - radius);
  const c1 = Math.min(width, right + radius);
  const stride = c1 - c0 + 1;
  const sat = new Int32Array((r1 - r0 + 1) * stride);
  for (let r = r0; r < r1; r++) {
    let rowSum = 0;
    const above = (r - r0) * stride;
    const here = above + stride;
    for (let c = c0; c < c1; c++) {
      if (mask[r * width + c] !== 0) rowSum++;
      sat[here + c - c0 + 1] = sat[above + c - c0 + 1]! + rowSum;
    }
  }
  const rectWidth = right - left;
  const out = new Uint8Array((bottom - top) * rectWidth);
  for (let r = top; r < bottom; r++) {
    const wTop = (Math.max(r0, r - radius) - r0) * stride;
    const wBottom = (Math.min(r1 - 1, r + radius) - r0 + 1) * stride;
    for (let c = left; c < right; c++) {
      const wLeft = Math.max(c0, c - radius) - c0;
      const wRight = Math.min(c1 - 1, c + radius) - c0 + 1;
      const n = sat[wBottom + wRight]! - sat[wBottom + wLeft]! - sat[wTop + wRight]! + sat[wTop + wLeft]!;
      if (n > 0) out[(r - top) * rectWidth + (c - left)] = 1;
    }
  }
  return out;
}

/** The window half-width of a patch size: a patch×patch window reaches (patch - 1) / 2 pixels each way. */
export function patchRadius(patch: number): number {
  return (patch - 1) >> 1;
}
