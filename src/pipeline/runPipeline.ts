/**
 * `spinalnet run`: scene → split → PCA → patches → training → full-scene map → metrics and outputs.
 * Each stage is a library call; this file sequences them, times them, and keeps the run folder's
 * status honest (running → done, or interrupted with a checkpoint to resume from, or failed).
 */
import * as tf from '@tensorflow/tfjs';
import { coresHere } from '../core/threads.ts';
import { join } from 'node:path';
import { selectBackend, type BackendInfo } from '../backend/selectBackend.ts';
import { ConfigError, SpinalnetError } from '../core/errors.ts';
import { confusionMatrix, metricsFromConfusion } from '../evaluation/metrics.ts';
import { writeMatV5 } from '../io/mat/writer.ts';
import { loadModel, saveModel, type ModelMetadata } from '../models/modelFiles.ts';
import { pcaToJSON } from '../preprocess/pca.ts';
import { renderLabelMap, writePng } from '../render/index.ts';
import { splitToMap } from '../sampling/makeSplit.ts';
import { previewNote, previewShape, samplePixels, type PreviewShape } from '../render/preview.ts';
import { backgroundKeep } from './gisMaps.ts';
import { MapCheckpoint } from './mapCheckpoint.ts';
import { mapToOutputs } from './mapOutputs.ts';
import { Int8Calibrator } from '../inference/onnx/int8.ts';
import type { Precision } from '../inference/onnx/exportOnnx.ts';
import { patchSource } from '../sampling/sampleSource.ts';
import { progressReporter } from '../training/progress.ts';
import { trainModel, type TrainResult } from '../training/trainModel.ts';
import { loadTrainState, saveTrainState, type TrainState } from '../training/trainState.ts';
import { stageClock, timestamp, type StageClock } from '../util/stageClock.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { DEFAULTS, validateConfig, type RunConfig } from './config.ts';
import { buildRunModel, initFromRun, prepareRun, trainingSetup, type PreparedRun } from './prepareRun.ts';
import { renderReport } from './report.ts';
import { runEnvironment } from './runEnvironment.ts';
import { checkOutDir, RunFolder } from './runFolder.ts';
import { inputName, loadInputScene, type InputScene } from './sceneInput.ts';
import { classColors } from '../render/index.ts';
import { sceneFalseColor, writeSceneOutputs, type MetricsFile } from './sceneOutputs.ts';
import { runWorkMemory } from './workMemory.ts';
import { getModelSpec } from '../models/registry.ts';
import { listenForStop } from './stopSignals.ts';
import { mapProgress, type ScanProgress } from '../scene/sceneScan.ts';
import { writeReportHtml } from '../report/reportHtml.ts';

export interface RunHooks {
  /** One line of news for the user (the CLI prints it on stderr). Default: silent. */
  log?: (line: string) => void;
  /** Show a training progress bar / log lines on stderr. Default false. */
  progress?: boolean;
  /** Stop training at the next batch on SIGINT/SIGTERM and save a checkpoint. Default false (library use). */
  handleSignals?: boolean;
  /** Rows done while reading the scene, fitting and applying PCA (the CLI shows them on stderr). */
  scanProgress?: ScanProgress;
}

export interface RunResult {
  outDir: string;
  /** 'interrupted': training was stopped by a signal; the folder holds a checkpoint to resume. */
  status: 'done' | 'interrupted';
  metrics?: MetricsFile;
  backend: BackendInfo;
  timings: Partial<Timings>;
  training?: TrainResult;
}

export type Timings = Record<'load' | 'pca' | 'patches' | 'train' | 'predict' | 'render' | 'total', number>;

/** Runs a configuration from scratch. */
export async function runPipeline(config: RunConfig, hooks: RunHooks = {}): Promise<RunResult> {
  validateConfig(config);
  const outDir = config.out ?? join('outputs', `${inputName(config.input)}-${timestamp()}`);
  // Checked before anything is loaded: a refused --out costs nothing.
  checkOutDir(outDir, config.force);
  return execute({ ...config, out: outDir }, hooks);
}

