import { describe, expect, it } from 'vitest';
import { GLYPH_ADVANCE, GLYPH_ASCENT, GLYPH_HEIGHT, fitText, glyphRows, textHeight, textWidth, toAscii, wrapText } from '../../src/render/font.ts';

describe('bitmap font', () => {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

  it('has a glyph for every printable ASCII character, each different, only space blank', () => {
    const seen = new Set<string>();
    for (const ch of printable) {
      const rows = glyphRows(ch);
      expect(rows.length).toBe(GLYPH_HEIGHT);
      for (const r of rows) expect(r).toBeLessThan(32); // 5 columns
      const key = [...rows].join(',');
      expect(seen.has(key), `glyph of '${ch}' duplicates another`).toBe(false);
      seen.add(key);
      expect(rows.some((r) => r !== 0)).toBe(ch !== ' ');
    }
  });

  it('keeps capitals above the baseline and puts descenders below it', () => {
    for (const ch of 'ABCXYZ0189') expect([...glyphRows(ch)].slice(GLYPH_ASCENT).every((r) => r === 0)).toBe(true);
    for (const ch of 'gjpqy_') expect([...glyphRows(ch)].slice(GLYPH_ASCENT).some((r) => r !== 0)).toBe(true);
  });

  it('replaces non-ASCII characters, spelling common punctuation in ASCII', () => {
    expect(toAscii('Brocoli_green_weeds_1')).toBe('Brocoli_green_weeds_1');
    expect(toAscii('KSC — OA 95%')).toBe('KSC - OA 95%');
    expect(toAscii('83×86')).toBe('83x86');
    expect(toAscii('Café\u00e9 日本')).toBe('Caf?? ??');
    expect(toAscii('a\nb')).toBe('a?b');
    expect(glyphRows('é')).toEqual(glyphRows('?'));
  });

  it('measures text at a scale', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('A')).toBe(5);
    expect(textWidth('AB', 2)).toBe((2 * GLYPH_ADVANCE - 1) * 2);
    expect(textWidth('日本', 1)).toBe(textWidth('??', 1));
    expect(textHeight(3)).toBe(27);
  });

  it('cuts text that does not fit, marking the cut', () => {
    expect(fitText('Scrub', 1000)).toBe('Scrub');
    const cut = fitText('Buildings-Grass-Trees-Drives', textWidth('Buildings-Gr', 2), 2);
    expect(cut).toBe('Buildings-..');
    expect(textWidth(cut, 2)).toBeLessThanOrEqual(textWidth('Buildings-Gr', 2));
    expect(fitText('abcdef', 5)).toBe('a');
  });

  it('wraps text at spaces to a width, cutting only words longer than a line', () => {
    const w = textWidth('0123456789', 2); // ten characters at scale 2
    expect(wrapText('short', w, 2)).toEqual(['short']);
    expect(wrapText('one two three four', w, 2)).toEqual(['one two', 'three four']);
    // Runs of spaces stay inside a line and go at a break.
    expect(wrapText('OA 95%  AA 93%  kappa', w, 2)).toEqual(['OA 95%  AA', '93%  kappa']);
    expect(wrapText('abcdefghijklmnopqrstuvwxyz end', w, 2)).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz end']);
    expect(wrapText('a\nb', w, 2)).toEqual(['a', 'b']);
    expect(wrapText('KSC — OA', 1000)).toEqual(['KSC - OA']);
    const long = 'Stratified random split: 20% of each class on the training side, the rest tested; seed 345; 16 epochs';
    const lines = wrapText(long, 300, 2);
    for (const line of lines) expect(textWidth(line, 2)).toBeLessThanOrEqual(300);
    expect(lines.join(' ')).toBe(long);
  });
});
