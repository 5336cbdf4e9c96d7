/**
 * Facts about a coordinate reference system that every format needs: its EPSG code, whether it is
 * geographic, its name, and whether a grid is north-up. One implementation for the raster and vector drivers.
 */
import type { GeoReference } from './types.ts';

/** The EPSG code of a WKT's outermost AUTHORITY (WKT1) or ID (WKT2), when it has one. */
export function epsgOfWkt(wkt: string): number | undefined {
  const m = [...wkt.matchAll(/(?:AUTHORITY|ID)\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]/gi)];
  if (m.length === 0) return undefined;
  // The outermost authority closes last: it is followed only by closing brackets.
  const last = m[m.length - 1]!;
  const rest = wkt.slice((last.index ?? 0) + last[0].length).trim();
  return /^[\]\s]*$/.test(rest) ? Number(last[1]) : undefined;
}

/** The EPSG code of the CRS: georef.epsg, else the root AUTHORITY / ID of its WKT when that is EPSG's. */
export function epsgOf(georef: GeoReference): number | undefined {
  if (georef.epsg !== undefined) return georef.epsg;
  return georef.crsWkt === undefined ? undefined : epsgOfWkt(georef.crsWkt);
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