/** Continues an interrupted (or killed) run from its folder's checkpoint, with its own configuration. */
export async function resumePipeline(dir: string, hooks: RunHooks = {}): Promise<RunResult> {
  const folder = RunFolder.open(dir);
  const saved = folder.data.config as RunConfig | undefined;
  if (!saved) throw new ConfigError('--resume', 'a run folder with its configuration in run.json', dir);
  // Options added since the run started take their defaults.
  const config: RunConfig = { ...DEFAULTS, ...saved };
  validateConfig(config);
  // A run stopped during its map resumes the map with the trained model; one stopped in training resumes training.
  const map = MapCheckpoint.open(mapCheckpointDir(folder));
  let state: TrainState | undefined;
  if (!map) {
    try {
      state = loadTrainState(folder.checkpointDir);
    } catch (err) {
      if (!(err instanceof SpinalnetError)) throw err;
      hooks.log?.(`no usable checkpoint in ${dir}: training starts again from epoch 1 with the same seed`);
    }
  }
  return execute(config, hooks, { folder, state, map });
}

const mapCheckpointDir = (folder: RunFolder) => join(folder.checkpointDir, 'map');

async function execute(config: RunConfig, hooks: RunHooks, resume?: { folder: RunFolder; state?: TrainState; map?: MapCheckpoint }): Promise<RunResult> {
  const log = hooks.log ?? (() => {});
  const clock = stageClock<keyof Timings>();
  const name = inputName(config.input);
  try {
    const backend = await selectBackend(config.backend, { wasmThreads: config.wasmThreads });
    log(`backend: ${backend.detail}`);
    if (backend.warning) log(`warning: ${backend.warning}`);
    clock.reset();
    const scene = await loadInputScene(config.input, {
      memoryLimit: config.memoryLimit, tileSize: config.tileSize, components: config.pca, progress: hooks.scanProgress,
      // The model and a batch of patches at a time count too; a reduced scene too big for the limit goes to a temporary file.
      work: runWorkMemory(config), reducedFile: { halo: getModelSpec(config.model).spectral ? 0 : (config.patch - 1) / 2 },
    });
    log(`scene ${name}: ${scene.grid.height}×${scene.grid.width}×${scene.grid.bands}, ${scene.labels ? `${scene.classes.length} classes` : 'no label raster (classes from the reference vectors)'}`);
    scene.warnings.forEach((w) => log(`warning: ${w}`));
    clock.lap('load');
    let prepared: PreparedRun;
    try {
      prepared = await prepareRun(config, scene);
    } finally {
      // The reduced scene is all the later stages need: the cube's file is released.
      scene.scan.close();
    }
    try {
      if (prepared.reduced.storage === 'file') log(`the reduced scene does not fit the memory limit: kept in the temporary file ${prepared.reduced.path}`);
      const preview = previewShape(prepared.reduced.height, prepared.reduced.width);
      const falseColorImg = sceneFalseColor(prepared.rgb!, preview);
      // The false colour is drawn: its H×W×3 cube is not needed by the map.
      prepared = { ...prepared, rgb: undefined };
      prepared.split.warnings.forEach((w) => log(`warning: ${w}`));
      clock.lap('pca');

      // Only now, with the input known to be usable, does the output folder appear.
      const folder = resume?.folder ?? RunFolder.create(config.out!, config.force, { command: 'run', config });
      if (resume) folder.update({ status: 'running', pid: process.pid, resumedAt: new Date().toISOString() });
      try {
        return await trainAndPublish(config, prepared, folder, { backend, falseColorImg, preview, log, hooks, clock, state: resume?.state, map: resume?.map, name, scene });
      } catch (err) {
        folder.stop('failed', err instanceof SpinalnetError ? `${err.message} (${err.fix})` : String((err as Error).stack ?? err));
        throw err;
      }
    } finally {
      // The temporary file of a reduced scene too big for memory goes, whatever happened.
      prepared.reduced.close();
    }
  } finally {
    tf.disposeVariables();
  }
}

interface Context {
  backend: BackendInfo;
  falseColorImg: ReturnType<typeof sceneFalseColor>;
  preview: PreviewShape;
  log: (line: string) => void;
  hooks: RunHooks;
  clock: StageClock<keyof Timings>;
  state?: TrainState;
  map?: MapCheckpoint;
  name: string;
  scene: InputScene;
  /** With --init-from: the run the initial weights came from, and the classes kept and added. */
  initFrom?: Awaited<ReturnType<typeof initFromRun>>;
}

