/**
 * Everything a run does before training, with no file written: the scene's split, PCA and patch size.
 * Bad input fails here, so a refused run leaves nothing behind. `experiment` calls it once per
 * configuration on a scene it loaded once.
 */
import { DataError, InputFileError } from '../core/errors.ts';
import { getModelSpec, type ModelSpec } from '../models/registry.ts';
import type { PcaModel } from '../preprocess/pca.ts';
import type { InputScene } from './sceneInput.ts';
import { makeSplit, type SceneSplit } from '../sampling/makeSplit.ts';
import { checkPatchSize } from '../sampling/patches.ts';
import { loadLabels } from '../scene/loadScene.ts';
import { readVectorReference } from '../scene/vectorLabels.ts';
import type { CubeBIP, LabelMap, Scene } from '../core/types.ts';
import type * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initFromModel } from '../models/initFrom.ts';
import { loadModel, type ModelMetadata } from '../models/modelFiles.ts';
import { pcaFromJSON } from '../preprocess/pca.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import { patchSource, type SampleSource } from '../sampling/sampleSource.ts';
import { withSeededMathRandom } from '../training/seededRandom.ts';
import type { TrainOptions } from '../training/trainModel.ts';
import { createRng } from '../util/random.ts';
import { pcaFitOf, type RunConfig } from './config.ts';

export interface PreparedRun {
  readonly scene: InputScene;
  readonly labels: LabelMap;
  readonly spec: ModelSpec;
  /** Patch side actually used (1 for spectral models). */
  readonly patch: number;
  readonly split: SceneSplit;
  readonly pca: PcaModel;
  readonly pcaFit: 'scene' | 'train';
  /** The cube after PCA, what the model sees: in memory, or in a temporary file (close it when done). */
  readonly reduced: ReducedScene;
  /** Three bands for the false-colour view (H×W×3): the scene's false-colour bands, else the first components. */
  /** The three false-colour bands (or first three components), H×W×3 BIP, full resolution; dropped once drawn. */
  readonly rgb?: CubeBIP;
  /** Loss weight per class, when asked for. */
  readonly classWeights?: Float32Array;
  /** With --init-from: the earlier run's model description (its PCA is this run's). */
  readonly initFrom?: ModelMetadata;
}

function requireLabels(scene: Pick<Scene, 'labels' | 'name'>): LabelMap {
  if (!scene.labels) {
    throw new DataError(`scene ${scene.name} has no ground truth, so there is nothing to train on`, 'pass the label map with --gt (or use `spinalnet predict` with a trained model)');
  }
  return scene.labels;
}

export async function prepareRun(config: RunConfig, opened: InputScene): Promise<PreparedRun> {
  const vectors = config.trainVector === undefined ? undefined : await readVectorReference(
    { trainVector: config.trainVector, testVector: config.testVector, layer: config.vectorLayer, classField: config.classField ?? 'class' },
    { ...opened.grid, georef: opened.georef, labels: opened.labels, classes: opened.classes },
  );
  // With reference vectors the run's classes and labels are theirs, matched to the label raster's.
  const scene: InputScene = vectors ? { ...opened, labels: vectors.labels, classes: vectors.classes, warnings: [...opened.warnings, ...vectors.warnings] } : opened;
  const labels = requireLabels(scene);
  const spec = getModelSpec(config.model);
  const patch = spec.spectral ? 1 : config.patch;
  checkPatchSize(patch, scene.grid);
  const mapFile = async (path: string | undefined, variable: string | undefined) => {
    if (path === undefined) return undefined;
    if (!existsSync(path)) throw new InputFileError(path, 'file not found', 'check the path given to --train-map / --test-map');
    return (await loadLabels(path, { ...scene.grid, path: 'the cube', georef: scene.georef }, variable)).labels;
  };
  const split = makeSplit(labels, scene.classes, {
    strategy: config.split,
    seed: config.seed,
    patch,
    trainFraction: config.trainFraction,
    trainPerClass: config.trainPerClass,
    valFraction: config.valFraction,
    blockSize: config.blockSize,
    trainMap: vectors?.trainMap ?? await mapFile(config.trainMap, config.trainMapVar),
    testMap: vectors?.testMap ?? await mapFile(config.testMap, config.testMapVar),
    polygonOf: vectors?.polygonOf,
    // Training polygons alone: the map's accuracy comes from a sample (spinalnet sample, assess).
    allowNoTest: vectors !== undefined && config.split === 'maps' && vectors.testMap === undefined,
  });
  if (split.train.length === 0 || (split.test.length === 0 && vectors === undefined)) {
    throw new DataError(`the ${config.split} split left ${split.train.length} training and ${split.test.length} test pixels`, 'use a larger training share, a smaller --block-size, or another --split');
  }
  const pcaFit = pcaFitOf(config);
  // --init-from: the earlier run's PCA, so the old weights see the features they were trained on.
  const initFrom = config.initFrom === undefined ? undefined : initFromModelMeta(config.initFrom, spec, patch, scene);
  const pca = initFrom ? pcaFromJSON(initFrom.preprocessing, join(config.initFrom!, 'model', 'spinalnet.json'))
    : await scene.scan.fitPca({ components: config.pca, whiten: config.whiten, pixels: pcaFit === 'train' ? split.train : undefined });
  const { reduced, preview: rgb } = await scene.scan.transform(pca, scene.rgbBands?.every((b) => b < scene.grid.bands) ? scene.rgbBands : undefined);
  return {
    scene, labels, spec, patch, split, pca, pcaFit, reduced, rgb, classWeights: config.classWeights === 'balanced' ? balancedWeights(split.trainClasses, scene.classes.length) : undefined,
    ...(initFrom && { initFrom }),
  };
}

