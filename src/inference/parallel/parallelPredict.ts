/**
 * Full-scene maps on several cores: worker threads, each with its own tfjs engine and wasm backend and a
 * copy of the model, classify ranges of pixels they take from a shared queue; the cube and the output
 * live in shared memory, so nothing large is copied per worker. Each sample goes through the same kernels
 * as in predictClasses, so the classes are the same (test/training/parallel/).
 *
 * Why worker threads: tfjs-wasm runs single-threaded under Node, and prediction is embarrassingly
 * parallel. Starting a worker (tsx, tfjs, wasm, the model) costs about a second, so small jobs stay on
 * the calling thread.
 *
 * Engine: with `engine: 'auto'` (the default) and onnxruntime-node installed, the model is exported to
 * ONNX and runs on onnxruntime's native kernels with `workers` intra-op threads instead (no worker
 * threads needed), faster than wasm on worker threads (`npm run bench`; docs/performance.md#the-tfjs-engines).
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../backend/selectBackend.ts';
import { BackendError } from '../../core/errors.ts';
import { createOnnxPredictor, predictRangeOnnx } from '../onnx/onnxPredict.ts';
import type { Precision } from '../onnx/exportOnnx.ts';
import { cpuHasVnni, Int8Calibrator } from '../onnx/int8.ts';
import { ENGINE_CHOICES, type EngineChoice, onnxOrFallback } from '../../onnx/onnxRuntime.ts';
import type { CubeBIP } from '../../core/types.ts';
import { predictClasses } from '../predict.ts';
import { patchSource } from '../../sampling/sampleSource.ts';
import type { WorkerCommand, WorkerReport, WorkerSetup } from './protocol.ts';

/** Who runs inference: onnxruntime when it loads and the model exports ('auto'), or always tfjs. */
export type InferenceEngine = EngineChoice;
export const INFERENCE_ENGINES = ENGINE_CHOICES;

/**
 * The map's arithmetic: 'int8' (onnxruntime only: a QDQ graph calibrated on sample patches, int8.ts),
 * 'float32', or 'auto': int8 where the onnxruntime map runs on a CPU with VNNI, else float32.
 */
export type PrecisionChoice = 'auto' | Precision;
export const PRECISION_CHOICES: readonly PrecisionChoice[] = ['auto', 'float32', 'int8'];

/** The precision 'auto' gives on this machine when onnxruntime maps. */
export const autoPrecision = (): Precision => (cpuHasVnni() ? 'int8' : 'float32');

export interface ParallelPredictOptions {
  /** Default 'float32'. 'int8' throws a BackendError where onnxruntime does not map. */
  precision?: PrecisionChoice;
  /** Calibrates int8 maps once (share one across windows); default: a seeded subset of this call's patches. */
  int8Calibrator?: Int8Calibrator;
  /** Default 'auto'. 'onnxruntime' throws a BackendError when onnxruntime cannot run the model. */
  engine?: InferenceEngine;
  /** Worker threads; 0 or 1 = predict on the calling thread. Default: the machine's cores (availableParallelism). */
  workers?: number;
  /** Samples per forward pass in each worker. Default 512. */
  batchSize?: number;
  /** Samples a worker takes from the queue at a time. Default 4096. */
  chunkSize?: number;
  /** Fewer samples than this per worker and fewer workers are started (startup costs ~1 s). Default 8192. */
  minSamplesPerWorker?: number;
  /** Called as chunks complete, with the number of samples done. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Softmax probabilities beside the classes: 'confidence' the winning class's (samples floats),
   * 'all' every class's too (samples × classes floats). Absent: classes only, as fast as before.
   */
  probabilities?: ProbabilityOutput;
}

export type ProbabilityOutput = 'confidence' | 'all';

export interface ParallelPredictResult {
  /** Class index of each sample (of `pixels`, or of every pixel row-major). */
  classes: Int32Array;
  /** With `probabilities`: the winning class's softmax probability of each sample. */
  confidence?: Float32Array;
  /** With `probabilities: 'all'`: class k's probability of sample j at [j * classes + k]. */
  probabilities?: Float32Array;
  /** Worker threads used (0 = the calling thread did it all, or onnxruntime did). */
  workers: number;
  /** Threads that computed the map: onnxruntime's intra-op threads, or tfjs's worker threads (1: the calling thread). */
  threads: number;
  /** What ran: "onnxruntime 1.30.0, 2 threads" or "tfjs wasm". */
  engine: string;
  /** The arithmetic the map ran in. */
  precision: Precision;
  /** Why onnxruntime did not run, when 'auto' fell back to tfjs. */
  fallbackReason?: string;
}

/** Model topology and weights in memory, as tf.io artifacts (what a worker loads). */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return captured!;
}

/** The arrays the softmax outputs go into (shared between worker threads when `share`). */
function probabilityArrays(
  model: tf.LayersModel,
  count: number,
  asked: ProbabilityOutput | undefined,
  share: boolean,
): { confidence?: Float32Array; probabilities?: Float32Array } {
  if (!asked) return {};
  const shape = model.outputs[0]!.shape;
  const classes = shape[shape.length - 1] ?? 0;
  const floats = (n: number) => new Float32Array(share ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
  return { confidence: floats(count), ...(asked === 'all' ? { probabilities: floats(count * classes) } : {}) };
}

function shared(data: ArrayLike<number>, kind: 'f32' | 'i32'): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(data.length * 4);
  (kind === 'f32' ? new Float32Array(buffer) : new Int32Array(buffer)).set(data);
  return buffer;
}

