/**
 * `spinalnet suggest RUN [RUN…]`: where to label next. The run's saved model predicts every pixel that is
 * not already labelled (its training and validation pixels, and with `exclude` the pixels a label layer
 * burns to), through the run's own preprocessing; sampling/suggest.ts picks the least certain ones, spread
 * out; they are written as a GeoPackage point layer (pixel centres, the scene's CRS) whose `class` field the
 * user fills in QGIS before training again (`run --train-vector … --init-from RUN`). With several runs of
 * one scene (an experiment's seeds) the pixels their maps disagree on most come first.
 */
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { selectBackend, type BackendChoice } from '../backend/selectBackend.ts';
import { Int8Calibrator } from '../inference/onnx/int8.ts';
import { checkInteger, ConfigError, DataError, InputFileError } from '../core/errors.ts';
import type { InferenceEngine } from '../inference/parallel/parallelPredict.ts';
import { writeGeoPackagePoints } from '../io/vector/geopackage.ts';
import { rasterizeLayer } from '../io/vector/rasterize.ts';
import { readVectorLayer } from '../io/vector/readVectorLayer.ts';
import { loadModel, type ModelMetadata } from '../models/modelFiles.ts';
import { pcaFromJSON } from '../preprocess/pca.ts';
import { argmaxOf, disagreementOf, marginsOf, suggestPixels } from '../sampling/suggest.ts';
import { pixelCentres, readRunMap, type RunMap } from './accuracyAssessment.ts';
import type { RunConfig } from './config.ts';
import { loadInputScene } from './sceneInput.ts';
import { predictPixelsInWindows } from './tiledMap.ts';

export interface SuggestOptions {
  /** Pixels to suggest. */
  readonly size: number;
  /** No two suggestions within spacing − 1 rows and columns of each other; default the model's patch side. */
  readonly spacing?: number;
  /** A label layer (GeoPackage, shapefile, GeoJSON) whose features' pixels count as labelled too. */
  readonly exclude?: string;
  readonly excludeLayer?: string;
  /** The GeoPackage to write (refused when it exists, unless `force`); absent: the list only (e.g. for the viewer). */
  readonly out?: string;
  readonly force?: boolean;
  readonly backend?: BackendChoice;
  readonly inference?: InferenceEngine;
  readonly log?: (line: string) => void;
}

export interface SuggestResult {
  /** The GeoPackage written, when `out` was given. */
  readonly gpkg?: string;
  /** Row-major pixel indices, most uncertain first. */
  readonly pixels: Int32Array;
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  /** Margin of each suggested pixel (mean over the runs). */
  readonly margin: Float32Array;
  /** With several runs: the share of runs off the majority's class at each suggested pixel. */
  readonly disagreement?: Float32Array;
  /** The (first) run's class name at each suggested pixel. */
  readonly mapClass: readonly string[];
  /** Pixels that could have been suggested (data, not labelled). */
  readonly candidates: number;
  readonly spacing: number;
  readonly warnings: readonly string[];
}

/** A run's model's probabilities on some pixels: sample-major, the model's classes. */
export interface RunProbabilities {
  readonly meta: ModelMetadata;
  readonly probabilities: Float32Array;
}