/** Training, the map, the figures and the record, each a stage below; ends with the folder published or interrupted. */
async function trainAndPublish(config: RunConfig, prepared: PreparedRun, folder: RunFolder, ctx: Context): Promise<RunResult> {
  const { timings } = ctx.clock;
  const stopped = (training?: TrainResult): RunResult => ({ outDir: folder.dir, status: 'interrupted', backend: ctx.backend, timings, ...(training && { training }) });
  const trained = await trainStage(config, prepared, folder, ctx);
  if ('interrupted' in trained) return stopped(trained.interrupted);
  const { model, training } = trained;
  try {
    // int8 maps calibrate on a seeded subset of the training patches; the ranges are saved with the model.
    const calibrator = new Int8Calibrator(patchSource(prepared.reduced, prepared.patch, prepared.split.train), config.seed);
    const mapped = await mapStage(config, prepared, folder, ctx, model, trained.checkpoint, calibrator);
    if (mapped === undefined) return stopped(training);
    const int8 = mapped.precision === 'int8' ? await calibrator.taken() : undefined;
    const metrics = scoreTestPixels(prepared, mapped.scoredClasses!);
    ctx.clock.lap('predict');
    writeFigures(config, prepared, folder, ctx, { mapped, metrics, training });
    const weights = model.countParams();
    await saveModel(folder.partial('model'), model, {
      ...modelMetadata(prepared, ctx), ...(int8 && { int8Calibration: { ranges: int8.ranges.map(([a, b]) => [a, b]), samples: int8.samples } }),
    });
    ctx.clock.lap('render');
    timings.total = ctx.clock.total();
    writeRecord(config, prepared, folder, ctx, { metrics, training, weights, inference: mapped.engine, mapThreads: mapped.threads, precision: mapped.precision });
    return { outDir: folder.dir, status: 'done', metrics, backend: ctx.backend, timings, training };
  } finally {
    model.dispose();
  }
}

/** What model/model.json says besides the weights: classes, bands, PCA, so that `predict` can map another scene. */
function modelMetadata(prepared: PreparedRun, ctx: Context): ModelMetadata {
  const { scene } = prepared;
  return {
    kind: 'spinalnet-model',
    version: 1,
    modelId: prepared.spec.id,
    patch: prepared.patch,
    classes: scene.classes.map((c) => ({ value: c.value, name: c.name, ...(c.color && { color: [c.color[0], c.color[1], c.color[2]] as [number, number, number] }) })),
    inputBands: ctx.scene.fileBands,
    droppedBands: [...ctx.scene.droppedBands],
    preprocessing: pcaToJSON(prepared.pca),
    dataset: ctx.name,
    rgbBands: scene.rgbBands ? [scene.rgbBands[0], scene.rgbBands[1], scene.rgbBands[2]] : undefined,
  };
}

type Trained =
  | { model: tf.LayersModel; training: Omit<TrainResult, 'interrupted'>; checkpoint: MapCheckpoint }
  | { interrupted: TrainResult };

/**
 * The trained model: from a map checkpoint that fits (a run stopped during its map), else trained now
 * (resuming a training checkpoint when there is one). A stop request during training saves the
 * training state and marks the folder interrupted.
 */
