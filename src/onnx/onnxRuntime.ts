/**
 * onnxruntime-node, loaded on demand: an optional dependency (its native library ships in the npm
 * package; package.json's allowScripts skips its install script, which would fetch CUDA files from the
 * internet). Everything works without it: prediction and training gradients then stay on tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, ConfigError } from '../core/errors.ts';

/**
 * Who runs a job: onnxruntime when it loads and can run the model ('auto'), or always tfjs. On the
 * 'webgpu' backend 'auto' means tfjs: the user asked for the GPU, and onnxruntime-node runs on the CPU.
 */
export type EngineChoice = 'auto' | 'onnxruntime' | 'tfjs';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'onnxruntime', 'tfjs'];

const WEBGPU_ONNX_FIX = (flag: string) => `drop ${flag} (on webgpu it runs there), or use --backend wasm with ${flag} onnxruntime`;

/** Refuses `flag` onnxruntime with --backend webgpu before anything runs (see onnxOrFallback). */
export function checkEngineForBackend(backend: string, flag: string, choice: EngineChoice): void {
  if (backend === 'webgpu' && choice === 'onnxruntime') throw new ConfigError(flag, "'auto' or 'tfjs' with --backend webgpu", choice, WEBGPU_ONNX_FIX(flag));
}

/**
 * What `create` makes (an onnxruntime predictor or training step) when `choice` allows onnxruntime, else
 * why tfjs runs instead. Under 'onnxruntime' a refusal throws a BackendError naming `flag` (--inference,
 * --training); `fallback` says what 'auto' would do ("map with tfjs").
 */
export async function onnxOrFallback<T>(
  choice: EngineChoice, flag: string, fallback: string, create: () => Promise<T | string>,
): Promise<{ onnx?: T; fallbackReason?: string }> {
  if (choice === 'tfjs') return {};
  if (tf.getBackend() === 'webgpu') {
    if (choice === 'auto') return {};
    // The onnxruntime paths read the tfjs weights with dataSync(), which tfjs's WebGPU backend cannot do in Node.
    throw new BackendError(`${flag} onnxruntime cannot be combined with the webgpu backend`, WEBGPU_ONNX_FIX(flag));
  }
  const onnx = await create();
  if (typeof onnx !== 'string') return { onnx };
  if (choice === 'onnxruntime') {
    throw new BackendError(`${flag} onnxruntime: ${onnx}`, `install onnxruntime-node (npm install onnxruntime-node), or use ${flag} auto to ${fallback}`);
  }
  return { fallbackReason: onnx };
}

/** The part of onnxruntime-node's API we use (typed here so the project type-checks without it). */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: {
    create(model: Uint8Array, options: {
      intraOpNumThreads: number;
      interOpNumThreads: number;
      graphOptimizationLevel: 'all';
      executionMode: 'sequential';
      logSeverityLevel: 0 | 1 | 2 | 3 | 4;
      /** Session config entries; nested keys join with dots ("session.intra_op.allow_spinning"). */
      extra?: Record<string, unknown>;
    }): Promise<OrtSession>;
  };
  env: { versions: { node?: string; common?: string } };
}

let loading: Promise<OrtModule | string> | undefined;

/** The runtime, or why it cannot be used (not installed, or its native library fails to load). */
export function loadOnnxRuntime(): Promise<OrtModule | string> {
  loading ??= (async () => {
    try {
      // A variable specifier: the package is optional, so nothing may resolve it at type-check time.
      const specifier = 'onnxruntime-node';
      const mod = (await import(specifier)) as { default?: OrtModule } & OrtModule;
      return mod.InferenceSession ? mod : mod.default!;
    } catch (err) {
      return `onnxruntime-node could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
    }
  })();
  return loading;
}

/**
 * A session for `model` (ModelProto bytes) on `threads` intra-op threads, or why onnxruntime refused it.
 * `spinning: false` makes idle intra-op threads sleep instead of spin-waiting for the next operator
 * (onnxruntime's default is to spin: fastest on idle cores, but on busy ones a spinning thread takes the
 * core from the thread it waits for).
 */
export async function createSession(ort: OrtModule, model: Uint8Array, threads: number, spinning = true): Promise<OrtSession | string> {
  try {
    return await ort.InferenceSession.create(model, {
      intraOpNumThreads: Math.max(1, threads),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      logSeverityLevel: 3,
      ...(spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    });
  } catch (err) {
    return `onnxruntime refused the graph: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}
