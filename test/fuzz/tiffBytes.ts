/**
 * Minimal GeoTIFF bytes for tests and fuzzing, without GDAL: one strip per image (or per band when
 * band-interleaved), uncompressed or deflate, classic TIFF, either byte order, with ModelPixelScale,
 * ModelTiepoint and a GeoKeyDirectory naming an EPSG code. Also lists where each IFD entry sits, so the
 * fuzzer can mutate tag types, counts and values.
 */
import { deflateSync } from 'node:zlib';

export interface TiffSpec {
  readonly width: number;
  readonly height: number;
  readonly bands: number;
  /** Sample values, BIP (row, column, band). */
  readonly values: ArrayLike<number>;
  readonly type: 'uint8' | 'int16' | 'uint16' | 'float32';
  readonly planar?: 1 | 2;
  readonly compression?: number;
  readonly bigEndian?: boolean;
  readonly epsg?: number;
  /** Writes compression code `compression` but stores the strip uncompressed (to test refusals). */
  readonly fakeCompression?: boolean;
}

const TYPES = { uint8: [8, 1], int16: [16, 2], uint16: [16, 1], float32: [32, 3] } as const;

export interface TiffBytes {
  readonly bytes: Buffer;
  /** Byte offset of each 12-byte IFD entry. */
  readonly entries: readonly number[];
}

export function makeTiff(s: TiffSpec): TiffBytes {
  const le = !s.bigEndian;
  const [bits, format] = TYPES[s.type];
  const size = bits / 8;
  const planar = s.planar ?? 1;
  const sampleBuf = (order: number[]) => {
    const b = Buffer.alloc(order.length * size);
    order.forEach((i, k) => {
      const v = s.values[i], o = k * size;
      if (s.type === 'uint8') b.writeUInt8(v, o);
      else if (s.type === 'int16') le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o);
      else if (s.type === 'uint16') le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o);
      else le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o);
    });
    return b;
  };
  const n = s.width * s.height;
  const strips: Buffer[] = planar === 1
    ? [sampleBuf(Array.from({ length: n * s.bands }, (_, i) => i))]
    : Array.from({ length: s.bands }, (_, b) => sampleBuf(Array.from({ length: n }, (_, p) => p * s.bands + b)));
  const code = s.compression ?? 1;
  const stored = strips.map((b) => (code === 8 && !s.fakeCompression ? deflateSync(b) : b));
  // Layout: header (8), strips, then out-of-line tag values, then the IFD.
  const chunks: Buffer[] = [Buffer.alloc(8)];
  let at = 8;
  const put = (b: Buffer) => {
    const o = at;
    chunks.push(b);
    at += b.length;
    if (at % 2) { chunks.push(Buffer.alloc(1)); at++; }
    return o;
  };
  const stripOffsets = stored.map(put);
  const u16 = (vals: number[]) => { const b = Buffer.alloc(vals.length * 2); vals.forEach((v, i) => (le ? b.writeUInt16LE(v, i * 2) : b.writeUInt16BE(v, i * 2))); return b; };
  const u32 = (vals: number[]) => { const b = Buffer.alloc(vals.length * 4); vals.forEach((v, i) => (le ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4))); return b; };
  const f64 = (vals: number[]) => { const b = Buffer.alloc(vals.length * 8); vals.forEach((v, i) => (le ? b.writeDoubleLE(v, i * 8) : b.writeDoubleBE(v, i * 8))); return b; };
  type Tag = [tag: number, type: number, count: number, data: Buffer];
  const tags: Tag[] = [
    [256, 4, 1, u32([s.width])], [257, 4, 1, u32([s.height])],
    [258, 3, s.bands, u16(Array(s.bands).fill(bits))], [259, 3, 1, u16([code])], [262, 3, 1, u16([1])],
    [273, 4, stored.length, u32(stripOffsets)], [277, 3, 1, u16([s.bands])], [278, 4, 1, u32([s.height])],
    [279, 4, stored.length, u32(stored.map((b) => b.length))], [284, 3, 1, u16([planar])],
    [339, 3, s.bands, u16(Array(s.bands).fill(format))],
    [33550, 12, 3, f64([30, 30, 0])], [33922, 12, 6, f64([0, 0, 0, 1000, 5000, 0])],
    [34735, 3, 16, u16([1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, s.epsg ?? 32633])],
  ];
  const inline = tags.map(([, , , data]) => (data.length <= 4 ? undefined : put(data)));
  const ifd = at;
  const ifdBuf = Buffer.alloc(2 + tags.length * 12 + 4);
  le ? ifdBuf.writeUInt16LE(tags.length, 0) : ifdBuf.writeUInt16BE(tags.length, 0);
  const entries: number[] = [];
  tags.forEach(([tag, type, count, data], i) => {
    const o = 2 + i * 12;
    entries.push(ifd + o);
    (le ? ifdBuf.writeUInt16LE : ifdBuf.writeUInt16BE).call(ifdBuf, tag, o);
    (le ? ifdBuf.writeUInt16LE : ifdBuf.writeUInt16BE).call(ifdBuf, type, o + 2);
    (le ? ifdBuf.writeUInt32LE : ifdBuf.writeUInt32BE).call(ifdBuf, count, o + 4);
    if (inline[i] === undefined) data.copy(ifdBuf, o + 8);
    else (le ? ifdBuf.writeUInt32LE : ifdBuf.writeUInt32BE).call(ifdBuf, inline[i] as number, o + 8);
  });
  chunks.push(ifdBuf);
  const head = chunks[0];
  head.write(le ? 'II' : 'MM', 0, 'latin1');
  le ? head.writeUInt16LE(42, 2) : head.writeUInt16BE(42, 2);
  le ? head.writeUInt32LE(ifd, 4) : head.writeUInt32BE(ifd, 4);
  return { bytes: Buffer.concat(chunks), entries };
}
