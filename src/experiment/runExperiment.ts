/**
 * `spinalnet experiment`: a grid of models × splits × seeds on one scene, each configuration trained
 * and scored on its test pixels, then summarised (mean ± std) and compared model against model on the
 * same seeds. The scene is loaded once; the split and PCA are made once per (split, seed, patch) and
 * shared by the models, so the comparison is paired: same pixels, same features, same seed.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendInfo } from '../backend/selectBackend.ts';
import { ConfigError } from '../core/errors.ts';
import { confusionMatrix, metricsFromConfusion, type Metrics } from '../evaluation/metrics.ts';
import { getModelSpec } from '../models/registry.ts';
import { validateConfig, type RunConfig } from '../pipeline/config.ts';
import { buildRunModel, prepareRun, trainingSetup, type PreparedRun } from '../pipeline/prepareRun.ts';
import { inputName, loadInputScene, type InputScene, type SceneReadOptions } from '../pipeline/sceneInput.ts';
import { predictPixelsInWindows } from '../pipeline/tiledMap.ts';
import { runWorkMemory } from '../pipeline/workMemory.ts';
import type { SplitStrategy } from '../sampling/makeSplit.ts';
import { trainModel, type EpochStats } from '../training/trainModel.ts';
import type { TrainState } from '../training/trainState.ts';
import { meanStd, paired, type MeanStd, type Paired } from './statistics.ts';

export interface ExperimentConfig {
  /** Everything but model, split and seed, which the grid sets. */
  base: RunConfig;
  models: readonly string[];
  splits: readonly SplitStrategy[];
  seeds: readonly number[];
}

export interface ExperimentRun {
  model: string;
  split: SplitStrategy;
  seed: number;
  overallAccuracy: number;
  averageAccuracy: number;
  kappa: number;
  /** Recall of each class, in the scene's class order. */
  perClassRecall: number[];
  weights: number;
  trainSeconds: number;
  /** What computed the gradients (TrainResult.engine). */
  trainingEngine: string;
  trainPixels: number;
  validationPixels: number;
  testPixels: number;
  /** Test pixels dropped by a leak-free split because their patch saw a training pixel. */
  droppedTest: number;
  /** Kept test pixels whose patch contains a training pixel (the random split's leak). */
  exposedTest: number;
  /** Queue runs only: the worker that ran it (host and process) and how many times it was started. */
  worker?: string;
  attempts?: number;
}

export interface ExperimentSummary {
  model: string;
  split: SplitStrategy;
  runs: number;
  overallAccuracy: MeanStd;
  averageAccuracy: MeanStd;
  kappa: MeanStd;
  perClassRecall: number[];
  weights: number;
  trainSeconds: MeanStd;
  testPixels: MeanStd;
}

export interface ModelComparison {
  split: SplitStrategy;
  a: string;
  b: string;
  overallAccuracy: Paired;
  averageAccuracy: Paired;
  kappa: Paired;
}

export interface ExperimentResult {
  /** What was classified: a scene (pixels) or an image dataset (images). */
  data: { name: string; description: string; unit: 'pixels' | 'images'; classes: { value: number; name: string }[] };
  /** One sentence: the settings shared by every run (preprocessing, training). */
  protocol: string;
  backend: BackendInfo;
  config: { models: readonly string[]; splits: readonly SplitStrategy[]; seeds: readonly number[]; base: unknown };
  runs: ExperimentRun[];
  summaries: ExperimentSummary[];
  comparisons: ModelComparison[];
  seconds: number;
}

export async function runExperiment(config: ExperimentConfig, log: (line: string) => void = () => {}): Promise<ExperimentResult> {
  const configs = gridConfigs(config);
  const start = performance.now();
  const backend = await selectBackend(config.base.backend, { wasmThreads: config.base.wasmThreads });
  log(`backend: ${backend.detail}`);
  if (backend.warning) log(`warning: ${backend.warning}`);
  const scene = await loadInputScene(config.base.input, experimentSceneOptions(config));
  const runs: ExperimentRun[] = [];
  const cache = new Map<string, PreparedRun>();
  let lastReduced: PreparedRun['reduced'] | undefined;
  try {
    for (const [i, c] of configs.entries()) {
      const prepared = await preparedFor(cache, c, scene);
      if (prepared.reduced !== lastReduced && prepared.reduced.storage === 'file') {
        log(`the reduced scene does not fit the memory limit: kept in the temporary file ${prepared.reduced.path}`);
      }
      lastReduced = prepared.reduced;
      log(`[${i + 1}/${configs.length}] ${c.model}, ${c.split} split, seed ${c.seed}: ${prepared.split.train.length} train / ${prepared.split.test.length} test pixels`);
      const run = await runCell(c, prepared);
      log(`  OA ${(100 * run.overallAccuracy).toFixed(2)}%  AA ${(100 * run.averageAccuracy).toFixed(2)}%  kappa ${run.kappa.toFixed(4)}  (${run.trainSeconds.toFixed(0)} s, gradients on ${run.trainingEngine})`);
      runs.push(run);
    }
  } finally {
    // The temporary files of reduced scenes too big for memory go, whatever happened.
    closePrepared(cache);
    scene.scan.close();
    tf.disposeVariables();
  }
  return experimentResult(config, describeData(scene, inputName(config.base.input)), backend, runs, (performance.now() - start) / 1000);
}

