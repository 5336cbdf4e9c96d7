/**
 * Child process for the signal test (truncatedStreams.test.ts): opens a compressed MAT variable and
 * reads it by windows of rows, over and over, until it is killed.
 */
import { openRaster } from '../../src/io/raster/openRaster.ts';

const source = await openRaster(process.argv[2]);
const d = source.describe();
const out = new Float32Array(16 * d.width * d.bands);
for (;;) {
  for (let r = 0; r + 16 <= d.height; r += 16) await source.readRows(r, 16, out);
}
