/**
 * `spinalnet run`: scene → split → PCA → patches → training → full-scene map → metrics and outputs.
 * Each stage is a library call; this file only sequences them, times them and writes the folder.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { selectBackend, type BackendInfo } from '../backend/selectBackend.ts';
import { DataError } from '../errors.ts';
import { confusionMatrix, metricsFromConfusion } from '../evaluation/metrics.ts';
import { saveModel } from '../models/modelFiles.ts';
import { getModelSpec } from '../models/registry.ts';
import { fitPca, pcaToJSON, transformCube } from '../preprocess/pca.ts';
import { checkPatchSize, extractPatches } from '../sampling/patches.ts';
import { splitPixels } from '../sampling/split.ts';
import type { LabelMap } from '../scene/types.ts';
import { predictClasses } from '../training/predict.ts';
import { progressReporter } from '../training/progress.ts';
import { arraySource, patchSource } from '../training/sampleSource.ts';
import { withSeededMathRandom } from '../training/seededRandom.ts';
import { trainModel, type TrainResult } from '../training/trainModel.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { createRng } from '../util/random.ts';
import { validateConfig, type RunConfig } from './config.ts';
import { renderReport } from './report.ts';
import { inputName, loadInputScene } from './sceneInput.ts';
import { sceneFalseColor, writeSceneOutputs, type MetricsFile } from './sceneOutputs.ts';
import { StagedOutput } from './stagedOutput.ts';
import { runEnvironment } from './runEnvironment.ts';

export interface RunHooks {
  /** One line of news for the user (the CLI prints it on stderr). Default: silent. */
  log?: (line: string) => void;
  /** Show a training progress bar / log lines on stderr. Default false. */
  progress?: boolean;
}

export interface RunResult {
  outDir: string;
  metrics: MetricsFile;
  backend: BackendInfo;
  timings: Timings;
  training: TrainResult;
}

export type Timings = Record<'load' | 'pca' | 'patches' | 'train' | 'predict' | 'render' | 'total', number>;

