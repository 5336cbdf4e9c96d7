/**
 * Batch norm in training mode on the WebGPU backend: one dispatch forward (batch mean and variance per
 * channel, then the normalised output) and one backward (dx, dγ, dβ), the kernels
 * src/backend/fusedBatchNorm.ts defines for wasm (same names, inputs, outputs and gradient); and one for
 * both moving averages (tfjs-layers: three ops each).
 *
 * Why: tfjs-layers trains batch norm through tf.moments + tf.batchNorm, and autodiff walks back through
 * both: dozens of small launches per layer per step on WebGPU (bench/gpuCounts.ts --by-program).
 *
 * Layout: channels last, every leading axis reduced. One workgroup per channel: its threads stride over
 * the channel's values and reduce in workgroup memory (a tree in float32, two passes for the variance as
 * tf.moments does). That keeps one launch per layer at any batch; a channel's values are read with a
 * stride of C floats, which a GPU coalesces poorly, so at very large batches tfjs's reductions may be
 * faster (not measured: no real GPU here).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { BN_GRAD_KERNEL, BN_MOVING_AVERAGES_KERNEL, BN_TRAIN_KERNEL } from '../fusedBatchNorm.ts';
import { dispatch, makeOutput, type Shader, uniformStruct, type WebGpuBackendInternals, workgroupsFor } from './dispatch.ts';

/** Threads of a reducing workgroup (WebGPU's guaranteed maximum per workgroup). */
export const THREADS = 256;

/** Sums `partial` and `partial2` over the workgroup into their [0] (every thread calls it: it holds barriers). */
export const WORKGROUP_REDUCE = /* wgsl */ `
var<workgroup> partial: array<f32, ${THREADS}>;
var<workgroup> partial2: array<f32, ${THREADS}>;
fn reduce(t: u32) {
  workgroupBarrier();
  for (var w = ${THREADS / 2}u; w > 0u; w = w >> 1u) {
    if (t < w) {
      partial[t] = partial[t] + partial[t + w];
      partial2[t] = partial2[t] + partial2[t + w];
    }
    workgroupBarrier();
  }
}`;

const FORWARD: Shader = {
  key: 'spinalnet-batchnorm-train',
  workgroupSize: THREADS,
  code: /* wgsl */ `
struct U { c: u32, count: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> variance: array<f32>;
@group(0) @binding(6) var<uniform> u: U;
${WORKGROUP_REDUCE}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let k = wg.x;
  var s = 0.0;
  for (var j = t; j < u.count; j = j + ${THREADS}u) { s = s + x[j * u.c + k]; }
  partial[t] = s;
  partial2[t] = 0.0;
  reduce(t);
  let mu = partial[0] / f32(u.count);
  workgroupBarrier();
  var q = 0.0;
  for (var j = t; j < u.count; j = j + ${THREADS}u) {
    let d = x[j * u.c + k] - mu;
    q = q + d * d;
  }
  partial[t] = q;
  reduce(t);
  let vk = partial[0] / f32(u.count);
  let scale = gamma[k] / sqrt(vk + u.eps);
  let shift = beta[k] - mu * scale;
  for (var j = t; j < u.count; j = j + ${THREADS}u) { y[j * u.c + k] = x[j * u.c + k] * scale + shift; }
  if (t == 0u) {
    mean[k] = mu;
    variance[k] = vk;
  }
}`,
};

