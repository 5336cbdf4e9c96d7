/**
 * tf.split (kernel SplitV) in one dispatch on WebGPU, for up to seven parts.
 *
 * tfjs-backend-webgpu splits with one slice program per part. The spinal head concatenates every layer's
 * input and its outputs, and concat's gradient is a split: ten slice launches per training step of the
 * paper network (bench/gpuCounts.ts --by-program). Here one invocation per input element copies it to the
 * part it falls in. Values are copied as 32-bit words, so float32, int32 and bool (4 bytes on WebGPU)
 * all pass bit for bit. Other cases (more than seven parts, an empty part, one part, complex64) go to
 * the package's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { dispatch, type Shader, uniformStruct, type WebGpuBackendInternals, workgroupsFor } from './dispatch.ts';

/** One input and seven outputs: WebGPU's guaranteed 8 storage buffers per shader stage. */
const MAX_PARTS = 7;

const shaders = new Map<number, Shader>();

function shaderFor(parts: number): Shader {
  let shader = shaders.get(parts);
  if (shader !== undefined) return shader;
  const indices = Array.from({ length: parts }, (_, j) => j);
  const bindings = indices.map((j) => `@group(0) @binding(${j + 1}) var<storage, read_write> out${j}: array<u32>;`).join('\n');
  const fields = indices.map((j) => `start${j}: u32, size${j}: u32`).join(', ');
  // Part j holds the axis positions [start_j, start_j + size_j); its row is outer·size_j + (a − start_j).
  const branches = indices.map((j) => `if (a < u.start${j} + u.size${j}) { out${j}[(o * u.size${j} + a - u.start${j}) * u.inner + r] = v; return; }`).join('\n  ');
  shader = {
    key: `spinalnet-split-${parts}`,
    workgroupSize: 64,
    code: /* wgsl */ `
struct U { n: u32, rowStride: u32, axis: u32, inner: u32, ${fields} }
@group(0) @binding(0) var<storage, read> x: array<u32>;
${bindings}
@group(0) @binding(${parts + 1}) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x + id.y * u.rowStride;
  if (i >= u.n) { return; }
  let r = i % u.inner;
  let a = (i / u.inner) % u.axis;
  let o = i / (u.inner * u.axis);
  let v = x[i];
  ${branches}
}`,
  };
  shaders.set(parts, shader);
  return shader;
}

/** The SplitV kernel: ours where it applies, else `builtin` (the package's). */
export function splitKernel(builtin: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
    if (x.dtype === 'complex64' || x.dtype === 'string' || sizes.length < 2 || sizes.length > MAX_PARTS || sizes.some((s) => s === 0)) {
      return builtin(args);
    }
    const b = args.backend as WebGpuBackendInternals;
    const n = x.shape.reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
    const outs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[ax] = s;
      return b.makeTensorInfo(shape, x.dtype);
    });
    const shader = shaderFor(sizes.length);
    const groups = workgroupsFor(n, shader.workgroupSize);
    let start = 0;
    const parts = sizes.flatMap((s) => {
      const field = [{ u32: start }, { u32: s }];
      start += s;
      return field;
    });
    const uniforms = uniformStruct([{ u32: n }, { u32: groups[0] * shader.workgroupSize }, { u32: x.shape[ax]! }, { u32: inner }, ...parts]);
    dispatch(b, shader, [x, ...outs], uniforms, groups);
    return outs;
  };
}
