/**
 * The in-memory layout every stage agrees on. Readers convert whatever a file holds into these once.
 */

/**
 * A hyperspectral cube, band-interleaved-by-pixel (BIP, rows × columns × bands, row-major):
 * the value of row r, column c, band b is data[(r * width + c) * bands + b].
 */
export interface CubeBIP {
  readonly height: number;
  readonly width: number;
  readonly bands: number;
  readonly data: Float32Array;
}

/**
 * A label map, row-major: the label of row r, column c is data[r * width + c].
 * Values are the scene's own label values; 0 means unlabelled.
 */
export interface LabelMap {
  readonly height: number;
  readonly width: number;
  readonly data: Int32Array;
}

/** A colour as red, green, blue 0..255. */
export type Rgb = readonly [number, number, number];

/** One land-cover class: the value used in the label map and a human name. */
export interface ClassInfo {
  readonly value: number;
  readonly name: string;
  /** Display colour (red, green, blue 0..255), when the label file gives one (ENVI class lookup, TIFF colour map, GDAL aux.xml). */
  readonly color?: Rgb;
}

/**
 * Where a raster lies on the ground, as GDAL models it. The affine geotransform maps the top-left
 * corner of pixel (row, col) to map coordinates:
 *   x = t[0] + col * t[1] + row * t[2],  y = t[3] + col * t[4] + row * t[5].
 */
export interface GeoReference {
  readonly geoTransform: readonly [number, number, number, number, number, number];
  /** The coordinate reference system as OGC WKT (what GDAL and ENVI's `coordinate system string` hold), when known. */
  readonly crsWkt?: string;
  /** Its EPSG code, when known (GeoTIFF ProjectedCSTypeGeoKey / GeographicTypeGeoKey). */
  readonly epsg?: number;
}

/** Per-band facts a file can carry beside the numbers (ENVI header, GeoTIFF metadata). */
export interface BandInfo {
  /** Band centres in nanometres, one per band of the cube as loaded (after dropped bands). */
  readonly wavelengthsNm?: Float64Array;
  /** Full width at half maximum in nanometres, likewise. */
  readonly fwhmNm?: Float64Array;
  /** Band names, likewise. */
  readonly names?: readonly string[];
}

/** A scene ready for the pipeline. */
export interface Scene {
  readonly name: string;
  readonly cube: CubeBIP;
  /** Ground truth; absent when only a map is wanted. */
  readonly labels?: LabelMap;
  /** Classes present in the labels, ascending by value (model output k = classes[k]). */
  readonly classes: readonly ClassInfo[];
  /** Zero-based band indices for a false-colour view (red, green, blue), when known. */
  readonly rgbBands?: readonly [number, number, number];
  /** The cube's grid on the ground, when the file carries one; outputs keep it. */
  readonly georef?: GeoReference;
  /** Wavelengths and band names, when the file carries them. */
  readonly bandInfo?: BandInfo;
  /**
   * Row-major H×W, 1 where the cube holds no data (its nodata / `data ignore value`). Such pixels are
   * never trained, tested or counted and are background (0) in every map. Absent: every pixel has data.
   */
  readonly nodata?: Uint8Array;
}
