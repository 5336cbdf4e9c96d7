/**
 * GeoTIFF georeferencing, both ways. Reading: ModelTransformation (a full affine) or ModelTiepoint +
 * ModelPixelScale → GDAL-order geotransform; PixelIsPoint rasters shifted by half a pixel to GDAL's
 * corner convention; the EPSG code from ProjectedCSTypeGeoKey, else GeographicTypeGeoKey
 * (32767 = user-defined, no code). Writing: ModelPixelScale + ModelTiepoint for north-up grids,
 * ModelTransformation for rotated ones, and a GeoKeyDirectory with the EPSG code. A CRS known only as
 * WKT has no GeoKey form; the writer then puts the WKT in the GDAL .aux.xml beside the file (GDAL reads
 * that first), and the GeoKeys carry only the model type and the name.
 */
import { epsgOf, isGeographic, isNorthUp, wktName } from '../../core/crs.ts';
import type { GeoReference } from '../../core/types.ts';
import type { TiffTag } from './encodeTiff.ts';

interface TiffTags {
  readonly transformation?: ArrayLike<number>;
  readonly tiepoint?: ArrayLike<number>;
  readonly scale?: ArrayLike<number>;
  readonly geoKeys: Partial<Record<string, unknown>> | null;
}

const USER_DEFINED = 32767;

export function tiffGeoReference(t: TiffTags): GeoReference | undefined {
  let gt: [number, number, number, number, number, number] | undefined;
  const m = t.transformation;
  if (m !== undefined && m.length >= 16) {
    gt = [m[3], m[0], m[1], m[7], m[4], m[5]];
  } else if (t.tiepoint !== undefined && t.tiepoint.length >= 6 && t.scale !== undefined && t.scale.length >= 2) {
    const [i, j, , x, y] = Array.from(t.tiepoint);
    const [sx, sy] = [t.scale[0], t.scale[1]];
    gt = [x - i * sx, sx, 0, y + j * sy, 0, -sy];
  }
  if (gt === undefined) return undefined;
  const keys = t.geoKeys ?? {};
  if (keys.GTRasterTypeGeoKey === 2) {
    // PixelIsPoint: the tie point is a pixel centre; GDAL moves the origin to the corner.
    gt = [gt[0] - 0.5 * gt[1] - 0.5 * gt[2], gt[1], gt[2], gt[3] - 0.5 * gt[4] - 0.5 * gt[5], gt[4], gt[5]];
  }
  const code = (k: string) => {
    const v = keys[k];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 && v !== USER_DEFINED ? v : undefined;
  };
  const epsg = code('ProjectedCSTypeGeoKey') ?? code('GeographicTypeGeoKey');
  return { geoTransform: gt, ...(epsg !== undefined && { epsg }) };
}

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
