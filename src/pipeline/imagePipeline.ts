/**
 * `spinalnet image`: image dataset → split → normalisation → training → test predictions → metrics and
 * outputs. The same training loop, prediction, metrics, renderers, model files and staged output folder
 * as `spinalnet run`; this file only sequences them. Callable as a library function that returns the
 * metrics (for `spinalnet experiment`).
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { selectBackend, type BackendInfo } from '../backend/selectBackend.ts';
import { confusionMatrix, metricsFromConfusion, type Metrics } from '../evaluation/metrics.ts';
import { imageSource, fitNormalization } from '../images/imageSource.ts';
import { loadImageDataset } from '../images/loadImageDataset.ts';
import { findImageDataset } from '../images/registry.ts';
import { validateImageConfig, type ImageRunConfig } from '../images/runConfig.ts';
import { splitImages } from '../images/splitImages.ts';
import type { Normalization } from '../images/types.ts';
import { getImageModelSpec } from '../models/imageRegistry.ts';
import { saveModel } from '../models/modelFiles.ts';
import { renderConfusionMatrix, renderTrainingCurves, writePng } from '../render/index.ts';
import { renderMisclassified } from '../render/imageGrid.ts';
import { predictClasses } from '../inference/predict.ts';
import { progressReporter } from '../training/progress.ts';
import { withSeededMathRandom } from '../training/seededRandom.ts';
import { trainModel, type TrainResult } from '../training/trainModel.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { createRng } from '../util/random.ts';
import { writeReportHtml } from '../report/reportHtml.ts';
import { renderReport } from './report.ts';
import { runEnvironment } from './runEnvironment.ts';
import { pct } from './sceneOutputs.ts';
import { StagedOutput } from './stagedOutput.ts';
import { stageClock, timestamp } from '../util/stageClock.ts';

export interface ImageRunHooks {
  /** One line of news for the user (the CLI prints it on stderr). Default: silent. */
  log?: (line: string) => void;
  /** Show a training progress bar / log lines on stderr. Default false. */
  progress?: boolean;
}

/** metrics.json of an image run: accuracies as fractions 0..1, per-class results, the confusion matrix. */
export interface ImageMetricsFile extends Metrics {
  trainImages: number;
  testImages: number;
}

export type ImageTimings = Record<'load' | 'split' | 'train' | 'predict' | 'render' | 'total', number>;

export interface ImageRunResult {
  outDir: string;
  metrics: ImageMetricsFile;
  backend: BackendInfo;
  /** Wall-clock seconds per stage. */
  timings: ImageTimings;
  /** CPU seconds (user + system) of this process during the run: the cost, however busy the machine. */
  cpuSeconds: number;
  training: TrainResult;
  normalization: Normalization;
  /** Number of weights of the model. */
  weights: number;
}

