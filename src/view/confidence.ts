/**
 * confidence.tif (one float32 band on the scene's grid: the winning class's probability per pixel,
 * written by the mapping run when it has one), read with the `geotiff` package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fromArrayBuffer } from 'geotiff';
import { DataError } from '../errors.ts';

/**
 * The confidence band, row-major H×W, NaN where the file says no data (its GDAL_NODATA: the run writes 0
 * for background pixels, a value a softmax maximum never takes), or undefined when the run wrote none.
 */
export async function readConfidence(path: string, height: number, width: number): Promise<Float32Array | undefined> {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const tiff = await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const image = await tiff.getImage();
  if (image.getHeight() !== height || image.getWidth() !== width) {
    throw new DataError(`${path} is ${image.getHeight()}×${image.getWidth()}, the scene ${height}×${width}`, 'write confidence.tif on the scene\'s grid (run the mapping again)');
  }
  const [band] = (await image.readRasters({ samples: [0] })) as unknown as ArrayLike<number>[];
  const nodata = image.getGDALNoData();
  const out = Float32Array.from(band!);
  if (nodata !== null) for (let i = 0; i < out.length; i++) if (out[i] === nodata) out[i] = NaN;
  return out;
}
