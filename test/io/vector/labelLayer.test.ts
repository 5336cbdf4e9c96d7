/**
 * The label file's round trip at library level: pixels outlined by pixelsToGeometry, written by the
 * GeoPackage editor into a file createLabelFile made, read back by `--train-vector`'s reader
 * (readVectorReference) as exactly those pixels — on a north-up grid, a rotated one, and a scene without
 * georeference (pixel coordinates, no CRS) — and refused when the file is in another CRS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GeoReference } from '../../../src/core/types.ts';
import { editGeoPackage, readGeoPackage } from '../../../src/io/vector/geopackage.ts';
import { createLabelFile, LABEL_LAYER, pixelsToGeometry, readLabelFile } from '../../../src/io/vector/labelLayer.ts';
import { readVectorReference } from '../../../src/scene/vectorLabels.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-label-layer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const H = 20;
const W = 30;
/** Seeded blobs of pixels per class: rectangles with a hole, and single pixels. */
function labelSets(): Map<string, number[]> {
  const sets = new Map<string, number[]>();
  const ring: number[] = [];
  for (let r = 2; r <= 8; r++) for (let c = 3; c <= 12; c++) if (!(r >= 4 && r <= 6 && c >= 6 && c <= 8)) ring.push(r * W + c);
  sets.set('marsh', ring);
  sets.set('water', [5 * W + 7, 15 * W + 20, 16 * W + 21, 19 * W + 29]);
  sets.set('road', Array.from({ length: 30 }, (_, c) => 12 * W + c));
  return sets;
}

async function roundTrip(name: string, georef: GeoReference | undefined): Promise<void> {
  const grid = { height: H, width: W, ...(georef && { georef }) };
  const path = join(dir, `${name}.gpkg`);
  await createLabelFile(path, grid);
  const sets = labelSets();
  let code = 0;
  await editGeoPackage(path, (e) => {
    for (const [cls, pixels] of sets) e.insert(LABEL_LAYER, pixelsToGeometry(pixels, grid)!, { landcover: cls, code: ++code });
  });
  await readLabelFile(path, grid);
  const ref = await readVectorReference({ trainVector: path, classField: 'landcover' }, { ...grid, classes: [] });
  const valueOf = new Map(ref.classes.map((c) => [c.name, c.value]));
  const expected = new Int32Array(H * W);
  for (const [cls, pixels] of sets) for (const p of pixels) expected[p] = valueOf.get(cls)!;
  expect(Array.from(ref.trainMap.data)).toEqual(Array.from(expected));
}

describe('the label file', () => {
  it('reads back as exactly the labelled pixels on a north-up UTM grid', async () => {
    await roundTrip('utm', { geoTransform: [440720, 18, 0, 3751320, 0, -18], epsg: 32617 });
  });

  it('reads back as exactly the labelled pixels on a rotated grid', async () => {
    await roundTrip('rotated', { geoTransform: [500000, 8.66, -5, 4200000, -5, -8.66], epsg: 32617 });
  });

  it('holds pixel coordinates and no CRS for a scene without georeference, and reads back the same', async () => {
    await roundTrip('pixels', undefined);
    const layer = await readGeoPackage(join(dir, 'pixels.gpkg'));
    expect(layer.crs).toBeUndefined();
    const single = layer.features.find((f) => f.properties.landcover === 'water')!.geometry;
    // The pixel at row 19, column 29 is the unit square from (29, 19) to (30, 20).
    if (single?.type !== 'MultiPolygon') throw new Error(`a ${single?.type}, not a MultiPolygon`);
    const squares = single.polygons.map((p) => Array.from(p[0]!));
    expect(squares).toContainEqual([29, 19, 30, 19, 30, 20, 29, 20, 29, 19]);
  });

  it('refuses a label file in a CRS other than the scene\'s', async () => {
    const path = join(dir, 'other-crs.gpkg');
    await createLabelFile(path, { height: H, width: W, georef: { geoTransform: [0, 1, 0, 0, 0, -1], epsg: 4326 } });
    await expect(readLabelFile(path, { height: H, width: W, georef: { geoTransform: [440720, 18, 0, 3751320, 0, -18], epsg: 32617 } }))
      .rejects.toThrow(/is in EPSG:4326, not the scene's EPSG:32617/);
  });
});
