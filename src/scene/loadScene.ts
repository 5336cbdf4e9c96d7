/**
 * Loads a scene from any file spinalnet reads (MAT v5/v7.3, ENVI, GeoTIFF; src/io/raster): the cube
 * into one row-major BIP Float32Array, the ground truth into a row-major Int32 label map, and the class
 * list from the labels present. For MAT files variables can be named or found: the cube is the one 3-D
 * numeric array, the labels the one 2-D array of the cube's height×width.
 *
 * Value policies (each either a warning in `warnings` or a typed error):
 * - No data: a pixel whose every band equals the file's nodata value (ENVI `data ignore value`,
 *   GDAL_NODATA) is no data (src/scene/nodata.ts): masked in `nodata`, its values replaced by band
 *   means, its label set to 0 so it is never trained, tested or counted (a warning counts both).
 * - Bad bands the file marks (ENVI `bbl`): dropped, with a warning naming them.
 * - NaN or ±Inf in the cube (also a double beyond float32's ±3.4e38, which becomes ±Inf): the bands
 *   holding any are dropped, with a warning naming them; if every band holds some, DataError.
 *   `nonFinite: 'error'` refuses such a cube instead; `dropBands` fixes the band set (for a saved model).
 * - Constant bands (one value at every pixel): kept, with a warning (PCA gives them zero variance;
 *   whitening more components than there are varying bands is refused by PCA with its own message).
 * - Pixels that are 0 in every band (no-data fill without a nodata value): kept and classified like any
 *   other, with a warning counting them and how many are labelled.
 * - Labels: whole numbers ≥ 0 of any numeric type (double 3.0 is fine, 2.5 or NaN is a DataError), on
 *   the cube's grid (size, and geotransform and CRS when both files carry one); for a registry scene
 *   every value must be one of its classes (DataError naming the others); with explicit `classes` every
 *   value must have a name (ConfigError); otherwise each nonzero value is a class, named (and coloured)
 *   by the label file where it says (ENVI class names, TIFF categories), else 'class N'.
 * - False colour: `rgbBands`, else the registry's, else the file's `default bands`, else the bands
 *   nearest 640/550/460 nm when the file gives wavelengths.
 * - Memory: the cube's size is known from the file's header; a cube needing more than
 *   `memoryLimitBytes` to load is refused before anything is read (MatFormatError).
 */
import { basename, extname } from 'node:path';
import { ConfigError, DataError } from '../core/errors.ts';
import { checkMemory, defaultMemoryLimit, formatBytes } from '../core/memory.ts';
import { openRaster } from '../io/raster/openRaster.ts';
import type { RasterDescription, RasterFormat } from '../io/raster/types.ts';
import { keepBandInfo, rgbFromWavelengths } from './bandChoice.ts';
import { bandList, bandsToDrop, remapRgb } from './cubeStats.ts';
import { planMemory, type MemoryPlan, type MemoryPlanInput } from './memoryPlan.ts';
import { SceneScan, type ScanProgress } from './sceneScan.ts';
import { findDataset, type DatasetEntry } from './registry.ts';
import { classesPresent, loadLabels, type ClassNames, type LoadedLabels } from './sceneLabels.ts';
import type { ClassInfo, Scene } from '../core/types.ts';

export { loadLabels, type LoadedLabels } from './sceneLabels.ts';

