/**
 * A mapper's reference data as the run's labels: training (and test) polygons or points digitised in
 * a GIS, read from a GeoPackage, shapefile or GeoJSON, burned onto the scene's grid as gdal_rasterize
 * burns them (pixel centres; points into the pixel they fall in), with their classes matched to the
 * scene's. The class field may hold names or integer codes:
 * - names are matched to the scene's class names (ENVI class names, GeoTIFF categories), ignoring case;
 *   without a label raster they are numbered 1…N in alphabetical order;
 * - integer codes are the scene's label values; without a label raster they are the class values.
 * A class in the vectors but not in the labels, or the reverse, is named in a warning.
 */
import { DataError, VectorError } from '../core/errors.ts';
import type { ClassInfo, GeoReference, LabelMap } from '../core/types.ts';
import { rasterizeLayer } from '../io/vector/rasterize.ts';
import { readVectorLayer } from '../io/vector/readVectorLayer.ts';
import type { Feature, VectorLayer } from '../io/vector/types.ts';

export interface VectorReferenceOptions {
  /** Training polygons or points (`--train-vector`). */
  readonly trainVector: string;
  /** Test polygons or points (`--test-vector`). */
  readonly testVector?: string;
  /** The layer, for files holding several (`--layer`). */
  readonly layer?: string;
  /** The attribute holding each feature's class (`--class-field`). */
  readonly classField: string;
}

export interface VectorReference {
  /** The run's classes: the label raster's, then classes only the vectors have, ascending by value. */
  readonly classes: ClassInfo[];
  /** The scene's label map: the label raster where there is one, else the vectors' pixels (training and test). */
  readonly labels: LabelMap;
  /** The training features' pixels, class values (0 = none). */
  readonly trainMap: LabelMap;
  /** The test features' pixels, when a test layer was given. */
  readonly testMap?: LabelMap;
  /** H×W: which training feature (index + 1) burned each pixel, 0 none (for `--split polygons`). */
  readonly polygonOf: Int32Array;
  readonly warnings: string[];
}

interface SceneSide {
  readonly height: number;
  readonly width: number;
  readonly georef?: GeoReference;
  /** The label raster, when `--gt` gave one. */
  readonly labels?: LabelMap;
  readonly classes: readonly ClassInfo[];
}

export async function readVectorReference(opts: VectorReferenceOptions, scene: SceneSide): Promise<VectorReference> {
  const layers = [await readVectorLayer(opts.trainVector, { layer: opts.layer })];
  if (opts.testVector !== undefined) layers.push(await readVectorLayer(opts.testVector, { layer: opts.layer }));
  const paths = [opts.trainVector, opts.testVector];
  layers.forEach((l, i) => checkField(l, opts.classField, paths[i]!));
  const warnings: string[] = [];
  const { classes, valueOf } = matchClasses(layers, opts.classField, scene, warnings);
  const classOf = (f: Feature): number | null => {
    const v = f.properties[opts.classField];
    return v === null || v === undefined || v === '' ? null : valueOf(v);
  };
  const burned = layers.map((layer, i) => {
    const r = rasterizeLayer(layer, scene, classOf);
    const path = paths[i]!;
    if (r.outside.length > 0) {
      throw new DataError(
        `${path}: ${r.outside.length} feature${r.outside.length === 1 ? ' lies' : 's lie'} wholly outside the scene (fid ${r.outside.slice(0, 8).join(', ')}${r.outside.length > 8 ? ', …' : ''})`,
        'check that the layer belongs to this scene (its CRS and extent), or remove those features',
      );
    }
    if (r.conflicts.length > 0) {
      const name = (v: number) => classes.find((c) => c.value === v)?.name ?? String(v);
      throw new DataError(
        `${path}: features of different classes overlap: ${r.conflicts.map((c) => `${name(c.classA)} and ${name(c.classB)} on ${c.pixels} pixel${c.pixels === 1 ? '' : 's'}`).join('; ')}`,
        'fix the overlapping polygons in the GIS (a pixel can have one reference class), then run again',
      );
    }
    if (r.unburned.length > 0) warnings.push(`${path}: ${r.unburned.length} feature(s) cover no pixel centre (smaller than a pixel) and are not used: fid ${r.unburned.slice(0, 8).join(', ')}`);
    const skipped = layers[i]!.features.filter((f) => f.geometry !== null && classOf(f) === null).length;
    if (skipped > 0) warnings.push(`${path}: ${skipped} feature(s) have no value in '${opts.classField}' and are not used`);
    warnings.push(...r.warnings.map((w) => `${path}: ${w}`));
    return r;
  });
  const grid = { height: scene.height, width: scene.width };
  const trainMap = { ...grid, data: burned[0]!.values };
  const testMap = burned[1] ? { ...grid, data: burned[1].values } : undefined;
  let labels = scene.labels;
  if (labels === undefined) {
    const data = Int32Array.from(trainMap.data);
    testMap?.data.forEach((v, p) => {
      if (v !== 0 && data[p] === 0) data[p] = v;
    });
    labels = { ...grid, data };
  }
  return { classes, labels, trainMap, ...(testMap && { testMap }), polygonOf: burned[0]!.featureOf, warnings };
}

