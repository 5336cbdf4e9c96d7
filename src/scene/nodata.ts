/**
 * No-data pixels: a pixel is no data when EVERY band holds the file's nodata value (ENVI `data ignore
 * value`, GDAL_NODATA; NaN matches NaN). A pixel where only some bands hold it is real data with an
 * unlucky value, as GDAL's per-dataset nodata and ENVI's ignore value are used in practice (fill around
 * a scene's footprint is fill in every band).
 *
 * Their values are replaced, band by band, by the mean of the pixels that have data: the fill value
 * (often -9999, 0 or NaN) then neither drops bands as NaN nor pulls the PCA fitted on the cube, and the
 * mask (Scene.nodata) keeps them out of training, testing, counts and maps.
 */

export interface NodataMask {
  /** Row-major H×W, 1 = no data. */
  readonly mask: Uint8Array;
  readonly count: number;
}

/**
 * Marks in `mask` (one entry per pixel of the BIP `data`) the pixels whose every band holds `value`;
 * returns how many. Works on any window of whole pixels (the streamed scene calls it per row window).
 */
export function findNodata(data: Float32Array, bands: number, value: number, mask: Uint8Array): number {
  const n = data.length / bands;
  const isNaN = Number.isNaN(value);
  // float32 storage: compare against the value as float32 (-9999.9 in a float32 cube is not the double -9999.9).
  const v32 = Math.fround(value);
  let count = 0;
  for (let p = 0; p < n; p++) {
    const o = p * bands;
    let b = 0;
    if (isNaN) while (b < bands && data[o + b] !== data[o + b]) b++;
    else while (b < bands && data[o + b] === v32) b++;
    if (b === bands) {
      mask[p] = 1;
      count++;
    }
  }
  return count;
}

/** Replaces the masked pixels of BIP `data` with `fill` (one value per band). */
export function fillNodata(data: Float32Array, bands: number, mask: Uint8Array, fill: Float32Array): void {
  const n = data.length / bands;
  for (let p = 0; p < n; p++) if (mask[p] === 1) data.set(fill, p * bands);
}
