/**
 * A trained tfjs Sequential model → an ONNX graph that computes the same inference-mode function
 * (dropout off, batch norm on its moving averages), for onnxruntime's native CPU kernels.
 *
 * Layouts: the graph takes the same NHWC input as the tfjs model. Convolutions and pooling run in ONNX's
 * NCHW, so the tensor is transposed on entry to a conv block and back to NHWC wherever tfjs's layout
 * becomes visible (Flatten orders features as NHWC does, Permute, Dense on 2-D inputs).
 * Layers outside the supported set raise UnsupportedModelError; callers then predict with tfjs.
 *
 * int8 (a QDQ graph, see int8.ts): every convolution's input passes QuantizeLinear → DequantizeLinear with a
 * calibrated per-tensor uint8 range, its weights are per-channel symmetric int8 (batch norm folded in first)
 * and its bias int32, so onnxruntime's CPU provider fuses each into a QLinearConv. Max pooling keeps its input's
 * range (onnxruntime then pools the uint8 values); the dense/spinal head stays float32.
 */
import * as tf from '@tensorflow/tfjs';
import type { SpinalActivation } from '../../models/spinalLayer.ts';
import { OnnxGraph } from '../../onnx/onnxGraph.ts';
import { batchNormRank, convSettings, type Cursor, pair, toLogical, toNchw, UnsupportedModelError, windowPads } from '../../onnx/layers.ts';
import { foldBatchNorm, type Quantizer, quantizedConvInputs } from './int8.ts';

export { UnsupportedModelError };

export interface OnnxExport {
  /** ModelProto bytes. */
  bytes: Uint8Array;
  /** Input tensor name: float32 [N, H, W, C]. */
  input: string;
  /** float32 [N, classes]. */
  logits: string;
  /** int64 [N], the first maximum of each row (as tf.argMax). */
  classes: string;
}

const weightNamed = (layer: tf.layers.Layer, suffix: string): Float32Array | undefined => {
  const i = layer.weights.findIndex((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
  return i < 0 ? undefined : (layer.getWeights()[i]!.dataSync() as Float32Array);
};

function requireWeight(layer: tf.layers.Layer, suffix: string): Float32Array {
  const w = weightNamed(layer, suffix);
  if (!w) throw new UnsupportedModelError(`layer ${layer.name} has no weight '${suffix}'`);
  return w;
}

function activate(g: OnnxGraph, x: string, activation: string, rank: number): string {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x]);
    case 'tanh':
      return g.op('Tanh', [x]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'elu':
      return g.op('Elu', [x], { alpha: { float: 1 } });
    case 'selu':
      // ONNX's default alpha and gamma are the float32 values of tfjs's constants.
      return g.op('Selu', [x]);
    case 'softmax':
      if (rank === 2) return g.op('Softmax', [x], { axis: -1 });
      break;
  }
  throw new UnsupportedModelError(`activation '${activation}' on a rank-${rank} tensor`);
}

/** tfjs's [kh, kw, Cin, Cout] kernel in ONNX's [Cout, Cin, kh, kw] layout. */
function toOnnxConvKernel(w: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const out = new Float32Array(w.length);
  const taps = kh * kw;
  const perOut = cin * taps;
  for (let t = 0; t < taps; t++) {
    for (let ci = 0; ci < cin; ci++) {
      let from = (t * cin + ci) * cout;
      for (let co = 0, to = ci * taps + t; co < cout; co++, to += perOut) out[to] = w[from++]!;
    }
  }
  return out;
}

/**
 * A Conv node. With `q` (int8 or its calibration pass) the batch norm `bn` that follows the layer is folded
 * into its weights and bias, and the input, weights and bias pass through QDQ pairs (int8 pass).
 */
function conv2d(g: OnnxGraph, layer: tf.layers.Layer, c: Cursor, q?: Quantizer, bn?: tf.layers.Layer): Cursor {
  const { kh, kw, strides, dilations, pads, cin, cout, activation, useBias, outShape } = convSettings(layer, c);
  const x = toNchw(g, c);
  const attrs = { kernel_shape: [kh, kw], strides, dilations, pads };
  let inputs: string[];
  if (q) {
    let kernel = toOnnxConvKernel(requireWeight(layer, 'kernel'), [kh, kw, cin, cout]);
    let bias = useBias ? requireWeight(layer, 'bias') : new Float32Array(cout);
    if (bn) ({ kernel, bias } = foldBatchNorm(kernel, bias, batchNormWeights(bn, cout), Number(bn.getConfig()['epsilon'])));
    inputs = quantizedConvInputs(g, q, x.name, kernel, bias, [cout, cin, kh, kw]);
  } else {
    const kernel = g.constant('W', toOnnxConvKernel(requireWeight(layer, 'kernel'), [kh, kw, cin, cout]), [cout, cin, kh, kw]);
    inputs = [x.name, kernel];
    if (useBias) inputs.push(g.constant('B', requireWeight(layer, 'bias'), [cout]));
  }
  const y = g.op('Conv', inputs, attrs);
  return { name: activate(g, y, activation, 4), shape: outShape, nchw: true };
}

