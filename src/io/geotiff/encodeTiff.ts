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
import { DataError } from '../../core/errors.ts';

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

/** Where an encoder puts its bytes: appended in order, plus one patch of the header at the end. */
export interface TiffByteSink {
  append(bytes: Uint8Array): void;
  /** Overwrites bytes already appended (the header's directory offset, once known). */
  patch(position: number, bytes: Uint8Array): void;
}

/** The raster's shape and sample type, known before any row is written. */
export interface TiffImageInfo {
  readonly width: number;
  readonly height: number;
  readonly bands: number;
  readonly sampleType: TiffSampleType;
}

const ARRAY_OF = { uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array } as const;

/**
 * A TIFF written as its rows arrive: rows are buffered until a strip (or a row of tiles) is complete,
 * which is then compressed and appended; `finish` appends the tag values and the directory and patches
 * the header's pointer to it. The file is laid out header | blocks | tag values | directory whether the
 * rows come at once or window by window, so the bytes are the same either way.
 */
export class TiffEncoder {
  private readonly info: TiffImageInfo;
  private readonly opts: TiffEncodeOptions;
  private readonly sink: TiffByteSink;
  private readonly rowBytes: number;
  /** Rows per strip, or the tile side. */
  private readonly blockRows: number;
  private readonly tiled: boolean;
  private readonly pending: Uint8Array;
  private pendingRows = 0;
  private rowsDone = 0;
  private offset = 8;
  private readonly blockOffsets: number[] = [];
  private readonly blockSizes: number[] = [];

  constructor(info: TiffImageInfo, opts: TiffEncodeOptions, sink: TiffByteSink) {
    const { width, height, bands } = info;
    if (!(width > 0 && height > 0 && bands > 0)) throw new DataError(`a ${height}×${width}×${bands} raster has no samples`, 'write a raster of at least one pixel');
    if (opts.colorMap !== undefined && (bands !== 1 || info.sampleType === 'float32')) {
      throw new DataError('a colour map needs one band of unsigned integers', 'write palette maps as one uint8 or uint16 band');
    }
    this.info = info;
    this.opts = opts;
    this.sink = sink;
    this.rowBytes = width * bands * ARRAY_OF[info.sampleType].BYTES_PER_ELEMENT;
    const layout = opts.layout ?? { rowsPerStrip: Math.max(1, Math.floor(65536 / this.rowBytes)) };
    this.tiled = 'tileSize' in layout;
    if ('tileSize' in layout) {
      const t = layout.tileSize;
      if (!Number.isInteger(t) || t < 16 || t % 16 !== 0) throw new DataError(`tile side ${t} is not a multiple of 16`, 'use tiles of 16, 32, … 256 pixels');
      this.blockRows = t;
    } else {
      const rows = layout.rowsPerStrip;
      if (!Number.isInteger(rows) || rows < 1) throw new DataError(`rows per strip ${rows} is not a positive integer`, 'pass a whole number of rows');
      this.blockRows = Math.min(rows, height);
    }
    this.pending = new Uint8Array(this.blockRows * this.rowBytes);
    // "II", 42: little-endian TIFF; the directory's offset is patched in by finish.
    sink.append(new Uint8Array([0x49, 0x49, 42, 0, 0, 0, 0, 0]));
  }

  /** Appends whole rows (width × bands samples each, pixel-interleaved), in order from the top. */
  writeRows(data: Uint8Array | Uint16Array | Float32Array): void {
    if (sampleTypeOf(data) !== this.info.sampleType || data.length % (this.info.width * this.info.bands) !== 0) {
      throw new Error(`writeRows wants whole rows of ${this.info.sampleType}`); // a bug in the caller
    }
    // Typed arrays are little-endian on every platform Node runs on.
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const rows = bytes.length / this.rowBytes;
    if (this.rowsDone + this.pendingRows + rows > this.info.height) throw new Error('writeRows past the last row'); // a bug in the caller
    let r = 0;
    while (r < rows) {
      const take = Math.min(rows - r, this.blockRows - this.pendingRows);
      this.pending.set(bytes.subarray(r * this.rowBytes, (r + take) * this.rowBytes), this.pendingRows * this.rowBytes);
      this.pendingRows += take;
      r += take;
      if (this.pendingRows === this.blockRows) this.flushBlocks();
    }
  }

