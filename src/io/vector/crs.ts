/**
 * From a layer's CRS to the scene's pixel grid: proj4 between the two CRSs, then the inverse of the
 * scene's geotransform computed as GDAL does (GDALInvGeoTransform), so pixel coordinates match
 * gdal_rasterize's to the last bit wherever the CRSs are the same.
 */
import proj4 from 'proj4';
import { epsgOfWkt } from '../../core/crs.ts';
import { VectorError } from '../../core/errors.ts';
import type { GeoReference } from '../../core/types.ts';
import type { Geometry, VectorCrs, VectorLayer } from './types.ts';

/** proj4 definitions for the EPSG codes reference data most often comes in, whether proj4 has them or not. */
function epsgDefinition(code: number): string | undefined {
  if (code === 4326) return '+proj=longlat +datum=WGS84 +no_defs';
  if (code === 3857) return '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs';
  if ((code > 32600 && code <= 32660) || (code > 32700 && code <= 32760)) {
    return `+proj=utm +zone=${code % 100}${code > 32700 ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`;
  }
  return proj4.defs(`EPSG:${code}`) ? `EPSG:${code}` : undefined;
}

function describe(crs: VectorCrs): string {
  if (crs.epsg !== undefined) return `EPSG:${crs.epsg}`;
  const wkt = crs.wkt ?? '';
  const name = /^\s*\w+\[\s*"([^"]*)"/.exec(wkt);
  return name ? `'${name[1]}' (WKT)` : `WKT ${wkt.slice(0, 60)}…`;
}

/**
 * A proj4 definition for a CRS: the known EPSG codes first (exact), then the WKT as proj4 parses it
 * (WKT1, ESRI .prj and the WKT2 GDAL writes); undefined when neither works.
 */
