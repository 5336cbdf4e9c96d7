/**
 * A GeoReference as GeoTIFF tags: where the grid lies (ModelPixelScale + ModelTiepoint for north-up
 * grids, ModelTransformation for rotated ones) and which CRS it is in (GeoKeyDirectory with the EPSG
 * code). A CRS known only as WKT has no GeoKey form; the writer then puts the WKT in the GDAL .aux.xml
 * beside the file (GDAL reads that first), and the GeoKeys carry only the model type and the name.
 */
import type { GeoReference } from '../../scene/types.ts';
import type { TiffTag } from './encodeTiff.ts';

const KEY = {
  GTModelType: 1024,
  GTRasterType: 1025,
  GTCitation: 1026,
  GeographicType: 2048,
  ProjectedCSType: 3072,
} as const;
const MODEL_PROJECTED = 1;
const MODEL_GEOGRAPHIC = 2;
const RASTER_PIXEL_IS_AREA = 1;
const GEO_ASCII_PARAMS = 34737;

/** The EPSG code of the CRS: georef.epsg, else the root AUTHORITY / ID of its WKT when that is EPSG's. */
export function epsgOf(georef: GeoReference): number | undefined {
  if (georef.epsg !== undefined) return georef.epsg;
  const m = georef.crsWkt?.match(/(?:AUTHORITY|ID)\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$/i);
  return m ? Number(m[1]) : undefined;
}

/**
 * Projected or geographic: from the WKT's root keyword when there is WKT; from the EPSG code alone,
 * codes 4000–4999 are taken as geographic (EPSG's geographic 2D CRSs, 4326 among them) and the rest as
 * projected (UTM zones 326xx/327xx, national grids).
 */
export function isGeographic(georef: GeoReference): boolean {
  const wkt = georef.crsWkt?.trimStart().toUpperCase();
  if (wkt) {
    if (/^(PROJCS|PROJCRS|PROJECTEDCRS)\b/.test(wkt)) return false;
    if (/^(GEOGCS|GEOGCRS|GEOGRAPHICCRS|GEODCRS|GEODETICCRS)\b/.test(wkt)) return true;
    return !/PROJCS\[|PROJCRS\[/.test(wkt);
  }
  const epsg = georef.epsg;
  return epsg !== undefined && epsg >= 4000 && epsg < 5000;
}

/** True when the grid is north-up: no rotation terms and rows going south. */
export const isNorthUp = (t: GeoReference['geoTransform']): boolean => t[2] === 0 && t[4] === 0 && t[5] < 0;

/** The root name of a WKT (PROJCS["WGS 84 / UTM zone 17N", …] → WGS 84 / UTM zone 17N). */
export function wktName(wkt: string): string | undefined {
  return wkt.match(/^\s*[A-Z_]+\[\s*"([^"]*)"/i)?.[1];
}

/** The GeoTIFF tags of `georef`: grid placement and GeoKeys (pixels are areas, as GDAL's geotransform means). */
export function geoTiffTags(georef: GeoReference): TiffTag[] {
  const t = georef.geoTransform;
  const tags: TiffTag[] = [];
  if (isNorthUp(t)) {
    tags.push(
      { tag: 33550, type: 'DOUBLE', values: [t[1], -t[5], 0] },
      { tag: 33922, type: 'DOUBLE', values: [0, 0, 0, t[0], t[3], 0] },
    );
  } else {
    tags.push({ tag: 34264, type: 'DOUBLE', values: [t[1], t[2], 0, t[0], t[4], t[5], 0, t[3], 0, 0, 0, 0, 0, 0, 0, 1] });
  }
  const geographic = isGeographic(georef);
  const epsg = epsgOf(georef);
  const keys: [number, number, number, number][] = [];
  let ascii = '';
  const hasCrs = epsg !== undefined || georef.crsWkt !== undefined;
  if (hasCrs) keys.push([KEY.GTModelType, 0, 1, geographic ? MODEL_GEOGRAPHIC : MODEL_PROJECTED]);
  keys.push([KEY.GTRasterType, 0, 1, RASTER_PIXEL_IS_AREA]);
  const name = georef.crsWkt ? wktName(georef.crsWkt) : undefined;
  if (name) {
    // GeoAsciiParams strings end with '|'; the key's count includes it.
    keys.push([KEY.GTCitation, GEO_ASCII_PARAMS, name.length + 1, 0]);
    ascii += `${name.replace(/\|/g, '/')}|`;
  }
  if (epsg !== undefined) keys.push([geographic ? KEY.GeographicType : KEY.ProjectedCSType, 0, 1, epsg]);
  // Header: directory version 1, revision 1.0, number of keys; then one [id, location, count, value] per key.
  tags.push({ tag: 34735, type: 'SHORT', values: [1, 1, 0, keys.length, ...keys.flat()] });
  if (ascii) tags.push({ tag: GEO_ASCII_PARAMS, type: 'ASCII', values: ascii });
  return tags;
}
