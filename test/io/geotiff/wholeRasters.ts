/**
 * Whole rasters written in one call through the streaming writers the product uses (openClassMapTiff,
 * openFloatTiff): fixtures and round-trip checks for the tests.
 */
import { DataError } from '../../../src/core/errors.ts';
import { type ClassMapTiffInput, type FloatTiffInput, openClassMapTiff, openFloatTiff } from '../../../src/io/geotiff/writeGeoTiff.ts';

/** The whole class map at once (openClassMapTiff with every row in one call). */
export function writeClassMapTiff(path: string, o: ClassMapTiffInput): void {
  const { height, width, data } = o.map;
  let max = 0;
  for (const c of o.classes) max = Math.max(max, c.value);
  for (const v of data) if (v > max) max = v;
  if (max > 65535) throw new DataError(`label value ${max} does not fit a uint16 class map`, 'use label values 1…65535');
  for (const v of data) if (v < 0) throw new DataError(`negative label value ${v} in the class map`, 'use label values 1…65535 (0 = background)');
  // Values that are not classes keep the sample width they need (black, unnamed in the legend).
  const classes = max > Math.max(0, ...o.classes.map((c) => c.value)) ? [...o.classes, { value: max, name: '' }] : o.classes;
  const writer = openClassMapTiff(path, { ...o, classes, colors: o.colors, height, width });
  writer.writeRows(data);
  writer.finish();
}

/** The whole float raster at once. */
export function writeFloatTiff(path: string, o: FloatTiffInput): void {
  if (o.data.length !== o.height * o.width * o.bands) {
    throw new DataError(`a ${o.height}×${o.width}×${o.bands} raster needs ${o.height * o.width * o.bands} samples, got ${o.data.length}`, 'pass data of length height × width × bands');
  }
  const writer = openFloatTiff(path, o);
  writer.writeRows(o.data);
  writer.finish();
}
