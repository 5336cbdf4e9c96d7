/**
 * `spinalnet predict`: a saved model maps a scene. The scene goes through the same PCA that was fitted
 * at training time; with a label map, every labelled pixel is scored and metrics are written too.
 */
import * as tf from '@tensorflow/tfjs';
import { coresHere } from '../core/threads.ts';
import { existsSync } from 'node:fs';
import { selectBackend, type BackendChoice, type BackendInfo } from '../backend/selectBackend.ts';
import { ConfigError, DataError, InputFileError } from '../core/errors.ts';
import { confusionMatrix, metricsFromConfusion } from '../evaluation/metrics.ts';
import { loadModel, type ModelMetadata } from '../models/modelFiles.ts';
import { pcaFromJSON } from '../preprocess/pca.ts';
import { checkPatchSize } from '../sampling/patches.ts';
import { openScene } from '../scene/loadScene.ts';
import { mapProgress, type ScanProgress } from '../scene/sceneScan.ts';
import type { CubeBIP } from '../core/types.ts';
import type { Precision } from '../inference/onnx/exportOnnx.ts';
import { checkPrecision, DEFAULTS } from './config.ts';
import { Int8Calibrator } from '../inference/onnx/int8.ts';
import type { InferenceEngine, ParallelPredictResult, PrecisionChoice } from '../inference/parallel/parallelPredict.ts';
import { classColors } from '../render/index.ts';
import { previewNote, previewShape, samplePixels } from '../render/preview.ts';
import { MapOutputs, mapToOutputs, type MapOutputsInput } from './mapOutputs.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { writeReportHtml } from '../report/reportHtml.ts';
import { renderReport } from './report.ts';
import { runEnvironment } from './runEnvironment.ts';
import { sceneFalseColor, writeSceneOutputs, type MetricsFile } from './sceneOutputs.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import { mapWorkMemory } from './workMemory.ts';
import { StagedOutput } from './stagedOutput.ts';
import { backgroundKeep, checkMapFormats, type MapFormat } from './gisMaps.ts';
import { listenForStop } from './stopSignals.ts';

export interface PredictConfig {
  modelDir: string;
  cube: string;
  gt?: string;
  cubeVar?: string;
  gtVar?: string;
  out: string;
  force: boolean;
  backend: BackendChoice;
  maskBackground: boolean;
  predictBatch: number;
  /** Worker threads for the map; default: one per core (small scenes stay on the main thread). */
  predictWorkers?: number;
  inference?: InferenceEngine;
  /** The map's arithmetic (default 'auto', as `run`); int8 uses the run's saved calibration, else a seeded subset of the scene's own patches. */
  precision?: PrecisionChoice;
  /** Class-map formats beside the PNG (default ['tif']; 'envi' adds an ENVI classification). */
  mapFormats?: MapFormat[];
  /** Also write probabilities.tif (every class's probability). */
  probabilities?: boolean;
  /** Most bytes the scene's arrays may take (`--memory-limit`); default 75% of the machine's memory. */
  memoryLimit?: number;
  /** Rows per window when reading and mapping the scene (`--tile-size`); default: as many as fit. */
  tileSize?: number;
}

export interface PredictResult {
  outDir: string;
  metrics?: MetricsFile;
  backend: BackendInfo;
}

/**
 * What maps the scene elsewhere (a job queue, src/queue/) and hands back the whole map; without one the
 * map is predicted here, window by window, straight into the outputs (mapOutputs.ts).
 */
export type SceneMapper = (r: {
  model: tf.LayersModel;
  meta: ModelMetadata;
  reduced: ReducedScene;
  config: PredictConfig;
  log: (line: string) => void;
  progress?: ScanProgress;
}) => Promise<Pick<ParallelPredictResult, 'classes' | 'confidence' | 'probabilities' | 'engine'> & { precision?: Precision }>;

/** Thrown when Ctrl-C stopped `predict` during its map (the CLI exits 130; nothing was published). */
export class PredictStopped extends Error {
  constructor(readonly signal: string, readonly rowsDone: number, readonly height: number) {
    super(`stopped by ${signal} during the map after row ${rowsDone} of ${height}; nothing was written (predict has no --resume: run it again)`);
  }
}

export interface PredictHooks {
  /** Stop after the current window of the map on SIGINT/SIGTERM (the CLI sets it). Default false. */
  handleSignals?: boolean;
}

