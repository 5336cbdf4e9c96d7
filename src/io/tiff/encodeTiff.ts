/**
 * A small baseline TIFF encoder for the rasters spinalnet writes: one image, uint8 / uint16 / float32
 * samples, pixel-interleaved bands, deflate or no compression, strips or tiles, an optional colour map
 * and any extra tags (GeoTIFF keys, GDAL's nodata). Classic little-endian TIFF, so files stay under 4 GiB.
 *
 * Hand-written because the npm `geotiff` package (geotiff.js), which spinalnet uses to read, writes only
 * uncompressed files and its writer takes no ColorMap tag (GeotiffWriterMetadata has none), while a class
 * map for QGIS wants deflate and a palette. The format needed here is small: a header, the compressed
 * blocks and one directory of tags.
 */
import { deflateSync } from 'node:zlib';
import { DataError } from '../../errors.ts';

export type TiffSampleType = 'uint8' | 'uint16' | 'float32';

/** A raster, pixel-interleaved (BIP): sample b of row r, column c is data[(r * width + c) * bands + b]. */
export interface TiffRasterBIP {
  readonly width: number;
  readonly height: number;
  readonly bands: number;
  readonly data: Uint8Array | Uint16Array | Float32Array;
}

/** One tag of the directory. ASCII values get their NUL terminator here. */
export interface TiffTag {
  readonly tag: number;
  readonly type: 'ASCII' | 'SHORT' | 'LONG' | 'DOUBLE';
  readonly values: string | readonly number[];
}

export interface TiffEncodeOptions {
  /** 'deflate' (Compression = 8, zlib stream, no predictor; default) or 'none'. */
  compression?: 'deflate' | 'none';
  /** Strips of this many rows (default: about 64 KiB of samples per strip), or square tiles of this side (a multiple of 16). */
  layout?: { rowsPerStrip: number } | { tileSize: number };
  /** Palette colours (8-bit RGB) for values 0, 1, 2…; the rest of the 2^bits entries are black. One band of uint8/uint16 only. */
  colorMap?: readonly (readonly [number, number, number])[];
  /** More tags (GeoTIFF keys, GDAL_NODATA…), in any order. */
  extraTags?: readonly TiffTag[];
}

const TYPE_CODE = { ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12 } as const;
const TYPE_SIZE = { ASCII: 1, SHORT: 2, LONG: 4, DOUBLE: 8 } as const;