function maxPool(g: OnnxGraph, layer: tf.layers.Layer, c: Cursor, q?: Quantizer): Cursor {
  const cfg = layer.getConfig();
  if (cfg['dataFormat'] !== 'channelsLast') throw new UnsupportedModelError(`${layer.name}: dataFormat ${String(cfg['dataFormat'])}`);
  const kernel = pair(cfg['poolSize']);
  const strides = pair(cfg['strides'] ?? cfg['poolSize']);
  const x = toNchw(g, c);
  // int8: the maximum of quantized values is one of them, so the output keeps the input's range.
  const input = q ? q.quantize(g, x.name) : x.name;
  const y = g.op('MaxPool', [input], { kernel_shape: kernel, strides, pads: windowPads(c.shape, kernel, strides, [1, 1], String(cfg['padding'])) });
  q?.sameRange(y, x.name);
  return { name: y, shape: (layer.outputShape as number[]).slice(1), nchw: true };
}

/** An inference-mode BatchNormalization node over channel axis 1 of x. */
function batchNormNode(
  g: OnnxGraph, x: string, w: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array }, epsilon: number,
): string {
  const n = [w.gamma.length];
  return g.op(
    'BatchNormalization',
    [x, g.constant('gamma', w.gamma, n), g.constant('beta', w.beta, n), g.constant('mean', w.mean, n), g.constant('var', w.variance, n)],
    { epsilon: { float: epsilon } },
  );
}

/** A BatchNormalization layer's four vectors of `n` channels (gamma 1 and beta 0 where the layer has none). */
function batchNormWeights(layer: tf.layers.Layer, n: number): { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array } {
  return {
    gamma: weightNamed(layer, 'gamma') ?? new Float32Array(n).fill(1),
    beta: weightNamed(layer, 'beta') ?? new Float32Array(n),
    mean: requireWeight(layer, 'moving_mean'),
    variance: requireWeight(layer, 'moving_variance'),
  };
}

function batchNorm(g: OnnxGraph, layer: tf.layers.Layer, c: Cursor): Cursor {
  const cfg = layer.getConfig();
  const rank = batchNormRank(layer, c);
  const x = rank === 4 ? toNchw(g, c) : c;
  const y = batchNormNode(g, x.name, batchNormWeights(layer, c.shape[c.shape.length - 1]!), Number(cfg['epsilon']));
  return { ...x, name: y };
}

function dense(g: OnnxGraph, x: string, kernel: Float32Array, bias: Float32Array | undefined, inF: number, outF: number): string {
  const inputs = [x, g.constant('W', kernel, [inF, outF])];
  if (bias) inputs.push(g.constant('B', bias, [outF]));
  return g.op('Gemm', inputs);
}

function spinal(g: OnnxGraph, layer: tf.layers.Layer, c: Cursor): Cursor {
  const cfg = layer.getConfig();
  const splits = Number(cfg['splits']);
  const width = Number(cfg['layerWidth']);
  const layers = Number(cfg['numLayers']);
  const features = c.shape[0]!;
  const part = features / splits;
  const slices = Array.from({ length: splits }, (_, k) =>
    g.op('Slice', [c.name, g.int64s('starts', [k * part]), g.int64s('ends', [(k + 1) * part]), g.int64s('axes', [1])]),
  );
  const outputs: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < layers; i++) {
    const slice = slices[i % splits]!;
    const h = previous === undefined ? slice : g.op('Concat', [slice, previous], { axis: 1 });
    let y = dense(g, h, requireWeight(layer, `kernel_${i}`), requireWeight(layer, `bias_${i}`), part + (i > 0 ? width : 0), width);
    if (cfg['batchNorm'] === true) {
      y = batchNormNode(g, y, {
        gamma: requireWeight(layer, `gamma_${i}`),
        beta: requireWeight(layer, `beta_${i}`),
        mean: requireWeight(layer, `moving_mean_${i}`),
        variance: requireWeight(layer, `moving_variance_${i}`),
      }, Number(cfg['batchNormEpsilon']));
    }
    previous = activate(g, y, String(cfg['activation'] as SpinalActivation), 2);
    outputs.push(previous);
  }
  return { name: g.op('Concat', outputs, { axis: 1 }), shape: [layers * width], nchw: false };
}

