/**
 * The bench's workloads, run on the active tfjs backend with the real paper network
 * (`spinal-cnn`: 15×15×30 patches, 13 classes) and random data: training through trainModel,
 * prediction through predictClasses, and a full-scene map of a KSC-sized random cube (512×614×30)
 * through the parallel predictor the pipeline can use.
 */
import type * as tf from '@tensorflow/tfjs';
import { getModelSpec } from '../src/models/registry.ts';
import { createOnnxPredictor, type OnnxPredictor, predictRangeOnnx } from '../src/inference/onnx/onnxPredict.ts';
import { type InferenceEngine, predictPatchesParallel, type PrecisionChoice } from '../src/inference/parallel/parallelPredict.ts';
import { predictClasses } from '../src/inference/predict.ts';
import { arraySource } from '../src/sampling/sampleSource.ts';
import { type TrainingEngine, trainModel } from '../src/training/trainModel.ts';
import { createRng } from '../src/util/random.ts';
import { clock, type Timing } from './clock.ts';

export const PATCH = 15;
export const CHANNELS = 30;
export const CLASSES = 13;
/** The KSC scene's size. */
export const KSC = { height: 512, width: 614 } as const;
const PER = PATCH * PATCH * CHANNELS;

export function paperNetwork(): tf.LayersModel {
  return getModelSpec('spinal-cnn').build({ patch: PATCH, channels: CHANNELS, numClasses: CLASSES });
}

/** Seeded standard-normal samples and uniform labels. */
export function randomSamples(count: number, seed: number): { data: Float32Array; labels: Int32Array } {
  const rng = createRng(seed, 'bench-samples');
  const data = new Float32Array(count * PER);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = rng.int(CLASSES);
  return { data, labels };
}

export interface Rate extends Timing {
  samples: number;
  /** What computed the training gradients (trainModel's engine, e.g. "onnxruntime 1.30.0, 1 thread"). */
  engine?: string;
}

/** How a training measurement warms up and what it times. */
export interface TrainRateOptions {
  /** Warm-up: a separate trainModel call of this many batches first (first calls build XNNPACK operators and JIT-compile). */
  warmupBatches?: number;
  /**
   * Warm-up inside the timed call instead: this many untimed passes over the samples before `epochs`
   * timed ones, in one trainModel call, so the timed steps run on the session and thread choice the
   * warm-up settled (onnxruntime times its thread candidates on a new session's first ~27 steps).
   */
  warmupEpochs?: number;
  /** Timed passes over the samples (default 1). */
  epochs?: number;
  threads?: number;
}

/** Training samples per second of trainModel over `samples` random samples at `batchSize` (Adam 1e-3). */
export async function trainRate(
  model: tf.LayersModel, batchSize: number, samples: number, engine: TrainingEngine, o: TrainRateOptions = {},
): Promise<Rate> {
  const { data, labels } = randomSamples(samples, batchSize);
  const warmEpochs = o.warmupEpochs ?? 0;
  const epochs = o.epochs ?? 1;
  const options = { batchSize, learningRate: 1e-3, seed: 1, engine, ...(o.threads ? { threads: o.threads } : {}) };
  const warmBatches = o.warmupBatches ?? 0;
  if (warmBatches > 0) {
    const n = Math.min(samples, warmBatches * batchSize);
    await trainModel(model, arraySource(data.subarray(0, n * PER), [PATCH, PATCH, CHANNELS]), labels.subarray(0, n), CLASSES, { ...options, epochs: 1 });
  }
  const source = arraySource(data, [PATCH, PATCH, CHANNELS]);
  // Timed from the end of the last warm-up epoch (or the call's start) to the end of the last epoch.
  let start = { cpu: process.cpuUsage(), wall: performance.now() };
  let end = start;
  const result = await trainModel(model, source, labels, CLASSES, {
    ...options,
    epochs: warmEpochs + epochs,
    onEpoch: (e) => {
      const now = { cpu: process.cpuUsage(), wall: performance.now() };
      if (e.epoch === warmEpochs) start = now;
      if (e.epoch === warmEpochs + epochs) end = now;
    },
  });
  const used = process.cpuUsage(start.cpu);
  const usedEnd = process.cpuUsage(end.cpu);
  return {
    wall: (end.wall - start.wall) / 1000, cpu: (used.user + used.system - usedEnd.user - usedEnd.system) / 1e6, samples: samples * epochs, engine: result.engine,
  };
}

/**
 * Classes of `samples` random samples, after one warm-up batch: predictClasses on the calling thread, or
 * `onnx` (onnxruntime with its own threads) when given.
 */
export async function predictRate(model: tf.LayersModel, samples: number, batchSize: number, onnx?: OnnxPredictor): Promise<Rate> {
  const { data } = randomSamples(samples, 7);
  const source = arraySource(data, [PATCH, PATCH, CHANNELS]);
  const warm = Math.min(samples, batchSize);
  if (onnx) {
    await predictRangeOnnx(onnx, source, 0, warm, { batchSize });
    const t = await clock(() => predictRangeOnnx(onnx, source, 0, samples, { batchSize }));
    return { ...t, samples };
  }
  await predictClasses(model, arraySource(data.subarray(0, warm * PER), [PATCH, PATCH, CHANNELS]), { batchSize });
  const t = await clock(() => predictClasses(model, source, { batchSize }));
  return { ...t, samples };
}

/** onnxruntime running `model` on `threads` threads, or why it cannot. */
export const onnxPredictor = (model: tf.LayersModel, threads: number): Promise<OnnxPredictor | string> =>
  createOnnxPredictor(model, [PATCH, PATCH, CHANNELS], threads);

export interface MapTiming extends Timing {
  /** Pixels actually classified. */
  pixels: number;
  /** Pixels of the whole scene. */
  scenePixels: number;
  workers: number;
  /** What mapped the scene. */
  engine: string;
}

/**
 * Classes of every pixel of a KSC-sized random cube (or of its first `fraction` of rows, to extrapolate),
 * 15×15 patches cut on demand, through predictPatchesParallel with `workers` threads.
 */
export async function mapScene(
  model: tf.LayersModel, fraction: number, workers: number, batchSize: number, engine: InferenceEngine = 'tfjs', precision: PrecisionChoice = 'float32',
): Promise<MapTiming> {
  const { height, width } = KSC;
  const rng = createRng(3, 'bench-cube');
  const data = new Float32Array(height * width * CHANNELS);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  const cube = { height, width, bands: CHANNELS, data };
  // A fraction of the pixels (whole rows when it is a fraction of the rows), at least one pixel.
  const count = Math.max(1, Math.round(height * width * fraction));
  const pixels = count >= height * width ? undefined : Int32Array.from({ length: count }, (_, i) => i);
  let used = { workers: 0, engine: '' };
  const t = await clock(async () => {
    used = await predictPatchesParallel(model, cube, PATCH, pixels, { workers, batchSize, engine, precision });
  });
  return { ...t, pixels: pixels?.length ?? height * width, scenePixels: height * width, workers: used.workers, engine: used.engine };
}
