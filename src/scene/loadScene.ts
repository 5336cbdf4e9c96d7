/**
 * Loads a scene from MAT files: the cube into one row-major BIP Float32Array, the ground truth into a
 * row-major Int32 label map, and the class list from the labels present. Variables can be named or
 * found: the cube is the one 3-D numeric array, the labels the one 2-D array of the cube's height×width.
 */
import { basename, extname } from 'node:path';
import { ConfigError, DataError, MatFormatError } from '../errors.ts';
import { columnMajorToBIP, columnMajorToLabels } from '../io/mat/layout.ts';
import { describeVariables, openMatFile, readMatStored, type MatFileIndex } from '../io/mat/reader.ts';
import { NUMERIC_CLASSES, type MatVariableInfo } from '../io/mat/types.ts';
import { findDataset, type DatasetEntry } from './registry.ts';
import type { ClassInfo, CubeBIP, LabelMap, Scene } from './types.ts';

export interface LoadSceneOptions {
  /** MAT v5/v7 file holding the cube. */
  readonly cubePath: string;
  /** MAT file holding the label map. Default: none, so no labels (unless `gtVar` is set, see there). */
  readonly gtPath?: string;
  /** Cube variable name. Default: the one 3-D numeric array in the cube file. */
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
}

/** A loaded scene plus where its arrays came from (for logs and `inspect`). */
export interface LoadedScene extends Scene {
  readonly source: {
    readonly cubePath: string;
    readonly cubeVar: string;
    /** The cube variable's MATLAB class (the data are Float32 whatever it was). */
    readonly cubeClass: string;
    readonly gtPath?: string;
    readonly gtVar?: string;
  };
}

export function loadScene(opts: LoadSceneOptions): LoadedScene {
  const name = opts.name ?? basename(opts.cubePath, extname(opts.cubePath));
  const dataset = findDataset(name);
  const cubeFile = openMatFile(opts.cubePath);
  const cube = loadCube(cubeFile, opts.cubeVar);
  if (dataset !== undefined) checkShape(dataset, cube.cube, opts.cubePath);

  let labels: LoadedLabels | undefined;
  const gtPath = opts.gtPath ?? (opts.gtVar !== undefined ? opts.cubePath : undefined);
  if (gtPath !== undefined) {
    labels = loadLabels(gtPath === opts.cubePath ? cubeFile : openMatFile(gtPath), cube.cube, opts.gtVar);
  }
  const named = opts.classes ?? dataset?.classes;
  const classes = labels === undefined ? [...(named ?? [])] : classesPresent(labels.labels, named, opts.classes !== undefined, dataset);
  const rgbBands = opts.rgbBands ?? dataset?.rgbBands;
  if (rgbBands !== undefined) checkRgb(rgbBands, cube.cube.bands);

  return {
    name,
    cube: cube.cube,
    ...(labels && { labels: labels.labels }),
    classes,
    ...(rgbBands && { rgbBands }),
    source: {
      cubePath: opts.cubePath, cubeVar: cube.variable, cubeClass: cube.cls,
      ...(labels && { gtPath, gtVar: labels.variable }),
    },
  };
}

export interface LoadedCube {
  readonly cube: CubeBIP;
  readonly variable: string;
  readonly cls: string;
}

/** Reads a cube variable (named, or the one 3-D numeric array) and converts it to BIP Float32. */
export function loadCube(file: string | MatFileIndex, variable?: string): LoadedCube {
  const index = typeof file === 'string' ? openMatFile(file) : file;
  const info = variable === undefined ? discoverCube(index) : index.variables.find((v) => v.name === variable);
  // An unknown name: readMatStored raises the "no such variable, the file holds …" error.
  if (info !== undefined) {
    if (info.dims.length !== 3) {
      throw new DataError(
        `${index.path}: variable '${info.name}' is ${info.dims.join('×')}, not a 3-D cube (height×width×bands)`,
        `pass the name of the cube variable with --cube-var; the file holds ${describeVariables(index.variables)}`,
      );
    }
    if (info.complex) {
      throw new MatFormatError(index.path, info.name, 'is complex; a cube must be real', 'save the real part (or magnitude) instead');
    }
  }
  const stored = readMatStored(index, variable ?? (info as MatVariableInfo).name);
  const [height, width, bands] = stored.dims;
  if (stored.dims.length !== 3 || height * width * bands === 0) {
    throw new DataError(
      `${index.path}: variable '${stored.name}' is ${stored.dims.join('×')}, not a non-empty 3-D cube (height×width×bands)`,
      'pass the name of the cube variable with --cube-var',
    );
  }
  const data = columnMajorToBIP(stored.data, height, width, bands);
  return { cube: { height, width, bands, data }, variable: stored.name, cls: stored.class };
}

export interface LoadedLabels {
  readonly labels: LabelMap;
  readonly variable: string;
}

