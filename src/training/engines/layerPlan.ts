/**
 * A tfjs Sequential model's forward pass in training mode as a typed list of steps, read once for both
 * native training steps (libtorch/torchProgram.ts writes it as opcodes, onnxruntime/gradientGraph.ts as
 * ONNX nodes). Here: which layers and settings the native steps train (one set of refusals), every
 * layer's settings and shapes, the trainable weights in the order the steps take them, and the dropout
 * masks and batch norms in forward order (tfjs's order of draws), so that the trainer feeds both alike.
 * What one engine's kernels cannot run (e.g. pooling windows) each writer refuses itself.
 */
import type * as tf from '@tensorflow/tfjs';
import { batchNormRank, type ConvSettings, convSettings, pair, spinalSettings, trainableWeight, UnsupportedModelError, windowPads } from '../../onnx/layers.ts';
import { BatchNormalization } from '../../models/batchNorm.ts';
import { SpinalLayer } from '../../models/spinalLayer.ts';

/** The activations both steps train. */
export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid';
const ACTIVATIONS: readonly string[] = ['linear', 'relu', 'tanh', 'sigmoid'] satisfies Activation[];

/** A dropout mask the trainer draws for each batch, in forward order (tfjs's order of draws). */
export interface PlanMask {
  rate: number;
  /** The noise shape tfjs draws for a batch of n (NHWC order). */
  noiseShape: (n: number) => number[];
}

/** A batch norm whose batch mean and biased variance a step hands out, for the layer's moving averages. */
export interface PlanBatchNorm {
  layer: BatchNormalization | SpinalLayer;
  /** Which of a spinal layer's batch norms; absent for a BatchNormalization layer. */
  index?: number;
  channels: number;
}

export interface ConvStep {
  kind: 'conv';
  layer: tf.layers.Layer;
  /** Dilations are 1. */
  settings: ConvSettings;
  activation: Activation;
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable;
  /** NHWC, without the batch. */
  inShape: number[];
}

export interface MaxPoolStep {
  kind: 'maxPool';
  layer: tf.layers.Layer;
  kernel: [number, number];
  strides: [number, number];
  /** ONNX pads [top, left, bottom, right]. */
  pads: [number, number, number, number];
  outShape: number[];
}

export interface BatchNormStep {
  kind: 'batchNorm';
  norm: PlanBatchNorm & { layer: BatchNormalization };
  /** The input's rank with the batch: 4 (NHWC) or 2. */
  rank: 4 | 2;
  /** Values per channel in each sample (H·W, or 1). */
  spatial: number;
  epsilon: number;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
}

export interface ActivationStep {
  kind: 'activation';
  activation: Activation;
}

export interface DropoutStep {
  kind: 'dropout';
  /** SpatialDropout2D: one draw per sample and channel. */
  spatial: boolean;
  mask: PlanMask;
}

export interface FlattenStep {
  kind: 'flatten';
  inShape: number[];
  outShape: number[];
}

export interface PermuteStep {
  kind: 'permute';
  /** With the batch axis first (0). */
  perm: number[];
  outShape: number[];
}

export interface DenseStep {
  kind: 'dense';
  units: number;
  activation: Activation;
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable;
}

/** One of a spinal layer's dense layers: input [slice, previous output] (the first: the slice alone). */
export interface SpinalStage {
  fanIn: number;
  mask?: PlanMask;
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  /** With the spinal layer's batch norm. */
  norm?: { gamma: tf.LayerVariable; beta: tf.LayerVariable; site: PlanBatchNorm };
}

export interface SpinalStep {
  kind: 'spinal';
  layer: SpinalLayer;
  splits: number;
  /** Width of each slice of the input. */
  part: number;
  width: number;
  epsilon: number;
  activation: Activation;
  /** Dropout before each stage's dense layer (0: none). */
  rate: number;
  batchNorm: boolean;
  stages: SpinalStage[];
}

export type PlanStep = ConvStep | MaxPoolStep | BatchNormStep | ActivationStep | DropoutStep | FlattenStep | PermuteStep | DenseStep | SpinalStep;

export interface LayerPlan {
  steps: PlanStep[];
  /** Every trainable weight, in the order the steps take them. */
  weights: tf.LayerVariable[];
  masks: PlanMask[];
  batchNorms: PlanBatchNorm[];
}

