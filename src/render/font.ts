/**
 * A compact bitmap font for labels in figures: printable ASCII 32–126, each glyph 5 pixels wide in a
 * 9-row cell (7 rows above the baseline, 2 for descenders of g, j, p, q, y and the underscore).
 *
 * Drawn for this project (no font file or canvas library is needed, so figures render the same on
 * every machine and in CI). Each glyph is 9 rows of 5 bits written as 18 hex digits, top row first;
 * bit 4 (0x10) is the leftmost column.
 */

/** Glyph width in font pixels. */
export const GLYPH_WIDTH = 5;
/** Glyph cell height in font pixels (ascent 7 + descent 2). */
export const GLYPH_HEIGHT = 9;
/** Rows above the baseline: the height of capitals and digits. */
export const GLYPH_ASCENT = 7;
/** Horizontal distance from one glyph to the next: the glyph and one blank column. */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;

const FIRST = 32;
const LAST = 126;

// prettier-ignore
const GLYPHS: readonly string[] = [
  '000000000000000000', '040404040400040000', '0a0a0a000000000000', '0a0a1f0a1f0a0a0000', '040f140e051e040000', '181902040813030000', '0c12140815120d0000', '040408000000000000',  //  !"#$%&'
  '020408080804020000', '080402020204080000', '0004150e1504000000', '0004041f0404000000', '00000000000c040800', '0000001f0000000000', '00000000000c0c0000', '000102040810000000',  // ()*+,-./
  '0e11131519110e0000', '040c040404040e0000', '0e11010204081f0000', '1f02040201110e0000', '02060a121f02020000', '1f101e0101110e0000', '0608101e11110e0000', '1f0102040808080000',  // 01234567
  '0e11110e11110e0000', '0e11110f01020c0000', '000c0c000c0c000000', '000c0c000c04080000', '020408100804020000', '00001f001f00000000', '080402010204080000', '0e1101020400040000',  // 89:;<=>?
  '0e11010d15150e0000', '0e11111f1111110000', '1e11111e11111e0000', '0e11101010110e0000', '1c12111111121c0000', '1f10101e10101f0000', '1f10101e1010100000', '0e11101711110f0000',  // @ABCDEFG
  '1111111f1111110000', '0e04040404040e0000', '0702020202120c0000', '111214181412110000', '1010101010101f0000', '111b15151111110000', '111119151311110000', '0e11111111110e0000',  // HIJKLMNO
  '1e11111e1010100000', '0e11111115120d0000', '1e11111e1412110000', '0f10100e01011e0000', '1f0404040404040000', '1111111111110e0000', '11111111110a040000', '1111111515150a0000',  // PQRSTUVW
  '11110a040a11110000', '11110a040404040000', '1f01020408101f0000', '0e08080808080e0000', '001008040201000000', '0e02020202020e0000', '040a11000000000000', '000000000000001f00',  // XYZ[\\]^_
  '080402000000000000', '00000e010f110f0000', '1010161911111e0000', '00000e1010110e0000', '01010d1311110f0000', '00000e111f100e0000', '0609081c0808080000', '00000f1111110f010e',  // `abcdefg
  '101016191111110000', '04000c0404040e0000', '02000602020202120c', '101012141814120000', '0c04040404040e0000', '00001a151515150000', '000016191111110000', '00000e1111110e0000',  // hijklmno
  '00001e1111111e1010', '00000f1111110f0101', '000016191010100000', '00000f100e011e0000', '08081c080809060000', '0000111111130d0000', '00001111110a040000', '0000111115150a0000',  // pqrstuvw
  '0000110a040a110000', '0000111111110f010e', '00001f0204081f0000', '020404080404020000', '040404040404040000', '080404020404080000', '000008150200000000',  // xyz{|}~
];

/** Decoded glyph rows, one byte per row (bit 4 = leftmost column), indexed by code − 32. */
const ROWS: readonly Uint8Array[] = GLYPHS.map((hex) => {
  const rows = new Uint8Array(GLYPH_HEIGHT);
  for (let r = 0; r < GLYPH_HEIGHT; r++) rows[r] = parseInt(hex.slice(2 * r, 2 * r + 2), 16);
  return rows;
});

/**
 * Common typographic characters that have an obvious ASCII spelling, so a title such as
 * 'spinal-cnn on KSC — OA 95%' does not come out with a '?' in it.
 */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  '\u2013': '-', // en dash
  '\u2014': '-', // em dash
  '\u2212': '-', // minus sign
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2026': '...',
  '\u00d7': 'x', // multiplication sign, as in 83×86
  '\u00b5': 'u',
  '\u00a0': ' ',
  '\t': ' ',
};

/**
 * The text as the font can draw it: a few typographic characters become their ASCII spelling
 * (dashes, quotes, ×, …), every other character outside printable ASCII becomes '?'.
 */
export function toAscii(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= FIRST && code <= LAST) out += ch;
    else out += TRANSLITERATIONS[ch] ?? '?';
  }
  return out;
}

/**
 * The rows of one printable-ASCII character's glyph (9 bytes, bit 4 = leftmost column).
 * Characters outside 32–126 get the glyph of '?'; callers normally pass text through toAscii first.
 */
export function glyphRows(char: string): Uint8Array {
  const code = char.charCodeAt(0);
  const index = code >= FIRST && code <= LAST ? code - FIRST : '?'.charCodeAt(0) - FIRST;
  return ROWS[index]!;
}

/** Width in image pixels of a line of text drawn at an integer scale (no trailing blank column). */
export function textWidth(text: string, scale = 1): number {
  const n = toAscii(text).length;
  return n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale;
}

/** Height in image pixels of one line of text drawn at an integer scale, descenders included. */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale;
}

/**
 * The text shortened to at most `maxWidth` pixels at `scale`, ending in '..' when cut, so long class
 * names ('Buildings-Grass-Trees-Drives') fit a legend column or a matrix axis.
 */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  const ascii = toAscii(text);
  if (textWidth(ascii, scale) <= maxWidth) return ascii;
  const maxChars = Math.floor((maxWidth / scale + 1) / GLYPH_ADVANCE);
  if (maxChars <= 2) return ascii.slice(0, Math.max(0, maxChars));
  return `${ascii.slice(0, maxChars - 2).trimEnd()}..`;
}

/**
 * The text broken into lines of at most `maxWidth` pixels at `scale`, at spaces (a run of spaces
 * between two words stays as it is inside a line and goes at a break); a word wider than a line is
 * cut at the line's width. '\n' starts a new line. Titles and notes use it so a long one makes a
 * figure taller, not wider.
 */
export function wrapText(text: string, maxWidth: number, scale = 1): string[] {
  const maxChars = Math.max(1, Math.floor((maxWidth / scale + 1) / GLYPH_ADVANCE));
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const m of toAscii(paragraph).matchAll(/( *)([^ ]+)/g)) {
      let word = m[2]!;
      const joined = line === '' ? word : `${line}${m[1]}${word}`;
      if (joined.length <= maxChars) {
        line = joined;
        continue;
      }
      if (line !== '') lines.push(line);
      while (word.length > maxChars) {
        lines.push(word.slice(0, maxChars));
        word = word.slice(maxChars);
      }
      line = word;
    }
    lines.push(line);
  }
  return lines;
}