export interface LoadSceneOptions {
  /** File holding the cube: MAT (v5/v7/v7.3), ENVI (.hdr or its data file) or GeoTIFF; the format is read from the bytes. */
  readonly cubePath: string;
  /** File holding the label map, in any of those formats. Default: none, so no labels (unless `gtVar` is set, see there). */
  readonly gtPath?: string;
  /** Cube variable name (MAT files only). Default: the one 3-D numeric array in the cube file. */
  readonly cubeVar?: string;
  /**
   * Label-map variable name. Default: the one 2-D numeric array of the cube's height×width in `gtPath`.
   * With no `gtPath`, a `gtVar` is looked up in the cube file.
   */
  readonly gtVar?: string;
  /**
   * Scene name. Default: the cube file's name without extension. When it names a registry dataset
   * (`findDataset`), that dataset's class names and false-colour bands are used.
   */
  readonly name?: string;
  /** Names for label values. Default: the registry dataset's, else 'class N'. */
  readonly classes?: readonly ClassInfo[];
  /** Zero-based (red, green, blue) bands. Default: the registry dataset's, else none. */
  readonly rgbBands?: readonly [number, number, number];
  /**
   * Bands holding NaN or ±Inf: 'drop-bands' (default) removes them with a warning, 'error' refuses the
   * cube (DataError). A cube whose every band holds some is refused either way.
   */
  readonly nonFinite?: 'drop-bands' | 'error';
  /**
   * Zero-based bands of the file's cube to remove first, e.g. the `droppedBands` of the run whose
   * saved model will be applied, so that it sees the same bands. When given, the band set is fixed:
   * NaN/±Inf left in the other bands is a DataError whatever `nonFinite` says. Default: none.
   */
  readonly dropBands?: readonly number[];
  /**
   * Most bytes loading the cube (as stored plus as float32) or the labels may take; larger ones are
   * refused before they are read. Default `defaultMemoryLimit()` (75% of the machine's memory).
   */
  readonly memoryLimitBytes?: number;
}

/** How a scene is walked (openScene): window size by memory limit, progress. */
export interface SceneWindowOptions {
  /** Rows per window (`--tile-size`); default: as many as fit `memoryLimitBytes` (memoryPlan.ts). */
  readonly tileRows?: number;
  /** Bands of the reduced scene (PCA components), for the memory plan. */
  readonly components: number;
  readonly progress?: ScanProgress;
  /** What the model stage holds (src/pipeline/workMemory.ts), for the memory plan. */
  readonly work?: MemoryPlanInput['work'];
  /** Allow the reduced scene in a temporary file when it does not fit (halo: half the patch). */
  readonly reducedFile?: MemoryPlanInput['reducedFile'];
}

/** A loaded scene plus where its arrays came from and what was done to its values. */
export interface LoadedScene extends Scene {
  readonly source: {
    readonly cubePath: string;
    /** The MAT variable read; for other formats the file's name. */
    readonly cubeVar: string;
    /** The file's format, as detected from its bytes. */
    readonly format: RasterFormat;
    /** The cube's stored type: MATLAB class or sample type (the data are Float32 whatever it was). */
    readonly cubeClass: string;
    /** Bands of the cube in the file, before any were dropped. */
    readonly cubeBands: number;
    readonly gtPath?: string;
    readonly gtVar?: string;
  };
  /**
   * Zero-based bands of the file's cube that were removed (NaN/±Inf, or `dropBands`), ascending;
   * empty when none. `cube.bands` counts the rest (and `cube.data` is then a view of the start of the
   * buffer the full cube was read into: bands are removed in place, without a second cube-sized copy);
   * `rgbBands` refers to the kept bands.
   */
  readonly droppedBands: readonly number[];
  /** One line per thing the user should know about the data (dropped or constant bands, all-zero or no-data pixels). */
  readonly warnings: readonly string[];
}

/**
 * A scene opened for streaming: everything loadScene gives except the cube, which stays in its file
 * behind `scan` (sceneScan.ts: windows, PCA fitted and applied window by window). `grid` is the cube's
 * shape as the pipeline sees it (after dropped bands).
 */
export interface OpenedScene extends Omit<LoadedScene, 'cube'> {
  readonly scan: SceneScan;
  readonly grid: { readonly height: number; readonly width: number; readonly bands: number };
  /** Rows per window and the memory limit they were chosen for. */
  readonly plan: MemoryPlan;
}

/** Loads a scene whole: one window of openScene, its cube kept (the file is closed). */
export async function loadScene(opts: LoadSceneOptions): Promise<LoadedScene> {
  const { scan, grid: _grid, plan: _plan, ...rest } = await openScene(opts);
  try {
    return { ...rest, cube: await scan.readAll() };
  } finally {
    scan.close();
  }
}

/**
 * Opens a scene and runs the first pass over its cube (scan), applying the value policies above
 * window by window; with `windows` undefined the whole cube is one window (loadScene), checked against
 * the memory limit before anything is read.
 */
