/**
 * A georeferenced run through the library (the demo scene placed on the ground, as a reader of ENVI or
 * GeoTIFF scenes would place it): GDAL sees the CRS, geotransform, colour table and class names in
 * classification-map.tif, its values equal prediction.mat's on labelled pixels and are 0 elsewhere,
 * and run.json keeps the georeference.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';
import { makeDemoScene } from '../../src/scene/demoScene.ts';
import type { GeoReference } from '../../src/core/types.ts';
import { gdalInfo, gdalMissing, gdalRead } from '../io/gdal.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-gis-'));
const georef: GeoReference = { geoTransform: [440720, 18, 0, 3751320, 0, -18], epsg: 32617 };

describe.skipIf(gdalMissing !== undefined)('GIS outputs of a georeferenced run', () => {
  it('classification-map.tif and the ENVI classification land on the scene grid with names and colours', async () => {
    const out = join(dir, 'run');
    const config: RunConfig = {
      ...DEFAULTS, input: { kind: 'demo', georef }, model: 'spinal-mlp', pca: 6, epochs: 1, trainFraction: 0.1,
      seed: 3, backend: 'wasm', predictWorkers: 0, mapFormats: ['tif', 'envi'], out,
    };
    await runPipeline(config);
    const demo = makeDemoScene();
    const { height, width } = demo.cube;

    const info = gdalInfo(join(out, 'classification-map.tif'));
    expect(info.size).toEqual([width, height]);
    expect(info.geoTransform).toEqual([440720, 18, 0, 3751320, 0, -18]);
    expect(info.coordinateSystem.wkt).toMatch(/WGS 84 \/ UTM zone 17N/);
    const band = info.bands[0];
    expect(band.type).toBe('Byte');
    expect(band.noDataValue).toBe(0);
    expect(band.colorInterpretation).toBe('Palette');
    // The .aux.xml colour table (values 0…13) is the one GDAL reports; the TIFF ColorMap holds the same colours.
    expect(band.colorTable.entries.length).toBe(1 + demo.classes.length);
    // Demo class values are 1…13, so category names line up with the classes one to one.
    expect(band.categories).toEqual(['Unclassified', ...demo.classes.map((c) => c.name)]);
    expect(band.colorTable.entries[1]).toEqual([230, 25, 75, 255]);

    const g = gdalRead(join(out, 'classification-map.tif'));
    const pred = readMatNumeric(join(out, 'prediction.mat'), 'prediction');
    // Whole-scene maps: every pixel (the demo has no nodata), labelled or not, holds prediction.mat's class.
    const expected = Array.from({ length: height * width }, (_, i) => Number(pred.data[(i % width) * height + Math.floor(i / width)]));
    expect(expected.every((v) => v !== 0)).toBe(true);
    expect(Array.from(g.bands[0]!.values)).toEqual(expected);

    const envi = gdalInfo(join(out, 'classification-map.dat'));
    expect(envi.geoTransform.map((v: number) => v + 0)).toEqual([440720, 18, 0, 3751320, 0, -18]);
    expect(envi.coordinateSystem.wkt).toMatch(/UTM zone 17N/);

    const conf = gdalRead(join(out, 'confidence.tif'));
    expect(conf.geotransform).toEqual([440720, 18, 0, 3751320, 0, -18]);
    const c = conf.bands[0]!.values;
    for (let i = 0; i < expected.length; i++) expect(c[i]).toBeGreaterThanOrEqual(1 / demo.classes.length);

    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.scene.georef).toEqual(georef);
  });
});
