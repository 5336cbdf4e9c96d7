/**
 * The text of an ENVI header (.hdr) as key → value strings. Keys are case-insensitive (stored lower
 * case, inner blanks collapsed); a value in braces may run over many lines and keeps its text between
 * the outer braces. Lines starting with ';' are comments. Hand-written: the format is a few lines of
 * `key = value`, and no npm package reads it (GDAL's ENVI driver is what the tests check against).
 */
import { InputFileError } from '../../core/errors.ts';

export interface EnviHeaderText {
  readonly path: string;
  /** Lower-case keys → raw values (braces removed for brace values). */
  readonly fields: ReadonlyMap<string, string>;
  /** Keys whose value was in braces (a list). */
  readonly braced: ReadonlySet<string>;
}

/** Longest header accepted; real ones, even with thousands of wavelengths, are well under 1 MB. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export function parseEnviHeaderText(path: string, text: string): EnviHeaderText {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r\n|\n|\r/);
  if (lines[0]?.trim() !== 'ENVI') {
    throw new InputFileError(
      path, `is not an ENVI header: its first line should be 'ENVI', found ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`,
      'pass the ENVI header (.hdr) written with the data file',
    );
  }
  const fields = new Map<string, string>();
  const braced = new Set<string>();
  let i = 1;
  while (i < lines.length) {
    const line = lines[i++];
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue; // stray text (some writers leave notes); nothing to read from it
    const key = line.slice(0, eq).trim().toLowerCase().replace(/\s+/g, ' ');
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('{')) {
      // Gather lines until the braces balance (a value may itself hold braces, as in some descriptions).
      let depth = braceDepth(value);
      const start = i - 1;
      while (depth > 0 && i < lines.length) {
        value += '\n' + lines[i];
        depth += braceDepth(lines[i]);
        i++;
      }
      if (depth > 0) {
        throw new InputFileError(
          path, `the value of '${key}' (line ${start + 1}) opens a brace '{' that is never closed`,
          'close the brace in the header, or re-export the header from ENVI or GDAL',
        );
      }
      value = value.slice(1, value.lastIndexOf('}')).trim();
      braced.add(key);
    }
    fields.set(key, value);
  }
  return { path, fields, braced };
}

function braceDepth(s: string): number {
  let d = 0;
  for (const ch of s) {
    if (ch === '{') d++;
    else if (ch === '}') d--;
  }
  return d;
}

/** Splits a brace list on commas, trimming each item ('' items kept so positions stay right). */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim());
}
