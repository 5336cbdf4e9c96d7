/**
 * A cube already in memory (the synthetic demo scene) behind the RasterSource interface, so that it
 * goes through the same windowed scene pass (src/scene/sceneScan.ts) as a file.
 */
import type { CubeBIP } from '../../core/types.ts';
import type { RasterSink, RasterSource } from './types.ts';

export function memorySource(cube: CubeBIP, name: string): RasterSource {
  const { height, width, bands, data } = cube;
  return {
    describe: () => ({
      format: 'envi', path: name, dataPath: name, height, width, bands, dataType: 'float32', interleave: 'bip', compression: 'none', storedBytes: 0,
    }),
    async readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T> {
      if (row0 < 0 || rows < 0 || row0 + rows > height || out.length !== rows * width * bands) {
        throw new RangeError(`window rows ${row0}+${rows} of ${height} into ${out.length} values`);
      }
      out.set(data.subarray(row0 * width * bands, (row0 + rows) * width * bands));
      return out;
    },
    close() {},
  };
}