export async function suggestRun(runDirs: string | readonly string[], opts: SuggestOptions): Promise<SuggestResult> {
  const dirs = typeof runDirs === 'string' ? [runDirs] : [...runDirs];
  if (dirs.length === 0) throw new ConfigError('spinalnet suggest', 'at least one run folder', 'none');
  // Checked before the model predicts anything.
  checkInteger('--size', opts.size, 1);
  if (opts.spacing !== undefined) checkInteger('--spacing', opts.spacing, 1);
  if (opts.out !== undefined && extname(opts.out).toLowerCase() !== '.gpkg') throw new ConfigError('--out', 'a GeoPackage path ending in .gpkg', opts.out);
  if (opts.out !== undefined && existsSync(opts.out) && !opts.force) throw new ConfigError('--out', 'a new file (an existing one may hold labels)', opts.out, 'choose another --out, or pass --force to replace it');
  const runs = await Promise.all(dirs.map(readRunMap));
  const first = runs[0]!;
  for (const r of runs) {
    if (r.record.command !== 'run') throw new InputFileError(r.dir, `is a '${String(r.record.command)}' folder`, 'pass the folder of a `spinalnet run` (its model and training pixels)');
    if (r.height !== first.height || r.width !== first.width) {
      throw new DataError(`${r.dir} maps a ${r.height}×${r.width} scene, ${first.dir} a ${first.height}×${first.width} one`, 'pass runs of one scene (e.g. one experiment\'s seeds)');
    }
  }
  const warnings: string[] = [];
  // Labelled: any run's training or validation pixels, and the pixels of the exclude layer.
  const labelled = new Uint8Array(first.height * first.width);
  for (const r of runs) r.trained.forEach((t, p) => (labelled[p] ||= t));
  if (opts.exclude !== undefined) {
    if (!existsSync(opts.exclude)) throw new InputFileError(opts.exclude, 'file not found', 'pass --exclude the label layer (GeoPackage, shapefile or GeoJSON) of the pixels already labelled');
    const layer = await readVectorLayer(opts.exclude, { layer: opts.excludeLayer });
    const burned = rasterizeLayer(layer, { height: first.height, width: first.width, georef: first.georef }, () => 1);
    warnings.push(...burned.warnings.map((w) => `${opts.exclude}: ${w}`));
    burned.values.forEach((v, p) => (labelled[p] ||= v));
  }
  const candidates: number[] = [];
  first.map.forEach((v, p) => {
    if (v !== 0 && !labelled[p]) candidates.push(p);
  });
  const pixels = Int32Array.from(candidates);
  if (pixels.length === 0) throw new DataError('every pixel of the map is already labelled', 'there is nothing left to suggest');

  const backend = await selectBackend(opts.backend ?? 'auto');
  if (backend.warning) opts.log?.(`warning: ${backend.warning}`);
  const predicted: RunProbabilities[] = [];
  for (const r of runs) {
    opts.log?.(`predicting ${pixels.length} unlabelled pixels with ${join(r.dir, 'model')}`);
    predicted.push(await runProbabilities(r, pixels, opts.inference));
  }
  // Classes by name across runs (each run's model has its own order).
  const names = [...new Set(predicted.flatMap((p) => p.meta.classes.map((c) => c.name)))];
  const margin = new Float32Array(pixels.length);
  const votes: Int32Array[] = [];
  for (const p of predicted) {
    const k = p.meta.classes.length;
    const m = marginsOf(p.probabilities, k);
    for (let j = 0; j < m.length; j++) margin[j]! += m[j]! / predicted.length;
    const index = p.meta.classes.map((c) => names.indexOf(c.name));
    votes.push(argmaxOf(p.probabilities, k).map((c) => index[c]!));
  }
  const disagreement = runs.length > 1 ? disagreementOf(votes, names.length) : undefined;
  const patch = predicted[0]!.meta.patch;
  const spacing = opts.spacing ?? patch;
  const picked = suggestPixels({ width: first.width, candidates: pixels, margin, ...(disagreement && { disagreement }), size: opts.size, spacing });
  if (picked.pixels.length < opts.size) warnings.push(`only ${picked.pixels.length} of ${opts.size} pixels fit at a spacing of ${spacing} pixels (pass a smaller --spacing for more)`);

  const chosen = picked.pixels;
  const { x, y, rows, cols, crs, warning } = pixelCentres(chosen, first.width, first.georef);
  if (warning) warnings.push(warning);
  const pickedMargin = Float32Array.from(picked.positions, (i) => margin[i]!);
  const pickedDisagreement = disagreement && Float32Array.from(picked.positions, (i) => disagreement[i]!);
  const mapClass = Array.from(picked.positions, (i) => names[votes[0]![i]!]!);
  const n = chosen.length;
  if (opts.out !== undefined) await writeGeoPackagePoints(opts.out, {
    layerName: 'suggestions',
    crs,
    fields: [
      { name: 'id', type: 'integer' }, { name: 'row', type: 'integer' }, { name: 'col', type: 'integer' },
      { name: 'margin', type: 'real' }, ...(pickedDisagreement ? [{ name: 'disagreement', type: 'real' as const }] : []),
      { name: 'map_class', type: 'string' }, { name: 'class', type: 'string' },
    ],
    points: { x, y },
    attributes: {
      id: Int32Array.from({ length: n }, (_, i) => i + 1), row: rows, col: cols, margin: Float64Array.from(pickedMargin),
      ...(pickedDisagreement && { disagreement: Float64Array.from(pickedDisagreement) }),
      map_class: mapClass, class: Array.from({ length: n }, () => null),
    },
  });
  return {
    ...(opts.out !== undefined && { gpkg: opts.out }), pixels: chosen, rows, cols, margin: pickedMargin, ...(pickedDisagreement && { disagreement: pickedDisagreement }),
    mapClass, candidates: pixels.length, spacing, warnings,
  };
}

/**
 * Every class's probability at `pixels` (row-major indices of the run's scene) under the run's saved model,
 * the scene read again from the files run.json names and reduced with the model's own PCA.
 */
export async function runProbabilities(run: RunMap, pixels: Int32Array, inference?: InferenceEngine): Promise<RunProbabilities> {
  const modelDir = join(run.dir, 'model');
  const { model, meta } = await loadModel(modelDir);
  try {
    const pca = pcaFromJSON(meta.preprocessing, join(modelDir, 'spinalnet.json'));
    const config = run.record.config as RunConfig | undefined;
    if (!config?.input) throw new InputFileError(join(run.dir, 'run.json'), 'names no input scene', 'pass the folder of a `spinalnet run`');
    const input = config.input;
    // Paths in run.json are as typed, relative to where the run was started (as the viewer reads them).
    const scene = await loadInputScene(
      input.kind === 'files' ? { ...input, cube: resolve(input.cube), ...(input.gt !== undefined && { gt: resolve(input.gt) }) } : input.kind === 'dataset' ? { ...input, dataDir: resolve(input.dataDir) } : input,
      { components: pca.components, reducedFile: { halo: (meta.patch - 1) / 2 } },
    );
    let reduced;
    try {
      if (scene.fileBands !== meta.inputBands || scene.grid.height !== run.height || scene.grid.width !== run.width) {
        throw new DataError(
          `${run.dir}: its scene is now ${scene.grid.height}×${scene.grid.width}×${scene.fileBands}, the model was trained on ${run.height}×${run.width}×${meta.inputBands}`,
          'the scene file changed since the run: point the run at the original scene',
        );
      }
      reduced = (await scene.scan.transform(pca)).reduced;
    } finally {
      scene.scan.close();
    }
    try {
      // In the run's own precision (int8 with its saved ranges where it mapped so), so margins are the map's.
      const int8 = run.record.precision === 'int8' && meta.int8Calibration !== undefined;
      const r = await predictPixelsInWindows(model, reduced, meta.patch, pixels, {
        probabilities: 'all', ...(inference && { engine: inference }),
        precision: int8 ? 'int8' : 'float32', ...(int8 && { int8Calibrator: Int8Calibrator.given(meta.int8Calibration!) }),
      });
      return { meta, probabilities: r.probabilities! };
    } finally {
      reduced.close();
    }
  } finally {
    // Only this model: a caller such as the viewer may hold others.
    model.dispose();
  }
}
