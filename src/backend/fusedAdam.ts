/**
 * Adam with one kernel call per variable on the wasm backend.
 *
 * tfjs's AdamOptimizer updates each variable with 14 small ops (plus a scalar tensor for every constant),
 * about 400 kernel calls per step for the paper network's 28 variables. `SpinalnetAdamStep` does the same
 * arithmetic in one pass over the wasm heap, in WebAssembly SIMD (simdAdam.ts), rounding to float32 after
 * every operation exactly where tfjs's ops do, so the result is bit-for-bit tfjs's Adam (checked in
 * test/backend/fusedAdam.test.ts). On webgpu the same update runs as WGSL, one dispatch per variable plus one
 * per step (src/backend/webgpu/adamKernels.ts). On other backends the optimizer is tfjs's own AdamOptimizer.
 *
 * Measured (CPU time, paper network, 259k parameters): one update 0.6–1.2 ms against tfjs's 4.8–6.7 ms;
 * trainModel at batch 16 270 → 286 samples per CPU-second (median of 7 alternating epochs in one process;
 * best 283 → 306); at batch 64 352 → 358. A plain JavaScript loop was no faster than tfjs (5.2 ms).
 *
 * Hook: create the optimizer with `createAdam(lr, beta1, beta2, epsilon)` instead of `tf.train.adam(...)`.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdAdamFor } from './simdAdam.ts';
import { ADAM_ACCUMULATORS_KERNEL, ADAM_DEVICE_KERNEL } from './webgpu/adamKernels.ts';
import { addWasmKernel, f32, type WasmBackendLike } from './wasmHeap.ts';

export const ADAM_KERNEL = 'SpinalnetAdamStep';

/** Attributes of one Adam step; every number is used exactly as tfjs's AdamOptimizer uses it. */
interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** 1 − β1^t and 1 − β2^t as tfjs computes them (float32 `sub(1, accBeta)`). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

const fr = Math.fround;

/** The backend's WebAssembly memory (the single-threaded build exports it, the threaded one imports it). */
function heapMemory(backend: WasmBackendLike): WebAssembly.Memory | undefined {
  const module = (backend as unknown as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  return module?.wasmMemory ?? module?.asm?.memory;
}

/** Inputs value, m, v, gradient (float32, same shape); outputs new value, new m, new v. */
const adamStep: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const { value, m, v, gradient } = args.inputs as Record<'value' | 'm' | 'v' | 'gradient', TensorInfo>;
  const a = args.attrs as unknown as AdamStepAttrs;
  const outValue = backend.makeOutput(value.shape, 'float32');
  const outM = backend.makeOutput(value.shape, 'float32');
  const outV = backend.makeOutput(value.shape, 'float32');
  const x = f32(backend, value);
  const m0 = f32(backend, m);
  const v0 = f32(backend, v);
  const g = f32(backend, gradient);
  const x1 = f32(backend, outValue);
  const m1 = f32(backend, outM);
  const v1 = f32(backend, outV);
  // Scalars become float32 tensors in tfjs: beta1, 1 − beta1 (computed in double, then rounded), …
  const b1 = fr(a.beta1);
  const c1 = fr(1 - a.beta1);
  const b2 = fr(a.beta2);
  const c2 = fr(1 - a.beta2);
  const eps = fr(a.epsilon);
  const negLr = fr(-a.learningRate);
  const d1 = fr(a.oneMinusAccBeta1);
  const d2 = fr(a.oneMinusAccBeta2);
  // Four lanes at a time in WebAssembly SIMD where available (simdAdam.ts); the rest here, the same arithmetic.
  const memory = heapMemory(backend);
  const simd = memory === undefined ? null : simdAdamFor(memory);
  let start = 0;
  if (simd !== null) {
    simd(x.byteOffset, m0.byteOffset, v0.byteOffset, g.byteOffset, x1.byteOffset, m1.byteOffset, v1.byteOffset, x.length,
      b1, c1, b2, c2, eps, negLr, d1, d2);
    start = x.length - (x.length % 4);
  }
  for (let i = start; i < x.length; i++) {
    const gi = g[i]!;
    // add(mul(m, β1), mul(g, 1 − β1)); add(mul(v, β2), mul(square(g), 1 − β2))
    const mi = fr(fr(m0[i]! * b1) + fr(gi * c1));
    const vi = fr(fr(v0[i]! * b2) + fr(fr(gi * gi) * c2));
    m1[i] = mi;
    v1[i] = vi;
    // add(mul(div(m̂, add(sqrt(v̂), ε)), −lr), value); sqrt of a float32 in double, rounded, is float32's sqrt.
    const mHat = fr(mi / d1);
    const vHat = fr(vi / d2);
    x1[i] = fr(fr(fr(mHat / fr(fr(Math.sqrt(vHat)) + eps)) * negLr) + x[i]!);
  }
  return [outValue, outM, outV];
};

