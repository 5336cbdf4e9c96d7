/**
 * Batch normalisation in training mode as two wasm kernels: one forward pass (batch mean and variance per
 * channel, then the normalised output) and one backward pass (dx, dγ, dβ).
 *
 * Why: tfjs-layers' BatchNormalization trains through tf.moments + tf.batchNorm, and autodiff walks back
 * through both: about 60 small kernels per layer per step, a large share of a step on wasm; these two loops over
 * the heap take a fraction of that (docs/performance.md#tfjs-on-webassembly).
 * Same function as tfjs-layers computes (biased batch variance, moving averages of it), up to float32
 * rounding; test/backend/fusedBatchNorm.test.ts compares values and gradients with the cpu backend.
 *
 * Layout: channels last; every leading axis is reduced (NHWC convolutions' and 2-D dense outputs' BN).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { addWasmKernel, f32, type WasmBackendLike } from './wasmHeap.ts';

export const BN_TRAIN_KERNEL = 'SpinalnetBatchNormTrain';
export const BN_GRAD_KERNEL = 'SpinalnetBatchNormGrad';
/** Both moving averages in one kernel (WebGPU only: src/backend/webgpu/batchNormKernels.ts). */
export const BN_MOVING_AVERAGES_KERNEL = 'SpinalnetBatchNormMovingAverages';

interface BnAttrs {
  epsilon: number;
}

/** y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² over the leading axes; outputs [y, μ, σ²]. */
const forward: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackendLike;
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { epsilon } = attrs as unknown as BnAttrs;
  const c = x.shape[x.shape.length - 1]!;
  const y = backend.makeOutput(x.shape, 'float32');
  const meanOut = backend.makeOutput([c], 'float32');
  const varOut = backend.makeOutput([c], 'float32');
  const xs = f32(backend, x);
  const ys = f32(backend, y);
  const g = f32(backend, gamma);
  const bt = f32(backend, beta);
  const m = xs.length / c;
  const n = xs.length;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  // Channel by channel with scalar float64 accumulators (V8 keeps them in registers): two passes for the
  // moments, as tf.moments does, then the output.
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let i = k; i < n; i += c) sum += xs[i]!;
    const mu = sum / m;
    let sq = 0;
    for (let i = k; i < n; i += c) {
      const d = xs[i]! - mu;
      sq += d * d;
    }
    const vk = sq / m;
    const scale = g[k]! / Math.sqrt(vk + epsilon);
    const shift = bt[k]! - mu * scale;
    for (let i = k; i < n; i += c) ys[i] = xs[i]! * scale + shift;
    mean[k] = mu;
    variance[k] = vk;
  }
  f32(backend, meanOut).set(mean);
  f32(backend, varOut).set(variance);
  return [y, meanOut, varOut];
};

/**
 * With x̂ = (x − μ)·r, r = 1/√(σ² + ε), M values per channel:
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·r·(dy − dβ/M − x̂·dγ/M).
 */
const backward: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackendLike;
  const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', TensorInfo>;
  const { epsilon } = attrs as unknown as BnAttrs;
  const c = x.shape[x.shape.length - 1]!;
  const dxOut = backend.makeOutput(x.shape, 'float32');
  const dgOut = backend.makeOutput([c], 'float32');
  const dbOut = backend.makeOutput([c], 'float32');
  const xs = f32(backend, x);
  const dys = f32(backend, dy);
  const dxs = f32(backend, dxOut);
  const g = f32(backend, gamma);
  const mu0 = f32(backend, mean);
  const v = f32(backend, variance);
  const m = xs.length / c;
  const n = xs.length;
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const mu = mu0[k]!;
    const r = 1 / Math.sqrt(v[k]! + epsilon);
    let db = 0;
    let dg = 0;
    for (let i = k; i < n; i += c) {
      const d = dys[i]!;
      db += d;
      dg += d * (xs[i]! - mu);
    }
    dg *= r;
    const a = g[k]! * r;
    const bMean = db / m;
    const gMean = dg / m;
    for (let i = k; i < n; i += c) dxs[i] = a * (dys[i]! - bMean - (xs[i]! - mu) * r * gMean);
    dgamma[k] = dg;
    dbeta[k] = db;
  }
  f32(backend, dgOut).set(dgamma);
  f32(backend, dbOut).set(dbeta);
  return [dxOut, dgOut, dbOut];
};

