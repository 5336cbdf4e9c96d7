/**
 * Rows of a GeoTIFF read tile by tile (or strip by strip) into BIP, for the byte-aligned sample types
 * and the compressions that need no extra decoder parameters (none, LZW, deflate, PackBits). geotiff.js
 * still locates and decodes each block (getTileOrStrip); two things are ours because they dominated the
 * time of its readRasters on a tiled deflate file, several times GDAL's (docs/performance.md#reading-files):
 * - deflate through Node's zlib (native) instead of pako (pure JS);
 * - the copy into BIP: whole runs of pixels with TypedArray.set for pixel-interleaved blocks instead of
 *   a DataView call per sample.
 */
import { inflateSync } from 'node:zlib';
import { BaseDecoder, addDecoder, getDecoder, type GeoTIFFImage } from 'geotiff';
import type { RasterSink } from '../raster/types.ts';

/** Compression codes this path reads; others go through geotiff.js's readRasters. */
export const FAST_COMPRESSIONS: ReadonlySet<number> = new Set([1, 5, 8, 32946, 32773]);

/** Deflate via Node's zlib: TIFF deflate blocks are zlib streams, as inflateSync expects. */
class NodeInflateDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const b = inflateSync(new Uint8Array(buffer));
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }
}

let registered = false;
/** Makes geotiff.js decode deflate with Node's zlib (registered on first use, not at import). */
export function useNodeInflate(): void {
  if (registered) return;
  addDecoder([8, 32946], async () => NodeInflateDecoder, undefined, false);
  registered = true;
}

/**
 * The decoded blocks of one row of tiles (or one strip), kept after a window ends inside it, so that the
 * next window, which starts in the same tile row, does not decode its tiles again. At most one tile
 * row is held: the reader's bounded cache (tiffSource.ts counts it in storedBytes).
 */
export class TileRowCache {
  ty = -1;
  /** Fast path: the tile row's blocks by (tx, sample). Other compressions: its rows as BIP. */
  blocks: ArrayLike<number>[] = [];

  clear(): void {
    this.ty = -1;
    this.blocks = [];
  }
}

/** Bytes one decoded tile row takes (tiles are padded to the full tile width). */
export function tileRowBytes(image: GeoTIFFImage): number {
  const W = image.getWidth(), B = image.getSamplesPerPixel(), tw = image.getTileWidth();
  return Math.ceil(W / tw) * tw * image.getTileHeight() * B * (image.getBitsPerSample(0) / 8);
}

export async function readTiffRows(image: GeoTIFFImage, row0: number, rows: number, out: RasterSink, cache: TileRowCache): Promise<void> {
  const fd = image.getFileDirectory();
  const W = image.getWidth(), H = image.getHeight(), B = image.getSamplesPerPixel();
  const tw = image.getTileWidth(), th = image.getTileHeight();
  const planar = image.planarConfiguration;
  const code = Number(fd.getValue('Compression') ?? 1);
  const decoder = await getDecoder(code, {
    tileWidth: tw, tileHeight: th, planarConfiguration: planar,
    bitsPerSample: fd.getValue('BitsPerSample') as ArrayLike<number> as number[], predictor: Number(await fd.loadValue('Predictor') ?? 1),
  });
  const sampleBytes = image.getBitsPerSample(0) / 8;
  const swap = !image.littleEndian && sampleBytes > 1;
  const end = row0 + rows;
  const across = Math.ceil(W / tw), samples = planar === 2 ? B : 1;
  for (let ty = Math.floor(row0 / th); ty * th < end; ty++) {
    let blocks = cache.ty === ty ? cache.blocks : undefined;
    if (blocks === undefined) {
      cache.clear(); // windows move forward: the held row is not needed again in this pass
      blocks = [];
      for (let tx = 0; tx < across; tx++) {
        for (let s = 0; s < samples; s++) blocks.push(await decodeBlock(image, tx, ty, s, decoder, swap, sampleBytes));
      }
      // Keep the row when this window ends inside it: the next window starts there.
      if (end < Math.min(H, (ty + 1) * th)) {
        cache.ty = ty;
        cache.blocks = blocks;
      }
    }
    const y0 = Math.max(row0, ty * th), y1 = Math.min(end, (ty + 1) * th, H);
    for (let tx = 0; tx < across; tx++) {
      const x0 = tx * tw, n = Math.min(tw, W - x0);
      for (let s = 0; s < samples; s++) {
        const values = blocks[tx * samples + s] as Uint8Array; // a typed array of the sample type
        for (let y = y0; y < y1; y++) {
          const src = (y - ty * th) * tw;
          const dst = ((y - row0) * W + x0) * B;
          if (planar === 1) out.set(values.subarray(src * B, (src + n) * B), dst);
          else for (let x = 0, o = dst + s; x < n; x++, o += B) out[o] = values[src + x];
        }
      }
    }
  }
}

/** One tile or strip decoded, in the machine's byte order, as a typed array of its sample type. */
async function decodeBlock(image: GeoTIFFImage, tx: number, ty: number, s: number, decoder: BaseDecoder, swap: boolean, sampleBytes: number): Promise<ArrayLike<number>> {
  const tile = await image.getTileOrStrip(tx, ty, s, decoder);
  let data = tile.data;
  if (swap) {
    // Decoders hand back the file's byte order; typed arrays read the machine's (little-endian).
    const own = new Uint8Array(data).slice(); // its own ArrayBuffer (Buffer.from would use the shared pool)
    const view = Buffer.from(own.buffer, 0, own.length);
    if (sampleBytes === 2) view.swap16();
    else if (sampleBytes === 4) view.swap32();
    else view.swap64();
    data = own.buffer;
  }
  return image.getArrayForSample(s, data);
}

/**
 * Rows through geotiff.js's own readRasters (compressions whose decoders need parameters this path
 * does not pass: JPEG tables, LERC, zstd, WebP), one whole tile row at a time so that the tile-row
 * cache serves them the same way.
 */
export async function readTiffRowsGeneric(image: GeoTIFFImage, row0: number, rows: number, out: RasterSink, cache: TileRowCache): Promise<void> {
  const W = image.getWidth(), H = image.getHeight(), B = image.getSamplesPerPixel(), th = image.getTileHeight();
  const end = row0 + rows;
  for (let ty = Math.floor(row0 / th); ty * th < end; ty++) {
    let band = cache.ty === ty ? cache.blocks[0] : undefined;
    const top = ty * th, bottom = Math.min(H, top + th);
    if (band === undefined) {
      cache.clear();
      // interleave: true hands back the window pixel by pixel (BIP).
      band = await image.readRasters({ window: [0, top, W, bottom], interleave: true }) as unknown as ArrayLike<number>;
      if (end < bottom) {
        cache.ty = ty;
        cache.blocks = [band];
      }
    }
    const y0 = Math.max(row0, top), y1 = Math.min(end, bottom);
    out.set((band as Uint8Array).subarray((y0 - top) * W * B, (y1 - top) * W * B), (y0 - row0) * W * B);
  }
}
