/**
 * GeoTIFF (and BigTIFF) reader through geotiff.js: the first image of the file, any sample layout
 * (pixel- or band-interleaved, tiled or striped), the compressions geotiff.js decodes, integer and float
 * samples; georeference from the GeoKeys, nodata from GDAL's tag, class names and colours from the TIFF
 * colour map and GDAL's .aux.xml beside the file. Rows are read as windows, BIP.
 */
import { statSync } from 'node:fs';
import { fromFile, type GeoTIFF, type ImageFileDirectory } from 'geotiff';
import { InputFileError, SpinalnetError } from '../../core/errors.ts';
import type { ClassInfo } from '../../core/types.ts';
import type { RasterDescription, RasterSink, RasterSource } from '../raster/types.ts';
import { readAuxCategories } from './auxXml.ts';
import { checkFirstIfd } from './ifdCheck.ts';
import { FAST_COMPRESSIONS, TileRowCache, readTiffRows, readTiffRowsGeneric, tileRowBytes, useNodeInflate } from './tileReader.ts';
import { tiffGeoReference } from './geoKeys.ts';

/** TIFF Compression codes geotiff.js 3 decodes (its compression/index.js registry), by name. */
const COMPRESSIONS: ReadonlyMap<number, string> = new Map([
  [1, 'none'], [5, 'lzw'], [7, 'jpeg'], [8, 'deflate'], [32946, 'deflate'], [32773, 'packbits'], [34887, 'lerc'], [50000, 'zstd'], [50001, 'webp'],
]);
/** Codes seen in the wild that it does not, for the message. */
const KNOWN_OTHERS: ReadonlyMap<number, string> = new Map([
  [2, 'CCITT RLE'], [3, 'CCITT fax 3'], [4, 'CCITT fax 4'], [6, 'old-style JPEG'], [34676, 'SGI LogLuv'], [34712, 'JPEG 2000'],
  [34925, 'LZMA'], [34926, 'zstd (GDAL 2.3 code)'], [34927, 'WebP (GDAL 2.3 code)'], [50002, 'JPEG XL'], [52546, 'JPEG XL'],
]);
const CONVERT_FIX = 'convert it with GDAL to a compression geotiff.js reads: gdal_translate -co COMPRESS=DEFLATE IN.tif OUT.tif';

export async function openGeoTiff(path: string): Promise<RasterSource> {
  checkFirstIfd(path);
  useNodeInflate();
  const tiff = await wrap(path, () => fromFile(path));
  try {
    // geotiff.js throws plain errors on damaged directories (a missing geokey, a tag of the wrong type): all become InputFileErrors.
    return await wrap(path, () => sourceOf(path, tiff));
  } catch (e) {
    void tiff.close();
    throw e;
  }
}

