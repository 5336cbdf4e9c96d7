/**
 * ENVI raster reader: header (.hdr) + raw data file, read in blocks of rows into BIP float, whatever
 * the interleave (bsq, bil, bip), sample type and byte order. Reads only the rows asked for, so large
 * scenes can be streamed. Hand-written rather than through a library: the data are raw samples at
 * computed offsets, and no npm package reads ENVI (GDAL's ENVI driver is what the tests compare with).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputFileError } from '../../core/errors.ts';
import type { RasterDescription, RasterSink, RasterSource } from '../raster/types.ts';
import { type EnviHeader, interpretEnviHeader } from './header.ts';
import { MAX_HEADER_BYTES, parseEnviHeaderText } from './headerText.ts';
import { decodeSamples } from './samples.ts';

/** Raw bytes read per block (then converted): bounds the extra memory a windowed read takes. */
const BLOCK_BYTES = 32 * 1024 * 1024;
const DATA_EXTENSIONS = ['', '.img', '.dat', '.raw', '.bin', '.bsq', '.bil', '.bip', '.IMG', '.DAT', '.RAW', '.BIN'];

function readEnviHeader(headerPath: string): EnviHeader {
  const size = statSync(headerPath).size;
  if (size > MAX_HEADER_BYTES) {
    throw new InputFileError(headerPath, `is ${size} bytes, too long for an ENVI header (at most ${MAX_HEADER_BYTES})`, 'pass the .hdr text file written with the data');
  }
  return interpretEnviHeader(parseEnviHeaderText(headerPath, readFileSync(headerPath, 'latin1')));
}

/** The data file of a header: `given` when the user passed it, else name.hdr → name, name.img, name.dat… */
export function enviDataPath(headerPath: string, given?: string): string {
  if (given !== undefined && given !== headerPath) return given;
  const stem = extname(headerPath).toLowerCase() === '.hdr' ? headerPath.slice(0, -4) : headerPath;
  const found = DATA_EXTENSIONS.map((e) => stem + e).find((p) => p !== headerPath && existsSync(p) && statSync(p).isFile());
  if (found === undefined) {
    throw new InputFileError(
      headerPath, `is an ENVI header, but no data file is beside it (looked for ${basename(stem)}, ${basename(stem)}.img, .dat, .raw, .bin, .bsq, .bil, .bip)`,
      'put the data file beside its header with the same name, or pass the data file itself',
    );
  }
  return found;
}

export function openEnvi(headerPath: string, givenPath: string): RasterSource {
  const h = readEnviHeader(headerPath);
  const dataPath = enviDataPath(headerPath, givenPath);
  const fd = openSync(dataPath, 'r');
  let closed = false;
  try {
    const need = h.headerOffset + h.width * h.height * h.bands * h.sampleBytes;
    const have = fstatSync(fd).size;
    if (have < need) {
      throw new InputFileError(
        dataPath,
        `holds ${have} bytes, but its header ${basename(headerPath)} promises ${need} (${h.headerOffset} header offset + ${h.height} lines × ${h.width} samples × ${h.bands} bands × ${h.sampleBytes} bytes of ${h.typeName}): the file is truncated or the header does not belong to it`,
        'copy the data file again completely, or pass the header written with it',
      );
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  const description: RasterDescription = {
    format: 'envi', path: givenPath, dataPath, height: h.height, width: h.width, bands: h.bands,
    dataType: h.typeName, interleave: h.interleave, compression: 'none', byteOrder: h.littleEndian ? 'little' : 'big',
    storedBytes: Math.min(BLOCK_BYTES, h.width * h.height * h.bands * h.sampleBytes),
    ...(h.georef && { georef: h.georef }),
    ...(h.ignoreValue !== undefined && { nodata: h.ignoreValue }),
    ...(h.bandInfo && { bandInfo: h.bandInfo }),
    ...(h.defaultBands && { defaultBands: h.defaultBands }),
    ...(h.badBands.length > 0 && { badBands: h.badBands }),
    ...(h.classes && { classes: h.classes }),
  };
  return {
    describe: () => description,
    async readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T> {
      if (closed) throw new Error('ENVI source read after close');
      checkWindow(h, row0, rows, out);
      const rowBytes = h.width * h.bands * h.sampleBytes;
      const block = Math.max(1, Math.floor(BLOCK_BYTES / rowBytes));
      // One raw buffer for every block, not zero-filled (every byte is read into before use).
      const scratch = Buffer.allocUnsafeSlow(Math.min(block, rows) * rowBytes);
      for (let r = 0; r < rows; r += block) {
        const n = Math.min(block, rows - r);
        readBlock(fd, h, row0 + r, n, out.subarray(r * h.width * h.bands, (r + n) * h.width * h.bands), scratch);
      }
      if (h.gain !== undefined || h.offset !== undefined) scale(out, h.bands, h.gain, h.offset);
      return out;
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

function checkWindow(h: EnviHeader, row0: number, rows: number, out: RasterSink): void {
  if (!Number.isInteger(row0) || !Number.isInteger(rows) || row0 < 0 || rows < 0 || row0 + rows > h.height || out.length !== rows * h.width * h.bands) {
    throw new RangeError(`ENVI window rows ${row0}+${rows} of ${h.height} into ${out.length} values`);
  }
}

/** Reads rows [row0, row0+rows) into `out` (BIP). BSQ takes one read per band; BIL and BIP one read in all. */
function readBlock(fd: number, h: EnviHeader, row0: number, rows: number, out: RasterSink, scratch: Buffer): void {
  const { width: W, height: H, bands: B, sampleBytes: size } = h;
  const count = rows * W * B;
  // allocUnsafeSlow: its own ArrayBuffer from byte 0, as the typed views over it need.
  const raw = new Uint8Array(scratch.buffer, 0, count * size);
  if (h.interleave === 'bsq') {
    const plane = rows * W * size;
    for (let b = 0; b < B; b++) {
      readExact(fd, raw, b * plane, plane, h.headerOffset + (b * H * W + row0 * W) * size);
    }
  } else {
    readExact(fd, raw, 0, raw.length, h.headerOffset + row0 * W * B * size);
  }
  decodeSamples(raw, h.dataType, h.littleEndian, h.interleave, rows, W, B, out, h.path);
}

function readExact(fd: number, buf: Uint8Array, at: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const got = readSync(fd, buf, at + done, length - done, position + done);
    if (got === 0) throw new InputFileError(`fd ${fd}`, 'ended before the bytes its header promises', 'copy the data file again completely');
    done += got;
  }
}

/** value = raw × gain + offset, per band (ENVI `data gain values` / `data offset values`). */
function scale(out: RasterSink, bands: number, gain: Float64Array | undefined, offset: Float64Array | undefined): void {
  for (let i = 0, b = 0; i < out.length; i++) {
    out[i] = out[i] * (gain === undefined ? 1 : gain[b]) + (offset === undefined ? 0 : offset[b]);
    if (++b === bands) b = 0;
  }
}