  /** Writes the last partial strip, the tag values and the directory. */
  finish(): void {
    if (this.pendingRows > 0) this.flushBlocks();
    const { width, height, bands, sampleType } = this.info;
    if (this.rowsDone !== height) throw new Error(`finish after ${this.rowsDone} of ${height} rows`); // a bug in the caller
    const bits = 8 * ARRAY_OF[sampleType].BYTES_PER_ELEMENT;
    const compression = this.opts.compression ?? 'deflate';
    const palette = this.opts.colorMap !== undefined;
    const tags: TiffTag[] = this.tiled
      ? [{ tag: 322, type: 'LONG', values: [this.blockRows] }, { tag: 323, type: 'LONG', values: [this.blockRows] }]
      : [{ tag: 278, type: 'LONG', values: [this.blockRows] }];
    tags.push(
      { tag: 256, type: 'LONG', values: [width] },
      { tag: 257, type: 'LONG', values: [height] },
      { tag: 258, type: 'SHORT', values: new Array<number>(bands).fill(bits) },
      { tag: 259, type: 'SHORT', values: [compression === 'deflate' ? 8 : 1] },
      // Palette, or BlackIsZero (grey) for data bands.
      { tag: 262, type: 'SHORT', values: [palette ? 3 : 1] },
      { tag: 277, type: 'SHORT', values: [bands] },
      { tag: 284, type: 'SHORT', values: [1] },
      { tag: 339, type: 'SHORT', values: new Array<number>(bands).fill(sampleType === 'float32' ? 3 : 1) },
    );
    // Bands past the first are "unspecified" extra samples, as GDAL writes them; without this libtiff warns.
    if (bands > 1) tags.push({ tag: 338, type: 'SHORT', values: new Array<number>(bands - 1).fill(0) });
    if (this.opts.colorMap) tags.push({ tag: 320, type: 'SHORT', values: colorMapValues(this.opts.colorMap, bits) });
    tags.push(...(this.opts.extraTags ?? []));
    tags.push(
      { tag: this.tiled ? 324 : 273, type: 'LONG', values: this.blockOffsets },
      { tag: this.tiled ? 325 : 279, type: 'LONG', values: this.blockSizes },
    );
    tags.sort((a, b) => a.tag - b.tag);
    for (let i = 1; i < tags.length; i++) {
      if (tags[i]!.tag === tags[i - 1]!.tag) throw new Error(`TIFF tag ${tags[i]!.tag} given twice`); // a bug in the caller
    }

    // After the blocks: out-of-line tag values (word-aligned), then the directory.
    const encoded = tags.map(encodeValues);
    const start = this.offset;
    let valuesAt = start + (start % 2);
    const valueOffsets = encoded.map((e) => {
      if (e.bytes.length <= 4) return -1;
      const at = valuesAt;
      valuesAt += e.bytes.length + (e.bytes.length % 2);
      return at;
    });
    const ifdAt = valuesAt;
    const total = ifdAt + 2 + 12 * tags.length + 4;
    checkClassicSize(total);
    const tail = new Uint8Array(total - start);
    const view = new DataView(tail.buffer);
    view.setUint16(ifdAt - start, tags.length, true);
    tags.forEach((t, i) => {
      const e = encoded[i]!;
      const at = ifdAt - start + 2 + 12 * i;
      view.setUint16(at, t.tag, true);
      view.setUint16(at + 2, TYPE_CODE[t.type], true);
      view.setUint32(at + 4, e.count, true);
      if (valueOffsets[i]! < 0) tail.set(e.bytes, at + 8);
      else {
        tail.set(e.bytes, valueOffsets[i]! - start);
        view.setUint32(at + 8, valueOffsets[i]!, true);
      }
    });
    view.setUint32(ifdAt - start + 2 + 12 * tags.length, 0, true); // no next directory
    this.sink.append(tail);
    const pointer = new Uint8Array(4);
    new DataView(pointer.buffer).setUint32(0, ifdAt, true);
    this.sink.patch(4, pointer);
    this.offset = total;
  }

  /** Compresses and appends the buffered rows: one strip, or one row of tiles. */
  private flushBlocks(): void {
    const rows = this.pendingRows;
    const blocks: Uint8Array[] = [];
    if (this.tiled) {
      const t = this.blockRows;
      const pixelBytes = this.rowBytes / this.info.width;
      for (let tx = 0; tx < this.info.width; tx += t) {
        // Edge tiles are stored full size, padded with zeros (TIFF 6.0, section 15).
        const tile = new Uint8Array(t * t * pixelBytes);
        const cols = Math.min(t, this.info.width - tx);
        for (let r = 0; r < rows; r++) {
          const from = r * this.rowBytes + tx * pixelBytes;
          tile.set(this.pending.subarray(from, from + cols * pixelBytes), r * t * pixelBytes);
        }
        blocks.push(tile);
      }
    } else {
      blocks.push(this.pending.subarray(0, rows * this.rowBytes));
    }
    for (const b of blocks) {
      const stored = (this.opts.compression ?? 'deflate') === 'deflate' ? new Uint8Array(deflateSync(b)) : b;
      checkClassicSize(this.offset + stored.length);
      this.blockOffsets.push(this.offset);
      this.blockSizes.push(stored.length);
      this.sink.append(stored);
      this.offset += stored.length;
    }
    this.rowsDone += rows;
    this.pendingRows = 0;
  }
}

function checkClassicSize(bytes: number): void {
  if (bytes > 0xffffffff) {
    throw new DataError(`the TIFF would be more than ${0xffffffff} bytes, past classic TIFF's 4 GiB`, 'map a smaller scene, or write fewer bands (leave out --probabilities)');
  }
}

/** The bytes of a TIFF file holding `raster` (the whole raster at once, through TiffEncoder). */
export function encodeTiff(raster: TiffRasterBIP, opts: TiffEncodeOptions = {}): Uint8Array {
  const { width, height, bands, data } = raster;
  if (!(width > 0 && height > 0 && bands > 0) || data.length !== width * height * bands) {
    throw new DataError(`a ${height}×${width}×${bands} raster needs ${width * height * bands} samples, got ${data.length}`, 'pass data of length height × width × bands');
  }
  const chunks: Uint8Array[] = [];
  const encoder = new TiffEncoder({ width, height, bands, sampleType: sampleTypeOf(data) }, opts, {
    append: (bytes) => chunks.push(bytes.slice()),
    patch: (position, bytes) => chunks[0]!.set(bytes, position), // only the 8-byte header is patched
  });
  encoder.writeRows(data);
  encoder.finish();
  return new Uint8Array(Buffer.concat(chunks));
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
