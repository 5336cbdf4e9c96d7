/**
 * The training-label GeoPackage the viewer writes (`spinalnet view RUN --labels FILE.gpkg`) and
 * `--train-vector` reads: one MultiPolygon layer 'labels' in the scene's CRS with the fields
 * `landcover` (class name) and `code` (class value), plus a table 'label_classes' (code, landcover,
 * color) listing the classes with their colours, new ones included. Each feature outlines a set of
 * pixels along pixel edges (io/vector/pixelOutline.ts), so burning it with gdal_rasterize's rule —
 * as `--train-vector` does — gives back exactly the labelled pixels; a single pixel is a one-pixel square.
 */
import { existsSync } from 'node:fs';
import { VectorError } from '../../core/errors.ts';
import { createGeoPackageLayer, readGeoPackage } from './geopackage.ts';
import { proj4Definition } from './crs.ts';
import { pixelsToPolygons } from './pixelOutline.ts';
import type { SceneGrid } from './rasterize.ts';
import type { MultiPolygon, VectorCrs, VectorLayer } from './types.ts';

export const LABEL_LAYER = 'labels';
export const LABEL_CLASS_TABLE = 'label_classes';
export const LABEL_FIELDS = [{ name: 'landcover', type: 'string' }, { name: 'code', type: 'integer' }] as const;
const CLASS_FIELDS = [{ name: 'code', type: 'integer' }, { name: 'landcover', type: 'string' }, { name: 'color', type: 'string' }] as const;

/** The scene's CRS as a vector layer states it; empty without one. */
export function sceneCrs(grid: SceneGrid): VectorCrs {
  const g = grid.georef;
  return g ? { ...(g.epsg !== undefined && { epsg: g.epsg }), ...(g.crsWkt !== undefined && { wkt: g.crsWkt }) } : {};
}

/** Creates an empty label file in the scene's CRS (pixel coordinates, no CRS, when the scene has no georeference). */
export async function createLabelFile(path: string, grid: SceneGrid): Promise<void> {
  await createGeoPackageLayer(path, {
    layerName: LABEL_LAYER, crs: sceneCrs(grid), geometryType: 'MULTIPOLYGON', fields: LABEL_FIELDS,
    attributeTables: [{ name: LABEL_CLASS_TABLE, fields: CLASS_FIELDS }],
  });
}

/**
 * The label layer of `path`, checked: the viewer's layer and class table, fields landcover and code,
 * and the scene's CRS (the viewer writes new features in it and does not reproject).
 */
export async function readLabelFile(path: string, grid: SceneGrid): Promise<VectorLayer> {
  const fix = 'pass a label file the viewer created (or a new path: it is created), or copy the labels into a new one with ogr2ogr';
  if (!existsSync(path)) throw new VectorError(path, 'does not exist', fix);
  const layer = await readGeoPackage(path, { layer: LABEL_LAYER });
  for (const f of LABEL_FIELDS) {
    if (!layer.fields.some((d) => d.name === f.name && d.type === f.type)) {
      throw new VectorError(path, `layer '${LABEL_LAYER}' has no ${f.type} field '${f.name}' (its fields: ${layer.fields.map((d) => `${d.name} ${d.type}`).join(', ') || 'none'})`, fix);
    }
  }
  const scene = sceneCrs(grid);
  const stated = layer.crs;
  const same = stated === undefined ? scene.epsg === undefined && scene.wkt === undefined
    : (stated.epsg !== undefined && stated.epsg === scene.epsg) || proj4Definition(stated) === proj4Definition(scene);
  if (!same) {
    throw new VectorError(path, `layer '${LABEL_LAYER}' is in ${stated?.epsg !== undefined ? `EPSG:${stated.epsg}` : stated ? 'another CRS' : 'no CRS'}, not the scene's ${scene.epsg !== undefined ? `EPSG:${scene.epsg}` : scene.wkt ? 'CRS' : '(none: pixel coordinates)'}`,
      `reproject it to the scene's CRS (ogr2ogr -t_srs …), or start a new label file`);
  }
  return layer;
}

/**
 * The outline of row-major pixel indices as a MultiPolygon in the scene's coordinates: the corners of
 * pixels through the geotransform, or pixel coordinates (x = column, y = row) without one. Undefined
 * for an empty set.
 */
export function pixelsToGeometry(pixels: ArrayLike<number>, grid: SceneGrid): MultiPolygon | undefined {
  if (pixels.length === 0) return undefined;
  const mask = new Uint8Array(grid.height * grid.width);
  for (let i = 0; i < pixels.length; i++) mask[pixels[i]!] = 1;
  const t = grid.georef?.geoTransform;
  const polygons = pixelsToPolygons(mask, grid.height, grid.width).map((rings) => rings.map((ring, k) => {
    const out = new Float64Array(ring.length);
    for (let i = 0; i < ring.length; i += 2) {
      const c = ring[i]!, r = ring[i + 1]!;
      out[i] = t ? t[0] + c * t[1] + r * t[2] : c;
      out[i + 1] = t ? t[3] + c * t[4] + r * t[5] : r;
    }
    // OGC's orientation: the exterior counter-clockwise, holes clockwise (positive and negative shoelace area).
    let area = 0;
    for (let i = 0; i + 3 < out.length; i += 2) area += out[i]! * out[i + 3]! - out[i + 2]! * out[i + 1]!;
    return (area > 0) === (k === 0) ? out : reverseRing(out);
  }));
  return { type: 'MultiPolygon', polygons };
}

/** A closed ring backwards, from the same first vertex. */
function reverseRing(xy: Float64Array): Float64Array {
  const n = xy.length / 2;
  const out = new Float64Array(xy.length);
  for (let i = 0; i < n; i++) {
    out[2 * i] = xy[2 * (n - 1 - i)]!;
    out[2 * i + 1] = xy[2 * (n - 1 - i) + 1]!;
  }
  return out;
}
