/**
 * Picks and initialises the tfjs compute backend.
 *
 * Order for 'auto': WebGPU through Dawn when Dawn finds a hardware adapter (never a software one: SwiftShader
 * and llvmpipe are CPUs; `--backend webgpu` runs on them with a warning), then the native TensorFlow backend (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`;
 * neither can be installed where libtensorflow cannot be downloaded), then wasm (XNNPACK, with our conv
 * gradient kernels so conv nets train), then the pure-JS cpu backend (slow: docs/performance.md#engines).
 * Nothing is printed here; the caller reports `BackendInfo`.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, ConfigError } from '../core/errors.ts';
import { registerWasmKernels } from './wasmKernels.ts';
import { setWasmThreads } from './wasmThreads.ts';
import type { GpuAdapterDescription } from './webgpu/dawn.ts';
import { activateWebGpu } from './webgpu/activateWebGpu.ts';

export type BackendName = 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** A backend that 'auto' tried and passed over, and why. */
export interface SkippedBackend {
  name: BackendName;
  reason: string;
}

/** The backend now active in tfjs. */
export interface BackendInfo {
  name: BackendName;
  /** For people: e.g. 'tfjs-node-gpu (CUDA)', 'wasm (SIMD, 1 thread)', 'cpu (pure JavaScript)'. */
  detail: string;
  /** Backends tried before this one ('auto' only), with the reason each was not used. */
  skipped: SkippedBackend[];
  /** The GPU adapter ('webgpu' only): recorded in run.json. */
  adapter?: GpuAdapterDescription;
  /** Something the user should know about what runs (a software WebGPU adapter); callers log it. */
  warning?: string;
}

export interface SelectBackendOptions {
  /**
   * XNNPACK threads of the wasm backend (see wasmThreads.ts): faster training on an otherwise idle
   * multi-core machine, slower when other processes keep the cores busy. Default: leave as it is
   * (1 unless set before in this process). Changing it re-creates the wasm backend.
   */
  wasmThreads?: number;
}

/** Native packages, best first. Each registers the 'tensorflow' backend when imported. */
const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Which native package registered 'tensorflow' in this process (import side effects happen once). */
let loadedNodePackage: string | undefined;

/**
 * Makes `choice` the active tfjs backend and returns what runs. Idempotent: a second call with the same
 * choice re-activates the same backend. Throws ConfigError for an unknown choice and BackendError when an
 * explicitly chosen backend cannot be loaded ('auto' falls back instead).
 */
export async function selectBackend(choice: BackendChoice, opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new ConfigError('backend', `one of ${BACKEND_CHOICES.map((c) => `'${c}'`).join(', ')}`, choice);
  }
  silenceCpuNodeNotice();
  if (choice === 'tensorflow') {
    const result = await activateTensorflow();
    if (typeof result === 'string') {
      throw new BackendError(
        `the 'tensorflow' backend cannot be used: ${result}`,
        'install @tensorflow/tfjs-node-gpu (or @tensorflow/tfjs-node) on a machine where its install script can ' +
          'download libtensorflow, or run with --backend wasm',
      );
    }
    return { ...result, skipped: [] };
  }
  if (opts.wasmThreads !== undefined && !(Number.isInteger(opts.wasmThreads) && opts.wasmThreads >= 1)) {
    throw new ConfigError('wasm threads', 'a positive integer', opts.wasmThreads);
  }
  if (choice === 'wasm') {
    const result = await activateWasm(opts.wasmThreads);
    if (typeof result === 'string') {
      throw new BackendError(
        `the 'wasm' backend cannot be used: ${result}`,
        'reinstall dependencies (npm ci) so @tensorflow/tfjs-backend-wasm and its .wasm files are present, ' +
          'or run with --backend cpu',
      );
    }
    return { ...result, skipped: [] };
  }
  if (choice === 'cpu') return { ...(await activateCpu()), skipped: [] };
  if (choice === 'webgpu') {
    const result = await activateWebGpu(true);
    if (typeof result === 'string') {
      throw new BackendError(
        `the 'webgpu' backend cannot be used: ${result}`,
        'run `spinalnet backends` to see what this machine has and how to get WebGPU (README, "GPUs"), or use --backend auto',
      );
    }
    return { name: 'webgpu', ...result, skipped: [] };
  }

  const skipped: SkippedBackend[] = [];
  const gpu = await activateWebGpu(false);
  if (typeof gpu !== 'string') return { name: 'webgpu', ...gpu, skipped };
  skipped.push({ name: 'webgpu', reason: gpu });
  const native = await activateTensorflow();
  if (typeof native !== 'string') return { ...native, skipped };
  skipped.push({ name: 'tensorflow', reason: native });
  const wasm = await activateWasm(opts.wasmThreads);
  if (typeof wasm !== 'string') return { ...wasm, skipped };
  skipped.push({ name: 'wasm', reason: wasm });
  return { ...(await activateCpu()), skipped };
}