/** Whether a step has trainable weights (before the first, no input gradient is needed). */
export function hasWeights(step: PlanStep): boolean {
  return step.kind === 'conv' || step.kind === 'batchNorm' || step.kind === 'dense' || step.kind === 'spinal';
}

class Planner {
  readonly steps: PlanStep[] = [];
  readonly weights: tf.LayerVariable[] = [];
  readonly masks: PlanMask[] = [];
  readonly batchNorms: PlanBatchNorm[] = [];

  weight(layer: tf.layers.Layer, suffix: string): tf.LayerVariable {
    const variable = trainableWeight(layer, suffix);
    this.weights.push(variable);
    return variable;
  }

  mask(rate: number, noiseShape: (n: number) => number[]): PlanMask {
    const mask = { rate, noiseShape };
    this.masks.push(mask);
    return mask;
  }

  batchNorm<T extends PlanBatchNorm>(norm: T): T {
    this.batchNorms.push(norm);
    return norm;
  }
}

function activation(name: string, layer: string): Activation {
  if (!ACTIVATIONS.includes(name)) throw new UnsupportedModelError(`${layer}: training with activation '${name}'`);
  return name as Activation;
}

/** Plans one layer; returns its output shape without the batch. */
function planLayer(p: Planner, layer: tf.layers.Layer, shape: number[]): number[] {
  const cfg = layer.getConfig();
  const out = (layer.outputShape as number[]).slice(1);
  switch (layer.getClassName()) {
    case 'InputLayer':
      return shape;
    case 'Conv2D':
    case 'InputConv2D': {
      if (shape.length !== 3) throw new UnsupportedModelError(`${layer.name}: a 2-D layer on a rank-${shape.length + 1} tensor`);
      const settings = convSettings(layer, { name: '', shape, nchw: false });
      // tfjs has no gradient for dilated convolutions, so there would be nothing to check this one against.
      if (settings.dilations[0] !== 1 || settings.dilations[1] !== 1) throw new UnsupportedModelError(`${layer.name}: training a dilated convolution`);
      const kernel = p.weight(layer, 'kernel');
      const bias = settings.useBias ? p.weight(layer, 'bias') : undefined;
      p.steps.push({ kind: 'conv', layer, settings, activation: activation(settings.activation, layer.name), kernel, bias, inShape: shape });
      return settings.outShape;
    }
    case 'MaxPooling2D': {
      if (cfg['dataFormat'] !== 'channelsLast') throw new UnsupportedModelError(`${layer.name}: dataFormat ${String(cfg['dataFormat'])}`);
      const kernel = pair(cfg['poolSize']);
      const strides = pair(cfg['strides'] ?? cfg['poolSize']);
      const pads = windowPads(shape, kernel, strides, [1, 1], String(cfg['padding'])) as [number, number, number, number];
      p.steps.push({ kind: 'maxPool', layer, kernel, strides, pads, outShape: out });
      return out;
    }
    case 'BatchNormalization': {
      const rank = batchNormRank(layer, { name: '', shape, nchw: false });
      if (cfg['center'] === false || cfg['scale'] === false) throw new UnsupportedModelError(`${layer.name}: batch norm without center or scale`);
      const gamma = p.weight(layer, 'gamma');
      const beta = p.weight(layer, 'beta');
      // Their moving averages are updated by the layers' own code (updateMovingAveragesFromArrays).
      if (!(layer instanceof BatchNormalization)) {
        throw new UnsupportedModelError(`layer ${layer.name} is a ${layer.getClassName()} from outside spinalnet, whose batch-norm averages it cannot update`);
      }
      const norm = p.batchNorm({ layer, channels: shape[shape.length - 1]! });
      const spatial = shape.slice(0, -1).reduce((a, v) => a * v, 1);
      p.steps.push({ kind: 'batchNorm', norm, rank, spatial, epsilon: Number(cfg['epsilon']), gamma, beta });
      return shape;
    }
    case 'ReLU':
      if (cfg['maxValue'] !== null && cfg['maxValue'] !== undefined) throw new UnsupportedModelError(`${layer.name}: ReLU with maxValue`);
      p.steps.push({ kind: 'activation', activation: 'relu' });
      return shape;
    case 'Activation':
      p.steps.push({ kind: 'activation', activation: activation(String(cfg['activation']), layer.name) });
      return shape;
    case 'Dropout': {
      if (cfg['noiseShape'] !== null && cfg['noiseShape'] !== undefined) throw new UnsupportedModelError(`${layer.name}: dropout with a noise shape`);
      const rate = Number(cfg['rate']);
      if (rate > 0 && rate < 1) p.steps.push({ kind: 'dropout', spatial: false, mask: p.mask(rate, (n) => [n, ...shape]) });
      return shape;
    }
    case 'SpatialDropout2D': {
      if (shape.length !== 3) throw new UnsupportedModelError(`${layer.name}: spatial dropout on a rank-${shape.length + 1} tensor`);
      const rate = Number(cfg['rate']);
      const ch = shape[2]!;
      if (rate > 0) p.steps.push({ kind: 'dropout', spatial: true, mask: p.mask(rate, (n) => [n, 1, 1, ch]) });
      return shape;
    }
    case 'Flatten': {
      const flat = [shape.reduce((a, v) => a * v, 1)];
      p.steps.push({ kind: 'flatten', inShape: shape, outShape: flat });
      return flat;
    }
    case 'Permute': {
      const perm = [0, ...(cfg['dims'] as number[])];
      const outShape = perm.slice(1).map((d) => shape[d - 1]!);
      p.steps.push({ kind: 'permute', perm, outShape });
      return outShape;
    }
    case 'Dense': {
      if (shape.length !== 1) throw new UnsupportedModelError(`${layer.name}: Dense on a rank-${shape.length + 1} tensor`);
      const kernel = p.weight(layer, 'kernel');
      const bias = cfg['useBias'] === false ? undefined : p.weight(layer, 'bias');
      p.steps.push({ kind: 'dense', units: Number(cfg['units']), activation: activation(String(cfg['activation']), layer.name), kernel, bias });
      return out;
    }
    case 'SpinalLayer':
      return planSpinal(p, layer, shape);
    default:
      throw new UnsupportedModelError(`training layer ${layer.name} of class ${layer.getClassName()}`);
  }
}