export async function predictPipeline(
  config: PredictConfig, log: (line: string) => void = () => {}, mapScene?: SceneMapper, progress?: ScanProgress, hooks: PredictHooks = {},
): Promise<PredictResult> {
  const start = performance.now();
  checkMapFormats(config.mapFormats ?? []);
  checkPrecision(config.precision ?? DEFAULTS.precision, config.inference, config.backend);
  for (const f of [config.cube, config.gt]) {
    if (f !== undefined && !existsSync(f)) throw new InputFileError(f, 'file not found', 'check the path given to --cube / --gt');
  }
  const staged = StagedOutput.open(config.out, config.force);
  try {
    const backend = await selectBackend(config.backend);
    log(`backend: ${backend.detail}`);
    if (backend.warning) log(`warning: ${backend.warning}`);
    const { model, meta } = await loadModel(config.modelDir);
    if (meta.image) {
      throw new ConfigError('--model', 'a model trained by `spinalnet run` on a scene', `${config.modelDir} (an image model)`, 'spinalnet predict maps hyperspectral scenes; image models are evaluated by `spinalnet image`');
    }
    const pca = pcaFromJSON(meta.preprocessing);
    const scene = await openScene({
      cubePath: config.cube, gtPath: config.gt, cubeVar: config.cubeVar, gtVar: config.gtVar,
      classes: meta.classes, rgbBands: meta.rgbBands, dropBands: meta.droppedBands ?? [], memoryLimitBytes: config.memoryLimit,
    }, {
      tileRows: config.tileSize, components: pca.components, progress,
      work: mapWorkMemory(model, meta.patch, pca.components, config.predictBatch),
      // Only this process's map reads the reduced scene by bands; a queue sends it whole to Redis.
      ...(mapScene === undefined && { reducedFile: { halo: (meta.patch - 1) / 2 } }),
    });
    scene.warnings.forEach((w) => log(`warning: ${w}`));
    const cube = scene.grid;
    if (scene.source.cubeBands !== meta.inputBands) {
      throw new DataError(
        `${config.cube} has ${scene.source.cubeBands} bands but the model was trained on a scene with ${meta.inputBands}`,
        'map a scene from the same sensor and band set as the training scene',
      );
    }
    let reduced: ReducedScene;
    let rgb: CubeBIP | undefined;
    try {
      checkPatchSize(meta.patch, cube);
      ({ reduced, preview: rgb } = await scene.scan.transform(pca, meta.rgbBands?.every((b) => b < cube.bands) ? meta.rgbBands : undefined));
    } finally {
      scene.scan.close();
    }
    const { height, width } = cube;
    const preview = previewShape(height, width);
    const falseColorImg = sceneFalseColor(rgb!, preview);
    rgb = undefined; // drawn: the map does not need the H×W×3 cube
    const labels = scene.labels;
    const maskBackground = config.maskBackground && labels !== undefined;
    const keep = backgroundKeep(height * width, labels?.data, maskBackground, scene.nodata);
    const dataKeep = backgroundKeep(height * width, undefined, false, scene.nodata);
    // Every labelled pixel of a known class is scored; labels the model never saw are reported.
    const index = new Map(meta.classes.map((c, k) => [c.value, k]));
    let scored: Int32Array | undefined;
    let truth: Int32Array | undefined;
    let testMask: Uint8Array | undefined;
    if (labels) {
      const unknown = new Set<number>();
      const pixels: number[] = [];
      labels.data.forEach((v, px) => {
        if (v === 0) return;
        if (index.has(v)) pixels.push(px);
        else unknown.add(v);
      });
      if (unknown.size > 0) log(`warning: labels ${[...unknown].join(', ')} are not classes of the model and were not scored`);
      scored = Int32Array.from(pixels);
      truth = Int32Array.from(pixels, (px) => index.get(labels.data[px]!)!);
      testMask = new Uint8Array(labels.data.length);
      for (const px of pixels) testMask[px] = 1;
    }
    const outputs: MapOutputsInput = {
      // The GIS maps cover every pixel the scene has data for; --mask-background applies to the figures only.
      path: (f) => staged.path(f), height, width, classes: meta.classes, colors: classColors(meta.classes), keep: dataKeep, georef: scene.georef,
      confidence: true, probabilities: config.probabilities ?? false, formats: config.mapFormats ?? ['tif'],
      description: `spinalnet ${meta.modelId} classification of ${scene.name}`, preview, scored,
    };
    let engine: string;
    let mapThreads: number | undefined;
    let precision: Precision = 'float32';
    let mappedOut;
    try {
      if (reduced.storage === 'file') log(`the reduced scene does not fit the memory limit: kept in the temporary file ${reduced.path}`);
      if (mapScene) {
        log(`mapping ${height * width} pixels with ${meta.modelId}`);
        // The queue hands back the whole map: it is written as one band.
        const mapped = await mapScene({ model, meta, reduced, config, log, progress });
        const out = new MapOutputs(outputs);
        out.write({ row0: 0, rows: height, classes: mapped.classes, confidence: mapped.confidence, probabilities: mapped.probabilities });
        mappedOut = out.finish();
        engine = mapped.engine;
        precision = mapped.precision ?? 'float32';
      } else {
        const signals = hooks.handleSignals ? listenForStop((sig) => log(`\n${sig}: stopping after this window of the map (press again to quit at once)`)) : undefined;
        log(`mapping ${height * width} pixels with ${meta.modelId}`);
        try {
          const r = await mapToOutputs({
            model, reduced, patch: meta.patch, tileSize: config.tileSize,
            predict: {
              batchSize: config.predictBatch, workers: config.predictWorkers, engine: config.inference, precision: config.precision ?? DEFAULTS.precision, onProgress: mapProgress(progress, width),
              // The run's ranges when it mapped in int8; else the map calibrates on the scene's own patches.
              ...(meta.int8Calibration && { int8Calibrator: Int8Calibrator.given(meta.int8Calibration) }),
            },
            outputs,
            shouldStop: signals?.requested,
          });
          if (r.status === 'stopped') throw new PredictStopped(signals?.signal() ?? 'request', r.rowsDone, r.height);
          if (r.fallbackReason) log(`inference on tfjs: ${r.fallbackReason}`);
          engine = r.engine;
          mapThreads = r.threads;
          precision = r.precision;
          mappedOut = r;
        } finally {
          signals?.dispose();
        }
      }
    } finally {
      // The temporary file of a reduced scene too big for memory goes, whatever happened.
      reduced.close();
    }
    log(`mapped with ${engine}`);
    let metrics: MetricsFile | undefined;
    if (truth && scored) {
      metrics = {
        ...metricsFromConfusion(confusionMatrix(truth, mappedOut.scoredClasses!, meta.classes.length), meta.classes.map((c) => ({ label: c.value, name: c.name }))),
        trainPixels: 0,
        testPixels: truth.length,
      };
    }
    const atPreview = <T extends Int32Array | Uint8Array>(data: T): T => samplePixels(data, height, width, preview);
    writeSceneOutputs({
      path: (f) => staged.path(f),
      sceneName: scene.name,
      modelId: meta.modelId,
      classes: meta.classes,
      preview,
      prediction: mappedOut.preview,
      labels: labels && { height: preview.height, width: preview.width, data: atPreview(labels.data) },
      testMask: testMask && atPreview(testMask),
      keep: keep && atPreview(keep),
      metrics,
      falseColor: falseColorImg,
      subtitle: `saved model from ${config.modelDir}`,
    });
    model.dispose();
    const env = runEnvironment(backend);
    const total = (performance.now() - start) / 1000;
    const record = {
      status: 'done', command: 'predict', config,
      scene: { name: scene.name, height: cube.height, width: cube.width, bands: cube.bands, ...(scene.georef ? { georef: scene.georef } : {}) },
      ...(preview.scale > 1 && { imageScale: preview.scale }),
      inference: engine,
      // On a queue the workers' threads mapped it: they are theirs to say (their logs).
      threads: { cores: coresHere(), ...(mapThreads !== undefined && { map: mapThreads }) },
      ...env, precision, timings: { total },
    };
    writeFileAtomic(staged.path('run.json'), `${JSON.stringify(record, null, 2)}\n`);
    writeReportHtml((f) => staged.path(f), { title: `${meta.modelId} on ${scene.name} (saved model)`, metrics, record, unit: 'pixels', imageNote: previewNote(preview) });
    writeFileAtomic(
      staged.path('report.md'),
      renderReport({
        title: `${meta.modelId} on ${scene.name} (saved model)`,
        results: metrics && { metrics, train: 0, test: metrics.testPixels, unit: 'pixels', note: 'Every labelled pixel of a known class is scored.' },
        facts: [
          ['model', config.modelDir], ['scene', `${cube.height}×${cube.width}×${cube.bands}`], ['backend', backend.detail], ['inference', engine], ['precision', precision],
          ...(previewNote(preview) ? [['images', previewNote(preview)!] as [string, string]] : []),
        ],
        timings: { total },
        warnings: scene.warnings,
        config,
      }),
    );
    return { outDir: staged.commit(), metrics, backend };
  } catch (err) {
    staged.abandon();
    throw err;
  } finally {
    tf.disposeVariables();
  }
}
