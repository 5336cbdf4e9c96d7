/**
 * A tfjs Sequential model's training step (forward in training mode, weighted softmax cross-entropy,
 * backward to every trainable weight) as one ONNX graph, so that onnxruntime's native CPU kernels compute
 * the gradients that tfjs's wasm backend otherwise computes op by op. It writes the layer plan
 * (../layerPlan.ts: the layers, refusals, masks and batch norms the libtorch step shares) as ONNX nodes. onnxruntime-node ships no training
 * build, so each layer's gradient is written out here with ordinary ONNX ops (the rules are the textbook
 * ones tfjs's own gradient functions implement).
 *
 * The graph computes what tfjs computes, up to float32 rounding: the weights come in as inputs (tfjs
 * layouts), dropout masks come in as inputs (the trainer draws them as tfjs's dropout does, from the
 * run's seeded streams: ../dropoutMask.ts), batch norm uses the batch statistics and hands them out for
 * the moving averages. The optimizer stays tfjs's (Adam on the model's variables).
 * test/training/onnxGradients.test.ts compares the gradients with tf.variableGrads on several models.
 */
import type * as tf from '@tensorflow/tfjs';
import { type Cursor, UnsupportedModelError } from '../../../onnx/layers.ts';
import { type BatchNormStep, type DenseStep, hasWeights, type MaxPoolStep, type PlanBatchNorm, planLayers, type PlanMask, type PlanStep, type SpinalStep } from '../layerPlan.ts';
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

