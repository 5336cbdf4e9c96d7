import { describe, expect, it } from 'vitest';
import { blit, drawLine, drawText, fillRect, setPixel, strokeRect } from '../../src/render/draw.ts';
import { textHeight, textWidth } from '../../src/render/font.ts';
import { BLACK, createImage, pixelAt, type Rgb } from '../../src/render/image.ts';
import { countColor, countNonWhite, inkBox } from './helpers.ts';

const RED: Rgb = [255, 0, 0];

describe('drawing primitives', () => {
  it('fills a rectangle, clipped to the image', () => {
    const img = createImage(5, 4);
    fillRect(img, 3, 2, 10, 10, RED);
    expect(countColor(img, RED)).toBe(2 * 2);
    expect(pixelAt(img, 3, 2)).toEqual(RED);
    expect(pixelAt(img, 2, 2)).toEqual([255, 255, 255]);
    fillRect(img, -5, -5, 6, 6, RED); // only (0, 0) inside
    expect(countColor(img, RED)).toBe(5);
    setPixel(img, -1, 0, RED);
    setPixel(img, 5, 0, RED);
    expect(countColor(img, RED)).toBe(5);
  });

  it('outlines a rectangle inside its bounds', () => {
    const img = createImage(6, 6);
    strokeRect(img, 1, 1, 4, 4, RED);
    expect(countColor(img, RED)).toBe(12);
    expect(pixelAt(img, 2, 2)).toEqual([255, 255, 255]);
  });

  it('draws lines including both ends, solid and dashed', () => {
    const img = createImage(10, 10);
    drawLine(img, 0, 0, 9, 9, RED);
    for (let i = 0; i < 10; i++) expect(pixelAt(img, i, i)).toEqual(RED);
    expect(countColor(img, RED)).toBe(10);
    const dashed = createImage(10, 3);
    drawLine(dashed, 0, 1, 9, 1, RED, { dash: [2, 3] });
    const row = Array.from({ length: 10 }, (_, x) => (pixelAt(dashed, x, 1)[1] === 0 ? 1 : 0));
    expect(row).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    const thick = createImage(10, 10);
    drawLine(thick, 2, 5, 7, 5, RED, { thickness: 3 });
    // A square 3-pixel pen centred on each point: 3 rows, and one pixel past each end.
    expect(countColor(thick, RED)).toBe(8 * 3);
    expect(pixelAt(thick, 1, 4)).toEqual(RED);
    expect(pixelAt(thick, 8, 6)).toEqual(RED);
  });

  it('copies an image into another, clipped', () => {
    const dst = createImage(4, 4);
    const src = createImage(3, 3, RED);
    blit(dst, src, 2, -1);
    expect(countColor(dst, RED)).toBe(2 * 2);
    expect(pixelAt(dst, 2, 0)).toEqual(RED);
    expect(pixelAt(dst, 3, 1)).toEqual(RED);
    expect(pixelAt(dst, 3, 2)).toEqual([255, 255, 255]);
  });

  it('draws text inside the box it measures, at every scale and alignment', () => {
    for (const scale of [1, 2, 3]) {
      const img = createImage(200, 60);
      const w = drawText(img, 'Hg_H', 10, 5, { scale });
      expect(w).toBe(textWidth('Hg_H', scale));
      const box = inkBox(img)!;
      expect(box[0]).toBe(10); // 'H' starts in its first column
      expect(box[2]).toBe(10 + w); // 'H' ends in its last column
      expect(box[1]).toBe(5);
      expect(box[3]).toBeLessThanOrEqual(5 + textHeight(scale));
      expect(box[3]).toBeGreaterThan(5 + 7 * scale); // descender of 'g' and '_'
    }
    const right = createImage(100, 20);
    drawText(right, 'ab', 90, 0, { align: 'right', color: BLACK });
    expect(inkBox(right)![2]).toBeLessThanOrEqual(90);
    const centre = createImage(100, 20);
    drawText(centre, 'HH', 50, 0, { align: 'center' });
    const [x0, , x1] = inkBox(centre)!;
    expect(Math.abs((x0 + x1) / 2 - 50)).toBeLessThanOrEqual(1);
  });

  it('draws vertical text rotated counter-clockwise, reading upwards', () => {
    const img = createImage(40, 100);
    drawText(img, 'L', 10, 80, { vertical: true });
    // 'L' rotated 90° counter-clockwise: its foot becomes a vertical bar on the right, its stem a
    // horizontal bar at the bottom.
    const box = inkBox(img)!;
    expect(box).toEqual([10, 75, 17, 80]);
    for (let x = 10; x < 17; x++) expect(pixelAt(img, x, 79)).toEqual(BLACK);
    for (let y = 75; y < 80; y++) expect(pixelAt(img, 16, y)).toEqual(BLACK);
    const long = createImage(40, 200);
    const w = drawText(long, 'True class', 5, 100, { vertical: true, align: 'center', scale: 2 });
    const [, y0, , y1] = inkBox(long)!;
    expect(y1 - y0).toBeLessThanOrEqual(w);
    expect(Math.abs((y0 + y1) / 2 - 100)).toBeLessThanOrEqual(2);
  });

  it('draws nothing for an empty string and replaces unknown characters', () => {
    const img = createImage(50, 20);
    expect(drawText(img, '', 0, 0)).toBe(0);
    expect(countNonWhite(img)).toBe(0);
    const a = createImage(50, 20);
    const b = createImage(50, 20);
    drawText(a, 'é', 0, 0);
    drawText(b, '?', 0, 0);
    expect(a.data).toEqual(b.data);
  });
});
