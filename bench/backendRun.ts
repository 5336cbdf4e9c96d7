/**
 * One backend's bench rows, run in a child process of bench/run.ts so each backend starts clean and its
 * peak RSS is its own. Prints one JSON line (BackendResult) on stdout.
 *
 *   node --import tsx bench/backendRun.ts '{"backend":"wasm", ...BackendPlan}'
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../src/backend/selectBackend.ts';
import type { GpuAdapterDescription } from '../src/backend/webgpu/dawn.ts';
import { DEFAULTS } from '../src/pipeline/config.ts';
import { loadLibtorch } from '../src/training/engines/libtorch/libtorchGradients.ts';
import { peakRssMiB } from './clock.ts';
import { mapScene, type MapTiming, onnxPredictor, paperNetwork, predictRate, type Rate, trainRate } from './workloads.ts';

export interface BackendPlan {
  backend: BackendName;
  /** Samples per training measurement, by batch size; 0 skips it. */
  train16: number;
  train64: number;
  /** Batch 256 (bench/gpu.ts); absent or 0 skips it. */
  train256?: number;
  /** Warm-up batches before each training measurement (default 2; 0 on the cpu backend). */
  warmupBatches?: number;
  /**
   * Instead of warm-up batches: each training measurement is one trainModel call of `warmupEpochs`
   * untimed and `epochs` timed passes over its samples (as torch_throughput.py does).
   */
  warmupEpochs?: number;
  epochs?: number;
  /** Samples for the one-thread prediction measurement. */
  predict: number;
  predictBatch: number;
  /** Fraction of the KSC-sized scene's rows to map (1 = the whole scene, 0 = skip). */
  mapFraction: number;
  /** Worker threads for the map (0 = the calling thread). */
  workers: number;
  /** XNNPACK threads of the wasm backend (wasm only; default 1). */
  wasmThreads?: number;
  /**
   * Train (gradients), predict and map with onnxruntime on `workers` threads instead of tfjs (the model is
   * still built on `backend`, whose variables and Adam hold the weights).
   */
  onnx?: boolean;
  /** With onnx: also train with libtorch's gradients (the same samples, epochs and threads), where it is built. */
  libtorch?: boolean;
}

export interface BackendResult {
  backend: BackendName;
  detail?: string;
  /** The GPU adapter (webgpu). */
  adapter?: GpuAdapterDescription;
  /** Why the backend could not run. */
  unavailable?: string;
  train16?: Rate;
  train64?: Rate;
  train256?: Rate;
  predict?: Rate;
  map?: MapTiming;
  /** Training with libtorch's gradients (BackendPlan.libtorch): its rates, or why it could not run. */
  libtorch?: { train16?: Rate; train64?: Rate; unavailable?: string };
  peakRssMiB: number;
}

export async function runBackend(plan: BackendPlan): Promise<BackendResult> {
  let detail: string;
  let adapter: GpuAdapterDescription | undefined;
  try {
    const opts = plan.wasmThreads === undefined ? {} : { wasmThreads: plan.wasmThreads };
    const info = await selectBackend(plan.backend, opts);
    detail = info.detail;
    adapter = info.adapter;
  } catch (err) {
    return { backend: plan.backend, unavailable: err instanceof Error ? err.message : String(err), peakRssMiB: peakRssMiB() };
  }
  const result: BackendResult = { backend: plan.backend, detail, ...(adapter ? { adapter } : {}), peakRssMiB: 0 };
  const model = paperNetwork();
  if (plan.onnx) return runOnnx(plan, model, result);
  const warm = plan.warmupBatches ?? (plan.backend === 'cpu' ? 0 : 2);
  const o = { warmupBatches: warm };
  if (plan.train16 > 0) result.train16 = await trainRate(model, 16, plan.train16, 'tfjs', o);
  if (plan.train64 > 0) result.train64 = await trainRate(model, 64, plan.train64, 'tfjs', o);
  if ((plan.train256 ?? 0) > 0) result.train256 = await trainRate(model, 256, plan.train256!, 'tfjs', o);
  if (plan.predict > 0) result.predict = await predictRate(model, plan.predict, plan.predictBatch);
  if (plan.mapFraction > 0) result.map = await mapScene(model, plan.mapFraction, plan.workers, plan.predictBatch);
  model.dispose();
  result.peakRssMiB = peakRssMiB();
  return result;
}

async function runOnnx(plan: BackendPlan, model: tf.LayersModel, result: BackendResult): Promise<BackendResult> {
  const threads = Math.max(1, plan.workers);
  const onnx = await onnxPredictor(model, threads);
  if (typeof onnx === 'string') return { backend: plan.backend, detail: 'onnxruntime', unavailable: onnx, peakRssMiB: peakRssMiB() };
  result.detail = onnx.description;
  const o = plan.warmupEpochs !== undefined
    ? { warmupEpochs: plan.warmupEpochs, epochs: plan.epochs ?? 1, threads }
    : { warmupBatches: plan.warmupBatches ?? 2, threads };
  if (plan.train16 > 0) result.train16 = await trainRate(model, 16, plan.train16, 'onnxruntime', o);
  if (plan.train64 > 0) result.train64 = await trainRate(model, 64, plan.train64, 'onnxruntime', o);
  if ((plan.train256 ?? 0) > 0) result.train256 = await trainRate(model, 256, plan.train256!, 'onnxruntime', o);
  if (plan.libtorch) {
    const missing = loadLibtorch();
    result.libtorch = typeof missing === 'string' ? { unavailable: missing } : {
      ...(plan.train16 > 0 ? { train16: await trainRate(model, 16, plan.train16, 'libtorch', o) } : {}),
      ...(plan.train64 > 0 ? { train64: await trainRate(model, 64, plan.train64, 'libtorch', o) } : {}),
    };
  }
  if (plan.predict > 0) result.predict = await predictRate(model, plan.predict, plan.predictBatch, onnx);
  await onnx.release();
  // The map in the precision a run maps in by default (int8 on CPUs with VNNI); the row's engine names it.
  if (plan.mapFraction > 0) result.map = await mapScene(model, plan.mapFraction, threads, plan.predictBatch, 'onnxruntime', DEFAULTS.precision);
  model.dispose();
  result.peakRssMiB = peakRssMiB();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const plan = JSON.parse(process.argv[2] ?? '{}') as BackendPlan;
  const result = await runBackend(plan);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  tf.disposeVariables();
}
