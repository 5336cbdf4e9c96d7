/**
 * VGG-5 as in the SpinalNet paper's image scripts, trained from scratch, with the spinal head
 * (`spinal-vgg5`) or the dense head it is compared with (`vgg5`).
 *
 * Trunk (3×3 'same' convs, each followed by batch norm and ReLU): 64, 64, pool; 128, 128, pool;
 * 256, 256, 256, pool; 256, 256, 256, pool. A 28×28 image ends as 1×1×256 = 256 features (a 32×32
 * CIFAR image as 2×2×256 = 1024, flattened channel-first as PyTorch does).
 * Spinal head: halves of the features (128 for 28×28), 4 layers of width 128, each dropout 0.5 → dense →
 * batch norm → ReLU; then dropout 0.5 → dense 512 → classes.
 * Dense twin: dropout 0.5 → dense 512 → batch norm → ReLU → dropout 0.5 → dense → classes.
 *
 * 3.6 million weights; 161 million multiply-adds per 28×28 image forward (219 million for 32×32 RGB),
 * 340 times the small MNIST net's: heavy on the wasm backend (see docs/images.md for the measured
 * speed); meant for the native tensorflow backend or a GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm } from './batchNorm.ts';
import { ConfigError } from '../core/errors.ts';
import { torchBiasInit, torchKernelInit } from './init.ts';
import { channelFirstFlatten, InputConv2D, type ImageModelOptions } from './mnistNet.ts';
import { SpinalLayer } from './spinalLayer.ts';

export interface Vgg5Options extends ImageModelOptions {
  head: 'spinal' | 'dense';
}

/** The paper's VGG spinal head: 4 layers of 128 with dropout 0.5 and batch norm. */
export const VGG5_SPINAL = { splits: 2, layerWidth: 128, numLayers: 4, dropout: 0.5, batchNorm: true } as const;
/** Hidden units of the dense twin. */
export const VGG5_DENSE_UNITS = 512;

/** Conv widths of the four blocks; each block ends in a 2× max-pool. */
const BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [256, 256, 256],
];


export function buildVgg5(opts: Vgg5Options): tf.LayersModel {
  const { height, width, channels, numClasses, head } = opts;
  const side = (s: number) => Math.floor(Math.floor(Math.floor(Math.floor(s / 2) / 2) / 2) / 2);
  if (side(height) < 1 || side(width) < 1) {
    throw new ConfigError('--model', 'images of at least 16×16 pixels for VGG-5 (four 2× pools)', `${height}×${width}`, 'use larger images (--image-size) or spinal-mnist');
  }
  const features = 256 * side(height) * side(width);
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [height, width, channels] }));
  let inCh = channels;
  BLOCKS.forEach((widths, b) => {
    widths.forEach((filters, i) => {
      if (b === 0 && i === 0) m.add(new InputConv2D({ filters, kernelSize: 3, padding: 'same' }));
      else m.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(inCh * 9) }));
      m.add(batchNorm());
      m.add(tf.layers.reLU());
      inCh = filters;
    });
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  channelFirstFlatten().forEach((l) => m.add(l));
  let hidden: number;
  if (head === 'spinal') {
    m.add(new SpinalLayer({ ...VGG5_SPINAL }));
    hidden = VGG5_SPINAL.layerWidth * VGG5_SPINAL.numLayers;
  } else {
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: VGG5_DENSE_UNITS, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(features) }));
    m.add(batchNorm());
    m.add(tf.layers.reLU());
    hidden = VGG5_DENSE_UNITS;
  }
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.dense({ units: numClasses, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(hidden) }));
  return m;
}
