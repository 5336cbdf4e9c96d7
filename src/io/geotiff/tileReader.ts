/**
 * Rows of a GeoTIFF read tile by tile (or strip by strip) into BIP, for the byte-aligned sample types
 * and the compressions that need no extra decoder parameters (none, LZW, deflate, PackBits). geotiff.js
 * still locates and decodes each block (getTileOrStrip); two things are ours because they dominated the
 * time of its readRasters on a KSC-sized tiled deflate file (2.7-3.2 s CPU, GDAL ~0.3-0.5 s):
 * - deflate through Node's zlib (native) instead of pako (pure JS: 1.7 s of it);
 * - the copy into BIP: whole runs of pixels with TypedArray.set for pixel-interleaved blocks instead of
 *   a DataView call per sample (1.8 s of it).
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

export async function readTiffRows(image: GeoTIFFImage, row0: number, rows: number, out: RasterSink): Promise<void> {
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
  for (let ty = Math.floor(row0 / th); ty * th < end; ty++) {
    for (let tx = 0; tx * tw < W; tx++) {
      for (let s = 0; s < (planar === 2 ? B : 1); s++) {
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
        const values = image.getArrayForSample(s, data);
        const y0 = Math.max(row0, ty * th), y1 = Math.min(end, (ty + 1) * th, H);
        const x0 = tx * tw, n = Math.min(tw, W - x0);
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
