/**
 * A bounds check of the first image directory, before geotiff.js parses it: the directory and every
 * entry's values must lie inside the file. geotiff.js reads bytes past the end as zeros and allocates
 * whatever an entry's count asks for (a flipped bit in a count made it copy 134 million values), so
 * without this a damaged file could cost seconds and gigabytes before being refused, or load as zeros.
 * Hand-written because it must run before the library does; it reads only the header and one directory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputFileError } from '../../core/errors.ts';

/** Bytes per value of each TIFF field type (1-18; 0 unknown). */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8];
const FIX = 'check that the file was copied completely; if it opens in GDAL, rewrite it: gdal_translate -co COMPRESS=DEFLATE IN.tif OUT.tif';

export function checkFirstIfd(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (at: number, n: number) => {
      const b = Buffer.alloc(n);
      return b.subarray(0, at < size ? readSync(fd, b, 0, n, at) : 0);
    };
    const head = read(0, 16);
    const le = head.toString('latin1', 0, 2) === 'II';
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const big = head.length >= 4 && u16(head, 2) === 43;
    const ifd = head.length < (big ? 16 : 8) ? Infinity : big ? u64(head, 8) : u32(head, 4);
    const countBytes = big ? 8 : 2, entryBytes = big ? 20 : 12, inline = big ? 8 : 4;
    const past = (what: string) => new InputFileError(path, `is a TIFF whose ${what} lies past the end of the ${size}-byte file: it is truncated or damaged`, FIX);
    if (!(ifd + countBytes <= size)) throw past(`first image directory (at byte ${Number.isFinite(ifd) ? ifd : '?'})`);
    const nb = read(ifd, countBytes);
    const n = big ? u64(nb, 0) : u16(nb, 0);
    if (!(ifd + countBytes + n * entryBytes <= size)) throw past(`first image directory (${n} entries at byte ${ifd})`);
    const entries = read(ifd + countBytes, n * entryBytes);
    for (let i = 0; i < n; i++) {
      const o = i * entryBytes;
      const tag = u16(entries, o), type = u16(entries, o + 2);
      const count = big ? u64(entries, o + 4) : u32(entries, o + 4);
      const bytes = count * (TYPE_SIZE[type] ?? 0);
      if (bytes <= inline) continue;
      const at = big ? u64(entries, o + 12) : u32(entries, o + 8);
      if (!(at + bytes <= size)) throw past(`tag ${tag} (${count} values of type ${type}, at byte ${at})`);
    }
  } finally {
    closeSync(fd);
  }
}
