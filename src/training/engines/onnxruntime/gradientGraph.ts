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
import { batchNormRank, type Cursor, pair, spinalSettings, UnsupportedModelError, windowPads } from '../../../onnx/layers.ts';
import { conv2d } from './convGradient.ts';
import { type Backward, type BatchNormSlot, Builder, logicalInput, type MaskSite, nchwInput, type Step, type WeightSlot } from './graphBuilder.ts';

export type { BatchNormSlot, MaskSite, WeightFeed, WeightSlot } from './graphBuilder.ts';

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
  // After a ReLU, its gradient is applied here, on the pooled values (4× fewer for 2×2): each window's
  // maximum is where the gradient goes, and it is positive exactly where the ReLU passes a gradient there.
  const gate = c.nchw && b.reluOutputs.has(x.name);
  return {
    cursor: { name: y, shape: (layer.outputShape as number[]).slice(1), nchw: true },
    backward: (dy) => {
      const dx = g.op('MaxUnpool', [gate ? b.reluGrad(y)(dy) : dy, indices, g.op('Shape', [x.name])], attrs);
      if (gate) b.gatedFor.set(dx, x.name);
      return back(dx);
    },
  };
}

/**
 * Batch norm with the batch's statistics over every axis but the channels (NCHW rank 4, or rank 2):
 * y = γ·x̂ + β, `spatial` values per channel in each sample. Registers the batch mean and biased variance
 * as outputs for the moving averages.
 */
function normalizeBatch(
  b: Builder, x: string, rank: number, channels: number, gammaSlot: WeightSlot, betaSlot: WeightSlot, epsilon: number,
  stats: Omit<BatchNormSlot, 'mean' | 'variance' | 'channels'>, spatial: number,
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
  const xHat = g.op('Mul', [centred, inv]);
  const flat = g.int64s('shape', [channels]);
  b.batchNorms.push({ ...stats, channels, mean: g.op('Reshape', [mean, flat]), variance: g.op('Reshape', [variance, flat]) });
  return {
    y: g.op('Add', [g.op('Mul', [xHat, gamma]), beta]),
    backward: (dy) => {
      const sumAxes = g.int64s('axes', axes);
      const sumDy = g.op('ReduceSum', [dy, sumAxes], { keepdims: 1 });
      const sumDyXHat = g.op('ReduceSum', [g.op('Mul', [dy, xHat]), sumAxes], { keepdims: 1 });
      betaSlot.gradient = g.op('Reshape', [sumDy, flat]);
      gammaSlot.gradient = g.op('Reshape', [sumDyXHat, flat]);
      // 1/m, m the values per channel (N·H·W).
      const perCount = spatial === 1 ? b.inverseBatchSize : g.op('Mul', [b.inverseBatchSize, g.constant('per_pixels', new Float32Array([1 / spatial]), [])]);
      // dx = γ/σ · (dy − Σdy/m − x̂ · Σ(dy·x̂)/m)
      const meanDy = g.op('Mul', [sumDy, perCount]);
      const meanDyXHat = g.op('Mul', [sumDyXHat, perCount]);
      return g.op('Mul', [g.op('Mul', [gamma, inv]), g.op('Sub', [g.op('Sub', [dy, meanDy]), g.op('Mul', [xHat, meanDyXHat])])]);
    },
  };
}

function batchNorm(b: Builder, layer: tf.layers.Layer, c: Cursor): Step {
  const cfg = layer.getConfig();
  const rank = batchNormRank(layer, c);
  if (cfg['center'] === false || cfg['scale'] === false) throw new UnsupportedModelError(`${layer.name}: batch norm without center or scale`);
  const { x, back } = rank === 4 ? nchwInput(b, c) : { x: c, back: (d: string) => d };
  const channels = c.shape[c.shape.length - 1]!;
  const spatial = c.shape.slice(0, -1).reduce((a, v) => a * v, 1);
  const bn = normalizeBatch(b, x.name, rank, channels, b.weight(layer, 'gamma'), b.weight(layer, 'beta'), Number(cfg['epsilon']), { layer }, spatial);
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
      if (bias) bias.gradient = b.sumOverBatch(dz);
      return needDx ? g.op('Gemm', [dz, kernel.input], { transB: 1 }) : undefined;
    },
  };
}

function spinal(b: Builder, layer: tf.layers.Layer, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const { batchNorm: withBatchNorm, splits, width, count, dropout: rate, epsilon, activation } = spinalSettings(layer);
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
      const bn = normalizeBatch(b, z, 2, width, b.weight(layer, `gamma_${i}`), b.weight(layer, `beta_${i}`), epsilon, { layer, index: i }, 1);
      z = bn.y;
      norm = bn.backward;
    }
    const act = b.activation(z, activation, layer.name);
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
        s.bias.gradient = b.sumOverBatch(dz);
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
  const b = new Builder('x', options.nchwcBlock);
  const g = b.g;
  const x = g.input(b.batchInput, ['N', ...sampleShape]);
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
