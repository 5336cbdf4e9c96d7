/**
 * One interface for every scene file format (ENVI, GeoTIFF, MAT v5, MAT v7.3): a source describes the
 * raster it holds and reads windows of whole rows, always as rows × columns × bands (BIP), whatever
 * the file's own layout. The scene loader (src/scene/loadScene.ts) works only through this interface;
 * each format lives in its own folder (src/io/envi, src/io/geotiff, src/io/mat, src/io/mat73).
 */
import type { BandInfo, ClassInfo, GeoReference } from '../../core/types.ts';

export type RasterFormat = 'envi' | 'geotiff' | 'mat-v5' | 'mat-v7.3';

/** What a raster file says about its numbers, before any are read. */
export interface RasterDescription {
  readonly format: RasterFormat;
  /** The path given (an ENVI header or data file, a .tif, a .mat). */
  readonly path: string;
  /** The file holding the numbers (the ENVI data file beside its header; else `path`). */
  readonly dataPath: string;
  /** The MAT variable read, for MAT files. */
  readonly variable?: string;
  readonly height: number;
  readonly width: number;
  /** Bands in the file (before bad bands are dropped). */
  readonly bands: number;
  /** Stored sample type in words: 'int16', 'uint16', 'float32', 'float64', 'uint8'… */
  readonly dataType: string;
  /** How the file orders samples: 'bsq', 'bil', 'bip' (ENVI), 'band'/'pixel' (TIFF), 'column-major' (MAT). */
  readonly interleave: string;
  /** 'none', 'deflate', 'lzw', 'zlib' (MAT), … */
  readonly compression: string;
  /** 'little' / 'big' where the file says. */
  readonly byteOrder?: 'little' | 'big';
  /**
   * Bytes the reader holds at most while reading, whatever the window, beyond the float32 result: its
   * read buffers and caches (a decoded tile row, an HDF5 chunk, …). Not the raster: every reader
   * reads windows from the file.
   */
  readonly storedBytes: number;
  /** Bytes per row of a window the reader holds on top of that (MAT v7.3: the hyperslab as stored, twice). Default 0. */
  readonly windowBytesPerRow?: number;
  readonly georef?: GeoReference;
  /** A value that means "no data" in every band (ENVI `data ignore value`, GDAL_NODATA). */
  readonly nodata?: number;
  /** Wavelengths (nm), FWHM (nm) and band names, one per file band. */
  readonly bandInfo?: BandInfo;
  /** Zero-based file bands for red, green, blue (ENVI `default bands`), when given. */
  readonly defaultBands?: readonly [number, number, number];
  /** Zero-based file bands the file marks bad (ENVI `bbl` = 0); dropped by the scene loader. */
  readonly badBands?: readonly number[];
  /** Class names and colours, when this is a classification (ENVI Classification, TIFF colour map / aux.xml). */
  readonly classes?: readonly ClassInfo[];
}

/** Float32 for cubes; Float64 for label maps, so that every int32 label comes back exactly. */
export type RasterSink = Float32Array | Float64Array;

/**
 * An open raster: describe it, read rows, close it. Reads are asynchronous because some formats decode
 * that way (geotiff.js); ENVI and MAT v5 do their work synchronously inside.
 */
export interface RasterSource {
  describe(): RasterDescription;
  /**
   * Reads rows [row0, row0 + rows) into `out` (length rows × width × bands), BIP: the value of row
   * row0 + r, column c, band b goes to out[(r * width + c) * bands + b]. Values are the stored numbers
   * (scaled by ENVI gain/offset where the header gives them); nothing is dropped or masked here.
   */
  readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T>;
  /** Releases the file (idempotent). */
  close(): void;
}

/** What to open: which variable of a MAT file and what it is for (the MAT discovery rules differ). */
export interface OpenRasterOptions {
  /** MAT variable name (--cube-var / --gt-var); other formats refuse it. */
  readonly variable?: string;
  /** 'cube' finds the one 3-D numeric array, 'labels' the one 2-D array of `grid`'s size. Default 'cube'. */
  readonly role?: 'cube' | 'labels';
  /** For labels: the cube's height and width. */
  readonly grid?: { readonly height: number; readonly width: number };
  /** The memory bound a MAT v5 read respects (MatReadOptions.maxBytes). */
  readonly maxBytes?: number;
}
