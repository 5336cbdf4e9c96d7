/**
 * Vector reference data as every reader hands it back. Coordinates are Float64Array, interleaved
 * x, y (x0, y0, x1, y1, …) in the layer's own CRS; Z and M values are dropped on reading.
 */

/** One point: xy = [x, y]. */
export interface Point {
  readonly type: 'Point';
  readonly xy: Float64Array;
}

/** Several points: xy = [x0, y0, x1, y1, …]. */
export interface MultiPoint {
  readonly type: 'MultiPoint';
  readonly xy: Float64Array;
}

/** One polygon: rings[0] is the exterior ring, the others are holes; each ring interleaved x, y, closed or not. */
export interface Polygon {
  readonly type: 'Polygon';
  readonly rings: readonly Float64Array[];
}

/** Several polygons, each as Polygon.rings. */
export interface MultiPolygon {
  readonly type: 'MultiPolygon';
  readonly polygons: readonly (readonly Float64Array[])[];
}

export type Geometry = Point | MultiPoint | Polygon | MultiPolygon;

/** A layer's coordinate reference system, as the file states it (either or both may be known). */
export interface VectorCrs {
  readonly wkt?: string;
  readonly epsg?: number;
}

export type FieldType = 'string' | 'integer' | 'real';

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
}

export type PropertyValue = string | number | null;

export interface Feature {
  /** Null for a feature without geometry (kept so fids and attributes stay complete; never burned). */
  readonly geometry: Geometry | null;
  readonly properties: Readonly<Record<string, PropertyValue>>;
  /** The feature id as GDAL numbers it: the GeoPackage fid column, the shapefile record (from 0), the GeoJSON id or index. */
  readonly fid: number;
}

export interface VectorLayer {
  readonly name: string;
  /** Undefined when the file states no CRS. */
  readonly crs: VectorCrs | undefined;
  readonly fields: readonly FieldDef[];
  readonly features: readonly Feature[];
}

export interface ReadVectorOptions {
  /** The layer to read, for a file that holds several (a GeoPackage table, a shapefile in a zip). */
  readonly layer?: string;
}
