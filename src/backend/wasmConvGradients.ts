/**
 * Conv training on the tfjs wasm backend.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel (training any conv net throws) and its
 * `Conv2DBackpropInput` is a naive loop. Both gradients of a convolution are themselves convolutions, and
 * the wasm `Conv2D` kernel is XNNPACK, so we register the two backprop kernels for 'wasm' and build them
 * from the wasm `Conv2D`, `Transpose` and `Slice` kernels:
 *
 *  - dW: ONE conv2d with the batch as channels. x → [Cin, H, W, N] is a batch of Cin images with N
 *    channels; dy → [outH, outW, N, Cout] is the filter; a stride-s forward conv becomes dilation s;
 *    the result [Cin, kh, kw, Cout] is transposed to [kh, kw, Cin, Cout].
 *  - dX (stride 1): conv2d(dy, filter rotated 180° with in/out swapped), padded so the output is H×W.
 *    Stride > 1 goes to the builtin kernel (correct, slow); none of our models uses strided convs.
 *
 * Our dX is several times faster than the builtin one, about as fast as the forward conv (bench/kernels.ts;
 * docs/performance.md#tfjs-on-webassembly).
 *
 * Why kernels (mechanism a) rather than a re-registered Conv2D gradient (mechanism b): tfjs-layers runs
 * conv + bias (+ linear activation, e.g. before batch norm) as `FusedConv2D`, whose gradient is a
 * `customGrad` closure that calls the `Conv2DBackpropInput`/`Conv2DBackpropFilter` kernels directly; a
 * Conv2D gradient override never sees it, so conv→BN layers would still throw. Speed does not argue for
 * (b) either: the same reformulations written as ops were a little slower for dW and slower still for dX
 * with tf.reverse.
 *
 * Intermediates are freed with `backend.disposeData`: they never become engine tensors, and the XNNPACK
 * operator that wasm Conv2D caches per filter id is only released when that filter's data is disposed.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { BackendError } from '../core/errors.ts';
import {
  addWasmKernel, f32, type KernelArgs, replaceWasmKernel, runKernel as run, wasmKernel, type WasmBackendLike,
} from './wasmHeap.ts';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

/** Kernels of the wasm backend we compose; looked up once at registration. */
interface WasmKernels {
  conv2d: KernelFunc;
  transpose: KernelFunc;
  slice: KernelFunc;
  /** The package's own Conv2DBackpropInput, used for stride > 1. */
  builtinBackpropInput: KernelFunc;
}

/** Result of {@link registerWasmConvGradients}. */
export interface WasmConvGradientsInfo {
  /** Kernels now registered for 'wasm' by this module. */
  kernels: string[];
  /** False when they were already registered (the call was a no-op). */
  newlyRegistered: boolean;
}

/**
 * Registers `Conv2DBackpropFilter` and a fast `Conv2DBackpropInput` for the 'wasm' backend.
 * Idempotent. Requires '@tensorflow/tfjs-backend-wasm' to have been imported (it registers the kernels
 * we build on); throws BackendError otherwise.
 */
export function registerWasmConvGradients(): WasmConvGradientsInfo {
  const names = ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
  const shared = { conv2d: wasmKernel('Conv2D').kernelFunc, transpose: wasmKernel('Transpose').kernelFunc, slice: wasmKernel('Slice').kernelFunc };
  // The builtin Conv2DBackpropInput is kept for stride > 1 (replaceWasmKernel also keeps its setupFunc,
  // which binds the wasm function that route calls).
  const input = replaceWasmKernel('Conv2DBackpropInput', (builtin) => {
    const k: WasmKernels = { ...shared, builtinBackpropInput: builtin.kernelFunc };
    return (args) => conv2dBackpropInput(args, k);
  });
  const filter = addWasmKernel('Conv2DBackpropFilter', (args) => conv2dBackpropFilter(args, shared));
  return { kernels: names, newlyRegistered: input || filter };
}

function checkChannelsLast(dataFormat: string, kernel: string): void {
  if (dataFormat !== 'NHWC') {
    throw new BackendError(
      `${kernel} on wasm supports only NHWC data, got dataFormat '${dataFormat}'`,
      "use channels-last tensors (tfjs-layers' default dataFormat 'channelsLast') or another backend",
    );
  }
}

/**
 * dW[i, j, ci, co] = Σ_{n, oh, ow} xPadded[n, oh·sh + i, ow·sw + j, ci] · dy[n, oh, ow, co], computed as
 * conv2d(x^T [Cin, H, W, N], dy^T [outH, outW, N, Cout], dilation = stride).
 */
