import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, VectorError } from '../../src/core/errors.ts';
import { readVectorReference } from '../../src/scene/vectorLabels.ts';
import { thrownAsync } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A GeoJSON layer of axis-aligned squares [x0, y0, x1, y1] in pixel coordinates (the scene has no georeference). */
function layer(name: string, squares: [number, number, number, number, string | number | null][]): string {
  const path = join(dir, `${name}.geojson`);
  writeFileSync(path, JSON.stringify({
    type: 'FeatureCollection',
    features: squares.map(([x0, y0, x1, y1, cls]) => ({
      type: 'Feature', properties: { landcover: cls },
      geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] },
    })),
  }));
  return path;
}

const grid = { height: 10, width: 10 };

describe('reference vectors as the run\'s labels', () => {
  it('matches class names to the label raster\'s, ignoring case, adds the vectors\' own classes and warns both ways', async () => {
    const labels = { ...grid, data: new Int32Array(100).fill(3) };
    const classes = [{ value: 3, name: 'Scrub' }, { value: 7, name: 'Water' }];
    const ref = await readVectorReference(
      { trainVector: layer('names', [[0, 0, 2, 2, 'scrub'], [5, 5, 7, 7, 'Marsh'], [8, 0, 9, 1, null]]), classField: 'landcover' },
      { ...grid, labels, classes },
    );
    expect(ref.classes).toEqual([{ value: 3, name: 'Scrub' }, { value: 7, name: 'Water' }, { value: 8, name: 'Marsh' }]);
    // Pixel centres inside [0, 2) × [0, 2): 4 pixels of Scrub; [5, 7)²: 4 of Marsh.
    expect(ref.trainMap.data.filter((v) => v === 3).length).toBe(4);
    expect(ref.trainMap.data.filter((v) => v === 8).length).toBe(4);
    expect(ref.labels).toBe(labels);
    expect(ref.warnings.join('\n')).toMatch(/classes the label raster does not: 'Marsh'/);
    expect(ref.warnings.join('\n')).toMatch(/classes the training vectors do not: 7 Water/);
    expect(ref.warnings.join('\n')).toMatch(/1 feature\(s\) have no value in 'landcover'/);
  });

  it('without a label raster numbers names 1…N alphabetically, and the labels are the layers\' pixels', async () => {
    const ref = await readVectorReference(
      { trainVector: layer('train', [[0, 0, 2, 2, 'water'], [4, 4, 6, 6, 'forest']]), testVector: layer('test', [[7, 7, 9, 9, 'water']]), classField: 'landcover' },
      { ...grid, classes: [] },
    );
    expect(ref.classes).toEqual([{ value: 1, name: 'forest' }, { value: 2, name: 'water' }]);
    expect(ref.testMap!.data.filter((v) => v === 2).length).toBe(4);
    expect(ref.labels.data.filter((v) => v !== 0).length).toBe(12);
    expect(ref.polygonOf.filter((v) => v !== 0).length).toBe(8);
  });

  it('refuses a missing field, overlapping classes and features outside the scene, each naming the problem', async () => {
    const noField = await thrownAsync(() => readVectorReference({ trainVector: layer('f', [[0, 0, 2, 2, 'a']]), classField: 'class' }, { ...grid, classes: [] }));
    expect(noField).toBeInstanceOf(VectorError);
    expect(noField.message).toMatch(/has no field 'class' \(its fields: landcover\)/);
    const overlap = await thrownAsync(() => readVectorReference({ trainVector: layer('o', [[0, 0, 4, 4, 'a'], [2, 2, 6, 6, 'b']]), classField: 'landcover' }, { ...grid, classes: [] }));
    expect(overlap).toBeInstanceOf(DataError);
    expect(overlap.message).toMatch(/features of different classes overlap: a and b on 4 pixels/);
    const outside = await thrownAsync(() => readVectorReference({ trainVector: layer('x', [[0, 0, 2, 2, 'a'], [20, 20, 22, 22, 'b']]), classField: 'landcover' }, { ...grid, classes: [] }));
    expect(outside.message).toMatch(/1 feature lies wholly outside the scene/);
  });
});