/** Registers the fused Adam step for 'wasm'. Idempotent. */
export function registerWasmAdam(): boolean {
  return addWasmKernel(ADAM_KERNEL, adamStep);
}

interface MomentSlot {
  originalName: string;
  variable: tf.Variable;
}

/** tfjs AdamOptimizer's fields this class reads and writes (protected or untyped in its declaration). */
interface AdamInternals {
  accumulatedFirstMoment: MomentSlot[];
  accumulatedSecondMoment: MomentSlot[];
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  incrementIterations(): void;
}

type GradientsArg = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * tfjs's AdamOptimizer whose update runs as one fused kernel per variable when the active backend is wasm
 * or webgpu and the kernels are registered; same state, weights, config and serialisation as tf.train.adam.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: GradientsArg): void {
    const backend = tf.getBackend();
    if (backend === 'wasm' && tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined) this.applyOnHost(variableGradients);
    else if (tf.getKernel(ADAM_DEVICE_KERNEL, backend) !== undefined) this.applyOnDevice(variableGradients);
    else super.applyGradients(variableGradients);
  }

  /** wasm: the bias corrections read on the host, one kernel call per variable. */
  private applyOnHost(variableGradients: GradientsArg): void {
    const self = this as unknown as AdamInternals;
    // sub(1, accBeta) in float32, as tfjs; the accumulators are float32 scalars updated by float32 mul.
    const acc1 = self.accBeta1.dataSync()[0]!;
    const acc2 = self.accBeta2.dataSync()[0]!;
    const attrs: AdamStepAttrs = {
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      learningRate: self.learningRate,
      oneMinusAccBeta1: fr(1 - acc1),
      oneMinusAccBeta2: fr(1 - acc2),
    };
    tf.tidy(() => {
      this.forEachSlot(variableGradients, (value, m, v, gradient) => {
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM_KERNEL, { value, m, v, gradient }, attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      self.accBeta1.assign(tf.scalar(fr(acc1 * fr(self.beta1))));
      self.accBeta2.assign(tf.scalar(fr(acc2 * fr(self.beta2))));
    });
    self.incrementIterations();
  }

  /**
   * GPU backends (src/backend/webgpu/adamKernels.ts): the bias corrections stay on the device (reading
   * accBeta back would stall every step); one dispatch for them, one per variable.
   */
  private applyOnDevice(variableGradients: GradientsArg): void {
    const self = this as unknown as AdamInternals;
    const attrs = { beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, learningRate: self.learningRate };
    tf.tidy(() => {
      const [next1, next2, corrections] = tf.engine().runKernel(
        ADAM_ACCUMULATORS_KERNEL, { accBeta1: self.accBeta1, accBeta2: self.accBeta2 }, attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      this.forEachSlot(variableGradients, (value, m, v, gradient) => {
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM_DEVICE_KERNEL, { value, m, v, gradient, corrections: corrections! }, attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      self.accBeta1.assign(next1!);
      self.accBeta2.assign(next2!);
    });
    self.incrementIterations();
  }

  /** Calls `update` for every variable with a gradient, creating its m and v slots (zeros) on first use. */
  private forEachSlot(
    variableGradients: GradientsArg, update: (value: tf.Variable, m: tf.Variable, v: tf.Variable, gradient: tf.Tensor) => void,
  ): void {
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      if (self.accumulatedFirstMoment[i] == null) {
        self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      }
      if (self.accumulatedSecondMoment[i] == null) {
        self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      }
      const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (gradient == null) return;
      update(value, self.accumulatedFirstMoment[i]!.variable, self.accumulatedSecondMoment[i]!.variable, gradient);
    });
  }
}

/**
 * Drop-in for `tf.train.adam(learningRate, beta1, beta2, epsilon)`: the fused update on wasm and webgpu,
 * tfjs's Adam elsewhere. Registers the wasm kernel when the wasm package is loaded.
 */
export function createAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.AdamOptimizer {
  if (tf.findBackendFactory('wasm') !== null) registerWasmAdam();
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
