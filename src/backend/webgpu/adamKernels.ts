/**
 * Adam on the WebGPU backend in one dispatch per variable plus one per step.
 *
 * tfjs's AdamOptimizer launches 14 small kernels per variable (and uploads a scalar for most of them):
 * about 390 of the paper network's 744 launches per training step (bench/gpuCounts.ts on SwiftShader).
 * Here, per step:
 *  - SpinalnetAdamAccumulators (1 dispatch): from tfjs's accBeta1/accBeta2 variables, the bias
 *    corrections 1 − β1^t, 1 − β2^t (one 2-element tensor) and the next accumulators.
 *  - SpinalnetAdamStepDevice (1 dispatch per variable): new value, m and v from value, m, v, gradient
 *    and the bias corrections, the same float32 operations in the same order as tfjs's Adam (the GPU
 *    may round sqrt and division differently: test/backend/webgpuKernels.test.ts checks it against
 *    the cpu backend's Adam).
 * The bias corrections stay on the GPU: reading accBeta back to the host would stall every step.
 * src/backend/fusedAdam.ts drives both (FusedAdamOptimizer).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { dispatch, makeOutput, type Shader, uniformStruct, type WebGpuBackendInternals, workgroupsFor } from './dispatch.ts';

export const ADAM_ACCUMULATORS_KERNEL = 'SpinalnetAdamAccumulators';
export const ADAM_DEVICE_KERNEL = 'SpinalnetAdamStepDevice';

const fr = Math.fround;

/** Attributes of both kernels (numbers as tfjs's AdamOptimizer holds them). */
export interface AdamDeviceAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

const ACCUMULATORS: Shader = {
  key: 'spinalnet-adam-accumulators',
  workgroupSize: 1,
  code: /* wgsl */ `
struct U { b1: f32, b2: f32 }
@group(0) @binding(0) var<storage, read> acc1: array<f32>;
@group(0) @binding(1) var<storage, read> acc2: array<f32>;
@group(0) @binding(2) var<storage, read_write> next1: array<f32>;
@group(0) @binding(3) var<storage, read_write> next2: array<f32>;
@group(0) @binding(4) var<storage, read_write> corrections: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
@compute @workgroup_size(1)
fn main() {
  // tfjs: sub(1, accBeta) for this step, then accBeta ← mul(accBeta, β).
  corrections[0] = 1.0 - acc1[0];
  corrections[1] = 1.0 - acc2[0];
  next1[0] = acc1[0] * u.b1;
  next2[0] = acc2[0] * u.b2;
}`,
};

const STEP: Shader = {
  key: 'spinalnet-adam-step',
  workgroupSize: 64,
  code: /* wgsl */ `
struct U { n: u32, rowStride: u32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, negLr: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> corrections: array<f32>;
@group(0) @binding(5) var<storage, read_write> x1: array<f32>;
@group(0) @binding(6) var<storage, read_write> m1: array<f32>;
@group(0) @binding(7) var<storage, read_write> v1: array<f32>;
@group(0) @binding(8) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x + id.y * u.rowStride;
  if (i >= u.n) { return; }
  let gi = g[i];
  // add(mul(m, β1), mul(g, 1 − β1)); add(mul(v, β2), mul(square(g), 1 − β2))
  let mi = m[i] * u.b1 + gi * u.c1;
  let vi = v[i] * u.b2 + (gi * gi) * u.c2;
  m1[i] = mi;
  v1[i] = vi;
  // add(mul(div(m̂, add(sqrt(v̂), ε)), −lr), value)
  let mHat = mi / corrections[0];
  let vHat = vi / corrections[1];
  x1[i] = (mHat / (sqrt(vHat) + u.eps)) * u.negLr + x[i];
}`,
};

/** Inputs accBeta1, accBeta2 (float32 scalars); outputs next accBeta1, next accBeta2, [1 − accBeta1, 1 − accBeta2]. */
const accumulators: KernelFunc = ({ inputs, backend, attrs }) => {
  const { accBeta1, accBeta2 } = inputs as Record<'accBeta1' | 'accBeta2', TensorInfo>;
  const a = attrs as unknown as AdamDeviceAttrs;
  const b = backend as WebGpuBackendInternals;
  const next1 = makeOutput(b, accBeta1.shape);
  const next2 = makeOutput(b, accBeta2.shape);
  const corrections = makeOutput(b, [2]);
  dispatch(b, ACCUMULATORS, [accBeta1, accBeta2, next1, next2, corrections], uniformStruct([{ f32: a.beta1 }, { f32: a.beta2 }]), [1, 1, 1]);
  return [next1, next2, corrections];
};

/** Inputs value, m, v, gradient (float32, one shape) and corrections; outputs new value, new m, new v. */
const step: KernelFunc = ({ inputs, backend, attrs }) => {
  const { value, m, v, gradient, corrections } = inputs as Record<'value' | 'm' | 'v' | 'gradient' | 'corrections', TensorInfo>;
  const a = attrs as unknown as AdamDeviceAttrs;
  const b = backend as WebGpuBackendInternals;
  const n = value.shape.reduce((p, d) => p * d, 1);
  const outs = [makeOutput(b, value.shape), makeOutput(b, value.shape), makeOutput(b, value.shape)];
  const groups = workgroupsFor(n, STEP.workgroupSize);
  // Scalars as tfjs makes them: float32 tensors of β1, 1 − β1 (computed in double, then rounded), …
  const uniforms = uniformStruct([
    { u32: n }, { u32: groups[0] * STEP.workgroupSize },
    { f32: a.beta1 }, { f32: fr(1 - a.beta1) }, { f32: a.beta2 }, { f32: fr(1 - a.beta2) }, { f32: a.epsilon }, { f32: -a.learningRate },
  ]);
  dispatch(b, STEP, [value, m, v, gradient, corrections, ...outs], uniforms, groups);
  return outs;
};

export const adamKernels = [
  { kernelName: ADAM_ACCUMULATORS_KERNEL, kernelFunc: accumulators },
  { kernelName: ADAM_DEVICE_KERNEL, kernelFunc: step },
];
