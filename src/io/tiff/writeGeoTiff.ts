/**
 * The GeoTIFFs a run leaves for GIS software: a paletted class map and float32 rasters (confidence,
 * per-class probabilities), each with its `.aux.xml` (GDAL PAM) beside it. Layout, compression and
 * georeference as in encodeTiff / geoKeys; names and colours as GDAL and QGIS read them.
 */
import { DataError } from '../../errors.ts';
import type { Rgb } from '../../render/image.ts';
import type { ClassInfo, GeoReference, LabelMap } from '../../scene/types.ts';
import { writeFileAtomic } from '../../util/atomicWrite.ts';
import { encodeTiff, type TiffEncodeOptions, type TiffTag } from './encodeTiff.ts';
import { pamXml, type PamBand } from './gdalPam.ts';
import { geoTiffTags } from './geoKeys.ts';

/** Name of value 0 in the class map's legend: background / no data. */
export const UNCLASSIFIED = 'Unclassified';

export interface GeoTiffCommon {
  georef?: GeoReference;
  /** Strips (default) or tiles; see TiffEncodeOptions.layout. */
  layout?: TiffEncodeOptions['layout'];
}

export interface ClassMapTiffInput extends GeoTiffCommon {
  /** Row-major label values; 0 is background and the file's nodata. */
  map: LabelMap;
  /** The classes, with the colour of each (same order). */
  classes: readonly ClassInfo[];
  colors: readonly Rgb[];
}

/** GDAL_NODATA (tag 42113): the nodata value as text. */
const nodataTag = (value: string): TiffTag => ({ tag: 42113, type: 'ASCII', values: value });

/**
 * `path`: one band, uint8 (uint16 when a label value passes 255), deflate, a ColorMap with each class's
 * colour at its label value (0 black), GDAL_NODATA 0; `path.aux.xml`: category names (index = label value,
 * 0 = "Unclassified"), the colour table, and the CRS as WKT when it has no EPSG code.
 */
export function writeClassMapTiff(path: string, o: ClassMapTiffInput): void {
  const { height, width, data } = o.map;
  let max = 0;
  for (const c of o.classes) max = Math.max(max, c.value);
  for (const v of data) if (v > max) max = v;
  if (max > 65535) throw new DataError(`label value ${max} does not fit a uint16 class map`, 'use label values 1…65535');
  const samples = max <= 255 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0) throw new DataError(`negative label value ${v} in the class map`, 'use label values 1…65535 (0 = background)');
    samples[i] = v;
  }
  const colors: Rgb[] = new Array<Rgb>(max + 1).fill([0, 0, 0]);
  const names: string[] = new Array<string>(max + 1).fill('');
  names[0] = UNCLASSIFIED;
  o.classes.forEach((c, k) => {
    colors[c.value] = o.colors[k] ?? [0, 0, 0];
    names[c.value] = c.name;
  });
  const bytes = encodeTiff({ height, width, bands: 1, data: samples }, {
    layout: o.layout,
    colorMap: colors,
    extraTags: [...georefTags(o.georef), nodataTag('0')],
  });
  writeFileAtomic(path, bytes);
  writePam(path, o.georef, [{ description: 'class', categoryNames: names, colorTable: colors }]);
}

export interface FloatTiffInput extends GeoTiffCommon {
  height: number;
  width: number;
  bands: number;
  /** Pixel-interleaved: band b of pixel p (row-major) is data[p * bands + b]. */
  data: Float32Array;
  /** GDAL_NODATA: the value marking pixels without data (a number, or NaN). Absent: none. */
  nodata?: number;
  /** One description per band (written to the .aux.xml). */
  bandNames?: readonly string[];
}

/** `path`: float32 bands, deflate, with GDAL_NODATA when given; `path.aux.xml` names the bands. */
export function writeFloatTiff(path: string, o: FloatTiffInput): void {
  const extra = [...georefTags(o.georef)];
  if (o.nodata !== undefined) extra.push(nodataTag(Number.isNaN(o.nodata) ? 'nan' : String(o.nodata)));
  const bytes = encodeTiff({ height: o.height, width: o.width, bands: o.bands, data: o.data }, { layout: o.layout, extraTags: extra });
  writeFileAtomic(path, bytes);
  const bands: PamBand[] = Array.from({ length: o.bands }, (_, b) => ({ description: o.bandNames?.[b] }));
  writePam(path, o.georef, bands);
}

const georefTags = (georef: GeoReference | undefined): TiffTag[] => (georef ? geoTiffTags(georef) : []);

function writePam(path: string, georef: GeoReference | undefined, bands: PamBand[]): void {
  // The WKT goes in only when there is no EPSG code to put in the GeoKeys.
  const srsWkt = georef?.epsg === undefined ? georef?.crsWkt : undefined;
  writeFileAtomic(`${path}.aux.xml`, pamXml({ srsWkt, bands }));
}