export function proj4Definition(crs: VectorCrs): string | undefined {
  const code = crs.epsg ?? (crs.wkt === undefined ? undefined : epsgOfWkt(crs.wkt));
  const byCode = code === undefined ? undefined : epsgDefinition(code);
  if (byCode !== undefined) return byCode;
  if (crs.wkt === undefined) return undefined;
  // proj4 reads a local (engineering) CRS as if it were longitude/latitude; such a CRS has no transform to any other.
  if (/^\s*(LOCAL_CS|ENGCRS|ENGINEERINGCRS)\s*\[/i.test(crs.wkt)) return undefined;
  try {
    proj4(crs.wkt, 'WGS84');
    return crs.wkt;
  } catch {
    return undefined;
  }
}

/** GDAL's GDALInvGeoTransform: a special case without rotation, else the adjugate over the determinant. */
export function invertGeoTransform(t: GeoReference['geoTransform']): [number, number, number, number, number, number] | undefined {
  if (t[2] === 0 && t[4] === 0 && t[1] !== 0 && t[5] !== 0) return [-t[0] / t[1], 1 / t[1], 0, -t[3] / t[5], 0, 1 / t[5]];
  const det = t[1] * t[5] - t[2] * t[4];
  const magnitude = Math.max(Math.abs(t[1]), Math.abs(t[2]), Math.abs(t[4]), Math.abs(t[5]));
  if (Math.abs(det) <= 1e-10 * magnitude * magnitude) return undefined;
  const inv = 1 / det;
  return [(t[2] * t[3] - t[0] * t[5]) * inv, t[5] * inv, -t[2] * inv, (-t[1] * t[3] + t[0] * t[4]) * inv, -t[4] * inv, t[1] * inv];
}

/** A function that maps interleaved x, y in place. */
type MapXY = (xy: Float64Array) => void;

function unusable(layer: VectorLayer, crs: VectorCrs, whose: string, scene?: string): VectorError {
  return new VectorError(undefined, `the ${whose} CRS of layer '${layer.name}', ${describe(crs)}, is not one spinalnet can transform`,
    `reproject the layer to the scene's CRS first (ogr2ogr -t_srs ${scene ?? 'EPSG:<scene code>'} out.gpkg in.gpkg), or give the scene a CRS it can read`);
}

/**
 * The layer with every coordinate in the scene's pixel space, rings oriented as GDAL burns them (x = column, y = row, from the grid's
 * top-left corner), and warnings for any assumption made. Without a georeference the coordinates are
 * taken as pixel coordinates already, as gdal_rasterize does on a raster without a geotransform.
 */
export function layerToPixels(layer: VectorLayer, georef: GeoReference | undefined): { layer: VectorLayer; warnings: string[] } {
  const warnings: string[] = [];
  if (georef === undefined) {
    warnings.push(`the scene has no georeference: the coordinates of layer '${layer.name}' are taken as pixel coordinates (x = column, y = row, down from the top-left corner)`
      + (layer.crs ? `, although the layer states ${describe(layer.crs)}` : ''));
    const features = layer.features.map((f) => ({ ...f, geometry: f.geometry && mapGeometry(f.geometry, () => undefined, clockwise) }));
    return { layer: { ...layer, features }, warnings };
  }
  const inv = invertGeoTransform(georef.geoTransform);
  if (inv === undefined) {
    throw new VectorError(undefined, `the scene's geotransform [${georef.geoTransform.join(', ')}] cannot be inverted`, 'fix the scene georeference (a pixel size of 0?)');
  }
  const sceneCrs: VectorCrs | undefined = georef.epsg !== undefined || georef.crsWkt !== undefined
    ? { ...(georef.epsg !== undefined && { epsg: georef.epsg }), ...(georef.crsWkt !== undefined && { wkt: georef.crsWkt }) } : undefined;
  let reproject: MapXY | undefined;
  if (layer.crs === undefined) {
    if (sceneCrs) warnings.push(`layer '${layer.name}' states no CRS: it is assumed to be the scene's (${describe(sceneCrs)})`);
  } else if (sceneCrs === undefined) {
    warnings.push(`the scene has a geotransform but no CRS: layer '${layer.name}' (${describe(layer.crs)}) is assumed to be in the scene's CRS`);
  } else {
    const target = sceneCrs.epsg !== undefined ? `EPSG:${sceneCrs.epsg}` : undefined;
    const from = proj4Definition(layer.crs);
    if (from === undefined) throw unusable(layer, layer.crs, "layer's", target);
    const to = proj4Definition(sceneCrs);
    if (to === undefined) throw unusable(layer, sceneCrs, "scene's (not the layer's)", target);
    if (from !== to) {
      const converter = proj4(from, to);
      reproject = (xy) => {
        for (let i = 0; i < xy.length; i += 2) {
          const [x, y] = converter.forward([xy[i], xy[i + 1]]);
          xy[i] = x; xy[i + 1] = y;
        }
      };
    }
  }
  const applyInverse: MapXY = (xy) => {
    for (let i = 0; i < xy.length; i += 2) {
      const x = xy[i], y = xy[i + 1];
      xy[i] = inv[0] + x * inv[1] + y * inv[2];
      xy[i + 1] = inv[3] + x * inv[4] + y * inv[5];
    }
  };
  const toPixel: MapXY = (xy) => { reproject?.(xy); applyInverse(xy); };
  const ringToPixel: MapXY = (xy) => { reproject?.(xy); clockwise(xy); applyInverse(xy); };
  const features = layer.features.map((f) => ({ ...f, geometry: f.geometry && mapGeometry(f.geometry, toPixel, ringToPixel) }));
  return { layer: { ...layer, features }, warnings };
}

/**
 * Reverses a ring in place unless it runs clockwise in map coordinates (y up), as gdal_rasterize
 * does before burning (GDALCollectRingsFromGeometry): the direction decides which horizontal edges on
 * a pixel-centre line GDAL fills. Orientation by the signed area, which agrees with OGR's
 * isClockwise (lowest-rightmost vertex) on every simple ring.
 */
export function clockwise(xy: Float64Array): void {
  const n = xy.length / 2;
  let area = 0;
  for (let i = 0, j = n - 1; i < n; j = i++) area += xy[2 * j] * xy[2 * i + 1] - xy[2 * i] * xy[2 * j + 1];
  if (area <= 0) return;
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    const [x, y] = [xy[2 * i], xy[2 * i + 1]];
    xy[2 * i] = xy[2 * j]; xy[2 * i + 1] = xy[2 * j + 1];
    xy[2 * j] = x; xy[2 * j + 1] = y;
  }
}

/** A copy of the geometry with its coordinates mapped. */
function mapGeometry(g: Geometry, map: MapXY, mapRing: MapXY): Geometry {
  const copy = (xy: Float64Array): Float64Array => { const c = xy.slice(); map(c); return c; };
  const ring = (xy: Float64Array): Float64Array => { const c = xy.slice(); mapRing(c); return c; };
  switch (g.type) {
    case 'Point': case 'MultiPoint': return { type: g.type, xy: copy(g.xy) };
    case 'Polygon': return { type: 'Polygon', rings: g.rings.map(ring) };
    case 'MultiPolygon': return { type: 'MultiPolygon', polygons: g.polygons.map((p) => p.map(ring)) };
  }
}