async function trainStage(config: RunConfig, prepared: PreparedRun, folder: RunFolder, ctx: Context): Promise<Trained> {
  const { log, hooks } = ctx;
  const setup = trainingSetup(config, prepared);
  ctx.clock.lap('patches');
  const { height, width } = prepared.scene.grid;
  const layout = { height, width, classes: prepared.scene.classes.length, confidence: true, probabilities: config.probabilities };
  if (ctx.map?.fits(layout)) {
    const { model } = await loadModel(ctx.map.modelDir);
    log(`resuming the map at row ${ctx.map.rowsDone} of ${height} with the trained model from the checkpoint`);
    ctx.clock.lap('train');
    return { model, training: ctx.map.training, checkpoint: ctx.map };
  }
  if (ctx.map) log('the map checkpoint does not fit this run (size or outputs differ): training again');
  const { split } = prepared;
  log(`training ${prepared.spec.id} on ${split.train.length} pixels${split.validation.length ? `, validating on ${split.validation.length}` : ''}, testing on ${split.test.length}`);
  const model = await buildRunModel(config, prepared);
  // On resume too, so run.json records it; the checkpoint's weights then replace these.
  if (config.initFrom !== undefined) {
    try {
      ctx.initFrom = await initFromRun(config, prepared, model);
    } catch (err) {
      model.dispose();
      throw err;
    }
    const f = ctx.initFrom!;
    log(`initial weights from ${f.run}: ${f.kept.length} classes kept${f.added.length ? `, new output${f.added.length > 1 ? 's' : ''} for ${f.added.join(', ')}` : ''}; its PCA reused`);
  }
  const reporter = hooks.progress ? progressReporter() : undefined;
  const signals = hooks.handleSignals ? listenForStop((s) => log(`\n${s}: stopping after this batch and saving a checkpoint (press again to quit at once)`)) : undefined;
  let trained: TrainResult;
  try {
    trained = await trainModel(model, setup.source, setup.labels, prepared.scene.classes.length, {
      ...setup.options,
      resumeFrom: ctx.state,
      onCheckpoint: (state) => saveTrainState(folder.checkpointDir, state),
      shouldStop: signals?.requested,
      onBatch: reporter?.onBatch,
      onEpoch: reporter?.onEpoch,
    });
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    reporter?.done();
    signals?.dispose();
  }
  if (trained.fallbackReason) log(`training gradients on tfjs: ${trained.fallbackReason}`);
  if (trained.interrupted) {
    saveTrainState(folder.checkpointDir, trained.interrupted);
    const where = `epoch ${trained.interrupted.epoch}, batch ${trained.interrupted.batch}`;
    folder.stop('interrupted', `stopped by ${signals?.signal() ?? 'request'} at ${where}; continue with: spinalnet run --resume ${folder.dir}`);
    model.dispose();
    return { interrupted: trained };
  }
  // The trained model is kept with the map's progress, so a map stopped by Ctrl-C resumes without training again.
  const checkpoint = await MapCheckpoint.create(mapCheckpointDir(folder), layout, trained, (dir) => saveModel(dir, model, modelMetadata(prepared, ctx)));
  ctx.clock.lap('train');
  return { model, training: trained, checkpoint };
}

type Mapped = Awaited<ReturnType<typeof mapToOutputs>> & { status: 'done' };

/** The whole scene through the model into the map's files; undefined when a stop request ended it (checkpoint kept). */
async function mapStage(
  config: RunConfig, prepared: PreparedRun, folder: RunFolder, ctx: Context, model: tf.LayersModel, checkpoint: MapCheckpoint, int8Calibrator: Int8Calibrator,
): Promise<Mapped | undefined> {
  const { log } = ctx;
  const { scene, split, reduced, patch } = prepared;
  const { height, width } = scene.grid;
  // The GIS maps cover every pixel the scene has data for; --mask-background applies to the figures only.
  const keep = backgroundKeep(height * width, undefined, false, ctx.scene.nodata);
  const signals = ctx.hooks.handleSignals ? listenForStop((s) => log(`\n${s}: stopping after this window of the map (press again to quit at once)`)) : undefined;
  log(`mapping ${height * width} pixels`);
  let mapped;
  try {
    mapped = await mapToOutputs({
      model, reduced, patch, tileSize: config.tileSize,
      predict: {
        batchSize: config.predictBatch, workers: config.predictWorkers, engine: config.inference, onProgress: mapProgress(ctx.hooks.scanProgress, width),
        precision: config.precision, int8Calibrator,
      },
      outputs: {
        path: (f) => folder.partial(f), height, width, classes: scene.classes, colors: classColors(scene.classes), keep, georef: ctx.scene.georef,
        confidence: true, probabilities: config.probabilities, formats: config.mapFormats,
        description: `spinalnet ${prepared.spec.id} classification of ${ctx.name}`, preview: ctx.preview, scored: split.test,
      },
      checkpoint,
      shouldStop: signals?.requested,
    });
  } finally {
    signals?.dispose();
  }
  if (mapped.status === 'stopped') {
    folder.stop('interrupted', `stopped by ${signals?.signal() ?? 'request'} during the map after row ${mapped.rowsDone} of ${mapped.height}; continue with: spinalnet run --resume ${folder.dir}`);
    return undefined;
  }
  if (mapped.fallbackReason) log(`inference on tfjs: ${mapped.fallbackReason}`);
  log(`mapped with ${mapped.engine}`);
  return mapped;
}

