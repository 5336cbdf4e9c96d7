/**
 * pixelsToPolygons: the outline of a pixel set, burned back with the gdal_rasterize rule (fillPolygon),
 * gives exactly the set, for seeded random sets with holes and corner-touching pixels.
 */
import { describe, expect, it } from 'vitest';
import { pixelsToPolygons } from '../../../src/io/vector/pixelOutline.ts';
import { fillPolygon } from '../../../src/io/vector/rasterize.ts';

function burn(polygons: Float64Array[][], height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width);
  for (const rings of polygons) fillPolygon(width, height, rings, (row, x0, x1) => { for (let x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) out[row * width + x] ^= 1; });
  return out;
}

describe('pixelsToPolygons', () => {
  it('outlines one pixel as a unit square and a rectangle as four corners', () => {
    const one = new Uint8Array(12);
    one[1 * 4 + 2] = 1;
    expect(pixelsToPolygons(one, 3, 4).map((p) => p.map((r) => Array.from(r)))).toEqual([[[2, 1, 3, 1, 3, 2, 2, 2, 2, 1]]]);
    const rect = new Uint8Array(30);
    for (let r = 1; r <= 3; r++) for (let c = 2; c <= 4; c++) rect[r * 6 + c] = 1;
    expect(pixelsToPolygons(rect, 5, 6).map((p) => p.map((r) => Array.from(r)))).toEqual([[[2, 1, 5, 1, 5, 4, 2, 4, 2, 1]]]);
  });

  it('keeps a hole as an inner ring and splits pixels that touch at a corner', () => {
    const ring = new Uint8Array(25);
    for (let r = 1; r <= 3; r++) for (let c = 1; c <= 3; c++) if (r !== 2 || c !== 2) ring[r * 5 + c] = 1;
    const holed = pixelsToPolygons(ring, 5, 5);
    expect(holed).toHaveLength(1);
    expect(holed[0]).toHaveLength(2);
    const diagonal = Uint8Array.of(1, 0, 0, 1);
    expect(pixelsToPolygons(diagonal, 2, 2)).toHaveLength(2);
  });

  it('burns back to exactly the set with the gdal_rasterize rule (seeded random sets)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let t = 0; t < 40; t++) {
      const height = 3 + Math.floor(rand() * 12), width = 3 + Math.floor(rand() * 12);
      const density = rand();
      const mask = Uint8Array.from({ length: height * width }, () => (rand() < density ? 1 : 0));
      const polygons = pixelsToPolygons(mask, height, width);
      // Each polygon burned on its own covers only set pixels, and together exactly the set.
      const all = new Uint8Array(height * width);
      for (const p of polygons) {
        const one = burn([p], height, width);
        one.forEach((v, i) => { if (v) { expect(mask[i], `trial ${t}`).toBe(1); expect(all[i], `trial ${t}: two polygons share a pixel`).toBe(0); all[i] = 1; } });
      }
      expect(Array.from(all), `trial ${t}`).toEqual(Array.from(mask));
    }
  });
});
