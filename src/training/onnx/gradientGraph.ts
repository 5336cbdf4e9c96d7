/**
 * A tfjs Sequential model's training step (forward in training mode, weighted softmax cross-entropy,
 * backward to every trainable weight) as one ONNX graph, so that onnxruntime's native CPU kernels compute
 * the gradients that tfjs's wasm backend otherwise computes op by op. onnxruntime-node ships no training
 * build, so each layer's gradient is written out here with ordinary ONNX ops (the rules are the textbook
 * ones tfjs's own gradient functions implement).
 *
 * The graph computes what tfjs computes, up to float32 rounding: the weights come in as inputs (tfjs
 * layouts), dropout masks come in as inputs (the trainer draws them as tfjs's dropout does, from the
 * run's seeded streams: ../dropoutMask.ts), batch norm uses the batch statistics and hands them out for
 * the moving averages. The optimizer stays tfjs's (Adam on the model's variables).
 * test/training/onnxGradients.test.ts compares the gradients with tf.variableGrads on several models.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormRank, type ConvSettings, convSettings, type Cursor, pair, toLogical, toNchw, toOnnxConvKernel, UnsupportedModelError, windowPads } from '../../onnx/layers.ts';
import { NCHWC, nchwcKernelMap, roundUp, scatterKernel } from '../../onnx/nchwc.ts';
import { OnnxGraph } from '../../onnx/onnxGraph.ts';

/** A dropout site in forward order: the trainer feeds the multiplier tfjs's dropout would apply. */
export interface MaskSite {
  input: string;
  rate: number;
  /** The noise shape tfjs draws for a batch of n (NHWC order). */
  noiseShape: (n: number) => number[];
}

/** One graph input made from a weight: its name, shape, and how the trainer writes it from tfjs's values. */
export interface WeightFeed {
  input: string;
  shape: number[];
  /**
   * Writes the input from the variable's values (tfjs layout) into `out`, a buffer of the input's size
   * that is reused every step and starts zeroed; absent: the values are fed as they are.
   */
  convert?: (values: Float32Array, out: Float32Array) => void;
}

/** A trainable weight: fed as `input` (and, for NCHWc convolutions, more layouts), its gradient (tfjs layout) read from `gradient`. */
export interface WeightSlot {
  variable: tf.LayerVariable;
  /** The first of `feeds`. */
  input: string;
  feeds: WeightFeed[];
  gradient: string;
}

/** A batch norm whose batch mean and (biased) variance the graph hands out. */
export interface BatchNormSlot {
  layer: tf.layers.Layer;
  /** Which of a spinal layer's batch norms; absent for a BatchNormalization layer. */
  index?: number;
  channels: number;
  mean: string;
  variance: string;
}

export interface GradientGraph {
  bytes: Uint8Array;
  /** float32 [N, H, W, C] samples, [N, classes] one-hot labels, [N] per-sample loss weights. */
  x: string;
  labels: string;
  sampleWeights: string;
  masks: MaskSite[];
  weights: WeightSlot[];
  batchNorms: BatchNormSlot[];
  /** Scalar weighted mean loss and [N, classes] logits. */
  loss: string;
  logits: string;
  /** Whether convolutions run on onnxruntime's NCHWc kernels (GraphOptions.nchwcBlock). */
  usesNchwc: boolean;
}

/** Maps the gradient of a layer's output to the gradient of its input (undefined: not needed). */
type Backward = (dy: string) => string | undefined;

interface Step {
  cursor: Cursor;
  backward: Backward;
}

class Builder {
  readonly g = new OnnxGraph([], 'spinalnet-training');
  /** Set when a convolution went to onnxruntime's NCHWc kernels. */
  usesNchwc = false;
  /** onnxruntime's NCHWc block size, when its NCHWc convolutions are to be used. */
  constructor(readonly block?: number) {}
  readonly weights: WeightSlot[] = [];
  readonly masks: MaskSite[] = [];
  readonly batchNorms: BatchNormSlot[] = [];
  private zeroName?: string;
  private oneName?: string;

  /** Scalar constants, added when first used (onnxruntime warns about unused ones). */
  private get zero(): string {
    return (this.zeroName ??= this.g.constant('zero', new Float32Array([0]), []));
  }

  private get one(): string {
    return (this.oneName ??= this.g.constant('one', new Float32Array([1]), []));
  }

