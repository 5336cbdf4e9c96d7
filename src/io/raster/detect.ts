/**
 * Which reader a file needs, from its first bytes rather than its name: MAT text header (v5, or v7.3
 * with the HDF5 signature at byte 512), TIFF byte-order mark (classic 42 or BigTIFF 43), or an ENVI
 * header ('ENVI' on the first line). An ENVI data file given instead of its header is recognised by the
 * header beside it (name.hdr, or the name with its extension replaced by .hdr).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputFileError } from '../../core/errors.ts';
import type { RasterFormat } from './types.ts';

export interface DetectedFormat {
  readonly format: RasterFormat;
  /** For ENVI: the header file (the path itself or the one beside the data file). */
  readonly headerPath?: string;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const FORMATS_FIX = 'pass a MAT (.mat), ENVI (.hdr with its data file) or GeoTIFF (.tif) file';

export function detectFormat(path: string): DetectedFormat {
  if (!existsSync(path)) throw new InputFileError(path, 'file not found', 'check the path given to --cube / --gt');
  if (!statSync(path).isFile()) throw new InputFileError(path, 'is not a file', FORMATS_FIX);
  const head = readHead(path, 520);
  const text = head.subarray(0, 116).toString('latin1');
  if (text.startsWith('MATLAB')) {
    const hdf5 = head.length >= 520 && HDF5_SIGNATURE.every((b, i) => head[512 + i] === b);
    return { format: hdf5 || text.startsWith('MATLAB 7.3') ? 'mat-v7.3' : 'mat-v5' };
  }
  if (head.length >= 4) {
    const bom = head.toString('latin1', 0, 2);
    const magic = bom === 'II' ? head.readUInt16LE(2) : bom === 'MM' ? head.readUInt16BE(2) : 0;
    if (magic === 42 || magic === 43) return { format: 'geotiff' };
  }
  if (/^ENVI\s*$/.test(firstLine(head))) return { format: 'envi', headerPath: path };
  if (extname(path).toLowerCase() === '.hdr') {
    throw new InputFileError(
      path, `is not an ENVI header: its first line should be 'ENVI', found ${JSON.stringify(firstLine(head).slice(0, 40))}`,
      'pass the ENVI header (.hdr) written with the data file, or the data file itself',
    );
  }
  // A .mat file without the MATLAB text (MAT v4, a damaged or truncated header): the MAT reader names what it is.
  if (extname(path).toLowerCase() === '.mat') return { format: 'mat-v5' };
  const header = headerBeside(path);
  if (header !== undefined) {
    const h = readHead(header, 64);
    if (!/^ENVI\s*$/.test(firstLine(h))) {
      throw new InputFileError(
        header, `is beside ${basename(path)} but is not an ENVI header: its first line should be 'ENVI', found ${JSON.stringify(firstLine(h).slice(0, 40))}`,
        'pass the ENVI header (.hdr) written with the data file',
      );
    }
    return { format: 'envi', headerPath: header };
  }
  // Nothing recognised. A raw file (the usual case: ENVI data whose header went missing) gets its own hint.
  throw new InputFileError(
    path,
    `is not a format spinalnet reads (no MAT header, TIFF byte-order mark or ENVI header line), and no ENVI header (${basename(path)}.hdr or ${basename(path, extname(path))}.hdr) is beside it`,
    `if it is ENVI data, put its .hdr beside it; otherwise ${FORMATS_FIX}`,
  );
}

/** name.hdr, else the name with its extension replaced (scene.img → scene.hdr), when one exists. */
function headerBeside(dataPath: string): string | undefined {
  const ext = extname(dataPath);
  const candidates = [`${dataPath}.hdr`, `${dataPath}.HDR`];
  if (ext !== '') candidates.push(`${dataPath.slice(0, -ext.length)}.hdr`, `${dataPath.slice(0, -ext.length)}.HDR`);
  return candidates.find((c) => c !== dataPath && existsSync(c) && statSync(c).isFile());
}

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function firstLine(head: Buffer): string {
  const s = head.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  return s.split(/\r?\n|\r/, 1)[0].trim();
}
