/**
 * The GeoTIFFs a run leaves for GIS software: a paletted class map and float32 rasters (confidence,
 * per-class probabilities), each with its `.aux.xml` (GDAL PAM) beside it. Layout, compression and
 * georeference as in encodeTiff / geoKeys; names and colours as GDAL and QGIS read them.
 */
import { DataError } from '../../core/errors.ts';
import type { Rgb } from '../../core/types.ts';
import type { ClassInfo, GeoReference, LabelMap } from '../../core/types.ts';
import { writeFileAtomic } from '../../util/atomicWrite.ts';
import { OutputFile } from '../../util/outputFile.ts';
import { TiffEncoder, type TiffEncodeOptions, type TiffImageInfo, type TiffTag } from './encodeTiff.ts';
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

/** A GeoTIFF being written window by window (see openClassMapTiff, openFloatTiff). */
export interface TiffRowWriter<T> {
  /** Appends whole rows, top to bottom. */
  writeRows(rows: T): void;
  /** Writes the directory, renames the file into place and writes its .aux.xml. */
  finish(): void;
  /** Removes the unfinished file (after a failure). */
  abort(): void;
}

/** The class map's shape and legend, known before the first row: everything but the labels. */
export type ClassMapTiffHeader = Omit<ClassMapTiffInput, 'map'> & { height: number; width: number };

/**
 * `path`: one band, uint8 (uint16 when a label value passes 255), deflate, a ColorMap with each class's
 * colour at its label value (0 black), GDAL_NODATA 0; `path.aux.xml`: category names (index = label value,
 * 0 = "Unclassified"), the colour table, and the CRS as WKT when it has no EPSG code. Rows are label
 * values; a value other than 0 or a class's value is refused.
 */
export function openClassMapTiff(path: string, header: ClassMapTiffHeader): TiffRowWriter<Int32Array> {
  let max = 0;
  for (const c of header.classes) max = Math.max(max, c.value);
  if (max > 65535) throw new DataError(`label value ${max} does not fit a uint16 class map`, 'use label values 1…65535');
  const colors: Rgb[] = new Array<Rgb>(max + 1).fill([0, 0, 0]);
  const names: string[] = new Array<string>(max + 1).fill('');
  names[0] = UNCLASSIFIED;
  header.classes.forEach((c, k) => {
    colors[c.value] = header.colors[k] ?? [0, 0, 0];
    names[c.value] = c.name;
  });
  const wide = max > 255;
  const rows = openTiff(path, { height: header.height, width: header.width, bands: 1, sampleType: wide ? 'uint16' : 'uint8' }, {
    layout: header.layout, colorMap: colors, extraTags: [...georefTags(header.georef), nodataTag('0')],
  }, () => writePam(path, header.georef, [{ description: 'class', categoryNames: names, colorTable: colors }]));
  return {
    writeRows(data) {
      const samples = wide ? new Uint16Array(data.length) : new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < 0 || v > max) {
          rows.abort();
          throw new DataError(`label value ${v} in the class map is not 0 or a class value (1…${max})`, 'use label values 1…65535 (0 = background)');
        }
        samples[i] = v;
      }
      rows.writeRows(samples);
    },
    finish: () => rows.finish(),
    abort: () => rows.abort(),
  };
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

/** `path`: float32 bands, deflate, with GDAL_NODATA when given; `path.aux.xml` names the bands. Rows are pixel-interleaved. */
export function openFloatTiff(path: string, header: Omit<FloatTiffInput, 'data'>): TiffRowWriter<Float32Array> {
  const extra = [...georefTags(header.georef)];
  if (header.nodata !== undefined) extra.push(nodataTag(Number.isNaN(header.nodata) ? 'nan' : String(header.nodata)));
  const bands: PamBand[] = Array.from({ length: header.bands }, (_, b) => ({ description: header.bandNames?.[b] }));
  return openTiff(path, { height: header.height, width: header.width, bands: header.bands, sampleType: 'float32' }, { layout: header.layout, extraTags: extra },
    () => writePam(path, header.georef, bands));
}

/** A TiffEncoder writing into an OutputFile (temporary name until finish); `after` writes the side files. */
function openTiff<T extends Uint8Array | Uint16Array | Float32Array>(path: string, info: TiffImageInfo, opts: TiffEncodeOptions, after: () => void): TiffRowWriter<T> {
  const file = new OutputFile(path);
  let encoder: TiffEncoder;
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      file.abort();
      throw err;
    }
  };
  guard(() => {
    encoder = new TiffEncoder(info, opts, { append: (b) => file.append(b), patch: (at, b) => file.writeAt(b, at) });
  });
  return {
    writeRows: (rows) => guard(() => encoder.writeRows(rows)),
    finish: () => guard(() => {
      encoder.finish();
      file.finish();
      after();
    }),
    abort: () => file.abort(),
  };
}

const georefTags = (georef: GeoReference | undefined): TiffTag[] => (georef ? geoTiffTags(georef) : []);

function writePam(path: string, georef: GeoReference | undefined, bands: PamBand[]): void {
  // The WKT goes in only when there is no EPSG code to put in the GeoKeys.
  const srsWkt = georef?.epsg === undefined ? georef?.crsWkt : undefined;
  writeFileAtomic(`${path}.aux.xml`, pamXml({ srsWkt, bands }));
}
