/**
 * A tfjs Sequential model's forward pass in training mode as a small program for the libtorch step
 * (native/libtorch/torch_step.cc), which runs it and lets libtorch's autograd compute the gradients. The
 * same layers, settings and refusals as the onnxruntime graph (../onnxruntime/gradientGraph.ts), and the same
 * order of dropout masks and batch norms, so that the trainer feeds both alike and a run's numbers agree
 * with tfjs's to float32 rounding (test/training/libtorchGradients.test.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { batchNormRank, convSettings, pair, spinalSettings, trainableWeight, UnsupportedModelError, windowPads } from '../../../onnx/layers.ts';
import { BatchNormalization } from '../../../models/batchNorm.ts';
import { SpinalLayer } from '../../../models/spinalLayer.ts';

/** Opcodes, as torch_step.cc reads them. */
const OP = { conv: 1, maxPool: 2, batchNorm: 3, activation: 4, dropout: 5, flatten: 6, permute: 7, dense: 8, spinal: 9 } as const;
const ACTIVATION: Record<string, number> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3 };

/** A dropout mask the trainer draws for each batch, in forward order (tfjs's order of draws). */
export interface TorchMask {
  rate: number;
  /** The noise shape tfjs draws for a batch of n (NHWC order). */
  noiseShape: (n: number) => number[];
}

/** A batch norm whose batch mean and biased variance the step hands out, for the layer's moving averages. */
export interface TorchBatchNorm {
  layer: BatchNormalization | SpinalLayer;
  /** Which of a spinal layer's batch norms; absent for a BatchNormalization layer. */
  index?: number;
  channels: number;
}

export interface TorchProgram {
  code: Float64Array;
  /** Every trainable weight, in the order the step takes them and hands out their gradients. */
  weights: tf.LayerVariable[];
  masks: TorchMask[];
  batchNorms: TorchBatchNorm[];
}

class Writer {
  readonly code: number[] = [];
  readonly weights: tf.LayerVariable[] = [];
  readonly masks: TorchMask[] = [];
  readonly batchNorms: TorchBatchNorm[] = [];

  weight(layer: tf.layers.Layer, suffix: string): number {
    this.weights.push(trainableWeight(layer, suffix));
    return this.weights.length - 1;
  }

  activation(name: string, layer: string): void {
    const kind = ACTIVATION[name];
    if (kind === undefined) throw new UnsupportedModelError(`${layer}: training with activation '${name}'`);
    if (kind !== 0) this.code.push(OP.activation, kind);
  }

  mask(rate: number, noiseShape: (n: number) => number[]): void {
    this.masks.push({ rate, noiseShape });
  }
}

function batchNormLayer(layer: tf.layers.Layer): BatchNormalization {
  // Their moving averages are updated by the layers' own code (updateMovingAveragesFromArrays).
  if (!(layer instanceof BatchNormalization)) {
    throw new UnsupportedModelError(`layer ${layer.name} is a ${layer.getClassName()} from outside spinalnet, whose batch-norm averages it cannot update`);
  }
  return layer;
}