export async function runImagePipeline(config: ImageRunConfig, hooks: ImageRunHooks = {}): Promise<ImageRunResult> {
  validateImageConfig(config);
  const log = hooks.log ?? (() => {});
  const cpuStart = process.cpuUsage();
  const clock = stageClock<keyof ImageTimings>();
  const { timings } = clock;
  const lap = (stage: keyof ImageTimings) => clock.lap(stage);
  const spec = getImageModelSpec(config.model);
  const outDir = config.out ?? join('outputs', `${config.dataset}-${spec.id}-${timestamp()}`);
  // Checked before anything is loaded or written: a refused --out costs nothing.
  const staged = StagedOutput.open(outDir, config.force);
  try {
    const backend = await selectBackend(config.backend);
    log(`backend: ${backend.detail}`);
    if (backend.warning) log(`warning: ${backend.warning}`);
    if (spec.heavy && backend.name !== 'tensorflow') log(`warning: ${spec.id} is heavy for ${backend.name}; expect tens of images per second (see docs/images.md)`);
    clock.reset();

    const ds = loadImageDataset({ dataset: config.dataset, dataDir: config.dataDir, imageSize: config.imageSize });
    ds.warnings.forEach((w) => log(`warning: ${w}`));
    lap('load');
    const split = splitImages(ds, { trainFraction: config.trainFraction, maxTrain: config.maxTrain, maxTest: config.maxTest, seed: config.seed });
    split.warnings.forEach((w) => log(`warning: ${w}`));
    const { train, test } = split;
    const entry = findImageDataset(ds.id)!;
    const normalization = entry.normalization === 'fit' ? fitNormalization(train) : entry.normalization;
    lap('split');

    const numClasses = ds.classes.length;
    const shape = { height: train.height, width: train.width, channels: train.channels, numClasses };
    log(`${ds.title}: ${train.count} training, ${test.count} test images of ${train.height}×${train.width}×${train.channels}, ${numClasses} classes`);
    const rng = createRng(config.seed, 'model');
    const model = await withSeededMathRandom(rng.fork('init'), () => spec.build(shape));
    log(`training ${spec.id} (${model.countParams()} weights) for ${config.epochs} epochs`);
    const reporter = hooks.progress ? progressReporter() : undefined;
    const source = imageSource(train, normalization, config.augment ? { augment: { rng: rng.fork('augment') } } : {});
    const training = await trainModel(model, source, split.trainClasses, numClasses, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      lrDrops: config.lrDropEpoch > 0 ? [{ afterEpoch: config.lrDropEpoch, factor: 1 / config.lrDropFactor }] : [],
      seed: config.seed,
      engine: config.training,
      onBatch: reporter?.onBatch,
      onEpoch: reporter?.onEpoch,
    });
    reporter?.done();
    if (training.fallbackReason) log(`training gradients on tfjs: ${training.fallbackReason}`);
    lap('train');

    const predicted = await predictClasses(model, imageSource(test, normalization), { batchSize: config.predictBatch });
    lap('predict');

    const names = ds.classes.map((c) => c.name);
    const metrics: ImageMetricsFile = {
      ...metricsFromConfusion(confusionMatrix(split.testClasses, predicted, numClasses), ds.classes.map((c) => ({ label: c.value, name: c.name }))),
      trainImages: train.count,
      testImages: test.count,
    };
    const runName = `${spec.id} on ${ds.id}`;
    writeFileAtomic(staged.path('metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    writePng(staged.path('confusion-matrix.png'), renderConfusionMatrix(metrics.confusionMatrix, names, { title: `${ds.id} - test images (rows: true class)` }));
    writePng(staged.path('training-curves.png'), renderTrainingCurves({ epochs: training.epochs, title: `${runName} - training` }));
    writePng(
      staged.path('misclassified.png'),
      renderMisclassified({ images: test, truth: split.testClasses, predicted, classNames: names, max: config.misclassifiedMax, title: `${runName}: OA ${pct(metrics.overallAccuracy)}` }),
    );
    await saveModel(staged.path('model'), model, {
      kind: 'spinalnet-model',
      version: 1,
      modelId: spec.id,
      patch: train.height,
      classes: ds.classes.map((c) => ({ value: c.value, name: c.name })),
      inputBands: train.channels,
      preprocessing: { kind: 'image-normalization', mean: [...normalization.mean], std: [...normalization.std] },
      dataset: ds.id,
      image: { height: train.height, width: train.width, channels: train.channels },
    });
    const params = model.countParams();
    model.dispose();
    lap('render');
    timings.total = clock.total();
    const done = timings as ImageTimings;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;

    const env = runEnvironment(backend);
    const trainingLine = `${config.epochs} epochs, batch ${config.batchSize}, Adam lr ${config.learningRate}${config.lrDropEpoch > 0 ? ` ÷${config.lrDropFactor} after epoch ${config.lrDropEpoch}` : ''}${config.augment ? ', augmented (±2 px shifts, ±10° rotations)' : ''}; ${Math.round(training.samplesPerSecond)} images/s; gradients on ${training.engine}`;
    const record = {
      status: 'done',
      command: 'image',
      config,
      dataset: { id: ds.id, title: ds.title, classes: ds.classes, files: ds.files, height: train.height, width: train.width, channels: train.channels },
      split: { protocol: split.protocol, train: train.count, test: test.count, warnings: split.warnings },
      normalization,
      model: { id: spec.id, weights: params },
      training: { engine: training.engine, samplesPerSecond: training.samplesPerSecond, epochs: training.epochs },
      ...env,
      timings: done,
      cpuSeconds,
    };
    writeFileAtomic(staged.path('run.json'), `${JSON.stringify(record, null, 2)}\n`);
    writeReportHtml((f) => staged.path(f), { title: runName, metrics, record, unit: 'images' });
    const warnings = [...ds.warnings, ...split.warnings];
    writeFileAtomic(
      staged.path('report.md'),
      renderReport({
          title: runName,
          results: { metrics, train: metrics.trainImages, test: metrics.testImages, unit: 'images', note: 'Wrong test images: misclassified.png.' },
          facts: [
            ['dataset', `${ds.title}: ${train.height}×${train.width}×${train.channels} images, ${numClasses} classes`],
            ['split', `${split.protocol}; ${train.count} training, ${test.count} test images`],
            ['normalisation', `(v/255 − mean)/std per channel, mean ${fmt(normalization.mean)}, std ${fmt(normalization.std)}${entry.normalization === 'fit' ? ' (fitted on the training images)' : ''}`],
            ['model', `${spec.id} (${params} weights): ${spec.description}`],
            ['training', trainingLine],
            ['backend', backend.detail],
            ['CPU time', `${cpuSeconds.toFixed(1)} s (user + system) over ${done.total.toFixed(1)} s wall`],
            ['peak memory', `${env.peakRssMB} MB`],
          ],
          timings: done,
          warnings,
          config,
        }),
    );
    const finalDir = staged.commit();
    return { outDir: finalDir, metrics, backend, timings: done, cpuSeconds, training, normalization, weights: params };
  } catch (err) {
    staged.abandon();
    throw err;
  } finally {
    tf.disposeVariables();
  }
}

const fmt = (v: readonly number[]): string => `[${v.map((x) => x.toFixed(4)).join(', ')}]`;