export async function openScene(opts: LoadSceneOptions, windows?: SceneWindowOptions): Promise<OpenedScene> {
  const name = opts.name ?? sceneName(opts.cubePath);
  const dataset = findDataset(name);
  const maxBytes = opts.memoryLimitBytes ?? defaultMemoryLimit();
  const source = await openRaster(opts.cubePath, { variable: opts.cubeVar, role: 'cube', maxBytes });
  let scan: SceneScan;
  let plan: MemoryPlan;
  let d: RasterDescription;
  try {
    d = source.describe();
    if (dataset !== undefined) checkShape(dataset, d, opts.cubePath);
    if (windows === undefined) {
      const count = d.height * d.width * d.bands;
      checkMemory({
        file: opts.cubePath, variable: d.variable, limit: maxBytes, bytes: d.storedBytes + count * 4 + d.height * (d.windowBytesPerRow ?? 0),
        what: `to load the ${d.height}×${d.width}×${d.bands} ${d.dataType} cube (${formatBytes(d.storedBytes)} held by the reader, ${formatBytes(count * 4)} as float32)`,
      });
      plan = { tileRows: d.height, limit: maxBytes, fixedBytes: d.storedBytes, rowBytes: d.width * d.bands * 4 + (d.windowBytesPerRow ?? 0), minimumBytes: d.storedBytes + count * 4 + d.height * (d.windowBytesPerRow ?? 0) };
    } else {
      plan = planMemory({ ...d, file: opts.cubePath, limit: maxBytes, tileRows: windows.tileRows, components: windows.components, work: windows.work, reducedFile: windows.reducedFile });
    }
    scan = await SceneScan.open(source, { tileRows: plan.tileRows, nodata: d.nodata, progress: windows?.progress, reducedFile: plan.reducedFile });
  } catch (err) {
    source.close();
    throw err;
  }
  try {
    return { ...(await applyPolicies(opts, name, dataset, d, scan)), scan, plan };
  } catch (err) {
    scan.close();
    throw err;
  }
}

