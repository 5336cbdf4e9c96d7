/**
 * 2-D convolutions in the training graph (gradientGraph.ts): forward, input gradient and filter gradient,
 * on onnxruntime's NCHWc kernels for stride-1 convolutions when it has them (../../onnx/nchwc.ts), else
 * as plain Conv and ConvTranspose nodes.
 */
import { type ConvSettings, type Cursor, toNchw } from '../../../onnx/layers.ts';
import { NCHWC, nchwcKernelMap, roundUp, scatterKernel } from '../../../onnx/nchwc.ts';
import type { ConvStep } from '../layerPlan.ts';
import { type Builder, nchwInput, type Step, type WeightFeed } from './graphBuilder.ts';

/** A convolution of the plan (dilations 1) on the cursor `c`. */
export function conv2d(b: Builder, step: ConvStep, c: Cursor, needDx: boolean): Step {
  const { kh, kw, strides, pads } = step.settings;
  // The input gradient of a stride-1 convolution is a convolution of the output gradient (pads k − 1 − p).
  const dxAsConv = strides[0] === 1 && strides[1] === 1 && pads[0]! < kh && pads[2]! < kh && pads[1]! < kw && pads[3]! < kw;
  return b.block !== undefined && dxAsConv ? nchwcConv2d(b, step, c, needDx, b.block) : plainConv2d(b, step, c, needDx);
}

/** Conv, its input gradient as ConvTranspose (onnxruntime's plain kernels: im2col and matrix products). */
function plainConv2d(b: Builder, step: ConvStep, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const s = step.settings;
  const { kh, kw, strides, pads, cout, outShape } = s;
  const { x, back } = nchwInput(b, c);
  const kernel = b.weight(step.kernel);
  // tfjs's [kh, kw, Cin, Cout] in ONNX's [Cout, Cin, kh, kw] layout.
  const w = g.op('Transpose', [kernel.input], { perm: [3, 2, 0, 1] });
  const bias = step.bias ? b.weight(step.bias) : undefined;
  const z = g.op('Conv', bias ? [x.name, w, bias.input] : [x.name, w], { kernel_shape: [kh, kw], strides, pads });
  const act = b.activation(z, step.activation);
  const [h, wd] = c.shape as [number, number];
  const [oh, ow] = outShape as [number, number];
  return {
    cursor: { name: act.y, shape: outShape, nchw: true },
    backward: (dy) => {
      const dz = act.grad(dy);
      const xh = c.nchw ? g.op('Transpose', [x.name], { perm: [0, 2, 3, 1] }) : c.name;
      const dzT = channelRows(b, dz, cout);
      if (bias) bias.gradient = rowSums(b, dzT);
      kernel.gradient = filterGradient(b, s, xh, c.shape as [number, number], dzT);
      if (!needDx) return undefined;
      // Rows and columns a strided window never reached get a zero gradient (output_padding).
      const outputPadding = [
        h - ((oh - 1) * strides[0] + kh - pads[0]! - pads[2]!),
        wd - ((ow - 1) * strides[1] + kw - pads[1]! - pads[3]!),
      ];
      const dx = g.op('ConvTranspose', [dz, w], { kernel_shape: [kh, kw], strides, pads, output_padding: outputPadding });
      return back(dx);
    },
  };
}

/**
 * The bias gradient from dz's rows: onnxruntime's ReduceSum over the last axis of [C, N·H·W] takes a
 * fraction of its time over axes 0, 2, 3 of NCHW (docs/performance.md#the-onnxruntime-training-step).
 */
function rowSums(b: Builder, rows: string): string {
  return b.g.op('ReduceSum', [rows, b.g.int64s('axes', [1])], { keepdims: 0 });
}

/** An NCHW tensor as [C, N·H·W]: one row per channel. */
function channelRows(b: Builder, t: string, channels: number): string {
  return b.g.op('Reshape', [b.g.op('Transpose', [t], { perm: [1, 0, 2, 3] }), b.g.int64s('shape', [channels, -1])]);
}

/**
 * The filter gradient as one matrix product per kernel tap: dz as [Cout, N·H'·W'] (`dzT`, channelRows)
 * times the tap's shifted window of x as rows [N·H'·W', Cin] gives that tap's [Cout, Cin]; the taps stack
 * in tap order and one small Transpose makes tfjs's [kh, kw, Cin, Cout]. x is taken in NHWC (`xNhwc`, of
 * height and width [h, w]) so that a window's rows come out in that order without moving anything large.
 * Why per tap: the one im2col product first copied the nine windows into one matrix (Concat); the nine
 * products read them where they are. Why dz on the left: as Gemm(window, dz, transA) MLAS first transposed
 * each window into its panels; as MatMul(dzT, window) it reads dzT as it is. Both made the step faster
 * (docs/performance.md#the-onnxruntime-training-step).
 */