  /**
   * The graph inputs that carry the layer's weight named `suffix`: one per layout (default: the weight as
   * tfjs holds it).
   */
  weight(layer: tf.layers.Layer, suffix: string, layouts: Omit<WeightFeed, 'input'>[] = []): WeightSlot {
    const variable = layer.trainableWeights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
    if (!variable) throw new UnsupportedModelError(`layer ${layer.name} has no trainable weight '${suffix}'`);
    const index = this.weights.length;
    const list = layouts.length > 0 ? layouts : [{ shape: variable.shape as number[] }];
    const feeds = list.map((l, k) => ({ ...l, input: this.g.input(k === 0 ? `w${index}` : `w${index}_${k}`, l.shape) }));
    const slot: WeightSlot = { variable, input: feeds[0]!.input, feeds, gradient: '' };
    this.weights.push(slot);
    return slot;
  }

  mask(rate: number, noiseShape: (n: number) => number[], shape: (number | string)[]): string {
    const input = this.g.input(`mask${this.masks.length}`, shape);
    this.masks.push({ input, rate, noiseShape });
    return input;
  }

  /** y = act(z) and the map from dy to dz. */
  activation(z: string, name: string, layer: string): { y: string; grad: (dy: string) => string } {
    const g = this.g;
    switch (name) {
      case 'linear':
        return { y: z, grad: (dy) => dy };
      case 'relu': {
        const y = g.op('Relu', [z]);
        return { y, grad: this.reluGrad(y) };
      }
      case 'tanh': {
        const y = g.op('Tanh', [z]);
        return { y, grad: (dy) => g.op('Mul', [dy, g.op('Sub', [this.one, g.op('Mul', [y, y])])]) };
      }
      case 'sigmoid': {
        const y = g.op('Sigmoid', [z]);
        return { y, grad: (dy) => g.op('Mul', [dy, g.op('Mul', [y, g.op('Sub', [this.one, y])])]) };
      }
    }
    throw new UnsupportedModelError(`${layer}: training with activation '${name}'`);
  }

  /** ReLU's gradient from its output y. tfjs: dy · step(x), step(x) = 1 where x > 0 (y > 0 exactly there). */
  reluGrad(y: string): (dy: string) => string {
    return (dy) => this.g.op('Where', [this.g.op('Greater', [y, this.zero]), dy, this.zero]);
  }

  /** Sum over the batch (and spatial axes of an NCHW tensor): a per-channel [C] vector. */
  sumToChannels(t: string, rank: number): string {
    return this.g.op('ReduceSum', [t, this.g.int64s('axes', rank === 4 ? [0, 2, 3] : [0])], { keepdims: 0 });
  }
}

/** NCHW view of a rank-4 cursor, with the map of its gradient back to the cursor's layout. */
function nchwInput(b: Builder, c: Cursor): { x: Cursor; back: (d: string) => string } {
  const x = toNchw(b.g, c);
  return { x, back: c.nchw ? (d) => d : (d) => b.g.op('Transpose', [d], { perm: [0, 2, 3, 1] }) };
}

/** tfjs's (NHWC) view of a cursor, with the map of its gradient back to the cursor's layout. */
function logicalInput(b: Builder, c: Cursor): { x: Cursor; back: (d: string) => string } {
  const x = toLogical(b.g, c);
  return { x, back: c.nchw ? (d) => b.g.op('Transpose', [d], { perm: [0, 3, 1, 2] }) : (d) => d };
}

function conv2d(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean): Step {
  const settings = convSettings(layer, c);
  const { kh, kw, strides, dilations, pads } = settings;
  // tfjs has no gradient for dilated convolutions, so there would be nothing to check this one against;
  // below, dilations are 1.
  if (dilations[0] !== 1 || dilations[1] !== 1) throw new UnsupportedModelError(`${layer.name}: training a dilated convolution`);
  // The input gradient of a stride-1 convolution is a convolution of the output gradient (pads k − 1 − p).
  const dxAsConv = strides[0] === 1 && strides[1] === 1 && pads[0]! < kh && pads[2]! < kh && pads[1]! < kw && pads[3]! < kw;
  return b.block !== undefined && dxAsConv ? nchwcConv2d(b, layer, c, needDx, settings, b.block) : plainConv2d(b, layer, c, needDx, settings);
}