let gradientRegistered = false;

/** Registers both kernels for 'wasm' and the forward kernel's gradient. Idempotent. */
export function registerWasmBatchNorm(): void {
  addWasmKernel(BN_TRAIN_KERNEL, forward);
  addWasmKernel(BN_GRAD_KERNEL, backward);
  registerBatchNormGradient();
}

/**
 * The forward kernel's gradient, through the backward kernel of the active backend (wasm here, WGSL in
 * src/backend/webgpu/batchNormKernels.ts). Idempotent.
 */
export function registerBatchNormGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BN_TRAIN_KERNEL,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      // Only y carries a gradient: the batch mean and variance feed the moving averages, outside the loss.
      const dy = Array.isArray(dys) ? dys[0]! : dys;
      const [x, gamma, mean, variance] = saved as tf.Tensor[];
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        BN_GRAD_KERNEL, { dy, x: x!, gamma: gamma!, mean: mean!, variance: variance! }, attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  });
}

/** True when the active backend has the fused kernels (wasm after registerWasmBatchNorm, webgpu after registerWebGpuKernels). */
export const fusedBatchNormAvailable = (): boolean => tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()) !== undefined;

/** [y, batch mean, batch variance] of channels-last x; differentiable in x, γ and β. */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const out = tf.engine().runKernel(BN_TRAIN_KERNEL, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
  return [out[0]!, out[1]!, out[2]!];
}

/**
 * tfjs-layers' moving averages, v ← v − (v − batch)·(1 − momentum) for the mean and the variance, as one
 * kernel call where the active backend has it (WebGPU: one launch instead of six); undefined elsewhere.
 */
export function movingAveragesFused(
  movingMean: tf.Tensor, movingVariance: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, momentum: number,
): [tf.Tensor, tf.Tensor] | undefined {
  if (tf.getKernel(BN_MOVING_AVERAGES_KERNEL, tf.getBackend()) === undefined) return undefined;
  const out = tf.engine().runKernel(BN_MOVING_AVERAGES_KERNEL, { movingMean, movingVariance, mean, variance }, { momentum }) as tf.Tensor[];
  return [out[0]!, out[1]!];
}

/**
 * The same moving averages written in place on the wasm backend's heap from the batch statistics as
 * arrays (what the onnxruntime training step returns): no tensors and no kernel calls. Each operation is
 * rounded to float32 as tfjs's sub, mul, sub are, so the values are bit-identical. Returns false, doing
 * nothing, on other backends or while a variable shares its memory with another tensor (in place would
 * change that tensor too). Measured with bench/trainStep.ts:
 * docs/performance.md#the-onnxruntime-training-step.
 */
export function movingAveragesInPlace(
  movingMean: tf.Tensor, movingVariance: tf.Tensor, mean: Float32Array, variance: Float32Array, momentum: number,
): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as WasmBackendLike & { refCount(dataId: tf.DataId): number };
  const pairs = [[movingMean, mean], [movingVariance, variance]] as const;
  if (!pairs.every(([v, batch]) => v.dtype === 'float32' && v.size === batch.length && backend.refCount(v.dataId) === 1)) return false;
  // tfjs multiplies by the scalar 1 − momentum, made from a JavaScript number.
  const rate = Math.fround(1 - momentum);
  for (const [v, batch] of pairs) {
    const values = f32(backend, v);
    for (let i = 0; i < values.length; i++) {
      const old = values[i]!;
      values[i] = old - Math.fround(Math.fround(old - batch[i]!) * rate);
    }
  }
  return true;
}
