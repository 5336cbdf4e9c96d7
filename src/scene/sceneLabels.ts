/**
 * Label maps from any scene file (through src/io/raster): read as row-major float64 (exact for every
 * int32), checked to be whole numbers ≥ 0 on the cube's grid with at least one labelled pixel, and the
 * class list built from the values present with their names and colours.
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { checkMemory, defaultMemoryLimit } from '../core/memory.ts';
import { openRaster } from '../io/raster/openRaster.ts';
import type { RasterDescription } from '../io/raster/types.ts';
import { checkSameGrid, type GridOwner } from './sceneGrid.ts';
import type { DatasetEntry } from './registry.ts';
import type { ClassInfo, LabelMap } from '../core/types.ts';

export interface LoadedLabels {
  readonly labels: LabelMap;
  /** The MAT variable read (for other formats: the file's name). */
  readonly variable: string;
  /** What the label file says about itself (class names and colours, georeference, nodata). */
  readonly description: RasterDescription;
}

/**
 * Reads a label map (for MAT: named, or the one 2-D numeric array of the cube's height×width) and checks
 * it: same grid as the cube (size, and geotransform/CRS when both have one), whole numbers ≥ 0, at least
 * one labelled pixel. Pixels equal to the label file's own nodata value become 0 (unlabelled).
 */
export async function loadLabels(
  path: string, cube: { height: number; width: number } & Partial<GridOwner>, variable?: string, opts: { maxBytes?: number } = {},
): Promise<LoadedLabels> {
  const source = await openRaster(path, { variable, role: 'labels', grid: cube, maxBytes: opts.maxBytes });
  try {
    const d = source.describe();
    const name = d.variable ?? path.replace(/^.*[\\/]/, '');
    const what = d.variable === undefined ? 'label map' : `label map '${d.variable}'`;
    checkSameGrid({ path: cube.path ?? 'the cube', height: cube.height, width: cube.width, georef: cube.georef }, { path, what, height: d.height, width: d.width, georef: d.georef });
    const n = d.height * d.width;
    checkMemory({ file: path, variable: d.variable, limit: opts.maxBytes ?? defaultMemoryLimit(), bytes: d.storedBytes + n * 12 + d.height * (d.windowBytesPerRow ?? 0), what: `to load the ${d.height}×${d.width} label map` });
    const values = await source.readRows(0, d.height, new Float64Array(n));
    if (d.nodata !== undefined) for (let p = 0; p < n; p++) if (values[p] === d.nodata || (Number.isNaN(d.nodata) && Number.isNaN(values[p]))) values[p] = 0;
    const labels = toLabels(values, d, path, what);
    if (!labels.some((v) => v !== 0)) {
      throw new DataError(`${path}: ${what} has no labelled pixel (every value is 0)`, 'pass the ground-truth file of this scene, or name the right variable with --gt-var');
    }
    return { labels: { height: d.height, width: d.width, data: labels }, variable: name, description: d };
  } finally {
    source.close();
  }
}

/** Row-major float64 → Int32 labels; the first value (row-major) that is not a whole number in [0, 2^31) is a DataError. */
function toLabels(values: Float64Array, d: RasterDescription, path: string, what: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let p = 0; p < values.length; p++) {
    const v = values[p];
    // `v | 0` equals v exactly for integers in int32 range; NaN, fractions and big values fail.
    if ((v | 0) !== v || v < 0) {
      const row = Math.floor(p / d.width), col = p % d.width;
      const problem = !Number.isInteger(v) ? 'is not an integer' : v < 0 ? 'is negative' : 'is beyond int32';
      throw new DataError(
        `${path}: ${what} (${d.dataType}) holds ${v} at row ${row + 1}, column ${col + 1} (counting from 1, as MATLAB does), which ${problem}; labels must be whole numbers ≥ 0 (0 = unlabelled)`,
        'pass an integer label map (class values 1, 2, …, 0 for unlabelled), or name the right variable with --gt-var',
      );
    }
    out[p] = v;
  }
  return out;
}

/** Where the class names come from, which decides what an unnamed label value is. */
export type ClassNames =
  | { readonly kind: 'none' }
  /** Passed by the caller (a saved model's classes): every value needs a name (ConfigError). */
  | { readonly kind: 'explicit'; readonly classes: readonly ClassInfo[] }
  /** A registry dataset's: a value outside them is a DataError. */
  | { readonly kind: 'dataset'; readonly classes: readonly ClassInfo[]; readonly dataset: DatasetEntry }
  /** The label file's own (ENVI class names, TIFF categories): unnamed values are 'class N'. */
  | { readonly kind: 'file'; readonly classes: readonly ClassInfo[] };

/** The label values present, ascending, with their names (and colours, where the names came with some). */
export function classesPresent(labels: LabelMap, names: ClassNames, where: string): ClassInfo[] {
  const seen = new Uint8Array(65536);
  const big = new Set<number>();
  for (const v of labels.data) {
    if (v < 65536) seen[v] = 1;
    else big.add(v);
  }
  const values: number[] = [];
  for (let v = 1; v < 65536; v++) if (seen[v]) values.push(v);
  values.push(...[...big].sort((a, b) => a - b));
  if (names.kind === 'none') return values.map((value) => ({ value, name: `class ${value}` }));
  const byValue = new Map(names.classes.map((c) => [c.value, c]));
  const unknown = values.filter((v) => !byValue.has(v));
  if (unknown.length > 0 && names.kind !== 'file') {
    const known = names.classes.map((c) => c.value).join(', ');
    if (names.kind === 'explicit') {
      throw new ConfigError(
        'classes', `a name for every label value present (${values.join(', ')})`, `names for ${known} only (none for ${unknown.join(', ')})`,
        `pass the ground truth that uses these classes, or class names for ${unknown.join(', ')} too`,
      );
    }
    throw new DataError(
      `${where} holds label value${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a class' : 'are not classes'} of dataset '${names.dataset.id}' (its values are ${known})`,
      "pass this dataset's own ground-truth file, or another scene name",
    );
  }
  return values.map((value) => byValue.get(value) ?? { value, name: `class ${value}` });
}