/**
 * Reads a label map (named, or the one 2-D numeric array of the cube's height×width), checks that it
 * matches the cube, holds non-negative integers and labels at least one pixel.
 */
export function loadLabels(file: string | MatFileIndex, cube: { height: number; width: number }, variable?: string): LoadedLabels {
  const index = typeof file === 'string' ? openMatFile(file) : file;
  const name = variable ?? discoverLabels(index, cube).name;
  const stored = readMatStored(index, name);
  const [height, width] = stored.dims;
  if (stored.dims.length !== 2 || height !== cube.height || width !== cube.width) {
    throw new DataError(
      `${index.path}: label map '${name}' is ${stored.dims.join('×')} but the cube is ${cube.height}×${cube.width}`,
      'pass the ground truth that belongs to this cube (same height and width), or name the right variable with --gt-var',
    );
  }
  if (stored.complex) throw new MatFormatError(index.path, name, 'is complex; labels must be real integers', 'save the labels as uint8/int32');
  const { data, problem } = columnMajorToLabels(stored.data, height, width);
  if (problem !== undefined) {
    const where = `row ${problem.row + 1}, column ${problem.col + 1} (counting from 1, as MATLAB does)`;
    const what = problem.kind === 'not-integer' ? 'is not an integer' : problem.kind === 'negative' ? 'is negative' : 'is beyond int32';
    throw new DataError(
      `${index.path}: label map '${name}' (${stored.class}) holds ${problem.value} at ${where}, which ${what}; labels must be whole numbers ≥ 0 (0 = unlabelled)`,
      'pass an integer label map (class values 1, 2, …, 0 for unlabelled), or name the right variable with --gt-var',
    );
  }
  const labels = data as Int32Array;
  if (!labels.some((v) => v !== 0)) {
    throw new DataError(
      `${index.path}: label map '${name}' has no labelled pixel (every value is 0)`,
      'pass the ground-truth file of this scene, or name the right variable with --gt-var',
    );
  }
  return { labels: { height, width, data: labels }, variable: name };
}

function discoverCube(index: MatFileIndex): MatVariableInfo {
  const found = index.variables.filter((v) => isNumeric(v) && v.dims.length === 3);
  if (found.length === 1) return found[0];
  const problem = found.length === 0
    ? `has no 3-D numeric array to use as the cube; it holds ${describeVariables(index.variables)}`
    : `has several 3-D numeric arrays: ${describeVariables(found)}`;
  throw new MatFormatError(index.path, undefined, problem, 'name the cube variable with --cube-var NAME');
}

function discoverLabels(index: MatFileIndex, cube: { height: number; width: number }): MatVariableInfo {
  const found = index.variables.filter(
    (v) => isNumeric(v) && v.dims.length === 2 && v.dims[0] === cube.height && v.dims[1] === cube.width,
  );
  if (found.length === 1) return found[0];
  const problem = found.length === 0
    ? `has no ${cube.height}×${cube.width} numeric array (the cube's size) to use as labels; it holds ${describeVariables(index.variables)}`
    : `has several ${cube.height}×${cube.width} numeric arrays: ${describeVariables(found)}`;
  throw new MatFormatError(index.path, undefined, problem, 'name the label-map variable with --gt-var NAME');
}

/** Real numbers only: complex arrays and logical masks are never a cube or a label map by default. */
function isNumeric(v: MatVariableInfo): boolean {
  return !v.complex && v.class !== 'logical' && NUMERIC_CLASSES.has(v.class);
}

/** The label values present, ascending, with their names. */
function classesPresent(
  labels: LabelMap, named: readonly ClassInfo[] | undefined, explicit: boolean, dataset: DatasetEntry | undefined,
): ClassInfo[] {
  const seen = new Uint8Array(65536);
  const big = new Set<number>();
  for (const v of labels.data) {
    if (v < 65536) seen[v] = 1;
    else big.add(v);
  }
  const values: number[] = [];
  for (let v = 1; v < 65536; v++) if (seen[v]) values.push(v);
  values.push(...[...big].sort((a, b) => a - b));
  if (named === undefined) return values.map((value) => ({ value, name: `class ${value}` }));
  const byValue = new Map(named.map((c) => [c.value, c.name]));
  const unknown = values.filter((v) => !byValue.has(v));
  if (unknown.length > 0) {
    const known = named.map((c) => c.value).join(', ');
    if (explicit) throw new ConfigError('classes', `a name for every label value present (${values.join(', ')})`, `names for ${known}`);
    throw new DataError(
      `label values ${unknown.join(', ')} are not classes of dataset '${dataset?.id}' (its values are ${known})`,
      "pass this dataset's own ground-truth file, or another scene name",
    );
  }
  return values.map((value) => ({ value, name: byValue.get(value) as string }));
}

function checkShape(dataset: DatasetEntry, cube: CubeBIP, path: string): void {
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