/** Writes one layer; returns its output shape without the batch. */
function layerCode(w: Writer, layer: tf.layers.Layer, shape: number[]): number[] {
  const cfg = layer.getConfig();
  const out = (layer.outputShape as number[]).slice(1);
  switch (layer.getClassName()) {
    case 'InputLayer':
      return shape;
    case 'Conv2D':
    case 'InputConv2D': {
      if (shape.length !== 3) throw new UnsupportedModelError(`${layer.name}: a 2-D layer on a rank-${shape.length + 1} tensor`);
      const s = convSettings(layer, { name: '', shape, nchw: false });
      // tfjs has no gradient for dilated convolutions, so there would be nothing to check this one against.
      if (s.dilations[0] !== 1 || s.dilations[1] !== 1) throw new UnsupportedModelError(`${layer.name}: training a dilated convolution`);
      const kernel = w.weight(layer, 'kernel');
      const bias = s.useBias ? w.weight(layer, 'bias') : -1;
      const [top, left, bottom, right] = s.pads as [number, number, number, number];
      w.code.push(OP.conv, kernel, bias, s.strides[0], s.strides[1], top, left, bottom, right);
      w.activation(s.activation, layer.name);
      return s.outShape;
    }
    case 'MaxPooling2D': {
      if (cfg['dataFormat'] !== 'channelsLast') throw new UnsupportedModelError(`${layer.name}: dataFormat ${String(cfg['dataFormat'])}`);
      const kernel = pair(cfg['poolSize']);
      const strides = pair(cfg['strides'] ?? cfg['poolSize']);
      const [top, left, bottom, right] = windowPads(shape, kernel, strides, [1, 1], String(cfg['padding'])) as [number, number, number, number];
      // libtorch pads pooling windows evenly, by at most half a window.
      if (top !== bottom || left !== right || 2 * top > kernel[0] || 2 * left > kernel[1]) {
        throw new UnsupportedModelError(`${layer.name}: max pooling with uneven padding`);
      }
      w.code.push(OP.maxPool, kernel[0], kernel[1], strides[0], strides[1], top, left);
      return out;
    }
    case 'BatchNormalization': {
      batchNormRank(layer, { name: '', shape, nchw: false });
      if (cfg['center'] === false || cfg['scale'] === false) throw new UnsupportedModelError(`${layer.name}: batch norm without center or scale`);
      const gamma = w.weight(layer, 'gamma');
      const beta = w.weight(layer, 'beta');
      w.batchNorms.push({ layer: batchNormLayer(layer), channels: shape[shape.length - 1]! });
      w.code.push(OP.batchNorm, gamma, beta, Number(cfg['epsilon']));
      return shape;
    }
    case 'ReLU':
      if (cfg['maxValue'] !== null && cfg['maxValue'] !== undefined) throw new UnsupportedModelError(`${layer.name}: ReLU with maxValue`);
      w.activation('relu', layer.name);
      return shape;
    case 'Activation':
      w.activation(String(cfg['activation']), layer.name);
      return shape;
    case 'Dropout': {
      if (cfg['noiseShape'] !== null && cfg['noiseShape'] !== undefined) throw new UnsupportedModelError(`${layer.name}: dropout with a noise shape`);
      const rate = Number(cfg['rate']);
      if (rate > 0 && rate < 1) {
        w.mask(rate, (n) => [n, ...shape]);
        w.code.push(OP.dropout, 0);
      }
      return shape;
    }
    case 'SpatialDropout2D': {
      if (shape.length !== 3) throw new UnsupportedModelError(`${layer.name}: spatial dropout on a rank-${shape.length + 1} tensor`);
      const rate = Number(cfg['rate']);
      if (rate > 0) {
        const ch = shape[2]!;
        w.mask(rate, (n) => [n, 1, 1, ch]);
        w.code.push(OP.dropout, 1);
      }
      return shape;
    }
    case 'Flatten':
      w.code.push(OP.flatten);
      return [shape.reduce((a, v) => a * v, 1)];
    case 'Permute': {
      const perm = [0, ...(cfg['dims'] as number[])];
      w.code.push(OP.permute, perm.length, ...perm);
      return out;
    }
    case 'Dense': {
      if (shape.length !== 1) throw new UnsupportedModelError(`${layer.name}: Dense on a rank-${shape.length + 1} tensor`);
      const kernel = w.weight(layer, 'kernel');
      const bias = cfg['useBias'] === false ? -1 : w.weight(layer, 'bias');
      w.code.push(OP.dense, kernel, bias);
      w.activation(String(cfg['activation']), layer.name);
      return out;
    }
    case 'SpinalLayer':
      return spinal(w, layer, shape);
    default:
      throw new UnsupportedModelError(`training layer ${layer.name} of class ${layer.getClassName()}`);
  }
}

function spinal(w: Writer, layer: tf.layers.Layer, shape: number[]): number[] {
  if (!(layer instanceof SpinalLayer)) throw new UnsupportedModelError(`layer ${layer.name} is a SpinalLayer from outside spinalnet`);
  const { batchNorm: withNorm, splits, width, count, dropout: rate, epsilon, activation } = spinalSettings(layer);
  const act = ACTIVATION[activation];
  if (act === undefined) throw new UnsupportedModelError(`${layer.name}: training with activation '${activation}'`);
  if (shape.length !== 1) throw new UnsupportedModelError(`${layer.name}: a spinal layer on a rank-${shape.length + 1} tensor`);
  const part = shape[0]! / splits;
  w.code.push(OP.spinal, splits, count, withNorm ? 1 : 0, act, rate > 0 ? 1 : 0, epsilon);
  for (let i = 0; i < count; i++) {
    const fanIn = part + (i > 0 ? width : 0);
    if (rate > 0) w.mask(rate, (n) => [n, fanIn]);
    const kernel = w.weight(layer, `kernel_${i}`);
    const bias = w.weight(layer, `bias_${i}`);
    let gamma = -1;
    let beta = -1;
    if (withNorm) {
      gamma = w.weight(layer, `gamma_${i}`);
      beta = w.weight(layer, `beta_${i}`);
      w.batchNorms.push({ layer, index: i, channels: width });
    }
    w.code.push(kernel, bias, gamma, beta);
  }
  return [count * width];
}

/** The program of `model` (a Sequential on NHWC samples of `sampleShape`); throws UnsupportedModelError. */
export function buildTorchProgram(model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number): TorchProgram {
  if (model.getClassName() !== 'Sequential') throw new UnsupportedModelError(`a ${model.getClassName()} model (only Sequential ones)`);
  const w = new Writer();
  let shape: number[] = [...sampleShape];
  for (const layer of model.layers) shape = layerCode(w, layer, shape);
  if (shape.length !== 1 || shape[0] !== numClasses) {
    throw new UnsupportedModelError(`the model's output is [${shape.join(', ')}] per sample, not [${numClasses}] logits`);
  }
  const trainable = model.trainableWeights.length;
  if (w.weights.length !== trainable) throw new UnsupportedModelError(`${trainable} trainable weights, ${w.weights.length} translated`);
  return { code: Float64Array.from(w.code), weights: w.weights, masks: w.masks, batchNorms: w.batchNorms };
}
