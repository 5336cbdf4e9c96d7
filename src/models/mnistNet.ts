/**
 * The SpinalNet paper's small MNIST network (Kabir et al., the repository's MNIST scripts), with the
 * spinal head (`spinal-mnist`) or the plain dense head it is compared with (`fc-mnist`).
 *
 * Trunk on a 28×28×C image (NHWC): conv C→10 5×5 'valid' → maxpool 2 → ReLU → conv 10→20 5×5 →
 * spatial dropout 0.5 (PyTorch's Dropout2d default) → maxpool 2 → ReLU: 4×4×20 = 320 features.
 * Spinal head: halves of 160, 6 layers of width 8 (no dropout, as in the paper), dense 48 → classes.
 * Dense twin: dense 320→50 → ReLU → dropout 0.5 → dense 50 → classes (the PyTorch MNIST example
 * net the paper starts from).
 *
 * Features are flattened channel-first (C, H, W) like PyTorch's `x.view(-1, 320)`, so the two halves
 * the spinal head reads are the same as the paper's: channels 0–9 and channels 10–19.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.ts';
import { SpinalLayer } from './spinalLayer.ts';
import { SpatialDropout2D } from './spatialDropout2d.ts';
import { torchBiasInit, torchKernelInit } from './init.ts';

export interface ImageModelOptions {
  /** Image height and width in pixels. */
  height: number;
  width: number;
  /** 1 for grey-level images, 3 for RGB. */
  channels: number;
  numClasses: number;
}

export interface MnistNetOptions extends ImageModelOptions {
  head: 'spinal' | 'dense';
}

/** The paper's spinal head for MNIST: 6 layers of 8 units on halves of the features. */
export const MNIST_SPINAL = { splits: 2, layerWidth: 8, numLayers: 6 } as const;
/** Hidden units of the dense twin and its dropout rate. */
export const MNIST_DENSE = { units: 50, dropout: 0.5 } as const;

export interface InputConv2DArgs {
  filters: number;
  kernelSize: number;
  /** Default 'valid'. */
  padding?: 'valid' | 'same';
  name?: string;
}

/**
 * The first convolution of an image network, written as conv2d + bias instead of tfjs-layers' Conv2D.
 * Why: tfjs-layers runs Conv2D as a fused conv whose gradient always computes the gradient of the input
 * too, and for the first layer (the images) nobody needs it; with separate ops tfjs computes only the
 * weight gradients, a faster step on wasm (docs/performance.md#tfjs-on-webassembly). PyTorch's default
 * initialisation, as everywhere.
 */
export class InputConv2D extends tf.layers.Layer {
  static readonly className = 'InputConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly padding: 'valid' | 'same';
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: InputConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.padding = args.padding ?? 'valid';
    if (!Number.isInteger(this.filters) || this.filters < 1 || !Number.isInteger(this.kernelSize) || this.kernelSize < 1) {
      throw new RangeError(`InputConv2D: filters and kernelSize must be positive integers, got ${this.filters}, ${this.kernelSize}`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inChannels = shape[3];
    if (typeof inChannels !== 'number') throw new RangeError('InputConv2D: the channel dimension must be known');
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, inChannels, this.filters], 'float32', torchKernelInit());
    this.bias = this.addWeight('bias', [this.filters], 'float32', torchBiasInit(inChannels * k * k));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const shrink = this.padding === 'valid' ? this.kernelSize - 1 : 0;
    return [n ?? null, h == null ? null : h - shrink, w == null ? null : w - shrink, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      return tf.add(tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, 1, this.padding), this.bias!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, padding: this.padding };
  }
}
tf.serialization.registerClass(InputConv2D);

/** Side left after a 5×5 valid conv and a 2× pool. */
const stage = (side: number): number => Math.floor((side - 4) / 2);

/** Flattens NHWC to features in (C, H, W) order, as PyTorch's NCHW `view` does. */
export function channelFirstFlatten(): tf.layers.Layer[] {
  return [tf.layers.permute({ dims: [3, 1, 2] }), tf.layers.flatten()];
}

export function buildMnistNet(opts: MnistNetOptions): tf.LayersModel {
  const { height, width, channels, numClasses, head } = opts;
  const outH = stage(stage(height));
  const outW = stage(stage(width));
  if (outH < 1 || outW < 1) {
    throw new ConfigError('--model', 'images of at least 16×16 pixels for the MNIST networks (two 5×5 convs and two 2× pools)', `${height}×${width}`, 'use larger images (e.g. --image-size 28) or another model');
  }
  const features = 20 * outH * outW;
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [height, width, channels] }));
  m.add(new InputConv2D({ filters: 10, kernelSize: 5 }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  m.add(tf.layers.reLU());
  m.add(tf.layers.conv2d({ filters: 20, kernelSize: 5, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(10 * 25) }));
  m.add(new SpatialDropout2D({ rate: 0.5 }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  m.add(tf.layers.reLU());
  channelFirstFlatten().forEach((l) => m.add(l));
  if (head === 'spinal') {
    m.add(new SpinalLayer({ ...MNIST_SPINAL }));
    const hidden = MNIST_SPINAL.layerWidth * MNIST_SPINAL.numLayers;
    m.add(tf.layers.dense({ units: numClasses, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(hidden) }));
  } else {
    m.add(tf.layers.dense({ units: MNIST_DENSE.units, activation: 'relu', kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(features) }));
    m.add(tf.layers.dropout({ rate: MNIST_DENSE.dropout }));
    m.add(tf.layers.dense({ units: numClasses, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(MNIST_DENSE.units) }));
  }
  return m;
}