/**
 * The confusion matrix and per-class accuracy of the test pixels; none without test pixels (training
 * polygons alone: the map's accuracy then comes from a probability sample, `spinalnet sample` and `assess`).
 */
function scoreTestPixels(prepared: PreparedRun, testPredicted: Int32Array): MetricsFile | undefined {
  const { split, scene } = prepared;
  if (split.test.length === 0) return undefined;
  return {
    ...metricsFromConfusion(confusionMatrix(split.testClasses, testPredicted, scene.classes.length), scene.classes.map((c) => ({ label: c.value, name: c.name }))),
    trainPixels: split.train.length,
    testPixels: split.test.length,
  };
}

/** The PNG figures (overview, confusion matrix, curves, maps) and split.mat / split.png. */
function writeFigures(
  config: RunConfig, prepared: PreparedRun, folder: RunFolder, ctx: Context,
  r: { mapped: Mapped; metrics: MetricsFile | undefined; training: Omit<TrainResult, 'interrupted'> },
): void {
  const { scene, split } = prepared;
  const { height, width } = scene.grid;
  const keep = backgroundKeep(height * width, prepared.labels?.data, config.maskBackground, ctx.scene.nodata);
  const testMask = new Uint8Array(height * width);
  for (const px of split.test) testMask[px] = 1;
  const atPreview = <T extends Int32Array | Uint8Array>(data: T): T => samplePixels(data, height, width, ctx.preview);
  const previewGrid = (data: Int32Array) => ({ height: ctx.preview.height, width: ctx.preview.width, data: atPreview(data) });
  writeSceneOutputs({
    path: (f) => folder.partial(f),
    sceneName: ctx.name,
    modelId: prepared.spec.id,
    classes: scene.classes,
    preview: ctx.preview,
    prediction: r.mapped.preview,
    labels: prepared.labels && previewGrid(prepared.labels.data),
    testMask: atPreview(testMask),
    keep: keep && atPreview(keep),
    metrics: r.metrics,
    falseColor: ctx.falseColorImg,
    epochs: r.training.epochs,
    keptEpoch: split.validation.length > 0 ? r.training.keptEpoch : undefined,
    subtitle: `${split.description}; seed ${config.seed}; ${r.training.epochs.length} epochs; ${ctx.backend.name}`,
  });
  writeSplitFiles(folder, split, height, width, ctx.preview);
}

