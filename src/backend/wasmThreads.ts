/**
 * tfjs-backend-wasm with XNNPACK running on several threads under Node.
 *
 * The package ships a threaded SIMD build but never uses it in Node (tfjs issue 3830): its
 * WASM_HAS_MULTITHREAD_SUPPORT flag is false there, and its loader hands the pthread worker to Emscripten
 * as a browser Blob URL. We register our own factory for the 'wasm' backend that instantiates the threaded
 * build directly, with file paths Node's worker_threads can load (wasmPthreadWorker.cjs) and the thread
 * count we ask for, and wraps it in the package's own BackendWasm class, so every registered wasm kernel
 * (the package's and ours) runs unchanged.
 *
 * Threads split XNNPACK's work (convolutions, matrix products) by output tiles: every output element is
 * still summed by one thread in the same order, so results are bit-for-bit those of one thread
 * (test/backend/wasmThreads.test.ts).
 *
 * On idle cores two threads train faster than one; when other processes keep the second core busy it is
 * the other way round, because every parallel kernel waits for its slowest thread. Hence opt-in
 * (docs/performance.md#tfjs-on-webassembly).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../core/errors.ts';

const require = createRequire(import.meta.url);

/** The package's exports we use (its main entry is CommonJS, loaded once by Node for every importer). */
interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
}

/** The Emscripten module of the threaded build, as far as we touch it. */
interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => unknown;
  tfjs?: Record<string, unknown>;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
}

/** Threads the registered factory creates; 1 = the package's own factory (single-threaded SIMD build). */
let registeredThreads = 1;

/** XNNPACK threads the wasm backend is (or will be) created with. */
export function wasmThreads(): number {
  return registeredThreads;
}

/**
 * Makes the 'wasm' backend run XNNPACK on `threads` threads (1 = the package's single-threaded build).
 * Takes effect when the backend is next created: if it already exists with another thread count, it is
 * removed, with every tensor it holds, so call this before creating tensors on wasm (selectBackend does).
 * Requires '@tensorflow/tfjs-backend-wasm' to be imported.
 */
export async function setWasmThreads(threads: number): Promise<void> {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`setWasmThreads: threads must be a positive integer, got ${threads}`);
  if (threads === registeredThreads && tf.findBackendFactory('wasm') !== null) return;
  const pkg = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmPackage;
  const factory = threads === 1 ? packageFactory(pkg) : threadedFactory(pkg, threads);
  if (tf.findBackend('wasm') !== null || tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
  // Priority 2: the package's own.
  tf.registerBackend('wasm', factory, 2);
  registeredThreads = threads;
}

/** The package's factory as registered by its import (kept so setWasmThreads(1) restores it). */
let originalFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

function packageFactory(pkg: WasmPackage): () => tf.KernelBackend | Promise<tf.KernelBackend> {
  originalFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  if (originalFactory === undefined) throw new BackendError('the wasm backend factory is not registered', "import '@tensorflow/tfjs-backend-wasm' first");
  const factory = originalFactory;
  return () => {
    pkg.setThreadsCount(1);
    return factory();
  };
}

function threadedFactory(pkg: WasmPackage, threads: number): () => Promise<tf.KernelBackend> {
  originalFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  return async () => {
    const script = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    const binary = script.replace(/\.js$/, '.wasm');
    const worker = fileURLToPath(new URL('./wasmPthreadWorker.cjs', import.meta.url));
    const createModule = require(script) as (config: object) => Promise<ThreadedModule>;
    let module: ThreadedModule;
    try {
      module = await createModule({
        locateFile: (path: string) => (path.endsWith('.wasm') ? binary : path.endsWith('.worker.js') ? worker : path),
        // Each pthread worker evaluates this file (by path; the package would pass a browser Blob).
        mainScriptUrlOrBlob: script,
        instantiateWasm(imports: { env: Record<string, unknown> }, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
          // The build caps its thread pool at emscripten_num_logical_cores() / 2 (it assumes hyper-threads),
          // so report twice the threads we want.
          imports.env['emscripten_num_logical_cores'] = () => 2 * threads;
          // Synchronous, as the package's own pthread workers do: errors then reject the module's promise.
          const compiled = new WebAssembly.Module(readFileSync(binary));
          done(new WebAssembly.Instance(compiled, imports as WebAssembly.Imports), compiled);
          return {};
        },
      });
    } catch (err) {
      throw new BackendError(
        `the threaded wasm build failed to start: ${err instanceof Error ? err.message : String(err)}`,
        'run with one wasm thread (the default)',
      );
    }
    // What the package's init() attaches (dist/backend_wasm.js), for BackendWasm and its kernels.
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    pkg.setThreadsCount(threads);
    const backend = new pkg.BackendWasm(module);
    // Idle pthreads must not keep the process alive (Emscripten refs a worker while it runs a thread).
    for (const w of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) w.unref();
    return backend;
  };
}
