import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { classColors, hsvToRgb, luma, palette } from '../../src/render/palette.ts';

const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

describe('palette', () => {
  it('gives n distinct colours, none near black or white, for n up to 40', () => {
    const colors = palette(40);
    expect(colors.length).toBe(40);
    expect(new Set(colors.map((c) => c.join(','))).size).toBe(40);
    for (const c of colors) {
      for (const v of c) expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
      expect(Math.max(...c)).toBeGreaterThanOrEqual(128); // never black or close to it
      expect(dist(c, [255, 255, 255])).toBeGreaterThan(60);
    }
  });

  it('keeps the first 20 well apart from each other', () => {
    const colors = palette(20);
    let min = Infinity;
    for (let i = 0; i < 20; i++) for (let j = i + 1; j < 20; j++) min = Math.min(min, dist(colors[i]!, colors[j]!));
    expect(min).toBeGreaterThan(45);
  });

  it('is deterministic and each palette extends the smaller one', () => {
    expect(palette(25).slice(0, 13)).toEqual(palette(13));
    expect(palette(0)).toEqual([]);
    expect(() => palette(-1)).toThrow(ConfigError);
    expect(() => palette(2.5)).toThrow(ConfigError);
  });

  it('converts HSV and measures brightness', () => {
    expect(hsvToRgb(0, 1, 1)).toEqual([255, 0, 0]);
    expect(hsvToRgb(120, 1, 1)).toEqual([0, 255, 0]);
    expect(hsvToRgb(240, 1, 0.5)).toEqual([0, 0, 128]);
    expect(hsvToRgb(0, 0, 1)).toEqual([255, 255, 255]);
    expect(luma([255, 255, 255])).toBeCloseTo(255);
    expect(luma([0, 0, 0])).toBe(0);
  });

  it("keeps a class's own colour (from its label file) and fills the others from the palette", () => {
    const own: [number, number, number] = [12, 34, 56];
    expect(classColors([{}, { color: own }, {}])).toEqual([palette(3)[0], own, palette(3)[2]]);
    expect(classColors([{}, {}])).toEqual(palette(2));
  });
});