/** run.json's summary, report.md and report.html; then the folder is published (status done). */
function writeRecord(
  config: RunConfig, prepared: PreparedRun, folder: RunFolder, ctx: Context,
  r: { metrics: MetricsFile | undefined; training: Omit<TrainResult, 'interrupted'>; weights: number; inference: string; mapThreads: number; precision: Precision },
): void {
  const { scene, split, patch } = prepared;
  const { height, width } = scene.grid;
  const { training, metrics, weights } = r;
  const { timings } = ctx.clock;
  const env = runEnvironment(ctx.backend);
  const title = `${prepared.spec.id} on ${ctx.name}`;
  const summary = {
    scene: {
      name: ctx.name, height, width, bands: scene.grid.bands, classes: scene.classes,
      ...(ctx.scene.georef ? { georef: ctx.scene.georef } : {}),
      // Band centres (nm) of the bands used, when the file gave them (ENVI wavelength); the other band facts stay with the file.
      ...(scene.bandInfo?.wavelengthsNm && { wavelengthsNm: Array.from(scene.bandInfo.wavelengthsNm) }),
    },
    pca: { components: prepared.pca.components, fittedOn: prepared.initFrom ? `the --init-from run (${config.initFrom})` : prepared.pcaFit, explainedVarianceRatio: prepared.pca.explainedVarianceRatio },
    ...(ctx.initFrom && { initFrom: ctx.initFrom }),
    dataWarnings: ctx.scene.warnings,
    droppedBands: ctx.scene.droppedBands,
    split: { strategy: split.strategy, description: split.description, train: split.train.length, validation: split.validation.length, test: split.test.length, dropped: split.dropped, exposed: split.exposed, warnings: split.warnings },
    training: { engine: training.engine, keptEpoch: training.keptEpoch, stoppedEarly: training.stoppedEarly, samplesPerSecond: training.samplesPerSecond, epochs: training.epochs },
    modelWeights: weights,
    inference: r.inference,
    // The numbers behind the engines' descriptions: the cores this process could use and the threads each stage took.
    threads: { cores: coresHere(), ...(training.threads !== undefined && { training: training.threads }), map: r.mapThreads },
    precision: r.precision,
    ...(ctx.preview.scale > 1 && { imageScale: ctx.preview.scale }),
    ...env,
    timings,
  };
  writeFileAtomic(
    folder.partial('report.md'),
    renderReport({
      title,
      results: metrics && { metrics, train: metrics.trainPixels, test: metrics.testPixels, unit: 'pixels' },
      facts: [
        ['scene', `${ctx.name}: ${height}×${width} pixels, ${scene.grid.bands} bands, ${scene.classes.length} classes`],
        ['split', `${split.description} (seed ${config.seed})`],
        ['preprocessing', `PCA to ${prepared.pca.components} components${prepared.pca.whiten ? ', whitened' : ''}, ${prepared.initFrom ? `that of ${config.initFrom} (--init-from)` : `fitted on ${prepared.pcaFit === 'scene' ? 'every pixel of the scene' : 'the training pixels'}`}`],
        ...(ctx.initFrom ? [['initial weights', `${ctx.initFrom.run}'s model (${ctx.initFrom.kept.length} classes kept${ctx.initFrom.added.length ? `, ${ctx.initFrom.added.join(', ')} added` : ''})`] as [string, string]] : []),
        ['model', `${prepared.spec.id} (${weights} weights), ${patch}×${patch} patches`],
        ['training', `${training.epochs.length} epochs${training.stoppedEarly ? ' (stopped early)' : ''}, batch ${config.batchSize}, Adam lr ${config.learningRate}${config.lrDropEpoch > 0 ? ` ÷${config.lrDropFactor} after epoch ${config.lrDropEpoch}` : ''}${prepared.classWeights ? ', class-balanced loss' : ''}; kept epoch ${training.keptEpoch}; ${Math.round(training.samplesPerSecond)} samples/s; gradients on ${training.engine}`],
        ['backend', ctx.backend.detail],
        ['inference', r.inference],
        ['precision', r.precision],
        ['peak memory', `${env.peakRssMB} MB`],
        ...(previewNote(ctx.preview) ? [['images', previewNote(ctx.preview)!] as [string, string]] : []),
      ],
      timings,
      warnings: [...ctx.scene.warnings, ...split.warnings],
      config,
    }),
  );
  const finishedAt = new Date().toISOString();
  writeReportHtml((f) => folder.partial(f), { title, metrics, record: { command: 'run', config, ...summary, finishedAt }, unit: 'pixels', imageNote: previewNote(ctx.preview) });
  folder.publish({ ...summary, finishedAt });
}

/** split.mat (variable `split`, H×W uint8: 0 unused, 1 train, 2 validation, 3 test) and split.png (at the images' scale). */
function writeSplitFiles(folder: RunFolder, split: PreparedRun['split'], height: number, width: number, preview: PreviewShape): void {
  const roles = splitToMap(split, height, width);
  const columnMajor = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) columnMajor[c * height + r] = roles[r * width + c]!;
  writeMatV5(folder.partial('split.mat'), [{ name: 'split', data: columnMajor, dims: [height, width] }]);
  // Train blue, validation amber, test green (black: unused).
  const grid = { height: preview.height, width: preview.width, data: samplePixels(Int32Array.from(roles), height, width, preview) };
  writePng(folder.partial('split.png'), renderLabelMap(grid, [1, 2, 3], [[40, 90, 220], [240, 170, 20], [40, 185, 70]]));
}
