/**
 * A GeoTIFF's georeference as GDAL reads it: ModelTransformation (a full affine) or ModelTiepoint +
 * ModelPixelScale → GDAL-order geotransform; PixelIsPoint rasters shifted by half a pixel to GDAL's
 * corner convention; the EPSG code from ProjectedCSTypeGeoKey, else GeographicTypeGeoKey
 * (32767 = user-defined, no code).
 */
import type { GeoReference } from '../../scene/types.ts';

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
