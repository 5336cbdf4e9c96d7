/**
 * What the ONNX inference graph (src/inference/onnx/exportOnnx.ts) and the native training steps
 * (src/training/engines/layerPlan.ts and its writers) share: how a tfjs layer's settings map to ONNX
 * (padding, kernel, layouts), the cursor the ONNX graphs are written with, and the error for what they
 * do not translate.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnnxGraph } from './onnxGraph.ts';

/** The model holds a layer or setting the ONNX graphs do not translate. */
export class UnsupportedModelError extends Error {}

/** Current tensor: its name, tfjs shape without the batch, and whether it is held transposed to NCHW. */
export interface Cursor {
  name: string;
  shape: number[];
  nchw: boolean;
}

export function toNchw(g: OnnxGraph, c: Cursor): Cursor {
  if (c.nchw) return c;
  if (c.shape.length !== 3) throw new UnsupportedModelError(`a 2-D layer on a rank-${c.shape.length + 1} tensor`);
  return { name: g.op('Transpose', [c.name], { perm: [0, 3, 1, 2] }), shape: c.shape, nchw: true };
}

export function toLogical(g: OnnxGraph, c: Cursor): Cursor {
  if (!c.nchw) return c;
  return { name: g.op('Transpose', [c.name], { perm: [0, 2, 3, 1] }), shape: c.shape, nchw: false };
}

/** ONNX pads [top, left, bottom, right] of a 2-D window op, as tfjs computes them for this input. */
export function windowPads(shape: number[], kernel: [number, number], strides: [number, number], dilations: [number, number], padding: string): number[] {
  const [h, w, c] = shape as [number, number, number];
  const info = tf.backend_util.computeConv2DInfo([1, h, w, c], [kernel[0], kernel[1], c, 1], strides, dilations, padding as 'same' | 'valid');
  const p = info.padInfo;
  return [p.top, p.left, p.bottom, p.right];
}

/** A layer's trainable weight whose name ends in `/suffix` ('kernel', 'gamma_2'…), as the training steps take it. */
export function trainableWeight(layer: tf.layers.Layer, suffix: string): tf.LayerVariable {
  const variable = layer.trainableWeights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
  if (!variable) throw new UnsupportedModelError(`layer ${layer.name} has no trainable weight '${suffix}'`);
  return variable;
}

/** A SpinalLayer's settings, as the training steps translate them; throws for what they cannot train. */
export function spinalSettings(layer: tf.layers.Layer): {
  splits: number; width: number; count: number; dropout: number; batchNorm: boolean; epsilon: number; activation: string;
} {
  const cfg = layer.getConfig();
  const s = {
    splits: Number(cfg['splits']), width: Number(cfg['layerWidth']), count: Number(cfg['numLayers']), dropout: Number(cfg['dropout']),
    batchNorm: cfg['batchNorm'] === true, epsilon: Number(cfg['batchNormEpsilon']), activation: String(cfg['activation']),
  };
  if (s.count < s.splits) throw new UnsupportedModelError(`${layer.name}: fewer spinal layers than slices`);
  return s;
}

export const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/** A 2-D convolution layer's settings, for the inference and the training graphs. */
export interface ConvSettings {
  kh: number;
  kw: number;
  strides: [number, number];
  dilations: [number, number];
  /** ONNX pads [top, left, bottom, right]. */
  pads: number[];
  cin: number;
  cout: number;
  activation: string;
  useBias: boolean;
  /** Output shape without the batch (NHWC). */
  outShape: number[];
}

export function convSettings(layer: tf.layers.Layer, c: Cursor): ConvSettings {
  // InputConv2D (src/models/mnistNet.ts) is a stride-1 conv + bias with no activation.
  const cfg = layer.getClassName() === 'InputConv2D'
    ? { ...layer.getConfig(), dataFormat: 'channelsLast', strides: 1, dilationRate: 1, activation: 'linear', useBias: true }
    : layer.getConfig();
  if (cfg['dataFormat'] !== 'channelsLast') throw new UnsupportedModelError(`${layer.name}: dataFormat ${String(cfg['dataFormat'])}`);
  const [kh, kw] = pair(cfg['kernelSize']);
  const strides = pair(cfg['strides']);
  const dilations = pair(cfg['dilationRate'] ?? 1);
  return {
    kh, kw, strides, dilations,
    pads: windowPads(c.shape, [kh, kw], strides, dilations, String(cfg['padding'])),
    cin: c.shape[2]!,
    cout: Number(cfg['filters']),
    activation: String(cfg['activation']),
    useBias: cfg['useBias'] !== false,
    outShape: (layer.outputShape as (number | null)[]).slice(1) as number[],
  };
}

/** The rank of a BatchNormalization layer's input (4 or 2); throws for settings the graphs do not translate. */
export function batchNormRank(layer: tf.layers.Layer, c: Cursor): 4 | 2 {
  const cfg = layer.getConfig();
  const rank = c.shape.length + 1;
  const axis = Number(Array.isArray(cfg['axis']) ? cfg['axis'][0] : cfg['axis']);
  if (axis !== -1 && axis !== rank - 1) throw new UnsupportedModelError(`${layer.name}: batch norm over axis ${axis}`);
  if (rank !== 4 && rank !== 2) throw new UnsupportedModelError(`${layer.name}: batch norm on a rank-${rank} tensor`);
  return rank;
}