async function sourceOf(path: string, tiff: GeoTIFF): Promise<RasterSource> {
  const image = await tiff.getImage(0);
  const fd = image.getFileDirectory();
  const width = image.getWidth(), height = image.getHeight(), bands = image.getSamplesPerPixel();
  for (const [what, v, max] of [['width', width, 2 ** 31], ['height', height, 2 ** 31], ['samples per pixel', bands, 65535]] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) {
      const shown = typeof v === 'number' ? String(v) : 'a list';
      throw new InputFileError(path, `is a TIFF whose ${what} is ${shown}, not a whole number from 1 to ${max}`, 'check that the file is complete; if it is, rewrite it with GDAL (gdal_translate)');
    }
  }
  const code = Number(fd.getValue('Compression') ?? 1);
  const compression = COMPRESSIONS.get(code);
  if (compression === undefined) {
    throw new InputFileError(
      path, `is compressed with ${KNOWN_OTHERS.get(code) ?? 'an unknown method'} (TIFF Compression ${code}), which the GeoTIFF reader (geotiff.js) cannot decode`,
      CONVERT_FIX,
    );
  }
  const dataType = sampleType(path, fd.getValue('BitsPerSample') as ArrayLike<number> | undefined, fd.getValue('SampleFormat') as ArrayLike<number> | undefined, bands);
  const georef = tiffGeoReference({
    transformation: await fd.loadValue('ModelTransformation') as ArrayLike<number> | undefined,
    tiepoint: await fd.loadValue('ModelTiepoint') as ArrayLike<number> | undefined,
    scale: await fd.loadValue('ModelPixelScale') as ArrayLike<number> | undefined,
    geoKeys: image.getGeoKeys(),
  });
  const blockW = image.isTiled ? image.getTileWidth() : width, blockH = image.isTiled ? image.getTileHeight() : Number(fd.getValue('RowsPerStrip') ?? height);
  const needed = Math.ceil(width / blockW) * Math.ceil(height / Math.min(blockH, height)) * (image.planarConfiguration === 2 ? bands : 1);
  const blockTable = await checkBlocks(path, fd, image.isTiled, image.littleEndian, needed);
  const nodata = image.getGDALNoData();
  const classes = bands === 1 ? classTable(path, fd.hasTag('ColorMap') ? await fd.loadValue('ColorMap') as ArrayLike<number> : undefined) : undefined;
  const fast = FAST_COMPRESSIONS.has(code);
  // What the reader holds (files are read by positioned reads of the blocks a window touches): the
  // tile-row cache (one decoded row of tiles or one strip), the row being decoded while the cache is
  // dropped (geotiff.js's readRasters, the other compressions' path, decodes a row's tiles at once and
  // copies them into its own result: twice), the largest compressed block as read and the decoder's
  // output for one tile before it joins the row, and the block offset and byte-count tables
  // geotiff.js keeps and the block ends kept here (8 bytes each).
  const tileBytes = tileRowBytes(image) / Math.ceil(width / image.getTileWidth());
  const held = (fast ? 1 : 2) * tileRowBytes(image) + blockTable.bytes + tileBytes + 24 * blockTable.count;
  const description: RasterDescription = {
    format: 'geotiff', path, dataPath: path, height, width, bands, dataType,
    interleave: bands === 1 ? 'band' : image.planarConfiguration === 2 ? 'band' : 'pixel',
    compression: `${compression}${image.isTiled ? ', tiled' : ', striped'}`,
    byteOrder: image.littleEndian ? 'little' : 'big',
    storedBytes: held,
    ...(georef && { georef }),
    ...(nodata !== null && { nodata }),
    ...(classes && { classes }),
  };
  let closed = false;
  const cache = new TileRowCache();
  return {
    describe: () => description,
    async readRows<T extends RasterSink>(row0: number, rows: number, out: T): Promise<T> {
      if (closed) throw new Error('GeoTIFF source read after close');
      if (row0 < 0 || rows < 0 || row0 + rows > height || out.length !== rows * width * bands) {
        throw new RangeError(`GeoTIFF window rows ${row0}+${rows} of ${height} into ${out.length} values`);
      }
      checkStillWhole(path, blockTable, row0, rows, Math.min(blockH, height), Math.ceil(width / blockW), image.planarConfiguration === 2 ? bands : 1);
      await wrap(path, () => (fast ? readTiffRows : readTiffRowsGeneric)(image, row0, rows, out, cache));
      return out;
    },
    close() {
      if (!closed) void tiff.close();
      cache.clear();
      closed = true;
    },
  };
}

/**
 * Every strip or tile must lie inside the file: geotiff.js reads bytes past the end as zeros, so a
 * truncated file would otherwise load as a scene of zeros. geotiff.js 3.0.5 also reads the out-of-line
 * offset arrays of big-endian (MM) files byte-swapped, which this check turns into a refusal too.
 */
async function checkBlocks(path: string, fd: ImageFileDirectory, tiled: boolean, littleEndian: boolean, needed: number): Promise<BlockTable> {
  const offsets = await wrap(path, () => fd.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number | bigint> | undefined;
  const counts = await wrap(path, () => fd.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number | bigint> | undefined;
  const size = statSync(path).size;
  const what = tiled ? 'tile' : 'strip';
  if (offsets === undefined || counts === undefined || offsets.length !== counts.length || !(offsets.length >= needed)) {
    throw new InputFileError(
      path, `is a TIFF without consistent ${what} offsets and byte counts (${offsets?.length ?? 0} offsets and ${counts?.length ?? 0} counts; its size needs ${needed} ${what}s)`,
      `check that the file is complete; if it is, ${CONVERT_FIX}`,
    );
  }
  let largest = 0;
  for (let i = 0; i < offsets.length; i++) {
    const start = Number(offsets[i]), end = start + Number(counts[i]);
    largest = Math.max(largest, end - start);
    if (!(end <= size) || start < 0) {
      const hint = littleEndian ? 'the file is truncated or damaged' : 'the file is truncated or damaged, or it is a big-endian (MM) TIFF, whose offset lists geotiff.js 3.0.5 misreads';
      throw new InputFileError(
        path, `${what} ${i + 1} of ${offsets.length} lies at bytes ${start}-${end}, past the end of the ${size}-byte file: ${hint}`,
        `copy the file again; if it is complete, rewrite it little-endian: gdal_translate -co ENDIANNESS=LITTLE -co COMPRESS=DEFLATE IN.tif OUT.tif`,
      );
    }
  }
  return { bytes: largest, count: offsets.length, tiled, ends: Float64Array.from(offsets, (o, i) => Number(o) + Number(counts[i])) };
}

/**
 * The file must still hold every block a window reads: geotiff.js reads bytes past the end as zeros,
 * so a file cut short after it was opened would otherwise stream zeros. One fstat per window.
 */
function checkStillWhole(path: string, blocks: BlockTable, row0: number, rows: number, blockH: number, across: number, planes: number): void {
  const size = statSync(path).size;
  const perPlane = blocks.ends.length / planes;
  for (let ty = Math.floor(row0 / blockH); ty * blockH < row0 + rows; ty++) {
    for (let p = 0; p < planes; p++) {
      for (let tx = 0; tx < across; tx++) {
        const i = p * perPlane + ty * across + tx;
        if (blocks.ends[i] > size) {
          const first = ty * blockH + 1;
          throw new InputFileError(
            path, `was cut short while being read: it now ends at byte ${size}, but ${blocks.tiled ? 'tile' : 'strip'} ${i + 1} (rows ${first}–${first + blockH - 1}) ends at byte ${blocks.ends[i]}`,
            'copy the file again completely (and do not change it while spinalnet reads it)',
          );
        }
      }
    }
  }
}

interface BlockTable {
  readonly bytes: number;
  readonly count: number;
  readonly tiled: boolean;
  /** Where each block ends in the file. */
  readonly ends: Float64Array;
}

/** Runs a geotiff.js call; its own errors (a corrupt or truncated file) become an InputFileError naming the file. */
async function wrap<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SpinalnetError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new InputFileError(path, `cannot be read as a TIFF: ${msg}`, `check that the file is complete; if it is, ${CONVERT_FIX}`);
  }
}

