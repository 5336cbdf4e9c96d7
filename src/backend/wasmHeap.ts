/**
 * What our wasm kernels need from tfjs-backend-wasm's backend object, typed once here, and helpers to call
 * the package's own kernels from inside ours.
 *
 * Our kernels work on the backend's heap directly (typed-array views of the wasm memory): intermediates are
 * backend buffers freed with `disposeData`, never engine tensors, so the engine's bookkeeping (and the
 * per-op overhead that comes with it) is skipped.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { BackendError } from '../core/errors.ts';

/** The part of BackendWasm our kernels use (the package's class type is not needed). */
export interface WasmBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  /**
   * A view on the wasm heap typed by the tensor's dtype; invalid after the next allocation (the heap may
   * grow and detach it), so take views only after the last makeOutput of a kernel.
   */
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: {};
  attrs?: NamedAttrMap;
}

/** Calls a kernel that returns one tensor. */
export function runKernel(kernel: KernelFunc, backend: {}, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
  const out = kernel({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0]! : out;
}

/** The kernel registered for 'wasm' under `name`; BackendError when the wasm package was not imported. */
export function wasmKernel(name: string): KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) {
    throw new BackendError(
      `the wasm backend has no '${name}' kernel, so spinalnet's wasm kernels cannot be registered`,
      "import '@tensorflow/tfjs-backend-wasm' (selectBackend does) before registering wasm kernels",
    );
  }
  return config;
}

/** Float32 view of a tensor on the heap (our kernels only take float32 fast paths). */
export function f32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** The backend's WebAssembly memory (the single-threaded build exports it, the threaded one imports it). */
export function heapMemory(backend: WasmBackendLike): WebAssembly.Memory | undefined {
  const module = (backend as unknown as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  return module?.wasmMemory ?? module?.asm?.memory;
}

/**
 * Tag on our kernel functions holding the package's kernel they replace, so a second registration (or a
 * second copy of this module) still finds the builtin for fallbacks instead of wrapping our own kernel.
 */
const BUILTIN = Symbol.for('spinalnet.wasmKernels.builtin');
type TaggedKernelFunc = KernelFunc & { [BUILTIN]?: KernelConfig };

/**
 * Replaces the wasm kernel `name` with `make(builtin)`, where `builtin` is the package's own kernel (for
 * the cases ours does not take). The builtin's setup/dispose functions are kept: the engine runs every
 * registered kernel's setupFunc when the backend starts, and builtins bind their wasm functions there.
 * Returns false when ours is already registered.
 */
export function replaceWasmKernel(name: string, make: (builtin: KernelConfig) => KernelFunc): boolean {
  const current = tf.getKernel(name, 'wasm');
  const tagged = current?.kernelFunc as TaggedKernelFunc | undefined;
  if (tagged?.[BUILTIN] !== undefined) return false;
  const builtin = wasmKernel(name);
  const func: TaggedKernelFunc = make(builtin);
  func[BUILTIN] = builtin;
  // registerKernel warns and overwrites when a kernel exists; unregister first to replace quietly.
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: func,
    ...(builtin.setupFunc === undefined ? {} : { setupFunc: builtin.setupFunc }),
    ...(builtin.disposeFunc === undefined ? {} : { disposeFunc: builtin.disposeFunc }),
  });
  return true;
}

/** Registers a wasm kernel the package lacks; false when one is already there. */
export function addWasmKernel(name: string, func: KernelFunc): boolean {
  if (tf.getKernel(name, 'wasm') !== undefined) return false;
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: func });
  return true;
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * The tensor's values where the wasm backend holds them (a view on its heap, no copy), or undefined on
 * other backends and on a threaded build's shared memory (left to dataSync()). Valid until the next wasm
 * allocation: the libtorch step reads its weights and runs before tfjs allocates anything again. Saves a
 * copy per weight.
 */
export function heapView(t: tf.Tensor): Float32Array | undefined {
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return undefined;
  const view = f32(tf.backend() as unknown as WasmBackendLike, t);
  return view.buffer instanceof ArrayBuffer ? view : undefined;
}