export async function runPipeline(config: RunConfig, hooks: RunHooks = {}): Promise<RunResult> {
  validateConfig(config);
  const log = hooks.log ?? (() => {});
  const start = performance.now();
  const timings: Partial<Timings> = {};
  let mark = start;
  const lap = (stage: keyof Timings) => {
    const now = performance.now();
    timings[stage] = (now - mark) / 1000;
    mark = now;
  };
  const name = inputName(config.input);
  const outDir = config.out ?? join('outputs', `${name}-${timestamp()}`);
  const spec = getModelSpec(config.model);
  // Checked before anything is loaded or written: a refused --out costs nothing.
  const staged = StagedOutput.open(outDir, config.force);
  try {
    const backend = await selectBackend(config.backend);
    log(`backend: ${backend.detail}`);
    mark = performance.now();

    const scene = loadInputScene(config.input);
    const labels = requireLabels(scene.labels, name);
    const { cube } = scene;
    const patch = spec.spectral ? 1 : config.patch;
    checkPatchSize(patch, cube);
    const falseColorImg = sceneFalseColor(cube, scene.rgbBands);
    log(`scene ${name}: ${cube.height}×${cube.width}×${cube.bands}, ${scene.classes.length} classes`);
    lap('load');

    const split = splitPixels(labels, scene.classes, {
      trainFraction: config.trainPerClass === undefined ? config.trainFraction : undefined,
      trainPerClass: config.trainPerClass,
      seed: config.seed,
    });
    split.warnings.forEach((w) => log(`warning: ${w}`));
    const pca = fitPca(cube, {
      components: config.pca,
      whiten: config.whiten,
      pixels: config.pcaFit === 'train' ? split.train : undefined,
    });
    const reduced = transformCube(cube, pca);
    lap('pca');

    const trainPatches = extractPatches(reduced, split.train, patch);
    lap('patches');

    log(`training ${spec.id} on ${split.train.length} pixels, testing on ${split.test.length}`);
    const numClasses = scene.classes.length;
    const rng = createRng(config.seed, 'model');
    const model = await withSeededMathRandom(rng.fork('init'), () =>
      spec.build({ patch, channels: reduced.bands, numClasses }),
    );
    const reporter = hooks.progress ? progressReporter() : undefined;
    const training = await trainModel(model, arraySource(trainPatches, [patch, patch, reduced.bands]), split.trainClasses, numClasses, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      lrDrops: config.lrDropEpoch > 0 ? [{ afterEpoch: config.lrDropEpoch, factor: 1 / config.lrDropFactor }] : [],
      seed: config.seed,
      onBatch: reporter?.onBatch,
      onEpoch: reporter?.onEpoch,
    });
    reporter?.done();
    lap('train');

    log(`mapping ${cube.height * cube.width} pixels`);
    const predictedClasses = predictClasses(model, patchSource(reduced, patch), { batchSize: config.predictBatch });
    lap('predict');

    const prediction: LabelMap = {
      height: cube.height,
      width: cube.width,
      data: Int32Array.from(predictedClasses, (k) => scene.classes[k]!.value),
    };
    const testPredicted = Int32Array.from(split.test, (p) => predictedClasses[p]!);
    const matrix = confusionMatrix(split.testClasses, testPredicted, numClasses);
    const metrics: MetricsFile = {
      ...metricsFromConfusion(matrix, scene.classes.map((c) => ({ label: c.value, name: c.name }))),
      trainPixels: split.train.length,
      testPixels: split.test.length,
    };
    const testMask = new Uint8Array(cube.height * cube.width);
    for (const p of split.test) testMask[p] = 1;
    const protocol = config.trainPerClass !== undefined ? `${config.trainPerClass} per class` : `${(100 * config.trainFraction).toFixed(1)}% of each class`;
    writeSceneOutputs({
      path: (f) => staged.path(f),
      sceneName: name,
      modelId: spec.id,
      classes: scene.classes,
      prediction,
      labels,
      testMask,
      metrics,
      falseColor: falseColorImg,
      maskBackground: config.maskBackground,
      epochs: training.epochs,
      subtitle: `random stratified split, ${protocol} for training, seed ${config.seed}; ${config.epochs} epochs; ${backend.name}`,
    });
    await saveModel(staged.path('model'), model, {
      kind: 'spinalnet-model',
      version: 1,
      modelId: spec.id,
      patch,
      classes: scene.classes.map((c) => ({ value: c.value, name: c.name })),
      inputBands: cube.bands,
      preprocessing: pcaToJSON(pca),
      dataset: name,
      rgbBands: scene.rgbBands ? [scene.rgbBands[0], scene.rgbBands[1], scene.rgbBands[2]] : undefined,
    });
    model.dispose();
    lap('render');
    timings.total = (performance.now() - start) / 1000;
    const done = timings as Timings;

    const env = runEnvironment(backend);
    writeFileAtomic(
      staged.path('run.json'),
      `${JSON.stringify({ status: 'done', command: 'run', config, scene: { name, height: cube.height, width: cube.width, bands: cube.bands, classes: scene.classes }, pca: { components: pca.components, explainedVarianceRatio: pca.explainedVarianceRatio }, split: { train: split.train.length, test: split.test.length, warnings: split.warnings }, training: { samplesPerSecond: training.samplesPerSecond, epochs: training.epochs }, ...env, timings: done }, null, 2)}\n`,
    );
    writeFileAtomic(
      staged.path('report.md'),
      renderReport({
        title: `${spec.id} on ${name}`,
        metrics,
        facts: [
          ['scene', `${name}: ${cube.height}×${cube.width} pixels, ${cube.bands} bands, ${scene.classes.length} classes`],
          ['split', `random stratified, ${protocol} for training (seed ${config.seed}); ${split.train.length} train, ${split.test.length} test pixels`],
          ['preprocessing', `PCA to ${config.pca} components${config.whiten ? ', whitened' : ''}, fitted on ${config.pcaFit === 'scene' ? 'every pixel of the scene' : 'the training pixels'}`],
          ['model', `${spec.id} (${model.countParams?.() ?? '?'} weights), ${patch}×${patch} patches`],
          ['training', `${config.epochs} epochs, batch ${config.batchSize}, Adam lr ${config.learningRate}${config.lrDropEpoch > 0 ? ` ÷${config.lrDropFactor} after epoch ${config.lrDropEpoch}` : ''}; ${Math.round(training.samplesPerSecond)} samples/s`],
          ['backend', backend.detail],
          ['peak memory', `${env.peakRssMB} MB`],
        ],
        timings: done,
        warnings: split.warnings,
        config,
      }),
    );
    const finalDir = staged.commit();
    return { outDir: finalDir, metrics, backend, timings: done, training };
  } catch (err) {
    staged.abandon();
    throw err;
  } finally {
    tf.disposeVariables();
  }
}

function requireLabels(labels: LabelMap | undefined, name: string): LabelMap {
  if (!labels) {
    throw new DataError(`scene ${name} has no ground truth, so there is nothing to train on`, 'pass the label map with --gt (or use `spinalnet predict` with a trained model)');
  }
  return labels;
}

const timestamp = (): string => new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