/** Conv, its input gradient as ConvTranspose (onnxruntime's plain kernels: im2col and matrix products). */
function plainConv2d(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean, s: ConvSettings): Step {
  const g = b.g;
  const { kh, kw, strides, pads, cin, cout, activation, useBias, outShape } = s;
  const { x, back } = nchwInput(b, c);
  const shape = [kh, kw, cin, cout];
  // ONNX's [Cout, Cin, kh, kw] layout, made by the trainer (toOnnxConvKernel says why not a Transpose node).
  const kernel = b.weight(layer, 'kernel', [{ shape: [cout, cin, kh, kw], convert: (v, out) => toOnnxConvKernel(v, shape, out) }]);
  const w = kernel.input;
  const bias = useBias ? b.weight(layer, 'bias') : undefined;
  const z = g.op('Conv', bias ? [x.name, w, bias.input] : [x.name, w], { kernel_shape: [kh, kw], strides, pads });
  const act = b.activation(z, activation, layer.name);
  const [h, wd] = c.shape as [number, number];
  const [oh, ow] = outShape as [number, number];
  return {
    cursor: { name: act.y, shape: outShape, nchw: true },
    backward: (dy) => {
      const dz = act.grad(dy);
      if (bias) bias.gradient = b.sumToChannels(dz, 4);
      const xh = c.nchw ? g.op('Transpose', [x.name], { perm: [0, 2, 3, 1] }) : c.name;
      kernel.gradient = filterGradient(b, s, xh, g.op('Transpose', [dz], { perm: [0, 2, 3, 1] }));
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
 * The filter gradient as one matrix product per kernel tap: the tap's shifted window of x as rows
 * [N·H'·W', Cin], transposed times dz as [N·H'·W', Cout], gives that tap's [Cin, Cout] slice of tfjs's
 * [kh, kw, Cin, Cout] kernel; the slices stack in tap order. Built in NHWC (`xNhwc`, `dzNhwc`) so that
 * rows and columns come out in that order without moving anything large.
 * Why per tap: the one im2col product ([N·H'·W', kh·kw·Cin]ᵀ × dz) first copied the nine windows into one
 * matrix (Concat); the nine products read them where they are and give the same sums (the same bits:
 * bench/trainStep.ts's loss sums over 360 steps were identical). Measured there, paper network at batch
 * 16, one thread, load ~12: whole step CPU median 19.03 -> 16.33 ms (best 16.73 -> 14.94).
 */
function filterGradient(b: Builder, s: ConvSettings, xNhwc: string, dzNhwc: string): string {
  const g = b.g;
  const { kh, kw, strides, pads, cin, cout, outShape } = s;
  const [oh, ow] = outShape as [number, number];
  const padded = pads.some((p) => p > 0)
    ? g.op('Pad', [xNhwc, g.int64s('pads', [0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!, 0])])
    : xNhwc;
  const taps: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(g.op('Slice', [
        padded,
        g.int64s('starts', [i, j]),
        g.int64s('ends', [i + (oh - 1) * strides[0] + 1, j + (ow - 1) * strides[1] + 1]),
        g.int64s('axes', [1, 2]),
        g.int64s('steps', strides),
      ]));
    }
  }
  const dzRows = g.op('Reshape', [dzNhwc, g.int64s('shape', [-1, cout])]);
  const rowsShape = g.int64s('shape', [-1, cin]);
  const parts = taps.map((t) => g.op('Gemm', [g.op('Reshape', [t, rowsShape]), dzRows], { transA: 1 }));
  return g.op('Reshape', [parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: 0 }), g.int64s('shape', [kh, kw, cin, cout])]);
}

/**
 * A stride-1 convolution on onnxruntime's NCHWc kernels (../../onnx/nchwc.ts says why and how much):
 * the forward convolution (ReLU fused) and the input gradient, a convolution of the output gradient with
 * the transposed, tap-reversed kernel, both as com.microsoft.nchwc Conv nodes fed kernels the trainer
 * blocks. Activations between layers stay NCHW; ReorderInput/ReorderOutput convert around each
 * convolution (one pass over a small tensor each). Channel counts of at least `block` are blocked (and
 * zero-padded to a multiple of it); fewer input channels are read as plain NCHW, as MLAS does.
 */
