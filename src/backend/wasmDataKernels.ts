/**
 * Kernels of tfjs-backend-wasm 4.22 that are slow for the shapes training produces, rewritten as plain
 * loops over the wasm heap. None changes what is computed beyond float32 summation order.
 *
 *  - Tile: the package's C++ walks every output element through a generic index computation. Batch-norm's
 *    gradient (tfjs-core FusedBatchNorm_grad) tiles a [1,1,1,C] tensor to [N,H,W,C] once per layer, which that
 *    walk makes costly. Here: copy the innermost rows, then replicate blocks with copyWithin
 *    (memmove).
 *  - Sum and Mean over leading axes (bias and batch-norm gradients reduce NHWC over N, H, W): the package
 *    transposes the reduced axes innermost first (a full copy through its generic Transpose), then sums.
 *    Here: add rows into a Float32Array accumulator, the same row order and float32 rounding as the
 *    package's sum of the transposed tensor. Other axis sets go to the package's kernel.
 *  - MaxPoolGrad: the package's C++ builds a generic 3-D pooling index per element; here one pass over the
 *    output windows, channels innermost. Ties go to the first maximum in window order (what tfjs's cpu
 *    backend does; the package's wasm kernel takes the last one, and drops windows whose values are all
 *    ≤ 0 because it starts its running maximum at FLT_MIN; after a ReLU those windows carry no gradient
 *    anyway, so training the paper network is not affected by the difference).
 *
 * Measured with bench/kernels.ts: docs/performance.md#tfjs-on-webassembly.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { f32, replaceWasmKernel, stridesOf, type WasmBackendLike } from './wasmHeap.ts';

/** out = tile(x, reps) for any dtype held in a typed array. */
function tileKernel(builtin: KernelConfig): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    if (x.dtype === 'string' || x.shape.length === 0) return builtin.kernelFunc(args);
    const backend = args.backend as WasmBackendLike;
    const shape = x.shape;
    const outShape = shape.map((d, i) => d * reps[i]!);
    const out = backend.makeOutput(outShape, x.dtype);
    if (outShape.some((d) => d === 0)) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const srcStrides = stridesOf(shape);
    const dstStrides = stridesOf(outShape);
    const last = shape.length - 1;
    // Fills dst's block of axis d (one copy of x's sub-block, then its repeats) from src's block.
    const fill = (d: number, srcOff: number, dstOff: number): void => {
      const n = shape[d]!;
      if (d === last) {
        if (n === 1) {
          dst.fill(src[srcOff]!, dstOff, dstOff + reps[d]!);
          return;
        }
        dst.set(src.subarray(srcOff, srcOff + n), dstOff);
      } else {
        for (let i = 0; i < n; i++) fill(d + 1, srcOff + i * srcStrides[d]!, dstOff + i * dstStrides[d]!);
      }
      const block = n * dstStrides[d]!;
      for (let r = 1; r < reps[d]!; r++) dst.copyWithin(dstOff + r * block, dstOff, dstOff + block);
    };
    fill(0, 0, 0);
    return out;
  };
}

/** Normalised, sorted reduction axes; undefined when they are not exactly the leading k < rank axes. */
function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return undefined;
  for (let i = 0; i < axes.length; i++) if (axes[i] !== i) return undefined;
  return axes.length;
}

/** Sum (mean = false) or Mean of float32 x over its leading axes; the package's kernel otherwise. */
function reduceKernel(builtin: KernelConfig, mean: boolean): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : undefined;
    if (k === undefined) return builtin.kernelFunc(args);
    const backend = args.backend as WasmBackendLike;
    const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const rest = x.shape.slice(k);
    const cols = rest.reduce((a, b) => a * b, 1);
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest, 'float32');
    const src = f32(backend, x);
    const acc = f32(backend, out);
    acc.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += src[o + c]!;
    }
    if (mean && rows > 0) {
      for (let c = 0; c < cols; c++) acc[c] = acc[c]! / rows;
    }
    return out;
  };
}

/** dx of a 2-D max pool (NHWC, float32): dy routed to the first maximum of each window. */
function maxPoolGradKernel(builtin: KernelConfig): KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') return builtin.kernelFunc(args);
    const backend = args.backend as WasmBackendLike;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    );
    const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth } = info;
    const { strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
    const { dilationHeight, dilationWidth } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const out = backend.makeOutput(input.shape, 'float32');
    const x = f32(backend, input);
    const g = f32(backend, dy);
    const dx = f32(backend, out);
    dx.fill(0);
    const best = new Float32Array(ch);
    const where = new Int32Array(ch);
    for (let n = 0; n < batchSize; n++) {
      const xBase = n * inHeight * inWidth * ch;
      for (let oh = 0; oh < outHeight; oh++) {
        const r0 = oh * strideHeight - top;
        for (let ow = 0; ow < outWidth; ow++) {
          const c0 = ow * strideWidth - left;
          best.fill(Number.NEGATIVE_INFINITY);
          where.fill(-1);
          // Window in row-major order; strictly greater keeps the first maximum (as tfjs's cpu backend).
          for (let i = 0; i < fh; i += dilationHeight) {
            const r = r0 + i;
            if (r < 0 || r >= inHeight) continue;
            for (let j = 0; j < fw; j += dilationWidth) {
              const c = c0 + j;
              if (c < 0 || c >= inWidth) continue;
              const at = xBase + (r * inWidth + c) * ch;
              for (let q = 0; q < ch; q++) {
                const v = x[at + q]!;
                if (v > best[q]!) {
                  best[q] = v;
                  where[q] = at + q;
                }
              }
            }
          }
          const dyAt = ((n * outHeight + oh) * outWidth + ow) * ch;
          for (let q = 0; q < ch; q++) {
            const w = where[q]!;
            if (w >= 0) dx[w] += g[dyAt + q]!;
          }
        }
      }
    }
    return out;
  };
}

/** Kernels {@link registerWasmDataKernels} replaces. */
export const DATA_KERNELS = ['Tile', 'Sum', 'Mean', 'MaxPoolGrad'] as const;

/**
 * Replaces the wasm Tile, Sum, Mean and MaxPoolGrad kernels with the versions above. Idempotent; requires
 * '@tensorflow/tfjs-backend-wasm' to have been imported (BackendError otherwise). Returns the kernels
 * newly replaced by this call.
 */
export function registerWasmDataKernels(): string[] {
  const done: string[] = [];
  if (replaceWasmKernel('Tile', tileKernel)) done.push('Tile');
  if (replaceWasmKernel('Sum', (b) => reduceKernel(b, false))) done.push('Sum');
  if (replaceWasmKernel('Mean', (b) => reduceKernel(b, true))) done.push('Mean');
  if (replaceWasmKernel('MaxPoolGrad', maxPoolGradKernel)) done.push('MaxPoolGrad');
  return done;
}

