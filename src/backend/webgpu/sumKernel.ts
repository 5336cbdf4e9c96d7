/**
 * tf.sum over the leading axes (a bias gradient: Σ over batch, rows and columns of dy) in one dispatch.
 *
 * tfjs-backend-webgpu reduces only innermost axes, so a sum over the leading ones is a transpose and then
 * a reduction: seven transposes per training step of the paper network, one per bias (bench/gpuCounts.ts
 * --by-program). Here one workgroup per output value (column) strides over the rows and sums them in a
 * float32 tree, as batch norm's kernels do. Other sums (any other axes, int32, more than 65535 columns)
 * go to the package's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { THREADS, WORKGROUP_REDUCE } from './batchNormKernels.ts';
import { dispatch, type Shader, uniformStruct, type WebGpuBackendInternals } from './dispatch.ts';

const SHADER: Shader = {
  key: 'spinalnet-sum-leading',
  workgroupSize: THREADS,
  code: /* wgsl */ `
struct U { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${WORKGROUP_REDUCE}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let k = wg.x;
  var s = 0.0;
  for (var j = t; j < u.rows; j = j + ${THREADS}u) { s = s + x[j * u.cols + k]; }
  partial[t] = s;
  partial2[t] = 0.0;
  reduce(t);
  if (t == 0u) { y[k] = partial[0]; }
}`,
};

/** The Sum kernel: ours for float32 sums over leading axes, else `builtin` (the package's). */
export function sumKernel(builtin: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const k = axes.length;
    const leading = k > 0 && k < x.shape.length && axes.every((a, i) => a === i);
    const cols = x.shape.slice(k).reduce((p, d) => p * d, 1);
    const rows = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
    if (x.dtype !== 'float32' || !leading || cols > 65535 || cols === 0 || rows === 0) return builtin(args);
    const b = args.backend as WebGpuBackendInternals;
    const shape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
    const y = b.makeTensorInfo(shape, 'float32');
    dispatch(b, SHADER, [x, y], uniformStruct([{ u32: rows }, { u32: cols }]), [cols, 1, 1]);
    return y;
  };
}