function nchwcConv2d(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean, s: ConvSettings, block: number): Step {
  const g = b.g;
  b.usesNchwc = true;
  const { kh, kw, strides, pads, cin, cout, activation, useBias, outShape } = s;
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
  const kernel = b.weight(layer, 'kernel', layouts);
  const bias = useBias ? b.weight(layer, 'bias', [{ shape: [roundUp(cout, block)], convert: (v, out) => out.set(v) }]) : undefined;
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
  const act = fuseRelu ? { y: z, grad: b.reluGrad(z) } : b.activation(z, activation, layer.name);
  return {
    cursor: { name: act.y, shape: outShape, nchw: true },
    backward: (dy) => {
      const dz = act.grad(dy);
      if (bias) bias.gradient = b.sumToChannels(dz, 4);
      const dzb = needDx && blockedOut ? reorderIn(dz, cout, false) : undefined;
      const xNhwc = !c.nchw ? c.name : xb ? reorderOut(xb, cin, true) : g.op('Transpose', [c.name], { perm: [0, 2, 3, 1] });
      const dzNhwc = dzb ? reorderOut(dzb, cout, true) : g.op('Transpose', [dz], { perm: [0, 2, 3, 1] });
      kernel.gradient = filterGradient(b, s, xNhwc, dzNhwc);
      if (!needDx) return undefined;
      const dxPads = [kh - 1 - pads[0]!, kw - 1 - pads[1]!, kh - 1 - pads[2]!, kw - 1 - pads[3]!];
      const dxb = g.opD('Conv', [dzb ?? dz, kernel.feeds[1]!.input], NCHWC, { kernel_shape: [kh, kw], strides: [1, 1], pads: dxPads });
      // Straight into the cursor's layout.
      return reorderOut(dxb, cin, !c.nchw);
    },
  };
}

function maxPool(b: Builder, layer: tf.layers.Layer, c: Cursor): Step {
  const g = b.g;
  const cfg = layer.getConfig();
  if (cfg['dataFormat'] !== 'channelsLast') throw new UnsupportedModelError(`${layer.name}: dataFormat ${String(cfg['dataFormat'])}`);
  const kernel = pair(cfg['poolSize']);
  const strides = pair(cfg['strides'] ?? cfg['poolSize']);
  // MaxUnpool writes each gradient to its maximum's position; where windows overlap, one position can be
  // the maximum of two windows and would need the sum.
  if (strides[0] < kernel[0] || strides[1] < kernel[1]) throw new UnsupportedModelError(`${layer.name}: training max pooling with overlapping windows`);
  const pads = windowPads(c.shape, kernel, strides, [1, 1], String(cfg['padding']));
  const { x, back } = nchwInput(b, c);
  const attrs = { kernel_shape: kernel, strides, pads };
  // The indices of the maxima (the first of equal ones, as tfjs's MaxPoolGrad) route the gradient back.
  const [y, indices] = g.opN('MaxPool', [x.name], 2, attrs) as [string, string];
  return {
    cursor: { name: y, shape: (layer.outputShape as number[]).slice(1), nchw: true },
    backward: (dy) => back(g.op('MaxUnpool', [dy, indices, g.op('Shape', [x.name])], attrs)),
  };
}

/**
 * Batch norm with the batch's statistics over every axis but the channels (NCHW rank 4, or rank 2):
 * y = γ·x̂ + β. Registers the batch mean and biased variance as outputs for the moving averages.
 */
function normalizeBatch(
  b: Builder, x: string, rank: number, channels: number, gammaSlot: WeightSlot, betaSlot: WeightSlot, epsilon: number,
  stats: Omit<BatchNormSlot, 'mean' | 'variance' | 'channels'>,
): { y: string; backward: (dy: string) => string } {
  const g = b.g;
  const axes = rank === 4 ? [0, 2, 3] : [0];
  const bcast = g.int64s('shape', rank === 4 ? [1, channels, 1, 1] : [1, channels]);
  const gamma = g.op('Reshape', [gammaSlot.input, bcast]);
  const beta = g.op('Reshape', [betaSlot.input, bcast]);
  const mean = g.op('ReduceMean', [x], { axes, keepdims: 1 });
  const centred = g.op('Sub', [x, mean]);
  const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred])], { axes, keepdims: 1 });
  const eps = g.constant('eps', new Float32Array([epsilon]), []);
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, eps])])]);
  const xhat = g.op('Mul', [centred, inv]);
  const flat = g.int64s('shape', [channels]);
  b.batchNorms.push({ ...stats, channels, mean: g.op('Reshape', [mean, flat]), variance: g.op('Reshape', [variance, flat]) });
  return {
    y: g.op('Add', [g.op('Mul', [xhat, gamma]), beta]),
    backward: (dy) => {
      betaSlot.gradient = b.sumToChannels(dy, rank);
      gammaSlot.gradient = b.sumToChannels(g.op('Mul', [dy, xhat]), rank);
      // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))
      const meanDy = g.op('ReduceMean', [dy], { axes, keepdims: 1 });
      const meanDyX = g.op('ReduceMean', [g.op('Mul', [dy, xhat])], { axes, keepdims: 1 });
      const inner = g.op('Sub', [g.op('Sub', [dy, meanDy]), g.op('Mul', [xhat, meanDyX])]);
      return g.op('Mul', [inner, g.op('Mul', [gamma, inv])]);
    },
  };
}