function sampleType(path: string, bits: ArrayLike<number> | undefined, formats: ArrayLike<number> | undefined, bands: number): string {
  // One entry per sample (or one for all); a longer list is a damaged directory, not something to copy.
  for (const [tag, list] of [['BitsPerSample', bits], ['SampleFormat', formats]] as const) {
    if (list !== undefined && list.length !== 1 && list.length !== bands) {
      throw new InputFileError(path, `is a TIFF whose ${tag} lists ${list.length} values for ${bands} samples per pixel`, 'check that the file is complete; if it is, rewrite it with GDAL (gdal_translate)');
    }
  }
  const b = bits ?? [1];
  const f = formats ?? [1];
  const types = new Set<string>();
  for (let s = 0; s < bands; s++) {
    const nb = b[s] ?? b[0], nf = f[s] ?? f[0];
    const kind = nf === 1 ? 'uint' : nf === 2 ? 'int' : nf === 3 ? 'float' : undefined;
    const ok = kind !== undefined && (kind === 'float' ? nb === 32 || nb === 64 : nb === 8 || nb === 16 || nb === 32);
    if (!ok) {
      throw new InputFileError(
        path, `holds ${nb}-bit samples of TIFF SampleFormat ${nf}${nf === 6 ? ' (complex float)' : nf === 5 ? ' (complex int)' : ''}; the reader takes 8/16/32-bit integers and 32/64-bit floats`,
        'convert it with GDAL: gdal_translate -ot Float32 IN.tif OUT.tif',
      );
    }
    types.add(`${kind}${nb}`);
  }
  if (types.size > 1) throw new InputFileError(path, `mixes sample types across bands (${[...types].join(', ')})`, 'convert it with GDAL: gdal_translate -ot Float32 IN.tif OUT.tif');
  return [...types][0];
}

/** Class colours from the TIFF colour map (16-bit, scaled to 8) and names from GDAL's .aux.xml; value 0 is background. */
function classTable(path: string, colorMap: ArrayLike<number> | undefined): ClassInfo[] | undefined {
  const aux = readAuxCategories(path);
  const n = colorMap === undefined ? 0 : colorMap.length / 3;
  const colour = (v: number): readonly [number, number, number] | undefined => {
    if (colorMap !== undefined && v < n) return [colorMap[v] >> 8, colorMap[n + v] >> 8, colorMap[2 * n + v] >> 8];
    return aux?.colors?.[v];
  };
  // A colour map always has 2^bits entries (GDAL pads it with black): the classes are the named ones, else up to the last non-black entry.
  let count = aux !== undefined && aux.names.length > 0 ? aux.names.length : Math.max(n, aux?.colors?.length ?? 0);
  if (aux === undefined || aux.names.length === 0) while (count > 1 && (colour(count - 1) ?? [0, 0, 0]).every((c) => c === 0)) count--;
  if (count <= 1) return undefined;
  const out: ClassInfo[] = [];
  for (let v = 1; v < count; v++) {
    const name = aux?.names[v];
    const color = colour(v);
    out.push({ value: v, name: name !== undefined && name !== '' ? name : `class ${v}`, ...(color && { color }) });
  }
  return out;
}