/**
 * The saved model description of `--init-from RUN`, checked against this run before anything is
 * computed: the same model and patch side, and a scene with the same bands (the PCA is reused).
 */
function initFromModelMeta(dir: string, spec: ModelSpec, patch: number, scene: InputScene): ModelMetadata {
  const file = join(dir, 'model', 'spinalnet.json');
  const fix = 'pass --init-from the folder of a finished `spinalnet run` (it holds model/)';
  if (!existsSync(file)) throw new InputFileError(dir, 'has no model/spinalnet.json: not a finished run folder', fix);
  let meta: ModelMetadata;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as ModelMetadata;
  } catch (err) {
    throw new InputFileError(file, `not valid JSON (${(err as Error).message})`, fix);
  }
  if (meta.kind !== 'spinalnet-model' || meta.image) throw new InputFileError(file, 'is not a scene model of `spinalnet run`', fix);
  const refuse = (problem: string, how: string) => new DataError(`--init-from ${dir}: ${problem}`, how);
  if (meta.modelId !== spec.id) throw refuse(`its model is ${meta.modelId}, this run's ${spec.id}`, `pass --model ${meta.modelId}, or drop --init-from`);
  if (meta.patch !== patch) throw refuse(`its patches are ${meta.patch}×${meta.patch}, this run's ${patch}×${patch}`, `pass --patch ${meta.patch}, or drop --init-from`);
  const dropped = [...(meta.droppedBands ?? [])].join(',');
  if (meta.inputBands !== scene.fileBands || dropped !== scene.droppedBands.join(',')) {
    throw refuse(
      `its model was trained on a cube of ${meta.inputBands} bands${dropped ? ` (bands ${dropped} dropped)` : ''}, this scene has ${scene.fileBands}${scene.droppedBands.length ? ` (bands ${scene.droppedBands.join(',')} dropped)` : ''}`,
      'train from an earlier run on the same scene (or the same sensor\'s bands), or drop --init-from',
    );
  }
  return meta;
}

/**
 * Replaces a freshly built model's weights by those of the `--init-from` run's model: classes matched by
 * name, a class the old model lacks keeps its fresh output weights. Undefined without --init-from.
 */
export async function initFromRun(config: RunConfig, prepared: PreparedRun, model: tf.LayersModel): Promise<{ run: string; kept: string[]; added: string[] } | undefined> {
  if (config.initFrom === undefined || !prepared.initFrom) return undefined;
  const { model: old } = await loadModel(join(config.initFrom, 'model'));
  try {
    const byName = new Map(prepared.initFrom.classes.map((c, k) => [c.name.trim().toLowerCase(), k]));
    const classMap = Int32Array.from(prepared.scene.classes, (c) => byName.get(c.name.trim().toLowerCase()) ?? -1);
    initFromModel(model, old, classMap, `--init-from ${config.initFrom}`);
    const names = prepared.scene.classes.map((c) => c.name);
    return { run: config.initFrom, kept: names.filter((_, k) => classMap[k]! >= 0), added: names.filter((_, k) => classMap[k]! < 0) };
  } finally {
    old.dispose();
  }
}

/** The model of a prepared run, initialised from the run's seed. */
export function buildRunModel(config: RunConfig, prepared: PreparedRun): Promise<tf.LayersModel> {
  return withSeededMathRandom(createRng(config.seed, 'model').fork('init'), () =>
    prepared.spec.build({ patch: prepared.patch, channels: prepared.reduced.bands, numClasses: prepared.scene.classes.length }),
  );
}

/** The training inputs and options of a prepared run; callers add checkpoints, signals and progress. */
export function trainingSetup(config: RunConfig, prepared: PreparedRun): { source: SampleSource; labels: Int32Array; options: TrainOptions } {
  const { split, reduced, patch } = prepared;
  return {
    // Patches are cut per batch from the reduced scene (memory or file), so only a batch of them exists.
    source: patchSource(reduced, patch, split.train),
    labels: split.trainClasses,
    options: {
      epochs: config.epochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      lrDrops: config.lrDropEpoch > 0 ? [{ afterEpoch: config.lrDropEpoch, factor: 1 / config.lrDropFactor }] : [],
      seed: config.seed,
      classWeights: prepared.classWeights,
      validation: split.validation.length > 0 ? { source: patchSource(reduced, patch, split.validation), labels: split.validationClasses } : undefined,
      earlyStopPatience: config.earlyStop,
      engine: config.training,
      ...(config.trainThreads !== undefined ? { threads: config.trainThreads } : {}),
    },
  };
}

/** Inverse-frequency class weights, n / (K · n_k), as scikit-learn's 'balanced'; absent classes get 0. */
function balancedWeights(classes: Int32Array, k: number): Float32Array {
  const counts = new Float64Array(k);
  for (const c of classes) counts[c]!++;
  return Float32Array.from(counts, (n) => (n > 0 ? classes.length / (k * n) : 0));
}