function planSpinal(p: Planner, layer: tf.layers.Layer, shape: number[]): number[] {
  if (!(layer instanceof SpinalLayer)) throw new UnsupportedModelError(`layer ${layer.name} is a SpinalLayer from outside spinalnet`);
  const { batchNorm, splits, width, count, dropout: rate, epsilon, activation: act } = spinalSettings(layer);
  const spinalActivation = activation(act, layer.name);
  if (shape.length !== 1) throw new UnsupportedModelError(`${layer.name}: a spinal layer on a rank-${shape.length + 1} tensor`);
  const part = shape[0]! / splits;
  const stages: SpinalStage[] = [];
  for (let i = 0; i < count; i++) {
    const fanIn = part + (i > 0 ? width : 0);
    const mask = rate > 0 ? p.mask(rate, (n) => [n, fanIn]) : undefined;
    const kernel = p.weight(layer, `kernel_${i}`);
    const bias = p.weight(layer, `bias_${i}`);
    const norm = batchNorm
      ? { gamma: p.weight(layer, `gamma_${i}`), beta: p.weight(layer, `beta_${i}`), site: p.batchNorm({ layer, index: i, channels: width }) }
      : undefined;
    stages.push({ fanIn, mask, kernel, bias, norm });
  }
  p.steps.push({ kind: 'spinal', layer, splits, part, width, epsilon, activation: spinalActivation, rate, batchNorm, stages });
  return [count * width];
}

/**
 * The plan of `model` (a Sequential on NHWC samples of `sampleShape`, `numClasses` logits out); throws
 * UnsupportedModelError for what the native steps do not train.
 */
export function planLayers(model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number): LayerPlan {
  if (model.getClassName() !== 'Sequential') throw new UnsupportedModelError(`a ${model.getClassName()} model (only Sequential ones)`);
  const p = new Planner();
  let shape: number[] = [...sampleShape];
  for (const layer of model.layers) shape = planLayer(p, layer, shape);
  if (shape.length !== 1 || shape[0] !== numClasses) {
    throw new UnsupportedModelError(`the model's output is [${shape.join(', ')}] per sample, not [${numClasses}] logits`);
  }
  const trainable = model.trainableWeights.length;
  if (p.weights.length !== trainable) throw new UnsupportedModelError(`${trainable} trainable weights, ${p.weights.length} translated`);
  return { steps: p.steps, weights: p.weights, masks: p.masks, batchNorms: p.batchNorms };
}
