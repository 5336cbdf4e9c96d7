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
 * One update is several times faster than tfjs's; a plain JavaScript loop was no faster than tfjs
 * (docs/performance.md#the-onnxruntime-training-step).
 *
 * Hook: create the optimizer with `createAdam(lr, beta1, beta2, epsilon)` instead of `tf.train.adam(...)`.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdAdamFor } from './simdAdam.ts';
import { ADAM_ACCUMULATORS_KERNEL, ADAM_DEVICE_KERNEL } from './webgpu/adamKernels.ts';
import { addWasmKernel, f32, heapMemory, type WasmBackendLike } from './wasmHeap.ts';

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

/**
 * One Adam update of x, m, v by g into x1, m1, v1 (views on the wasm heap of `memory`; an output may be
 * its own input, as every element is read before it is written): WebAssembly SIMD where available
 * (simdAdam.ts), the rest here with the same arithmetic.
 */
function adamUpdate(
  memory: WebAssembly.Memory | undefined,
  x: Float32Array, m0: Float32Array, v0: Float32Array, g: Float32Array,
  x1: Float32Array, m1: Float32Array, v1: Float32Array, a: AdamStepAttrs,
): void {
  // Scalars become float32 tensors in tfjs: beta1, 1 − beta1 (computed in double, then rounded), …
  const b1 = fr(a.beta1);
  const c1 = fr(1 - a.beta1);
  const b2 = fr(a.beta2);
  const c2 = fr(1 - a.beta2);
  const eps = fr(a.epsilon);
  const negLr = fr(-a.learningRate);
  const d1 = fr(a.oneMinusAccBeta1);
  const d2 = fr(a.oneMinusAccBeta2);
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
  adamUpdate(heapMemory(backend), x, m0, v0, g, x1, m1, v1, a);
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
    const attrs = this.stepAttrs();
    tf.tidy(() => {
      this.forEachSlot(variableGradients, (value, m, v, gradient) => {
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM_KERNEL, { value, m, v, gradient }, attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
    });
    this.endStep();
  }

  /**
   * The same update as applyGradients (the same bits) from gradients held in JavaScript, one per variable
   * in `variables`' order (that order indexes the moments, as applyGradients' names do), written in place
   * into the variables' and moments' wasm memory: no gradient tensors, no kernel calls, no new tensors.
   * Returns false, having changed nothing but creating missing moments, where it cannot (not on wasm, no
   * WebAssembly SIMD, or a variable or moment whose memory another tensor shares, e.g. right after
   * setWeights from tensors the caller keeps); then applyGradients does the step, and leaves every variable its own memory.
   *
   * Measured with bench/trainStep.ts: docs/performance.md#the-onnxruntime-training-step.
   */
  applyGradientArrays(variables: readonly tf.Variable[], gradients: readonly Float32Array[]): boolean {
    if (tf.getBackend() !== 'wasm') return false;
    const backend = tf.backend() as unknown as WasmBackendLike & { refCount(dataId: tf.DataId): number };
    const memory = heapMemory(backend);
    if (memory === undefined || simdAdamFor(memory) === null) return false;
    const slots = variables.map((value, i) => [value, ...this.moments(i, value.name, value)] as const);
    const largest = Math.max(0, ...gradients.map((g) => g.length));
    if (!slots.every((t) => t.every((v) => v.dtype === 'float32' && backend.refCount(v.dataId) === 1))) return false;
    if (this.scratch === undefined || this.scratch.size < largest) {
      this.scratch?.dispose();
      this.scratch = tf.zeros([largest]);
    }
    const attrs = this.stepAttrs();
    // No allocation from here to the end of the loop, so the views stay valid.
    const scratch = f32(backend, this.scratch);
    slots.forEach(([value, m, v], i) => {
      const g = scratch.subarray(0, value.size);
      g.set(gradients[i]!);
      const [x, m0, v0] = [value, m, v].map((t) => f32(backend, t)) as [Float32Array, Float32Array, Float32Array];
      adamUpdate(memory, x, m0, v0, g, x, m0, v0, attrs);
    });
    this.endStep();
    return true;
  }

  /**
   * This optimizer's state for `variables` (the order that indexes the moments, as in
   * applyGradientArrays), for a training step that applies the same update elsewhere during an epoch
   * (src/training/engines/libtorch/residentStep.ts): copies of the moments (null where a variable has had
   * no step yet: zeros), the running powers β1^t and β2^t, and the constants.
   */
  readState(variables: readonly tf.Variable[]): { m: (Float32Array | null)[]; v: (Float32Array | null)[]; powers: Float32Array; beta1: number; beta2: number; epsilon: number } {
    const self = this as unknown as AdamInternals;
    const copy = (slot: MomentSlot | undefined) => (slot === undefined ? null : (slot.variable.dataSync() as Float32Array).slice());
    return {
      m: variables.map((_, i) => copy(self.accumulatedFirstMoment[i])),
      v: variables.map((_, i) => copy(self.accumulatedSecondMoment[i])),
      powers: Float32Array.of(self.accBeta1.dataSync()[0]!, self.accBeta2.dataSync()[0]!),
      beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon,
    };
  }

  /** The state after `steps` updates applied elsewhere, as readState hands it out (moments in full). */
  writeState(variables: readonly tf.Variable[], m: readonly Float32Array[], v: readonly Float32Array[], powers: Float32Array, steps: number): void {
    const self = this as unknown as AdamInternals;
    tf.tidy(() => {
      variables.forEach((value, i) => {
        const [mi, vi] = this.moments(i, value.name, value);
        mi.assign(tf.tensor(m[i]!, value.shape));
        vi.assign(tf.tensor(v[i]!, value.shape));
      });
      self.accBeta1.assign(tf.scalar(powers[0]!));
      self.accBeta2.assign(tf.scalar(powers[1]!));
    });
    for (let s = 0; s < steps; s++) self.incrementIterations();
  }

  /** The learning rate the next step applies (trainModel lowers it between epochs). */
  currentLearningRate(): number {
    return (this as unknown as AdamInternals).learningRate;
  }

  /** Heap memory for applyGradientArrays' gradients (the SIMD function reads them from the heap). */
  private scratch?: tf.Tensor;

  override dispose(): void {
    super.dispose();
    this.scratch?.dispose();
    this.scratch = undefined;
  }

  /** This step's attributes: sub(1, accBeta) in float32, as tfjs. */
  private stepAttrs(): AdamStepAttrs {
    const self = this as unknown as AdamInternals;
    return {
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      learningRate: self.learningRate,
      oneMinusAccBeta1: fr(1 - self.accBeta1.dataSync()[0]!),
      oneMinusAccBeta2: fr(1 - self.accBeta2.dataSync()[0]!),
    };
  }

  /** Variable i's first and second moments, created (zero) on its first step as tfjs's Adam does. */
  private moments(i: number, name: string, value: tf.Tensor): [tf.Variable, tf.Variable] {
    const self = this as unknown as AdamInternals;
    self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    return [self.accumulatedFirstMoment[i].variable, self.accumulatedSecondMoment[i].variable];
  }

  /** The accumulators are float32 scalars updated by float32 mul, as tfjs's. */
  private endStep(): void {
    const self = this as unknown as AdamInternals;
    const acc1 = self.accBeta1.dataSync()[0]!;
    const acc2 = self.accBeta2.dataSync()[0]!;
    tf.tidy(() => {
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
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      const [m, v] = this.moments(i, name, value);
      const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (gradient == null) return;
      update(value, m, v, gradient);
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