/** Translates one layer; returns the new cursor. */
function layerToOnnx(g: OnnxGraph, layer: tf.layers.Layer, c: Cursor, q?: Quantizer): Cursor {
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  switch (cls) {
    case 'InputLayer':
    case 'Dropout':
    case 'SpatialDropout2D':
      return c; // identity in inference mode
    case 'Conv2D':
    case 'InputConv2D':
      return conv2d(g, layer, c, q);
    case 'MaxPooling2D':
      return maxPool(g, layer, c, q);
    case 'BatchNormalization':
      return batchNorm(g, layer, c);
    case 'ReLU':
      if (cfg['maxValue'] !== null && cfg['maxValue'] !== undefined) throw new UnsupportedModelError(`${layer.name}: ReLU with maxValue`);
      return { ...c, name: g.op('Relu', [c.name]) };
    case 'Activation':
      return { ...c, name: activate(g, c.name, String(cfg['activation']), c.shape.length + 1) };
    case 'Flatten': {
      const x = toLogical(g, c);
      return { name: g.op('Flatten', [x.name], { axis: 1 }), shape: [c.shape.reduce((a, b) => a * b, 1)], nchw: false };
    }
    case 'Permute': {
      const x = toLogical(g, c);
      const dims = cfg['dims'] as number[];
      return { name: g.op('Transpose', [x.name], { perm: [0, ...dims] }), shape: dims.map((d) => c.shape[d - 1]!), nchw: false };
    }
    case 'Dense': {
      if (c.shape.length !== 1) throw new UnsupportedModelError(`${layer.name}: Dense on a rank-${c.shape.length + 1} tensor`);
      const units = Number(cfg['units']);
      const bias = cfg['useBias'] === false ? undefined : requireWeight(layer, 'bias');
      const y = dense(g, c.name, requireWeight(layer, 'kernel'), bias, c.shape[0]!, units);
      return { name: activate(g, y, String(cfg['activation']), 2), shape: [units], nchw: false };
    }
    case 'SpinalLayer':
      return spinal(g, layer, c);
    default:
      throw new UnsupportedModelError(`layer ${layer.name} of class ${cls}`);
  }
}

export type Precision = 'float32' | 'int8';

export interface ExportOptions {
  producer?: string;
  /**
   * A quantizer (int8.ts): its calibration pass adds the tensors it will quantize as float outputs, its int8
   * pass writes the QDQ graph. Absent: the float32 graph.
   */
  quantizer?: Quantizer;
}

/** The ONNX form of `model` (a Sequential on NHWC samples of `sampleShape`); throws UnsupportedModelError. */
export function exportOnnx(model: tf.LayersModel, sampleShape: readonly [number, number, number], opts: ExportOptions = {}): OnnxExport {
  if (model.getClassName() !== 'Sequential') throw new UnsupportedModelError(`a ${model.getClassName()} model (only Sequential ones are exported)`);
  const inShape = (model.inputs[0]!.shape as (number | null)[]).slice(1);
  if (inShape.length !== 3 || inShape.some((d, i) => d !== sampleShape[i])) {
    throw new UnsupportedModelError(`the model takes [${inShape.join(', ')}] samples, not [${sampleShape.join(', ')}]`);
  }
  const q = opts.quantizer;
  const g = new OnnxGraph([{ name: 'x', shape: ['N', ...sampleShape] }], opts.producer ?? 'spinalnet');
  let c: Cursor = { name: 'x', shape: [...sampleShape], nchw: false };
  const layers = model.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const next = layers[i + 1];
    // int8: a linear convolution's batch norm goes into its weights (a QLinearConv cannot be followed by one).
    if (q && (layer.getClassName() === 'Conv2D') && layer.getConfig()['activation'] === 'linear'
      && next?.getClassName() === 'BatchNormalization' && batchNormRank(next, { ...c, shape: (layer.outputShape as number[]).slice(1) }) === 4) {
      c = conv2d(g, layer, c, q, next);
      i++;
      continue;
    }
    c = layerToOnnx(g, layer, c, q);
  }
  if (c.shape.length !== 1) throw new UnsupportedModelError(`the model's output has rank ${c.shape.length + 1}, not 2`);
  const logits = g.op('Identity', [c.name]);
  const classes = g.op('ArgMax', [logits], { axis: 1, keepdims: 0 });
  const bytes = g.serialize([
    { name: logits, type: 'float32', shape: ['N', c.shape[0]!] },
    { name: classes, type: 'int64', shape: ['N'] },
    ...(q?.extraOutputs() ?? []),
  ]);
  return { bytes, input: 'x', logits, classes };
}