/**
 * Classes of the patch×patch windows of `cube` around `pixels` (every pixel when omitted) with `model`
 * in inference mode, on `workers` threads running the active tfjs backend.
 */
export async function predictPatchesParallel(
  model: tf.LayersModel,
  cube: CubeBIP,
  patch: number,
  pixels: Int32Array | undefined,
  opts: ParallelPredictOptions = {},
): Promise<ParallelPredictResult> {
  const count = pixels?.length ?? cube.height * cube.width;
  const batchSize = opts.batchSize ?? 512;
  const chunkSize = Math.max(batchSize, opts.chunkSize ?? 4096);
  const asked = opts.workers ?? os.availableParallelism();
  const precision = opts.precision ?? 'float32';
  const int8 = precision === 'int8' || (precision === 'auto' && autoPrecision() === 'int8');
  const mapPatches = patchSource(cube, patch, pixels);
  const { onnx, fallbackReason } = await onnxOrFallback(opts.engine ?? 'auto', '--inference', 'map with tfjs', () =>
    createOnnxPredictor(model, [patch, patch, cube.bands], Math.max(1, asked), int8 ? { calibrator: opts.int8Calibrator ?? new Int8Calibrator(), mapPatches } : undefined));
  if (!onnx && precision === 'int8') {
    throw new BackendError(
      `--precision int8 runs on onnxruntime only, and this map runs on tfjs${fallbackReason ? ` (${fallbackReason})` : ''}`,
      'use --precision float32 (or auto), or let onnxruntime map: install onnxruntime-node and drop --inference tfjs',
    );
  }
  if (onnx) {
    try {
      const p = probabilityArrays(model, count, opts.probabilities, false);
      const classes = await predictRangeOnnx(onnx, mapPatches, 0, count, {
        batchSize, onProgress: opts.onProgress, probabilities: opts.probabilities ? { at: 0, ...p } : undefined,
      });
      return { classes, ...p, workers: 0, threads: Math.max(1, asked), engine: onnx.description, precision: onnx.precision };
    } finally {
      await onnx.release();
    }
  }
  const tfjsEngine = `tfjs ${tf.getBackend()}`;
  // On WebGPU the device does the parallel work, and worker threads would each need a device of their own.
  const workers = tf.getBackend() === 'webgpu' ? 0 : Math.min(asked, Math.floor(count / (opts.minSamplesPerWorker ?? 8192)));
  if (workers <= 1) {
    const p = probabilityArrays(model, count, opts.probabilities, false);
    const classes = await predictClasses(model, patchSource(cube, patch, pixels), {
      batchSize, onProgress: opts.onProgress, probabilities: opts.probabilities ? { at: 0, ...p } : undefined,
    });
    return { classes, ...p, workers: 0, threads: 1, engine: tfjsEngine, precision: 'float32', ...(fallbackReason ? { fallbackReason } : {}) };
  }

  const out = new SharedArrayBuffer(count * 4);
  const p = probabilityArrays(model, count, opts.probabilities, true);
  const setup: WorkerSetup = {
    backend: tf.getBackend() as BackendChoice,
    artifacts: await modelArtifacts(model),
    cube: { height: cube.height, width: cube.width, bands: cube.bands, data: shared(cube.data, 'f32') },
    ...(pixels ? { pixels: shared(pixels, 'i32') } : {}),
    patch,
    batchSize,
    out,
    ...(p.confidence ? { confidence: p.confidence.buffer as SharedArrayBuffer } : {}),
    ...(p.probabilities ? { probabilities: p.probabilities.buffer as SharedArrayBuffer } : {}),
  };
  await runPool(workers, setup, count, chunkSize, opts.onProgress);
  return { classes: new Int32Array(out), ...p, workers, threads: workers, engine: `${tfjsEngine} on ${workers} worker threads`, precision: 'float32', ...(fallbackReason ? { fallbackReason } : {}) };
}

/** Starts the workers, hands out ranges until all are done, stops them. */
function runPool(
  workers: number,
  setup: WorkerSetup,
  count: number,
  chunkSize: number,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<void> {
  const entry = new URL('./workerEntry.mjs', import.meta.url);
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const pool: Worker[] = [];
    const stopAll = () => {
      for (const w of pool) w.postMessage({ kind: 'stop' } satisfies WorkerCommand);
    };
    const fail = (message: string) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(new BackendError(`parallel prediction failed in a worker thread: ${message}`, 'predict with --workers 0 (one thread)'));
    };
    const feed = (w: Worker) => {
      if (next >= count) return;
      const start = next;
      next = Math.min(count, next + chunkSize);
      w.postMessage({ kind: 'range', start, end: next } satisfies WorkerCommand);
    };
    for (let i = 0; i < workers; i++) {
      // execArgv: []: the entry registers tsx itself; inheriting the parent's loader flags would load it twice.
      const w = new Worker(entry, { workerData: setup, execArgv: [] });
      pool.push(w);
      w.on('message', (m: WorkerReport) => {
        if (m.kind === 'error') return fail(m.message);
        if (m.kind === 'done') {
          done += m.end - m.start;
          onProgress?.(done, count);
          if (done === count) {
            stopAll();
            resolve();
            return;
          }
        }
        feed(w);
      });
      w.on('error', (err) => fail(err.message));
      w.on('exit', (code) => {
        if (code !== 0 && done < count) fail(`worker exited with code ${code}`);
      });
    }
  });
}