function conv2dBackpropFilter(args: KernelArgs, k: Omit<WasmKernels, 'builtinBackpropInput'>): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs['x']!;
  const dy = args.inputs['dy']!;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  checkChannelsLast(attrs.dataFormat, 'Conv2DBackpropFilter');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad as Pad, attrs.dimRoundingMode as RoundingMode,
  );
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Padding after the input such that the dilated "filter" dy spans exactly kh rows: a negative value
  // means the last input rows are never read by the forward conv (valid padding with stride > 1).
  const bottom = (outHeight - 1) * strideHeight + filterHeight - top - inHeight;
  const right = (outWidth - 1) * strideWidth + filterWidth - left - inWidth;

  const temps: TensorInfo[] = [];
  try {
    let xT = run(k.transpose, backend, { x }, { perm: [3, 1, 2, 0] });
    temps.push(xT);
    if (bottom < 0 || right < 0) {
      const [c, h, w, n] = xT.shape;
      xT = run(k.slice, backend, { x: xT }, {
        begin: [0, 0, 0, 0],
        size: [c!, h! + Math.min(bottom, 0), w! + Math.min(right, 0), n!],
      });
      temps.push(xT);
    }
    const dyT = run(k.transpose, backend, { x: dy }, { perm: [1, 2, 0, 3] });
    temps.push(dyT);
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
    const dwT = run(k.conv2d, backend, { x: xT, filter: dyT }, {
      strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [strideHeight, strideWidth],
    } as unknown as NamedAttrMap);
    temps.push(dwT);
    return run(k.transpose, backend, { x: dwT }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * dX[n, h, w, ci] = Σ_{i, j, co} dy[n, h + top − i, w + left − j, co] · W[i, j, ci, co]; for stride 1 that is
 * conv2d(dy padded by kh−1−top above, W reversed in (i, j) and transposed to [kh, kw, Cout, Cin]).
 */
function conv2dBackpropInput(args: KernelArgs, k: WasmKernels): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const dy = args.inputs['dy']!;
  const filter = args.inputs['filter']!;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  checkChannelsLast(attrs.dataFormat, 'Conv2DBackpropInput');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad as Pad, attrs.dimRoundingMode as RoundingMode,
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return run(k.builtinBackpropInput, backend, args.inputs, args.attrs ?? {});

  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const top = filterHeight - 1 - info.padInfo.top;
  const left = filterWidth - 1 - info.padInfo.left;
  const bottom = inHeight + filterHeight - 1 - outHeight - top;
  const right = inWidth + filterWidth - 1 - outWidth - left;

  const temps: TensorInfo[] = [];
  try {
    let dyIn = dy;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) {
      // Padding larger than the filter: the first/last dy rows see only padding and add nothing to dX.
      const [n, h, w, c] = dy.shape;
      const cropTop = Math.max(-top, 0);
      const cropLeft = Math.max(-left, 0);
      dyIn = run(k.slice, backend, { x: dy }, {
        begin: [0, cropTop, cropLeft, 0],
        size: [n!, h! - cropTop - Math.max(-bottom, 0), w! - cropLeft - Math.max(-right, 0), c!],
      });
      temps.push(dyIn);
    }
    const swapped = rotateAndSwapFilter(filter, backend);
    temps.push(swapped);
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0],
    ];
    return run(k.conv2d, backend, { x: dyIn, filter: swapped }, {
      strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1],
    } as unknown as NamedAttrMap);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * W[kh, kw, Cin, Cout] → W'[i, j, co, ci] = W[kh−1−i, kw−1−j, ci, co] in one pass over the heap.
 * Hand-written because the wasm Reverse kernel is slower than the dX convolution it feeds
 * (docs/performance.md#tfjs-on-webassembly).
 */
function rotateAndSwapFilter(filter: TensorInfo, backend: WasmBackendLike): TensorInfo {
  const [kh, kw, cin, cout] = filter.shape as Shape4;
  const out = backend.makeOutput([kh, kw, cout, cin], 'float32');
  // Views only after makeOutput: an allocation may grow (and so detach) the heap.
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  const plane = cin * cout;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * plane;
      const to = (i * kw + j) * plane;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) dst[to + co * cin + ci] = src[from + ci * cout + co]!;
      }
    }
  }
  return out;
}
