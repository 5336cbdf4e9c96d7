/**
 * ENVI `map info` and `coordinate system string` → GeoReference (GDAL-order geotransform, WKT, EPSG).
 *
 * map info = {projection, ref x, ref y, easting, northing, x size, y size, [zone, North|South,] datum,
 * units=…, rotation=…}. The reference pixel is 1-based, and (1, 1) is the top-left corner of the
 * top-left pixel. A rotation is applied to the pixel-size terms only, the origin staying where the
 * unrotated grid puts it: that is what GDAL's ENVI driver does (checked against GDAL 3.6 in
 * test/io/envi/envi.test.ts), and GIS software reads these files through GDAL.
 */
import { InputFileError } from '../../core/errors.ts';
import { epsgOfWkt } from '../../core/crs.ts';
import type { GeoReference } from '../../core/types.ts';
import { type EnviHeaderText, splitList } from './headerText.ts';

export function parseMapInfo(h: EnviHeaderText): GeoReference | undefined {
  const raw = h.fields.get('map info');
  const wktRaw = h.fields.get('coordinate system string');
  const crsWkt = wktRaw === undefined || wktRaw.trim() === '' ? undefined : wktRaw.trim();
  if (raw === undefined) return undefined;
  const items = splitList(raw);
  const named = new Map<string, string>();
  const plain: string[] = [];
  for (const it of items) {
    const eq = it.indexOf('=');
    if (eq > 0) named.set(it.slice(0, eq).trim().toLowerCase(), it.slice(eq + 1).trim());
    else plain.push(it);
  }
  const nums = plain.slice(1, 7).map(Number);
  if (plain.length < 7 || nums.some((v) => !Number.isFinite(v)) || nums[4] === 0 || nums[5] === 0) {
    throw new InputFileError(
      h.path, `header key 'map info' should start {projection, reference x, reference y, easting, northing, x pixel size, y pixel size, …}, found {${raw.slice(0, 80)}}`,
      'correct the map info, or remove it to load the scene without a georeference',
    );
  }
  const [refX, refY, east, north, xs, ys] = nums;
  const rot = Number(named.get('rotation') ?? 0);
  const rad = (Number.isFinite(rot) ? rot : 0) * (Math.PI / 180);
  const c = Math.cos(rad), s = Math.sin(rad);
  const geoTransform = rot === 0
    ? [east - (refX - 1) * xs, xs, 0, north + (refY - 1) * ys, 0, -ys] as const
    : [east - (refX - 1) * xs, c * xs, s * xs, north + (refY - 1) * ys, s * ys, -c * ys] as const;
  const epsg = (crsWkt === undefined ? undefined : epsgOfWkt(crsWkt)) ?? epsgOfMapInfo(plain);
  return { geoTransform, ...(crsWkt !== undefined && { crsWkt }), ...(epsg !== undefined && { epsg }) };
}

/** UTM on WGS-84 → EPSG 326zz/327zz; Geographic Lat/Lon on WGS-84 → 4326. Other projections: none. */
function epsgOfMapInfo(plain: readonly string[]): number | undefined {
  const proj = plain[0].trim().toLowerCase();
  if (proj === 'utm' && plain.length >= 10) {
    const zone = Number(plain[7]);
    const hemi = plain[8].trim().toLowerCase();
    if (isWgs84(plain[9]) && Number.isInteger(zone) && zone >= 1 && zone <= 60) return (hemi === 'south' ? 32700 : 32600) + zone;
  }
  if (proj === 'geographic lat/lon' && plain.length >= 8 && isWgs84(plain[7])) return 4326;
  return undefined;
}

const isWgs84 = (datum: string | undefined) => /^wgs[-_ ]?84$/i.test((datum ?? '').trim());
