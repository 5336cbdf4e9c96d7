/**
 * ReLU's gradient in one dispatch on WebGPU: dx = dy where x > 0, else 0.
 *
 * tfjs's gradient for Relu is mul(dy, step(x)): two launches for every ReLU of the network (ten per
 * training step of the paper network, bench/gpuCounts.ts --by-program). tfjs has no kernel for the
 * gradient itself, so `registerReluGradient` replaces the gradient of 'Relu' for every backend: it runs
 * SpinalnetReluGrad where the active backend has that kernel and tfjs's own formula everywhere else.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { dispatch, makeOutput, type Shader, uniformStruct, type WebGpuBackendInternals, workgroupsFor } from './dispatch.ts';

export const RELU_GRAD_KERNEL = 'SpinalnetReluGrad';

const SHADER: Shader = {
  key: 'spinalnet-relu-grad',
  workgroupSize: 64,
  code: /* wgsl */ `
struct U { n: u32, rowStride: u32 }
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x + id.y * u.rowStride;
  if (i >= u.n) { return; }
  dx[i] = select(0.0, dy[i], x[i] > 0.0);
}`,
};

/** Inputs dy, x (float32, one shape); output dx. */
const reluGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as Record<'dy' | 'x', TensorInfo>;
  const b = backend as WebGpuBackendInternals;
  const n = x.shape.reduce((p, d) => p * d, 1);
  const dx = makeOutput(b, x.shape);
  const groups = workgroupsFor(n, SHADER.workgroupSize);
  dispatch(b, SHADER, [dy, x, dx], uniformStruct([{ u32: n }, { u32: groups[0] * SHADER.workgroupSize }]), groups);
  return dx;
};

export const reluGradKernels = [{ kernelName: RELU_GRAD_KERNEL, kernelFunc: reluGrad }];

let registered = false;

/** Replaces tfjs's gradient of 'Relu' by one that uses SpinalnetReluGrad where the backend has it. Idempotent. */
export function registerReluGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const x = saved[0]!;
      const d = dy as tf.Tensor;
      return {
        x: () => (tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined && x.dtype === 'float32' && d.dtype === 'float32'
          ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: d, x }, {}) as tf.Tensor)
          // tfjs's own gradient (tfjs-core gradients/Relu_grad).
          : tf.mul(d, tf.cast(tf.step(x), 'float32'))),
      };
    },
  });
}