function batchNorm(b: Builder, layer: tf.layers.Layer, c: Cursor): Step {
  const cfg = layer.getConfig();
  const rank = batchNormRank(layer, c);
  if (cfg['center'] === false || cfg['scale'] === false) throw new UnsupportedModelError(`${layer.name}: batch norm without center or scale`);
  const { x, back } = rank === 4 ? nchwInput(b, c) : { x: c, back: (d: string) => d };
  const channels = c.shape[c.shape.length - 1]!;
  const bn = normalizeBatch(b, x.name, rank, channels, b.weight(layer, 'gamma'), b.weight(layer, 'beta'), Number(cfg['epsilon']), { layer });
  return { cursor: { ...x, name: bn.y }, backward: (dy) => back(bn.backward(dy)) };
}

/** y = x · mask; the mask input holds tfjs's dropout multiplier (0 or 1/keep) in NHWC noise shape. */
function dropout(b: Builder, rate: number, c: Cursor, noise: (n: number) => number[], noiseDims: (number | string)[]): Step {
  const g = b.g;
  if (rate <= 0) return { cursor: c, backward: (dy) => dy };
  let mask = b.mask(rate, noise, noiseDims);
  if (c.nchw) mask = g.op('Transpose', [mask], { perm: [0, 3, 1, 2] });
  return { cursor: { ...c, name: g.op('Mul', [c.name, mask]) }, backward: (dy) => g.op('Mul', [dy, mask]) };
}

function dense(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const cfg = layer.getConfig();
  if (c.shape.length !== 1) throw new UnsupportedModelError(`${layer.name}: Dense on a rank-${c.shape.length + 1} tensor`);
  const units = Number(cfg['units']);
  const kernel = b.weight(layer, 'kernel');
  const bias = cfg['useBias'] === false ? undefined : b.weight(layer, 'bias');
  const z = g.op('Gemm', bias ? [c.name, kernel.input, bias.input] : [c.name, kernel.input]);
  const act = b.activation(z, String(cfg['activation']), layer.name);
  return {
    cursor: { name: act.y, shape: [units], nchw: false },
    backward: (dy) => {
      const dz = act.grad(dy);
      kernel.gradient = g.op('Gemm', [c.name, dz], { transA: 1 });
      if (bias) bias.gradient = b.sumToChannels(dz, 2);
      return needDx ? g.op('Gemm', [dz, kernel.input], { transB: 1 }) : undefined;
    },
  };
}