function checkField(layer: VectorLayer, field: string, path: string): void {
  if (layer.features.length === 0) throw new VectorError(path, `layer '${layer.name}' has no features`, 'digitise reference polygons or points in it, or name another layer with --layer');
  if (layer.fields.some((f) => f.name === field)) return;
  throw new VectorError(path, `layer '${layer.name}' has no field '${field}' (its fields: ${layer.fields.map((f) => f.name).join(', ') || 'none'})`,
    `name the field that holds the class with --class-field${layer.fields.length > 0 ? ` (e.g. --class-field ${layer.fields[0]!.name})` : ''}`);
}

/** The run's classes and each field value's class value. */
function matchClasses(
  layers: readonly VectorLayer[], field: string, scene: SceneSide, warnings: string[],
): { classes: ClassInfo[]; valueOf: (v: string | number) => number } {
  const seen = new Set<string | number>();
  for (const l of layers) for (const f of l.features) {
    const v = f.properties[field];
    if (v !== null && v !== undefined && v !== '') seen.add(typeof v === 'string' ? v.trim() : v);
  }
  const values = [...seen];
  const numeric = values.every((v) => typeof v === 'number');
  if (numeric && !values.every((v) => Number.isInteger(v) && (v as number) > 0)) {
    throw new VectorError(undefined, `field '${field}' holds numbers that are not positive integers (${values.filter((v) => !(Number.isInteger(v) && (v as number) > 0)).slice(0, 4).join(', ')})`,
      'use class codes 1, 2, … or class names in the class field');
  }
  const known = scene.labels !== undefined ? scene.classes : [];
  const classes: ClassInfo[] = [...known];
  let next = Math.max(0, ...known.map((c) => c.value)) + 1;
  const valueOfKey = new Map<string, number>();
  const key = (v: string | number) => (typeof v === 'string' ? v.trim().toLowerCase() : String(v));
  const sorted = numeric ? [...values].sort((a, b) => (a as number) - (b as number)) : [...values].sort((a, b) => String(a).localeCompare(String(b)));
  const onlyVectors: string[] = [];
  for (const v of sorted) {
    const match = numeric ? known.find((c) => c.value === v) : known.find((c) => c.name.trim().toLowerCase() === key(v));
    if (match) {
      valueOfKey.set(key(v), match.value);
      continue;
    }
    const value = numeric ? (v as number) : next++;
    if (numeric && classes.some((c) => c.value === value)) continue;
    classes.push({ value, name: numeric ? `class ${value}` : String(v) });
    valueOfKey.set(key(v), value);
    if (known.length > 0) onlyVectors.push(numeric ? String(v) : `'${v}'`);
  }
  if (onlyVectors.length > 0) warnings.push(`the vectors have classes the label raster does not: ${onlyVectors.join(', ')} (added as new classes)`);
  const used = new Set(valueOfKey.values());
  const onlyLabels = known.filter((c) => !used.has(c.value));
  if (onlyLabels.length > 0) warnings.push(`the label raster has classes the training vectors do not: ${onlyLabels.map((c) => `${c.value} ${c.name}`).join(', ')}`);
  classes.sort((a, b) => a.value - b.value);
  return { classes, valueOf: (v) => valueOfKey.get(key(v))! };
}
