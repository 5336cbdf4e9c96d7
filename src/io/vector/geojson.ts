/**
 * GeoJSON (RFC 7946): longitude, latitude on WGS 84 (EPSG:4326, x = longitude), unless a legacy
 * (2008 GeoJSON) `crs` member names an EPSG code, which GDAL still writes and honours.
 * Hand-written: JSON.parse does the parsing; what is left is mapping four geometry types to ours.
 */
import { readFile } from 'node:fs/promises';
import { InputFileError, VectorError } from '../../core/errors.ts';
import type { Feature, FieldDef, FieldType, Geometry, PropertyValue, VectorCrs, VectorLayer } from './types.ts';

/** A GeoJSON geometry object as parsed (coordinates unchecked). */
interface JsonGeometry {
  type: string;
  coordinates?: unknown;
}

/** Thrown by toGeometry; the reader adds the file and feature. */
export class GeoJsonGeometryError extends Error {}

function position(p: unknown): [number, number] {
  if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') {
    throw new GeoJsonGeometryError(`a position is not [x, y, …] numbers: ${JSON.stringify(p)?.slice(0, 60)}`);
  }
  return [p[0], p[1]];
}

/** Positions (extra ordinates dropped) as interleaved x, y. */
function positions(list: unknown): Float64Array {
  if (!Array.isArray(list)) throw new GeoJsonGeometryError('coordinates are not an array of positions');
  const out = new Float64Array(2 * list.length);
  list.forEach((p, i) => out.set(position(p), 2 * i));
  return out;
}

function rings(list: unknown): Float64Array[] {
  if (!Array.isArray(list)) throw new GeoJsonGeometryError('polygon coordinates are not an array of rings');
  return list.map(positions);
}

/** A GeoJSON geometry (as GeoJSON and the shapefile package give it) → ours; null for a null geometry. */
export function toGeometry(g: JsonGeometry | null | undefined): Geometry | null {
  if (g === null || g === undefined) return null;
  switch (g.type) {
    case 'Point': return { type: 'Point', xy: new Float64Array(position(g.coordinates)) };
    case 'MultiPoint': return { type: 'MultiPoint', xy: positions(g.coordinates) };
    case 'Polygon': return { type: 'Polygon', rings: rings(g.coordinates) };
    case 'MultiPolygon':
      if (!Array.isArray(g.coordinates)) throw new GeoJsonGeometryError('MultiPolygon coordinates are not an array of polygons');
      return { type: 'MultiPolygon', polygons: g.coordinates.map(rings) };
    default:
      throw new GeoJsonGeometryError(`${String(g.type)} is not supported (only Point, MultiPoint, Polygon, MultiPolygon)`);
  }
}

/** The EPSG code a legacy `crs` member names ('EPSG:32617', 'urn:ogc:def:crs:EPSG::32617'; CRS84 is 4326). */
function legacyCrs(crs: unknown): number | undefined {
  const name = (crs as { properties?: { name?: unknown } } | null)?.properties?.name;
  if (typeof name !== 'string') return undefined;
  if (/CRS84$/i.test(name)) return 4326;
  const m = /EPSG:(?:[\d.]*:)?(\d+)$/i.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Field types from the values: integer if every number is, real if any is fractional, string otherwise. */
export function inferFields(features: readonly Feature[]): FieldDef[] {
  const types = new Map<string, FieldType | undefined>();
  for (const f of features) {
    for (const [k, v] of Object.entries(f.properties)) {
      const was = types.get(k);
      if (v === null) { if (!types.has(k)) types.set(k, undefined); continue; }
      const t: FieldType = typeof v === 'string' ? 'string' : Number.isInteger(v) ? 'integer' : 'real';
      types.set(k, was === undefined || was === t ? t : was === 'string' || t === 'string' ? 'string' : 'real');
    }
  }
  return [...types].map(([name, type]) => ({ name, type: type ?? 'string' }));
}

function property(v: unknown): PropertyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return JSON.stringify(v);
}

export async function readGeoJson(path: string, name: string): Promise<VectorLayer> {
  let doc: { type?: unknown; features?: unknown; crs?: unknown; name?: unknown };
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new InputFileError(path, `is not valid JSON (${(e as Error).message})`, 'pass a GeoJSON file (ogr2ogr -f GeoJSON writes one)');
  }
  const list: unknown[] = doc?.type === 'FeatureCollection' && Array.isArray(doc.features) ? doc.features
    : doc?.type === 'Feature' ? [doc] : [];
  if (doc?.type !== 'FeatureCollection' && doc?.type !== 'Feature') {
    throw new InputFileError(path, `is JSON but not a GeoJSON FeatureCollection or Feature (type ${JSON.stringify(doc?.type)})`,
      'pass a GeoJSON FeatureCollection (ogr2ogr -f GeoJSON writes one)');
  }
  const features: Feature[] = list.map((raw, i) => {
    const f = raw as { id?: unknown; geometry?: JsonGeometry | null; properties?: Record<string, unknown> | null };
    let geometry: Geometry | null;
    try { geometry = toGeometry(f.geometry); } catch (e) {
      if (!(e instanceof GeoJsonGeometryError)) throw e;
      throw new VectorError(path, `feature ${i}: ${e.message}`, 'convert the layer to points or polygons (ogr2ogr -nlt MULTIPOLYGON, or buffer lines) and try again');
    }
    const properties = Object.fromEntries(Object.entries(f.properties ?? {}).map(([k, v]) => [k, property(v)]));
    return { geometry, properties, fid: typeof f.id === 'number' && Number.isInteger(f.id) ? f.id : i };
  });
  const crs: VectorCrs = { epsg: legacyCrs(doc.crs) ?? 4326 };
  return { name: typeof doc.name === 'string' ? doc.name : name, crs, fields: inferFields(features), features };
}