function spinal(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const cfg = layer.getConfig();
  const withBatchNorm = cfg['batchNorm'] === true;
  const splits = Number(cfg['splits']);
  const width = Number(cfg['layerWidth']);
  const count = Number(cfg['numLayers']);
  const rate = Number(cfg['dropout']);
  if (count < splits) throw new UnsupportedModelError(`${layer.name}: fewer spinal layers than slices`);
  const part = c.shape[0]! / splits;
  const slice = (t: string, from: number, to: number) =>
    g.op('Slice', [t, g.int64s('starts', [from]), g.int64s('ends', [to]), g.int64s('axes', [1])]);
  const slices = Array.from({ length: splits }, (_, k) => slice(c.name, k * part, (k + 1) * part));
  const stages: {
    input: string; mask?: string; kernel: WeightSlot; bias: WeightSlot; grad: (dy: string) => string; norm?: (dy: string) => string;
  }[] = [];
  const outputs: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < count; i++) {
    const fanIn = part + (i > 0 ? width : 0);
    let h = previous === undefined ? slices[i % splits]! : g.op('Concat', [slices[i % splits]!, previous], { axis: 1 });
    let mask: string | undefined;
    if (rate > 0) {
      mask = b.mask(rate, (n) => [n, fanIn], ['N', fanIn]);
      h = g.op('Mul', [h, mask]);
    }
    const kernel = b.weight(layer, `kernel_${i}`);
    const bias = b.weight(layer, `bias_${i}`);
    let z = g.op('Gemm', [h, kernel.input, bias.input]);
    let norm: ((dy: string) => string) | undefined;
    if (withBatchNorm) {
      const bn = normalizeBatch(b, z, 2, width, b.weight(layer, `gamma_${i}`), b.weight(layer, `beta_${i}`), Number(cfg['batchNormEpsilon']), { layer, index: i });
      z = bn.y;
      norm = bn.backward;
    }
    const act = b.activation(z, String(cfg['activation']), layer.name);
    stages.push({ input: h, mask, kernel, bias, grad: act.grad, norm });
    previous = act.y;
    outputs.push(act.y);
  }
  return {
    cursor: { name: g.op('Concat', outputs, { axis: 1 }), shape: [count * width], nchw: false },
    backward: (dy) => {
      const sliceGrads: (string | undefined)[] = new Array(splits);
      let carry: string | undefined;
      for (let i = count - 1; i >= 0; i--) {
        const s = stages[i]!;
        const own = slice(dy, i * width, (i + 1) * width);
        const da = s.grad(carry === undefined ? own : g.op('Add', [own, carry]));
        const dz = s.norm ? s.norm(da) : da;
        s.kernel.gradient = g.op('Gemm', [s.input, dz], { transA: 1 });
        s.bias.gradient = b.sumToChannels(dz, 2);
        if (!needDx && i === 0) break;
        let dh = g.op('Gemm', [dz, s.kernel.input], { transB: 1 });
        if (s.mask) dh = g.op('Mul', [dh, s.mask]);
        const k = i % splits;
        const dSlice = i > 0 ? slice(dh, 0, part) : dh;
        if (i > 0) carry = slice(dh, part, part + width);
        sliceGrads[k] = sliceGrads[k] === undefined ? dSlice : g.op('Add', [sliceGrads[k]!, dSlice]);
      }
      return needDx ? g.op('Concat', sliceGrads as string[], { axis: 1 }) : undefined;
    },
  };
}

function layerStep(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  const same: Step = { cursor: c, backward: (dy) => dy };
  switch (cls) {
    case 'InputLayer':
      return same;
    case 'Conv2D':
    case 'InputConv2D':
      return conv2d(b, layer, c, needDx);
    case 'MaxPooling2D':
      return maxPool(b, layer, c);
    case 'BatchNormalization':
      return batchNorm(b, layer, c);
    case 'ReLU': {
      if (cfg['maxValue'] !== null && cfg['maxValue'] !== undefined) throw new UnsupportedModelError(`${layer.name}: ReLU with maxValue`);
      const act = b.activation(c.name, 'relu', layer.name);
      return { cursor: { ...c, name: act.y }, backward: act.grad };
    }
    case 'Activation': {
      const act = b.activation(c.name, String(cfg['activation']), layer.name);
      return { cursor: { ...c, name: act.y }, backward: act.grad };
    }
    case 'Dropout': {
      if (cfg['noiseShape'] !== null && cfg['noiseShape'] !== undefined) throw new UnsupportedModelError(`${layer.name}: dropout with a noise shape`);
      const rate = Number(cfg['rate']);
      return dropout(b, rate > 0 && rate < 1 ? rate : 0, c, (n) => [n, ...c.shape], ['N', ...c.shape]);
    }
    case 'SpatialDropout2D': {
      if (c.shape.length !== 3) throw new UnsupportedModelError(`${layer.name}: spatial dropout on a rank-${c.shape.length + 1} tensor`);
      const ch = c.shape[2]!;
      return dropout(b, Number(cfg['rate']), c, (n) => [n, 1, 1, ch], ['N', 1, 1, ch]);
    }
    case 'Flatten': {
      const { x, back } = logicalInput(b, c);
      const unflat = g.int64s('shape', [-1, ...c.shape]);
      return {
        cursor: { name: g.op('Flatten', [x.name], { axis: 1 }), shape: [c.shape.reduce((a, v) => a * v, 1)], nchw: false },
        backward: (dy) => back(g.op('Reshape', [dy, unflat])),
      };
    }
    case 'Permute': {
      const { x, back } = logicalInput(b, c);
      const perm = [0, ...(cfg['dims'] as number[])];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return {
        cursor: { name: g.op('Transpose', [x.name], { perm }), shape: perm.slice(1).map((d) => c.shape[d - 1]!), nchw: false },
        backward: (dy) => back(g.op('Transpose', [dy], { perm: inverse })),
      };
    }
    case 'Dense':
      return dense(b, layer, c, needDx);
    case 'SpinalLayer':
      return spinal(b, layer, c, needDx);
    default:
      throw new UnsupportedModelError(`training layer ${layer.name} of class ${cls}`);
  }
}