async function applyPolicies(opts: LoadSceneOptions, name: string, dataset: DatasetEntry | undefined, d: RasterDescription, scan: SceneScan): Promise<Omit<OpenedScene, 'scan' | 'plan'>> {
  const maxBytes = opts.memoryLimitBytes ?? defaultMemoryLimit();
  const what = d.variable === undefined ? `${opts.cubePath}: cube` : `${opts.cubePath}: cube '${d.variable}'`;
  const warnings: string[] = [];
  const nodata = scan.nodata;
  const stats = scan.stats;
  const fileCube = { bands: d.bands };
  const drop = bandsToDrop(what, fileCube, stats, { ...opts, badBands: d.badBands });
  warnings.push(...drop.warnings);
  scan.removeBands(drop.bands);
  const cube = { height: d.height, width: d.width, bands: scan.bands };
  const dropped = new Set(drop.bands);
  const constant = stats.constant.filter((b) => !dropped.has(b));
  if (constant.length > 0) {
    const varying = cube.bands - constant.length;
    warnings.push(
      `${what} has ${constant.length} constant band${constant.length === 1 ? '' : 's'} (the same value at every pixel): ` +
        `${bandList(constant)}. They are kept but carry no information: PCA gives them zero variance, so whitened PCA ` +
        `can keep at most ${varying} component${varying === 1 ? '' : 's'}.`,
    );
  }

  let labels: LoadedLabels | undefined;
  const gtPath = opts.gtPath ?? (opts.gtVar !== undefined ? opts.cubePath : undefined);
  if (gtPath !== undefined) {
    labels = await loadLabels(gtPath, { path: opts.cubePath, height: cube.height, width: cube.width, georef: d.georef }, opts.gtVar, { maxBytes });
  }
  if (nodata !== undefined) {
    let labelled = 0;
    if (labels !== undefined) {
      const l = labels.labels.data;
      for (let p = 0; p < l.length; p++) if (nodata.mask[p] === 1 && l[p] !== 0) { labelled++; l[p] = 0; }
      if (!l.some((v) => v !== 0)) {
        throw new DataError(`${gtPath}: every labelled pixel is a no-data pixel of the cube (value ${d.nodata} in every band)`, 'pass the ground truth of this scene, or check the nodata value of the cube');
      }
    }
    const n = cube.height * cube.width;
    warnings.push(
      `${what} has ${nodata.count} no-data pixel${nodata.count === 1 ? '' : 's'} (${((100 * nodata.count) / n).toFixed(1)}%, value ${d.nodata} in every band); ` +
        `they are never trained, tested or counted and are background in the maps` +
        (labels === undefined ? '.' : `; ${labelled} labelled one${labelled === 1 ? ' was' : 's were'} set to 0 (unlabelled).`),
    );
  }
  if (stats.zeroPixels > 0) {
    let labelled = 0;
    if (labels !== undefined) for (const p of stats.zeroPixelList()) if (labels.labels.data[p] !== 0) labelled++;
    const n = cube.height * cube.width;
    warnings.push(
      `${what} has ${stats.zeroPixels} pixel${stats.zeroPixels === 1 ? '' : 's'} (${((100 * stats.zeroPixels) / n).toFixed(1)}%) ` +
        `that are 0 in every band (no-data fill?); they are kept and classified like any other pixel` +
        (labels === undefined ? '.' : `; ${labelled} of them ${labelled === 1 ? 'is' : 'are'} labelled.`),
    );
  }
  const names: ClassNames = opts.classes !== undefined ? { kind: 'explicit', classes: opts.classes }
    : dataset !== undefined ? { kind: 'dataset', classes: dataset.classes, dataset }
    : labels?.description.classes !== undefined ? { kind: 'file', classes: labels.description.classes }
    : { kind: 'none' };
  const classes = labels === undefined
    ? [...(names.kind === 'none' ? [] : names.classes)]
    : classesPresent(labels.labels, names, `${gtPath}: label map${labels.description.variable === undefined ? '' : ` '${labels.variable}'`}`);
  const rgb = opts.rgbBands ?? dataset?.rgbBands;
  if (rgb !== undefined) checkRgb(rgb, d.bands);
  const fileRgb = rgb ?? d.defaultBands ?? rgbFromWavelengths(d.bandInfo?.wavelengthsNm);
  const rgbBands = fileRgb === undefined ? undefined : remapRgb(fileRgb, drop.bands, d.bands, warnings);
  const bandInfo = keepBandInfo(d.bandInfo, d.bands, drop.bands);

  return {
    name,
    grid: cube,
    ...(labels && { labels: labels.labels }),
    classes,
    ...(rgbBands && { rgbBands }),
    ...(d.georef && { georef: d.georef }),
    ...(bandInfo && { bandInfo }),
    ...(nodata && { nodata: nodata.mask }),
    source: {
      cubePath: opts.cubePath, cubeVar: d.variable ?? basename(opts.cubePath), format: d.format, cubeClass: d.dataType, cubeBands: d.bands,
      ...(labels && { gtPath, gtVar: labels.variable }),
    },
    droppedBands: drop.bands,
    warnings,
  };
}

/** The scene's default name: the file's name without extension (an ENVI data file's .hdr too). */
function sceneName(path: string): string {
  return basename(path, extname(path));
}

function checkShape(dataset: DatasetEntry, cube: { height: number; width: number; bands: number }, path: string): void {
  const [h, w, b] = dataset.shape;
  if (cube.height !== h || cube.width !== w || cube.bands !== b) {
    throw new DataError(
      `${path}: the cube is ${cube.height}×${cube.width}×${cube.bands} but dataset '${dataset.id}' is ${h}×${w}×${b}`,
      `pass the ${dataset.title} cube (${dataset.cubeFile}), or give the scene another name`,
    );
  }
}

function checkRgb(rgb: readonly number[], bands: number): void {
  if (rgb.length !== 3 || !rgb.every((b) => Number.isInteger(b) && b >= 0 && b < bands)) {
    throw new ConfigError('rgbBands', `three band indices from 0 to ${bands - 1}`, [...rgb]);
  }
}