/**
 * How an experiment reads its scene, as `run` does: the model stage of the grid's largest model counts in
 * the memory plan, and a reduced scene too big for the limit goes to a temporary file (read in bands
 * with a halo of half the patch, none when every model is spectral).
 */
export function experimentSceneOptions(config: ExperimentConfig): SceneReadOptions {
  const b = config.base;
  const works = config.models.map((model) => runWorkMemory({ ...b, model }));
  const work = works.reduce((x, y) => (y.bytes > x.bytes ? y : x));
  const halo = config.models.every((m) => getModelSpec(m).spectral) ? 0 : (b.patch - 1) / 2;
  return { memoryLimit: b.memoryLimit, tileSize: b.tileSize, components: b.pca, work, reducedFile: { halo } };
}

/** Closes the reduced scenes `cache` holds (removing their temporary files) and empties it. */
function closePrepared(cache: Map<string, PreparedRun>): void {
  for (const p of cache.values()) p.reduced.close();
  cache.clear();
}

/** The grid's configurations in run order (splits, then seeds, then models innermost), validated. */
export function gridConfigs(config: ExperimentConfig): RunConfig[] {
  if (config.models.length === 0) throw new ConfigError('--models', 'at least one model', '');
  if (config.splits.length === 0) throw new ConfigError('--splits', 'at least one split', '');
  if (config.seeds.length === 0) throw new ConfigError('--seeds', 'at least one seed', '');
  const configs = config.splits.flatMap((split) => config.seeds.flatMap((seed) => config.models.map((model) => ({ ...config.base, model, split, seed }))));
  configs.forEach(validateConfig);
  config.models.forEach(getModelSpec);
  return configs;
}

/**
 * The split and PCA of a cell, shared by the cells that differ only by model (the grid runs models
 * innermost, so one entry is kept). `sceneKey` tells scenes apart when one cache serves several.
 */
export async function preparedFor(cache: Map<string, PreparedRun>, config: RunConfig, scene: InputScene, sceneKey = ''): Promise<PreparedRun> {
  const spec = getModelSpec(config.model);
  const { model: _model, out: _out, force: _force, ...rest } = config;
  const key = `${sceneKey}/${JSON.stringify({ ...rest, patch: spec.spectral ? 1 : config.patch })}`;
  const hit = cache.get(key);
  if (hit) return { ...hit, spec };
  closePrepared(cache);
  const prepared = await prepareRun(config, scene);
  cache.set(key, prepared);
  return prepared;
}

/** What the experiment's files say about the data. */
export function describeData(scene: InputScene, name: string): ExperimentResult['data'] {
  return {
    name,
    description: `${scene.grid.height}×${scene.grid.width} pixels, ${scene.grid.bands} bands`,
    unit: 'pixels',
    classes: scene.classes.map((c) => ({ value: c.value, name: c.name })),
  };
}

/** The experiment's result from its collected runs (in grid order), however they were run. */
export function experimentResult(config: ExperimentConfig, data: ExperimentResult['data'], backend: BackendInfo, runs: ExperimentRun[], seconds: number): ExperimentResult {
  const b = config.base;
  return {
    data,
    protocol:
      `PCA ${b.pca}${b.whiten ? ' whitened' : ''}; patch ${b.patch}; ${b.epochs} epochs, batch ${b.batchSize}, Adam ${b.learningRate}; ` +
      `training share ${b.trainPerClass !== undefined ? `${b.trainPerClass} per class (per-class split)` : b.trainFraction}${b.valFraction > 0 ? `, validation ${b.valFraction} of it` : ''}`,
    backend,
    config,
    runs,
    summaries: summarise(runs, config),
    comparisons: compare(runs, config),
    seconds,
  };
}