export interface GraphOptions {
  /**
   * onnxruntime's NCHWc block size (../../onnx/nchwc.ts: nchwcBlockSize): stride-1 convolutions then run
   * on its NCHWc kernels. Absent: plain Conv and ConvTranspose nodes.
   */
  nchwcBlock?: number;
}

/** The training graph of `model` (a Sequential on NHWC samples of `sampleShape`); throws UnsupportedModelError. */
export function buildGradientGraph(
  model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number, options: GraphOptions = {},
): GradientGraph {
  if (model.getClassName() !== 'Sequential') throw new UnsupportedModelError(`a ${model.getClassName()} model (only Sequential ones)`);
  const b = new Builder(options.nchwcBlock);
  const g = b.g;
  const x = g.input('x', ['N', ...sampleShape]);
  const labels = g.input('labels', ['N', numClasses]);
  const sampleWeights = g.input('sample_weights', ['N']);
  let c: Cursor = { name: x, shape: [...sampleShape], nchw: false };
  const backwards: Backward[] = [];
  // The input needs no gradient, nor does anything before the first layer with weights.
  let weightsSeen = false;
  for (const layer of model.layers) {
    const step = layerStep(b, layer, c, weightsSeen);
    if (layer.trainableWeights.length > 0) weightsSeen = true;
    backwards.push(step.backward);
    c = step.cursor;
  }
  if (c.shape.length !== 1 || c.shape[0] !== numClasses) {
    throw new UnsupportedModelError(`the model's output is [${c.shape.join(', ')}] per sample, not [${numClasses}] logits`);
  }
  const trainable = model.trainableWeights.length;
  if (b.weights.length !== trainable) throw new UnsupportedModelError(`${trainable} trainable weights, ${b.weights.length} translated`);
  // Weighted softmax cross-entropy, normalised by the batch's weight sum (trainModel's weightedLoss).
  const logits = c.name;
  const perSample = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [labels, g.op('LogSoftmax', [logits], { axis: 1 })]), g.int64s('axes', [1])], { keepdims: 0 })]);
  const weightSum = g.op('ReduceSum', [sampleWeights], { keepdims: 0 });
  const loss = g.op('Div', [g.op('ReduceSum', [g.op('Mul', [perSample, sampleWeights])], { keepdims: 0 }), weightSum]);
  const scale = g.op('Unsqueeze', [g.op('Div', [sampleWeights, weightSum]), g.int64s('axes', [1])]);
  let d: string | undefined = g.op('Mul', [g.op('Sub', [g.op('Softmax', [logits], { axis: 1 }), labels]), scale]);
  for (let i = backwards.length - 1; i >= 0 && d !== undefined; i--) d = backwards[i]!(d);
  for (const w of b.weights) {
    if (w.gradient === '') throw new UnsupportedModelError(`no gradient reaches ${w.variable.name}`);
  }
  const outputs = [
    { name: loss, type: 'float32' as const, shape: [] },
    { name: logits, type: 'float32' as const, shape: ['N', numClasses] },
    ...b.weights.map((w) => ({ name: w.gradient, type: 'float32' as const, shape: w.variable.shape as number[] })),
    ...b.batchNorms.flatMap((n) => [n.mean, n.variance].map((name) => ({ name, type: 'float32' as const, shape: [n.channels] }))),
  ];
  return { bytes: g.serialize(outputs), x, labels, sampleWeights, masks: b.masks, weights: b.weights, batchNorms: b.batchNorms, loss, logits, usesNchwc: b.usesNchwc };
}
