/**
 * confidence.tif (one float32 band on the scene's grid: the winning class's probability per pixel,
 * written by the mapping run when it has one), read through the same raster reader as scenes.
 */
import { existsSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import { openRaster } from '../io/raster/openRaster.ts';

/**
 * The confidence band, row-major H×W, NaN where the file says no data (its GDAL_NODATA: the run writes 0
 * for background pixels, a value a softmax maximum never takes), or undefined when the run wrote none.
 */
export async function readConfidence(path: string, height: number, width: number): Promise<Float32Array | undefined> {
  if (!existsSync(path)) return undefined;
  const source = await openRaster(path);
  try {
    const d = source.describe();
    if (d.height !== height || d.width !== width || d.bands !== 1) {
      throw new DataError(`${path} is ${d.height}×${d.width}×${d.bands}, the scene ${height}×${width}×1`, 'write confidence.tif on the scene\'s grid (run the mapping again)');
    }
    const out = await source.readRows(0, height, new Float32Array(height * width));
    if (d.nodata !== undefined) for (let i = 0; i < out.length; i++) if (out[i] === d.nodata) out[i] = NaN;
    return out;
  } finally {
    source.close();
  }
}
