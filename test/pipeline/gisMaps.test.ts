/** What the GIS maps mask: label-0 pixels with maskBackground, the scene's no-data pixels always. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { backgroundKeep, type GisMapsInput, openGisMaps, parseMapFormats } from '../../src/pipeline/gisMaps.ts';
import { palette } from '../../src/render/palette.ts';
import { thrown } from '../helpers.ts';
import { gdalMissing, gdalRead } from '../io/gdal.ts';

/** The whole map at once (openGisMaps with one window). */
function writeGisMaps(o: GisMapsInput): void {
  const { height, width } = o.prediction;
  const maps = openGisMaps({ ...o, height, width, confidence: o.confidence !== undefined, probabilities: o.probabilities !== undefined });
  maps.writeRows(0, height, o.prediction.data, o.confidence, o.probabilities);
  maps.finish();
}

describe('background and formats', () => {
  it('masks label 0 only with maskLabels, no-data pixels always', () => {
    const labels = Int32Array.from([0, 1, 2, 0]);
    const nodata = Uint8Array.from([0, 1, 0, 0]);
    expect(backgroundKeep(4, labels, false, undefined)).toBeUndefined();
    expect(Array.from(backgroundKeep(4, labels, true, undefined)!)).toEqual([0, 1, 1, 0]);
    expect(Array.from(backgroundKeep(4, labels, false, nodata)!)).toEqual([1, 0, 1, 1]);
    expect(Array.from(backgroundKeep(4, labels, true, nodata)!)).toEqual([0, 0, 1, 0]);
    expect(Array.from(backgroundKeep(4, undefined, true, nodata)!)).toEqual([1, 0, 1, 1]);
  });

  it('parses --map-format lists and refuses unknown names with the choices', () => {
    expect(parseMapFormats('tif,envi')).toEqual(['tif', 'envi']);
    expect(parseMapFormats(' envi , envi')).toEqual(['envi']);
    const e = thrown(() => parseMapFormats('tif,kml'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe("--map-format: expected a comma-separated list of tif, envi, got 'kml'");
    expect(thrown(() => parseMapFormats(',')).message).toMatch(/--map-format/);
  });
});

describe.skipIf(gdalMissing !== undefined)('writeGisMaps read back by GDAL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-gismaps-'));
  const classes = [{ value: 3, name: 'a' }, { value: 7, name: 'b' }];
  const prediction = { height: 2, width: 3, data: Int32Array.from([3, 7, 7, 3, 3, 7]) };
  const probabilities = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.4, 0.6, 0.7, 0.3, 0.55, 0.45, 0, 1]);
  const confidence = Float32Array.from([0.9, 0.8, 0.6, 0.7, 0.55, 1]);
  const write = (name: string, keep?: Uint8Array) => {
    const path = (f: string) => join(dir, name, f);
    writeGisMaps({ path, prediction, classes, colors: palette(2), keep, confidence, probabilities, formats: ['tif'], description: 't' });
    return path;
  };

  it('background pixels are 0 in the class map and confidence, NaN in the probabilities; the rest as predicted', () => {
    const path = write('masked', Uint8Array.from([1, 0, 1, 1, 0, 1]));
    expect(Array.from(gdalRead(path('classification-map.tif')).bands[0]!.values)).toEqual([3, 0, 7, 3, 0, 7]);
    expect(Array.from(gdalRead(path('confidence.tif')).bands[0]!.values)).toEqual(Array.from(Float32Array.from([0.9, 0, 0.6, 0.7, 0, 1])));
    const p = gdalRead(path('probabilities.tif'));
    expect(p.bands.map((b) => b.description)).toEqual(['3 a', '7 b']);
    expect(Array.from(p.bands[1]!.values)).toEqual(Array.from(Float32Array.from([0.1, NaN, 0.6, 0.3, NaN, 1])));
    expect(existsSync(path('classification-map.dat'))).toBe(false);
  });

  it('without a mask every pixel keeps its class (--no-mask-background, no no-data)', () => {
    const path = write('all');
    expect(Array.from(gdalRead(path('classification-map.tif')).bands[0]!.values)).toEqual(Array.from(prediction.data));
    expect(Array.from(gdalRead(path('confidence.tif')).bands[0]!.values)).toEqual(Array.from(confidence));
  });
});