export interface CellHooks {
  /** Continue training from this checkpoint. */
  resumeFrom?: TrainState;
  /** Called at the end of every epoch with the state to resume from. */
  onCheckpoint?: (state: TrainState) => Promise<void> | void;
  /** Checked after every batch: true stops training, and the cell returns its state instead of a run. */
  shouldStop?: () => boolean;
  onEpoch?: (e: EpochStats) => void;
}

/**
 * One cell of the grid: trains the model of `c` on its prepared split and scores it on the test
 * pixels. The local loop and a queue worker both call this. Returns `{ interrupted }` only when
 * `hooks.shouldStop` stopped training.
 */
export async function runCell(config: RunConfig, prepared: PreparedRun): Promise<ExperimentRun>;
export async function runCell(c: RunConfig, p: PreparedRun, hooks: CellHooks): Promise<ExperimentRun | { interrupted: TrainState }>;
export async function runCell(config: RunConfig, prepared: PreparedRun, hooks: CellHooks = {}): Promise<ExperimentRun | { interrupted: TrainState }> {
  const { split, reduced, patch, scene } = prepared;
  const k = scene.classes.length;
  const model = await buildRunModel(config, prepared);
  const setup = trainingSetup(config, prepared);
  const training = await trainModel(model, setup.source, setup.labels, k, { ...setup.options, ...hooks });
  if (training.interrupted) {
    model.dispose();
    return { interrupted: training.interrupted };
  }
  // Only the test pixels are predicted (window by window when the reduced scene is in a file): an experiment needs scores, not maps.
  const { classes: predicted } = await predictPixelsInWindows(model, reduced, patch, split.test, {
    batchSize: config.predictBatch, workers: config.predictWorkers, engine: config.inference,
  });
  const metrics: Metrics = metricsFromConfusion(confusionMatrix(split.testClasses, predicted, k), scene.classes.map((x) => ({ label: x.value, name: x.name })));
  const weights = model.countParams();
  model.dispose();
  return {
    model: config.model,
    split: config.split,
    seed: config.seed,
    overallAccuracy: metrics.overallAccuracy,
    averageAccuracy: metrics.averageAccuracy,
    kappa: metrics.kappa,
    perClassRecall: metrics.perClass.map((x) => x.recall),
    weights,
    trainSeconds: training.seconds,
    trainingEngine: training.engine,
    trainPixels: split.train.length,
    validationPixels: split.validation.length,
    testPixels: split.test.length,
    droppedTest: split.dropped.test,
    exposedTest: split.exposed.test,
  };
}

type Grid = Pick<ExperimentConfig, 'models' | 'splits' | 'seeds'>;

export function summarise(runs: ExperimentRun[], config: Grid): ExperimentSummary[] {
  return config.splits.flatMap((split) =>
    config.models.map((model) => {
      const rs = runs.filter((r) => r.model === model && r.split === split);
      const k = rs[0]?.perClassRecall.length ?? 0;
      return {
        model,
        split,
        runs: rs.length,
        overallAccuracy: meanStd(rs.map((r) => r.overallAccuracy)),
        averageAccuracy: meanStd(rs.map((r) => r.averageAccuracy)),
        kappa: meanStd(rs.map((r) => r.kappa)),
        perClassRecall: Array.from({ length: k }, (_, j) => meanStd(rs.map((r) => r.perClassRecall[j]!)).mean),
        weights: rs[0]?.weights ?? 0,
        trainSeconds: meanStd(rs.map((r) => r.trainSeconds)),
        testPixels: meanStd(rs.map((r) => r.testPixels)),
      };
    }),
  );
}

/** Every pair of models on every split, seed by seed (the first model of the list against the others, and so on). */
export function compare(runs: ExperimentRun[], config: Grid): ModelComparison[] {
  const out: ModelComparison[] = [];
  for (const split of config.splits) {
    for (let i = 0; i < config.models.length; i++) {
      for (let j = i + 1; j < config.models.length; j++) {
        const a = config.models[i]!;
        const b = config.models[j]!;
        const pick = (model: string, metric: 'overallAccuracy' | 'averageAccuracy' | 'kappa') =>
          config.seeds.map((seed) => runs.find((r) => r.model === model && r.split === split && r.seed === seed)![metric]);
        out.push({
          split,
          a,
          b,
          overallAccuracy: paired(pick(a, 'overallAccuracy'), pick(b, 'overallAccuracy')),
          averageAccuracy: paired(pick(a, 'averageAccuracy'), pick(b, 'averageAccuracy')),
          kappa: paired(pick(a, 'kappa'), pick(b, 'kappa')),
        });
      }
    }
  }
  return out;
}