/** With x̂ = (x − μ)·r, r = 1/√(σ² + ε), M values per channel: dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·r·(dy − dβ/M − x̂·dγ/M). */
const BACKWARD: Shader = {
  key: 'spinalnet-batchnorm-grad',
  workgroupSize: THREADS,
  code: /* wgsl */ `
struct U { c: u32, count: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(8) var<uniform> u: U;
${WORKGROUP_REDUCE}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let k = wg.x;
  let mu = mean[k];
  let r = 1.0 / sqrt(variance[k] + u.eps);
  var db = 0.0;
  var dg = 0.0;
  for (var j = t; j < u.count; j = j + ${THREADS}u) {
    let d = dy[j * u.c + k];
    db = db + d;
    dg = dg + d * (x[j * u.c + k] - mu);
  }
  partial[t] = db;
  partial2[t] = dg;
  reduce(t);
  let sumDb = partial[0];
  let sumDg = partial2[0] * r;
  let a = gamma[k] * r;
  let bMean = sumDb / f32(u.count);
  let gMean = sumDg / f32(u.count);
  for (var j = t; j < u.count; j = j + ${THREADS}u) {
    let i = j * u.c + k;
    dx[i] = a * (dy[i] - bMean - (x[i] - mu) * r * gMean);
  }
  if (t == 0u) {
    dgamma[k] = sumDg;
    dbeta[k] = sumDb;
  }
}`,
};

/** tfjs-layers' v ← v − (v − batch)·(1 − momentum), for the mean and the variance (float32, in its order of operations). */
const MOVING: Shader = {
  key: 'spinalnet-batchnorm-moving-averages',
  workgroupSize: 64,
  code: /* wgsl */ `
struct U { c: u32, keep: f32 }
@group(0) @binding(0) var<storage, read> movingMean: array<f32>;
@group(0) @binding(1) var<storage, read> movingVariance: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> newMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> newVariance: array<f32>;
@group(0) @binding(6) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let k = id.x;
  if (k >= u.c) { return; }
  newMean[k] = movingMean[k] - (movingMean[k] - mean[k]) * u.keep;
  newVariance[k] = movingVariance[k] - (movingVariance[k] - variance[k]) * u.keep;
}`,
};

interface BnAttrs {
  epsilon: number;
}

/** Channels and values per channel of a channels-last tensor. */
function layout(x: TensorInfo): { c: number; count: number } {
  const c = x.shape[x.shape.length - 1]!;
  return { c, count: x.shape.reduce((p, d) => p * d, 1) / c };
}

const forward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', TensorInfo>;
  const b = backend as WebGpuBackendInternals;
  const { c, count } = layout(x);
  const outs = [makeOutput(b, x.shape), makeOutput(b, [c]), makeOutput(b, [c])];
  const uniforms = uniformStruct([{ u32: c }, { u32: count }, { f32: (attrs as unknown as BnAttrs).epsilon }]);
  dispatch(b, FORWARD, [x, gamma, beta, ...outs], uniforms, [c, 1, 1]);
  return outs;
};

const backward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', TensorInfo>;
  const b = backend as WebGpuBackendInternals;
  const { c, count } = layout(x);
  const outs = [makeOutput(b, x.shape), makeOutput(b, [c]), makeOutput(b, [c])];
  const uniforms = uniformStruct([{ u32: c }, { u32: count }, { f32: (attrs as unknown as BnAttrs).epsilon }]);
  dispatch(b, BACKWARD, [dy, x, gamma, mean, variance, ...outs], uniforms, [c, 1, 1]);
  return outs;
};

const movingAverages: KernelFunc = ({ inputs, backend, attrs }) => {
  const { movingMean, movingVariance, mean, variance } = inputs as Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', TensorInfo>;
  const b = backend as WebGpuBackendInternals;
  const c = movingMean.shape.reduce((p, d) => p * d, 1);
  const outs = [makeOutput(b, movingMean.shape), makeOutput(b, movingVariance.shape)];
  // The scalar 1 − momentum as tfjs makes it: computed in double, then a float32 tensor.
  const uniforms = uniformStruct([{ u32: c }, { f32: 1 - (attrs as unknown as { momentum: number }).momentum }]);
  dispatch(b, MOVING, [movingMean, movingVariance, mean, variance, ...outs], uniforms, workgroupsFor(c, MOVING.workgroupSize));
  return outs;
};

export const batchNormKernels = [
  { kernelName: BN_MOVING_AVERAGES_KERNEL, kernelFunc: movingAverages },
  { kernelName: BN_TRAIN_KERNEL, kernelFunc: forward },
  { kernelName: BN_GRAD_KERNEL, kernelFunc: backward },
];