function filterGradient(b: Builder, s: ConvSettings, xNhwc: string, [h, w]: readonly [number, number], dzT: string): string {
  const g = b.g;
  const { kh, kw, strides, pads, cin, cout, outShape } = s;
  const [oh, ow] = outShape as [number, number];
  // Stride 1 and an output as large as the input: the tap at the pads' offset (the centre tap of a 'same'
  // convolution) has x itself as its window and reads it where it is: one copy fewer of the nine.
  const same = strides[0] === 1 && strides[1] === 1 && oh === h && ow === w;
  const padded = pads.some((p) => p > 0)
    ? g.op('Pad', [xNhwc, g.int64s('pads', [0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!, 0])])
    : xNhwc;
  const rowsShape = g.int64s('shape', [-1, cin]);
  const parts: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = same && i === pads[0] && j === pads[1] ? xNhwc : g.op('Slice', [
        padded,
        g.int64s('starts', [i, j]),
        g.int64s('ends', [i + (oh - 1) * strides[0] + 1, j + (ow - 1) * strides[1] + 1]),
        g.int64s('axes', [1, 2]),
        g.int64s('steps', strides),
      ]);
      parts.push(g.op('MatMul', [dzT, g.op('Reshape', [tap, rowsShape])]));
    }
  }
  const all = parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: 0 });
  const stacked = g.op('Reshape', [all, g.int64s('shape', [kh, kw, cout, cin])]);
  return g.op('Transpose', [stacked], { perm: [0, 1, 3, 2] });
}

/**
 * A stride-1 convolution on onnxruntime's NCHWc kernels (../../onnx/nchwc.ts says why and how much):
 * the forward convolution (ReLU fused) and the input gradient, a convolution of the output gradient with
 * the transposed, tap-reversed kernel, both as com.microsoft.nchwc Conv nodes fed kernels the trainer
 * blocks. Activations between layers stay NCHW; ReorderInput/ReorderOutput convert around each
 * convolution (one pass over a small tensor each). Channel counts of at least `block` are blocked (and
 * zero-padded to a multiple of it); fewer input channels are read as plain NCHW, as MLAS does.
 */
function nchwcConv2d(b: Builder, step: ConvStep, c: Cursor, needDx: boolean, block: number): Step {
  const g = b.g;
  b.usesNchwc = true;
  const s = step.settings;
  const { kh, kw, strides, pads, cin, cout, outShape } = s;
  const activation = step.activation;
  const shape = [kh, kw, cin, cout];
  const blockedIn = cin >= block;
  const blockedOut = cout >= block;
  const forwardMap = nchwcKernelMap(shape, block, false);
  const layouts: Omit<WeightFeed, 'input'>[] = [
    { shape: [roundUp(cout, block), blockedIn ? roundUp(cin, block) : cin, kh, kw], convert: (v, out) => scatterKernel(v, forwardMap, out) },
  ];
  if (needDx) {
    const backwardMap = nchwcKernelMap(shape, block, true);
    layouts.push({ shape: [roundUp(cin, block), blockedOut ? roundUp(cout, block) : cout, kh, kw], convert: (v, out) => scatterKernel(v, backwardMap, out) });
  }
  const kernel = b.weight(step.kernel, layouts);
  const bias = step.bias ? b.weight(step.bias, [{ shape: [roundUp(cout, block)], convert: (v, out) => out.set(v) }]) : undefined;
  // ReorderInput takes whole groups of 4 channels; it pads the rest of the block itself.
  const reorderIn = (t: string, channels: number, channelsLast: boolean): string => {
    const extra = roundUp(channels, 4) - channels;
    const aligned = extra === 0 ? t : g.op('Pad', [t, g.int64s('pads', channelsLast ? [0, 0, 0, 0, 0, 0, 0, extra] : [0, 0, 0, 0, 0, extra, 0, 0])]);
    return g.opD('ReorderInput', [aligned], NCHWC, { channels_last: channelsLast ? 1 : 0 });
  };
  const reorderOut = (t: string, channels: number, channelsLast: boolean): string =>
    g.opD('ReorderOutput', [t], NCHWC, { channels, channels_last: channelsLast ? 1 : 0 });
  const xb = blockedIn ? reorderIn(c.name, cin, !c.nchw) : undefined;
  const xIn = xb ?? toNchw(g, c).name;
  const fuseRelu = activation === 'relu';
  const attrs = { kernel_shape: [kh, kw], strides, pads };
  const zb = g.opD('Conv', bias ? [xIn, kernel.input, bias.input] : [xIn, kernel.input], NCHWC, fuseRelu ? { ...attrs, activation: { string: 'Relu' } } : attrs);
  const z = reorderOut(zb, cout, false);
  const act = fuseRelu ? { y: z, grad: b.reluGrad(z) } : b.activation(z, activation);
  return {
    cursor: { name: act.y, shape: outShape, nchw: true },
    backward: (dy) => {
      const dz = act.grad(dy);
      const dzT = channelRows(b, dz, cout);
      if (bias) bias.gradient = rowSums(b, dzT);
      const dzb = needDx && blockedOut ? reorderIn(dz, cout, false) : undefined;
      const xNhwc = !c.nchw ? c.name : xb ? reorderOut(xb, cin, true) : g.op('Transpose', [c.name], { perm: [0, 2, 3, 1] });
      kernel.gradient = filterGradient(b, s, xNhwc, c.shape as [number, number], dzT);
      if (!needDx) return undefined;
      const dxPads = [kh - 1 - pads[0]!, kw - 1 - pads[1]!, kh - 1 - pads[2]!, kw - 1 - pads[3]!];
      const dxb = g.opD('Conv', [dzb ?? dz, kernel.feeds[1]!.input], NCHWC, { kernel_shape: [kh, kw], strides: [1, 1], pads: dxPads });
      // Straight into the cursor's layout.
      return reorderOut(dxb, cin, !c.nchw);
    },
  };
}