type Activated = Omit<BackendInfo, 'skipped'>;

/** Activates 'tensorflow', or returns why it cannot be. */
async function activateTensorflow(): Promise<Activated | string> {
  if (tf.findBackendFactory('tensorflow') === null) {
    const reasons: string[] = [];
    for (const pkg of NODE_PACKAGES) {
      try {
        // A variable specifier: these packages are optional and absent here, so TypeScript must not resolve them.
        const specifier: string = pkg;
        await import(specifier);
      } catch (err) {
        reasons.push(`${pkg} ${describeImportFailure(pkg, err)}`);
        continue;
      }
      if (tf.findBackendFactory('tensorflow') === null) {
        reasons.push(
          `${pkg} loaded but registered its backend with another copy of @tensorflow/tfjs-core ` +
            '(its @tensorflow/tfjs version differs from ours)',
        );
        continue;
      }
      loadedNodePackage = pkg;
      break;
    }
    if (tf.findBackendFactory('tensorflow') === null) return reasons.join('; ');
  }
  if (!(await tf.setBackend('tensorflow'))) return 'its native library failed to initialise (tfjs printed the cause)';
  const pkg = (loadedNodePackage ?? 'tfjs-node').replace('@tensorflow/', '');
  // NodeJSKernelBackend exposes this flag; it is false when tfjs-node-gpu found no CUDA device.
  const usesGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  return { name: 'tensorflow', detail: `${pkg} (${usesGpu ? 'CUDA' : 'CPU'})` };
}

/** Activates 'wasm' with our conv gradient kernels, or returns why it cannot be. */
async function activateWasm(threadCount: number | undefined): Promise<Activated | string> {
  let wasmModule: { getThreadsCount(): number };
  try {
    // Importing registers the backend factory and its kernels; the .wasm files are found next to the
    // package's Node bundle (dist/), so this works from the repo and from an installed package alike.
    wasmModule = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return `@tensorflow/tfjs-backend-wasm ${describeImportFailure('@tensorflow/tfjs-backend-wasm', err)}`;
  }
  registerWasmKernels();
  if (threadCount !== undefined) {
    try {
      await setWasmThreads(threadCount);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
  if (!(await tf.setBackend('wasm'))) return 'its WebAssembly module failed to initialise (tfjs printed the cause)';
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = wasmModule.getThreadsCount();
  return { name: 'wasm', detail: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})` };
}

async function activateCpu(): Promise<Activated> {
  if (!(await tf.setBackend('cpu'))) {
    throw new BackendError('the pure-JavaScript cpu backend failed to initialise', 'reinstall dependencies (npm ci)');
  }
  return { name: 'cpu', detail: 'cpu (pure JavaScript)' };
}

/** 'is not installed' when the package itself is missing; otherwise the first line of the load error. */
function describeImportFailure(pkg: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  if (notFound && message.includes(`'${pkg}'`)) return 'is not installed';
  return `failed to load: ${message.split('\n')[0]}`;
}

/**
 * The cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js. To speed things up
 * dramatically, install our node backend…" from its first tensor write when IS_NODE (MathBackendCPU.write,
 * guarded by a one-time `firstUse` field, through tfjs's log.warn). We clear that field on the cpu backend
 * instance. Alternatives weighed: the PROD flag (`tf.enableProdMode()`) silences every tfjs warning,
 * including "Initialization of backend wasm failed" and its stack, the one place that cause is reported;
 * a console.warn filter patches a process-wide global. The field is private API: if a future tfjs renames
 * it, the only effect is that the notice shows again.
 */
function silenceCpuNodeNotice(): void {
  if (tf.findBackendFactory('cpu') === null) return;
  // findBackend creates the cpu backend instance (cheap: no memory until the first tensor).
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu !== null && cpu.firstUse === true) cpu.firstUse = false;
}
