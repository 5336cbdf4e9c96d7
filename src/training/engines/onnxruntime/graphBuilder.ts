/**
 * What the training graph's step translations share (gradientGraph.ts, convGradient.ts): the builder
 * that collects the graph inputs of the plan's weights and dropout masks and the batch-norm outputs, the
 * step each plan step contributes, and the layout views of the cursor.
 */
import type * as tf from '@tensorflow/tfjs';
import { type Cursor, toLogical, toNchw } from '../../../onnx/layers.ts';
import { OnnxGraph } from '../../../onnx/onnxGraph.ts';
import type { Activation, PlanBatchNorm, PlanMask } from '../layerPlan.ts';

/** A dropout site in forward order: the trainer feeds the multiplier tfjs's dropout would apply. */
export interface MaskSite extends PlanMask {
  input: string;
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
export interface BatchNormSlot extends PlanBatchNorm {
  mean: string;
  variance: string;
}

/** Maps the gradient of a layer's output to the gradient of its input (undefined: not needed). */
export type Backward = (dy: string) => string | undefined;

export interface Step {
  cursor: Cursor;
  backward: Backward;
}

export class Builder {
  readonly g = new OnnxGraph([], 'spinalnet-training');
  /** Set when a convolution went to onnxruntime's NCHWc kernels. */
  usesNchwc = false;
  /** onnxruntime's NCHWc block size, when its NCHWc convolutions are to be used. */
  constructor(
    /** The name of the graph input that holds the batch, [N, ...]. */
    readonly batchInput: string,
    readonly block?: number,
  ) {}
  readonly weights: WeightSlot[] = [];
  readonly masks: MaskSite[] = [];
  readonly batchNorms: BatchNormSlot[] = [];
  private zeroName?: string;
  private oneName?: string;
  private inverseBatchName?: string;

  /** 1/N for the batch's size N, a float [1] (the batch size is free), from the graph input `batchInput`. */
  get inverseBatchSize(): string {
    const g = this.g;
    return (this.inverseBatchName ??= g.op('Reciprocal', [g.op('Cast', [g.op('Slice', [g.op('Shape', [this.batchInput]), g.int64s('starts', [0]), g.int64s('ends', [1])])], { to: 1 })]));
  }

  /** Scalar constants, added when first used (onnxruntime warns about unused ones). */
  private get zero(): string {
    return (this.zeroName ??= this.g.constant('zero', new Float32Array([0]), []));
  }

  private get one(): string {
    return (this.oneName ??= this.g.constant('one', new Float32Array([1]), []));
  }

  /** The graph inputs that carry `variable`: one per layout (default: the weight as tfjs holds it). */
  weight(variable: tf.LayerVariable, layouts: Omit<WeightFeed, 'input'>[] = []): WeightSlot {
    const index = this.weights.length;
    const list = layouts.length > 0 ? layouts : [{ shape: variable.shape as number[] }];
    const feeds = list.map((l, k) => ({ ...l, input: this.g.input(k === 0 ? `w${index}` : `w${index}_${k}`, l.shape) }));
    const slot: WeightSlot = { variable, input: feeds[0]!.input, feeds, gradient: '' };
    this.weights.push(slot);
    return slot;
  }

  /** The graph input for a dropout mask of the plan, of ONNX shape `shape`. */
  mask(site: PlanMask, shape: (number | string)[]): string {
    const input = this.g.input(`mask${this.masks.length}`, shape);
    this.masks.push({ input, rate: site.rate, noiseShape: site.noiseShape });
    return input;
  }

  /** y = act(z) and the map from dy to dz. */
  activation(z: string, name: Activation): { y: string; grad: (dy: string) => string } {
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
  }

  /** Outputs of a ReLU (max pooling reads these: maxPool in gradientGraph.ts). */
  readonly reluOutputs = new Set<string>();
  /** Gradients already zero where a ReLU's output is: gradient name → that output's name. */
  readonly gatedFor = new Map<string, string>();

  /** ReLU's gradient from its output y. tfjs: dy · step(x), step(x) = 1 where x > 0 (y > 0 exactly there). */
  reluGrad(y: string): (dy: string) => string {
    this.reluOutputs.add(y);
    return (dy) => (this.gatedFor.get(dy) === y ? dy : this.g.op('Where', [this.g.op('Greater', [y, this.zero]), dy, this.zero]));
  }

  /** Sum of an [N, C] tensor over the batch: a per-channel [C] vector. */
  sumOverBatch(t: string): string {
    return this.g.op('ReduceSum', [t, this.g.int64s('axes', [0])], { keepdims: 0 });
  }
}

/** NCHW view of a rank-4 cursor, with the map of its gradient back to the cursor's layout. */
export function nchwInput(b: Builder, c: Cursor): { x: Cursor; back: (d: string) => string } {
  const x = toNchw(b.g, c);
  return { x, back: c.nchw ? (d) => d : (d) => b.g.op('Transpose', [d], { perm: [0, 2, 3, 1] }) };
}

/** tfjs's (NHWC) view of a cursor, with the map of its gradient back to the cursor's layout. */
export function logicalInput(b: Builder, c: Cursor): { x: Cursor; back: (d: string) => string } {
  const x = toLogical(b.g, c);
  return { x, back: c.nchw ? (d) => b.g.op('Transpose', [d], { perm: [0, 3, 1, 2] }) : (d) => d };
}
