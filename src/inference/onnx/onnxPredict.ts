/**
 * Inference-mode prediction through onnxruntime's native CPU kernels, for maps of whole scenes: the tfjs
 * wasm backend's XNNPACK kernels are limited to 128-bit WebAssembly SIMD.
 * The model is exported to ONNX in memory (exportOnnx); the classes are the argmax of the same logits
 * tfjs computes, up to float32 rounding (test/inference/onnx.test.ts compares them).
 */
import type * as tf from '@tensorflow/tfjs';
import type { PredictOptions } from '../predict.ts';
import { writeSoftmax } from '../probabilities.ts';
import { batchesOf, type SampleSource } from '../../sampling/sampleSource.ts';
import { exportOnnx, type Precision } from './exportOnnx.ts';
import { exportOnnxInt8, type Int8Calibrator } from './int8.ts';
import { fasterSession, type TimedSession } from '../../onnx/fasterSession.ts';
import { createSession, loadOnnxRuntime, type OrtModule, type OrtSession } from '../../onnx/onnxRuntime.ts';

export interface OnnxPredictor {
  /** What runs, for logs and run.json: "onnxruntime 1.30.0, 2 threads" ("…, int8, 1 thread": the timed choice). */
  readonly description: string;
  readonly precision: Precision;
  /** Logits [n, classes] and classes of n NHWC samples. */
  run(batch: Float32Array, n: number): Promise<{ logits: Float32Array; classes: Int32Array }>;
  release(): Promise<void>;
}

/** int8 maps: who calibrates, and the patches it draws from when it was given none (the map's own). */
export interface OnnxInt8Options {
  calibrator: Int8Calibrator;
  mapPatches: SampleSource;
}

/**
 * A predictor for `model` on `threads` cores (the int8 QDQ graph with `int8`), or a string saying why there
 * is none (runtime missing, or a layer the exporter does not translate).
 */
export async function createOnnxPredictor(
  model: tf.LayersModel,
  sampleShape: readonly [number, number, number],
  threads: number,
  int8?: OnnxInt8Options,
): Promise<OnnxPredictor | string> {
  const ort = await loadOnnxRuntime();
  if (typeof ort === 'string') return ort;
  let exported;
  let precision: Precision = 'float32';
  try {
    const calibration = int8 && await int8.calibrator.calibrate(ort, model, int8.mapPatches, threads);
    // A model without convolutions has nothing the int8 graph quantizes: it maps in float32.
    if (calibration && calibration.ranges.length > 0) precision = 'int8';
    exported = calibration && precision === 'int8' ? exportOnnxInt8(model, sampleShape, calibration) : exportOnnx(model, sampleShape);
  } catch (err) {
    return `the model cannot be exported to ONNX: ${err instanceof Error ? err.message : String(err)}`;
  }
  const session = await mapSession(ort, exported.bytes, threads);
  if (typeof session === 'string') return session;
  return predictor(ort, session, exported.input, exported.logits, exported.classes, sampleShape, threads, precision);
}

/**
 * The map's session on `threads` threads. Sleeping threads: a map batch's operators take milliseconds each, so
 * a wake-up per operator costs little on idle cores, while spinning threads on a busy machine take the core
 * from the thread they wait for. With more than one thread, a one-thread session is timed against it on the
 * first batches and again now and then (fasterSession): on the 2-vCPU development machine one thread mapped
 * faster than two (docs/performance.md#maps-one-thread-or-two). Both give the same bits.
 */
async function mapSession(ort: OrtModule, bytes: Uint8Array, threads: number): Promise<OrtSession | TimedSession | string> {
  const many = await createSession(ort, bytes, threads, false);
  if (typeof many === 'string' || threads === 1) return many;
  const one = await createSession(ort, bytes, 1);
  if (typeof one === 'string') return many;
  return fasterSession([{ name: `${threads} threads`, session: many }, { name: '1 thread', session: one }]);
}

function predictor(
  ort: OrtModule,
  session: OrtSession | TimedSession,
  input: string,
  logitsName: string,
  classesName: string,
  sampleShape: readonly [number, number, number],
  threads: number,
  precision: Precision,
): OnnxPredictor {
  const version = ort.env.versions.node ?? ort.env.versions.common ?? '?';
  return {
    // Read when the map is done: the session that mapped most of it, once the timing chose one.
    get description() {
      const chosen = 'chosen' in session ? session.chosen : undefined;
      return `onnxruntime ${version}, ${precision === 'int8' ? 'int8, ' : ''}${chosen ?? `${threads} thread${threads === 1 ? '' : 's'}`}`;
    },
    precision,
    async run(batch, n) {
      const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
      const x = new ort.Tensor('float32', batch.subarray(0, n * per), [n, ...sampleShape]);
      const out = await session.run({ [input]: x }, [logitsName, classesName]);
      const logits = out[logitsName]!.data as Float32Array;
      const classes = Int32Array.from(out[classesName]!.data as BigInt64Array, Number);
      return { logits, classes };
    },
    release: () => session.release(),
  };
}

/**
 * Classes of samples start … end − 1 of `source` (the same batching as tfjs's predictRange), and their
 * softmax probabilities into opts.probabilities when given (from the logits the session returns anyway).
 */
export async function predictRangeOnnx(
  p: OnnxPredictor,
  source: SampleSource,
  start: number,
  end: number,
  opts: PredictOptions = {},
): Promise<Int32Array> {
  const total = end - start;
  const out = new Int32Array(total);
  for (const { data, size, offset } of batchesOf(source, start, end, opts.batchSize ?? 512)) {
    const { classes, logits } = await p.run(data, size);
    out.set(classes, offset);
    if (opts.probabilities) writeSoftmax(logits, size, classes, opts.probabilities, offset);
    opts.onProgress?.(offset + size, total);
  }
  return out;
}