function maxPool(b: Builder, step: MaxPoolStep, c: Cursor): Step {
  const g = b.g;
  const { kernel, strides, pads } = step;
  // MaxUnpool writes each gradient to its maximum's position; where windows overlap, one position can be
  // the maximum of two windows and would need the sum.
  if (strides[0] < kernel[0] || strides[1] < kernel[1]) throw new UnsupportedModelError(`${step.layer.name}: training max pooling with overlapping windows`);
  const { x, back } = nchwInput(b, c);
  const attrs = { kernel_shape: kernel, strides, pads };
  // The indices of the maxima (the first of equal ones, as tfjs's MaxPoolGrad) route the gradient back.
  const [y, indices] = g.opN('MaxPool', [x.name], 2, attrs) as [string, string];
  // After a ReLU, its gradient is applied here, on the pooled values (4× fewer for 2×2): each window's
  // maximum is where the gradient goes, and it is positive exactly where the ReLU passes a gradient there.
  const gate = c.nchw && b.reluOutputs.has(x.name);
  return {
    cursor: { name: y, shape: step.outShape, nchw: true },
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
  b: Builder, x: string, rank: number, gammaSlot: WeightSlot, betaSlot: WeightSlot, epsilon: number, site: PlanBatchNorm, spatial: number,
): { y: string; backward: (dy: string) => string } {
  const g = b.g;
  const channels = site.channels;
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
  b.batchNorms.push({ ...site, mean: g.op('Reshape', [mean, flat]), variance: g.op('Reshape', [variance, flat]) });
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

function batchNorm(b: Builder, step: BatchNormStep, c: Cursor): Step {
  const { x, back } = step.rank === 4 ? nchwInput(b, c) : { x: c, back: (d: string) => d };
  const bn = normalizeBatch(b, x.name, step.rank, b.weight(step.gamma), b.weight(step.beta), step.epsilon, step.norm, step.spatial);
  return { cursor: { ...x, name: bn.y }, backward: (dy) => back(bn.backward(dy)) };
}

/** y = x · mask; the mask input holds tfjs's dropout multiplier (0 or 1/keep) in NHWC noise shape. */
function dropout(b: Builder, site: PlanMask, c: Cursor): Step {
  const g = b.g;
  let mask = b.mask(site, ['N', ...site.noiseShape(1).slice(1)]);
  if (c.nchw) mask = g.op('Transpose', [mask], { perm: [0, 3, 1, 2] });
  return { cursor: { ...c, name: g.op('Mul', [c.name, mask]) }, backward: (dy) => g.op('Mul', [dy, mask]) };
}

function dense(b: Builder, step: DenseStep, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const kernel = b.weight(step.kernel);
  const bias = step.bias ? b.weight(step.bias) : undefined;
  const z = g.op('Gemm', bias ? [c.name, kernel.input, bias.input] : [c.name, kernel.input]);
  const act = b.activation(z, step.activation);
  return {
    cursor: { name: act.y, shape: [step.units], nchw: false },
    backward: (dy) => {
      const dz = act.grad(dy);
      kernel.gradient = g.op('Gemm', [c.name, dz], { transA: 1 });
      if (bias) bias.gradient = b.sumOverBatch(dz);
      return needDx ? g.op('Gemm', [dz, kernel.input], { transB: 1 }) : undefined;
    },
  };
}

function spinal(b: Builder, step: SpinalStep, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  const { splits, part, width, epsilon, activation } = step;
  const count = step.stages.length;
  const slice = (t: string, from: number, to: number) =>
    g.op('Slice', [t, g.int64s('starts', [from]), g.int64s('ends', [to]), g.int64s('axes', [1])]);
  const slices = Array.from({ length: splits }, (_, k) => slice(c.name, k * part, (k + 1) * part));
  const stages: {
    input: string; mask?: string; kernel: WeightSlot; bias: WeightSlot; grad: (dy: string) => string; norm?: (dy: string) => string;
  }[] = [];
  const outputs: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < count; i++) {
    const stage = step.stages[i]!;
    let h = previous === undefined ? slices[i % splits]! : g.op('Concat', [slices[i % splits]!, previous], { axis: 1 });
    let mask: string | undefined;
    if (stage.mask) {
      mask = b.mask(stage.mask, ['N', stage.fanIn]);
      h = g.op('Mul', [h, mask]);
    }
    const kernel = b.weight(stage.kernel);
    const bias = b.weight(stage.bias);
    let z = g.op('Gemm', [h, kernel.input, bias.input]);
    let norm: ((dy: string) => string) | undefined;
    if (stage.norm) {
      const bn = normalizeBatch(b, z, 2, b.weight(stage.norm.gamma), b.weight(stage.norm.beta), epsilon, stage.norm.site, 1);
      z = bn.y;
      norm = bn.backward;
    }
    const act = b.activation(z, activation);
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

function layerStep(b: Builder, step: PlanStep, c: Cursor, needDx: boolean): Step {
  const g = b.g;
  switch (step.kind) {
    case 'conv':
      return conv2d(b, step, c, needDx);
    case 'maxPool':
      return maxPool(b, step, c);
    case 'batchNorm':
      return batchNorm(b, step, c);
    case 'activation': {
      const act = b.activation(c.name, step.activation);
      return { cursor: { ...c, name: act.y }, backward: act.grad };
    }
    case 'dropout':
      return dropout(b, step.mask, c);
    case 'flatten': {
      const { x, back } = logicalInput(b, c);
      const unflat = g.int64s('shape', [-1, ...step.inShape]);
      return {
        cursor: { name: g.op('Flatten', [x.name], { axis: 1 }), shape: step.outShape, nchw: false },
        backward: (dy) => back(g.op('Reshape', [dy, unflat])),
      };
    }
    case 'permute': {
      const { x, back } = logicalInput(b, c);
      const perm = step.perm;
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return {
        cursor: { name: g.op('Transpose', [x.name], { perm }), shape: step.outShape, nchw: false },
        backward: (dy) => back(g.op('Transpose', [dy], { perm: inverse })),
      };
    }
    case 'dense':
      return dense(b, step, c, needDx);
    case 'spinal':
      return spinal(b, step, c, needDx);
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
  const plan = planLayers(model, sampleShape, numClasses);
  const b = new Builder('x', options.nchwcBlock);
  const g = b.g;
  const x = g.input(b.batchInput, ['N', ...sampleShape]);
  const labels = g.input('labels', ['N', numClasses]);
  const sampleWeights = g.input('sample_weights', ['N']);
  let c: Cursor = { name: x, shape: [...sampleShape], nchw: false };
  const backwards: Backward[] = [];
  // The input needs no gradient, nor does anything before the first layer with weights.
  let weightsSeen = false;
  for (const planned of plan.steps) {
    const step = layerStep(b, planned, c, weightsSeen);
    if (hasWeights(planned)) weightsSeen = true;
    backwards.push(step.backward);
    c = step.cursor;
  }
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
