/**
 * `spinalnet predict`: a saved model maps a scene. The scene goes through the same PCA that was fitted
 * at training time; with a label map, every labelled pixel is scored and metrics are written too.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { selectBackend, type BackendChoice, type BackendInfo } from '../backend/selectBackend.ts';
import { ConfigError, DataError, InputFileError } from '../errors.ts';
import { confusionMatrix, metricsFromConfusion } from '../evaluation/metrics.ts';
import { loadModel, type ModelMetadata } from '../models/modelFiles.ts';
import { pcaFromJSON } from '../preprocess/pca.ts';
import { checkPatchSize } from '../sampling/patches.ts';
import { openScene } from '../scene/loadScene.ts';
import { mapProgress, type ScanProgress } from '../scene/sceneScan.ts';
import type { CubeBIP, LabelMap } from '../scene/types.ts';
import type { InferenceEngine, ParallelPredictResult } from '../training/parallel/parallelPredict.ts';
import { mapBandRows, predictInBands } from './tiledMap.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { writeReportHtml } from '../view/reportHtml.ts';
import { renderReport } from './report.ts';
import { runEnvironment } from './runEnvironment.ts';
import { writeSceneOutputs, type MetricsFile } from './sceneOutputs.ts';
import { falseColor } from '../render/falseColor.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import { mapWorkMemory } from './workMemory.ts';
import { StagedOutput } from './stagedOutput.ts';
import { checkMapFormats, type MapFormat } from './gisMaps.ts';

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

/** What maps the scene once it is loaded and reduced: here (default) or a job queue (src/queue/). */
export type SceneMapper = (r: {
  model: tf.LayersModel;
  meta: ModelMetadata;
  reduced: ReducedScene;
  config: PredictConfig;
  log: (line: string) => void;
  progress?: ScanProgress;
}) => Promise<Pick<ParallelPredictResult, 'classes' | 'confidence' | 'probabilities' | 'engine'>>;

/** Maps every pixel in this process (worker threads or onnxruntime). */
export const mapHere: SceneMapper = async ({ model, meta, reduced, config, log, progress }) => {
  const mapped = await predictInBands(model, reduced, meta.patch, mapBandRows(config.tileSize, reduced.width), {
    batchSize: config.predictBatch, workers: config.predictWorkers, engine: config.inference,
    probabilities: config.probabilities ? 'all' : 'confidence',
    onProgress: mapProgress(progress, reduced.width),
  });
  if (mapped.fallbackReason) log(`inference on tfjs: ${mapped.fallbackReason}`);
  return mapped;
};

export async function predictPipeline(config: PredictConfig, log: (line: string) => void = () => {}, mapScene: SceneMapper = mapHere, progress?: ScanProgress): Promise<PredictResult> {
  const start = performance.now();
  checkMapFormats(config.mapFormats ?? []);
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
      ...(mapScene === mapHere && { reducedFile: { halo: (meta.patch - 1) / 2 } }),
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
    let preview: CubeBIP;
    try {
      checkPatchSize(meta.patch, cube);
      ({ reduced, preview } = await scene.scan.transform(pca, meta.rgbBands?.every((b) => b < cube.bands) ? meta.rgbBands : undefined));
    } finally {
      scene.scan.close();
    }
    let mapped: Awaited<ReturnType<SceneMapper>>;
    try {
      if (reduced.storage === 'file') log(`the reduced scene does not fit the memory limit: kept in the temporary file ${reduced.path}`);
      log(`mapping ${cube.height * cube.width} pixels with ${meta.modelId}`);
      mapped = await mapScene({ model, meta, reduced, config, log, progress });
    } finally {
      reduced.close();
    }
    log(`mapped with ${mapped.engine}`);
    const predicted = mapped.classes;
    const prediction: LabelMap = { height: cube.height, width: cube.width, data: Int32Array.from(predicted, (k) => meta.classes[k]!.value) };
    let metrics: MetricsFile | undefined;
    let testMask: Uint8Array | undefined;
    const labels = scene.labels;
    if (labels) {
      // Every labelled pixel of a known class is scored; labels the model never saw are reported.
      const index = new Map(meta.classes.map((c, k) => [c.value, k]));
      const truth: number[] = [];
      const guess: number[] = [];
      testMask = new Uint8Array(labels.data.length);
      const unknown = new Set<number>();
      labels.data.forEach((v, p) => {
        if (v === 0) return;
        const k = index.get(v);
        if (k === undefined) {
          unknown.add(v);
          return;
        }
        truth.push(k);
        guess.push(predicted[p]!);
        testMask![p] = 1;
      });
      if (unknown.size > 0) log(`warning: labels ${[...unknown].join(', ')} are not classes of the model and were not scored`);
      metrics = {
        ...metricsFromConfusion(confusionMatrix(truth, guess, meta.classes.length), meta.classes.map((c) => ({ label: c.value, name: c.name }))),
        trainPixels: 0,
        testPixels: truth.length,
      };
    }
    writeSceneOutputs({
      path: (f) => staged.path(f),
      sceneName: scene.name,
      modelId: meta.modelId,
      classes: meta.classes,
      prediction,
      labels,
      testMask,
      metrics,
      falseColor: falseColor(preview, [0, 1, 2]),
      maskBackground: config.maskBackground && labels !== undefined,
      nodata: scene.nodata,
      georef: scene.georef,
      confidence: mapped.confidence,
      probabilities: mapped.probabilities,
      mapFormats: config.mapFormats,
      subtitle: `saved model from ${config.modelDir}`,
    });
    model.dispose();
    const env = runEnvironment(backend);
    const total = (performance.now() - start) / 1000;
    const record = {
      status: 'done', command: 'predict', config,
      scene: { name: scene.name, height: cube.height, width: cube.width, bands: cube.bands, ...(scene.georef ? { georef: scene.georef } : {}) },
      ...env, timings: { total },
    };
    writeFileAtomic(staged.path('run.json'), `${JSON.stringify(record, null, 2)}\n`);
    writeReportHtml((f) => staged.path(f), { title: `${meta.modelId} on ${scene.name} (saved model)`, metrics, record, unit: 'pixels' });
    writeFileAtomic(
      staged.path('report.md'),
      renderReport({
        title: `${meta.modelId} on ${scene.name} (saved model)`,
        results: metrics && { metrics, train: 0, test: metrics.testPixels, unit: 'pixels', note: 'Every labelled pixel of a known class is scored.' },
        facts: [['model', config.modelDir], ['scene', `${cube.height}×${cube.width}×${cube.bands}`], ['backend', backend.detail]],
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
