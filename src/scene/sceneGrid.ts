/**
 * Cube and labels must lie on one grid: the same height and width, and, when both files carry a
 * georeference, the same geotransform and the same CRS. Otherwise one DataError naming both grids.
 */
import { DataError } from '../core/errors.ts';
import { epsgOf } from '../core/crs.ts';
import type { GeoReference } from '../core/types.ts';

export interface GridOwner {
  readonly path: string;
  readonly height: number;
  readonly width: number;
  readonly georef?: GeoReference;
}

/** Geotransforms agree when every term differs by less than this fraction of the pixel size (text round-trips). */
const TOLERANCE = 1e-6;

export function checkSameGrid(cube: GridOwner, labels: GridOwner & { readonly what: string }): void {
  if (labels.height !== cube.height || labels.width !== cube.width) {
    throw new DataError(
      `${labels.path}: ${labels.what} is ${labels.height}×${labels.width} but the cube is ${cube.height}×${cube.width} (${cube.path})`,
      'pass the ground truth that belongs to this cube (same height and width), or name the right variable with --gt-var',
    );
  }
  const a = cube.georef, b = labels.georef;
  if (a === undefined || b === undefined) return;
  const pixel = Math.max(Math.abs(a.geoTransform[1]), Math.abs(a.geoTransform[5]), 1e-12);
  const sameTransform = a.geoTransform.every((v, i) => Math.abs(v - b.geoTransform[i]) <= TOLERANCE * pixel * (i === 0 || i === 3 ? Math.max(1, cube.width) : 1));
  const crsA = crsKey(a), crsB = crsKey(b);
  const sameCrs = crsA === undefined || crsB === undefined || crsA === crsB;
  if (sameTransform && sameCrs) return;
  throw new DataError(
    `${labels.path}: ${labels.what} lies on another grid than the cube (${cube.path}): cube ${describeGrid(cube)}; labels ${describeGrid(labels)}`,
    'pass the ground truth made for this cube, or resample it onto the cube\'s grid first (gdalwarp -te … -tr … -t_srs …)',
  );
}

/** EPSG when known, else the WKT with blanks removed; undefined when the file names no CRS. */
function crsKey(g: GeoReference): string | undefined {
  const epsg = epsgOf(g);
  if (epsg !== undefined) return `EPSG:${epsg}`;
  return g.crsWkt?.replace(/\s+/g, '');
}

function describeGrid(g: GridOwner): string {
  const size = `${g.height}×${g.width}`;
  if (g.georef === undefined) return `${size}, no georeference`;
  const t = g.georef.geoTransform.map((v) => +v.toPrecision(12));
  const crs = g.georef.epsg !== undefined ? `EPSG:${g.georef.epsg}` : g.georef.crsWkt !== undefined ? `CRS ${g.georef.crsWkt.slice(0, 40)}…` : 'no CRS';
  return `${size}, origin (${t[0]}, ${t[3]}), pixel ${t[1]}×${t[5]}${t[2] !== 0 || t[4] !== 0 ? `, rotation terms ${t[2]}, ${t[4]}` : ''}, ${crs}`;
}