/** The bytes of a TIFF file holding `raster`. */
export function encodeTiff(raster: TiffRasterBIP, opts: TiffEncodeOptions = {}): Uint8Array {
  const { width, height, bands, data } = raster;
  const type = sampleTypeOf(data);
  if (!(width > 0 && height > 0 && bands > 0) || data.length !== width * height * bands) {
    throw new DataError(`a ${height}×${width}×${bands} raster needs ${width * height * bands} samples, got ${data.length}`, 'pass data of length height × width × bands');
  }
  const bytesPerSample = data.BYTES_PER_ELEMENT;
  const compression = opts.compression ?? 'deflate';
  const pixelBytes = bands * bytesPerSample;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const layout = opts.layout ?? { rowsPerStrip: Math.max(1, Math.floor(65536 / (width * pixelBytes))) };

  // Cut the raster into blocks (strips or tiles), each little-endian (typed arrays are, on every platform Node runs on).
  const blocks: Uint8Array[] = [];
  const tags: TiffTag[] = [];
  if ('tileSize' in layout) {
    const t = layout.tileSize;
    if (!Number.isInteger(t) || t < 16 || t % 16 !== 0) throw new DataError(`tile side ${t} is not a multiple of 16`, 'use tiles of 16, 32, … 256 pixels');
    for (let ty = 0; ty < height; ty += t) {
      for (let tx = 0; tx < width; tx += t) {
        // Edge tiles are stored full size, padded with zeros (TIFF 6.0, section 15).
        const tile = new Uint8Array(t * t * pixelBytes);
        const cols = Math.min(t, width - tx);
        for (let r = 0; r < t && ty + r < height; r++) {
          const from = ((ty + r) * width + tx) * pixelBytes;
          tile.set(bytes.subarray(from, from + cols * pixelBytes), r * t * pixelBytes);
        }
        blocks.push(tile);
      }
    }
    tags.push({ tag: 322, type: 'LONG', values: [t] }, { tag: 323, type: 'LONG', values: [t] });
  } else {
    const rows = layout.rowsPerStrip;
    if (!Number.isInteger(rows) || rows < 1) throw new DataError(`rows per strip ${rows} is not a positive integer`, 'pass a whole number of rows');
    for (let r = 0; r < height; r += rows) {
      blocks.push(bytes.subarray(r * width * pixelBytes, Math.min(height, r + rows) * width * pixelBytes));
    }
    tags.push({ tag: 278, type: 'LONG', values: [Math.min(rows, height)] });
  }
  const stored = compression === 'deflate' ? blocks.map((b) => new Uint8Array(deflateSync(b))) : blocks;

  const bits = 8 * bytesPerSample;
  const palette = opts.colorMap !== undefined;
  if (palette && (bands !== 1 || type === 'float32')) throw new DataError('a colour map needs one band of unsigned integers', 'write palette maps as one uint8 or uint16 band');
  tags.push(
    { tag: 256, type: 'LONG', values: [width] },
    { tag: 257, type: 'LONG', values: [height] },
    { tag: 258, type: 'SHORT', values: new Array<number>(bands).fill(bits) },
    { tag: 259, type: 'SHORT', values: [compression === 'deflate' ? 8 : 1] },
    // Palette, or BlackIsZero (grey) for data bands.
    { tag: 262, type: 'SHORT', values: [palette ? 3 : 1] },
    { tag: 277, type: 'SHORT', values: [bands] },
    { tag: 284, type: 'SHORT', values: [1] },
    { tag: 339, type: 'SHORT', values: new Array<number>(bands).fill(type === 'float32' ? 3 : 1) },
  );
  // Bands past the first are "unspecified" extra samples, as GDAL writes them; without this libtiff warns.
  if (bands > 1) tags.push({ tag: 338, type: 'SHORT', values: new Array<number>(bands - 1).fill(0) });
  if (opts.colorMap) tags.push({ tag: 320, type: 'SHORT', values: colorMapValues(opts.colorMap, bits) });
  tags.push(...(opts.extraTags ?? []));

  // File: header | blocks | out-of-line tag values | directory. Offsets are known once the blocks are laid out.
  let offset = 8;
  const blockOffsets = stored.map((b) => {
    const at = offset;
    offset += b.length;
    return at;
  });
  const tiled = 'tileSize' in layout;
  tags.push(
    { tag: tiled ? 324 : 273, type: 'LONG', values: blockOffsets },
    { tag: tiled ? 325 : 279, type: 'LONG', values: stored.map((b) => b.length) },
  );
  tags.sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < tags.length; i++) {
    if (tags[i]!.tag === tags[i - 1]!.tag) throw new Error(`TIFF tag ${tags[i]!.tag} given twice`); // a bug in the caller
  }

  const encoded = tags.map(encodeValues);
  let valuesAt = offset + (offset % 2); // word boundary
  const valueOffsets = encoded.map((e) => {
    if (e.bytes.length <= 4) return -1;
    const at = valuesAt;
    valuesAt += e.bytes.length + (e.bytes.length % 2);
    return at;
  });
  const ifdAt = valuesAt;
  const total = ifdAt + 2 + 12 * tags.length + 4;
  if (total > 0xffffffff) {
    throw new DataError(`the TIFF would be ${total} bytes, past classic TIFF's 4 GiB`, 'map a smaller scene, or write fewer bands (leave out --probabilities)');
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]); // "II", 42: little-endian TIFF
  view.setUint32(4, ifdAt, true);
  stored.forEach((b, i) => out.set(b, blockOffsets[i]!));
  view.setUint16(ifdAt, tags.length, true);
  tags.forEach((t, i) => {
    const e = encoded[i]!;
    const at = ifdAt + 2 + 12 * i;
    view.setUint16(at, t.tag, true);
    view.setUint16(at + 2, TYPE_CODE[t.type], true);
    view.setUint32(at + 4, e.count, true);
    if (valueOffsets[i]! < 0) out.set(e.bytes, at + 8);
    else {
      out.set(e.bytes, valueOffsets[i]!);
      view.setUint32(at + 8, valueOffsets[i]!, true);
    }
  });
  view.setUint32(ifdAt + 2 + 12 * tags.length, 0, true); // no next directory
  return out;
}

function sampleTypeOf(data: TiffRasterBIP['data']): TiffSampleType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  return 'float32';
}

/** TIFF ColorMap: all reds, then all greens, then all blues, 16-bit (8-bit × 257), 2^bits entries each. */
function colorMapValues(colors: readonly (readonly [number, number, number])[], bits: number): number[] {
  const n = 2 ** bits;
  if (colors.length > n) throw new DataError(`${colors.length} palette colours do not fit ${bits}-bit samples`, 'write a uint16 map');
  const values = new Array<number>(3 * n).fill(0);
  colors.forEach((c, i) => {
    for (let ch = 0; ch < 3; ch++) values[ch * n + i] = Math.round(c[ch]!) * 257;
  });
  return values;
}

function encodeValues(t: TiffTag): { count: number; bytes: Uint8Array } {
  if (t.type === 'ASCII') {
    const text = Buffer.from(`${t.values as string}\0`, 'latin1');
    return { count: text.length, bytes: new Uint8Array(text) };
  }
  const values = t.values as readonly number[];
  const size = TYPE_SIZE[t.type];
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    if (t.type === 'SHORT') view.setUint16(i * size, v, true);
    else if (t.type === 'LONG') view.setUint32(i * size, v, true);
    else view.setFloat64(i * size, v, true);
  });
  return { count: values.length, bytes };
}
