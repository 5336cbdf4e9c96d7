/** Small models shared by the native training tests (onnxruntime, libtorch). */
import * as tf from '@tensorflow/tfjs';
import { batchNorm } from '../../src/models/batchNorm.ts';
import { buildMnistNet } from '../../src/models/mnistNet.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { SpinalLayer } from '../../src/models/spinalLayer.ts';
import type { GradientCase } from './tfjsGradients.ts';

/** spinal-vgg5's head (spinal layers with batch norm) on a small trunk; VGG-5 itself is slow on the cpu backend. */
export function spinalBatchNormModel(channels: number): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [6, 6, channels] }));
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.flatten());
  m.add(new SpinalLayer({ layerWidth: 6, numLayers: 3, dropout: 0.2, batchNorm: true }));
  m.add(tf.layers.dense({ units: 4 }));
  return m;
}

/** Batch norms after convolutions narrower than an NCHWc block, one of them with an input gradient. */
function narrowBatchNormModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [7, 7, 3] }));
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }));
  m.add(batchNorm());
  m.add(tf.layers.reLU());
  m.add(tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same' }));
  m.add(batchNorm());
  m.add(tf.layers.reLU());
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3 }));
  return m;
}

/** A model with what the registry's models do not have: strides, valid padding, tanh and sigmoid, Activation. */
function oddModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [10, 10, 3] }));
  m.add(tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'valid', activation: 'tanh' }));
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', activation: 'sigmoid' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 7, activation: 'tanh' }));
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.dense({ units: 3 }));
  return m;
}


/** Models whose native gradients the tests compare with tfjs's. */
export const GRADIENT_CASES: GradientCase[] = [
  { name: 'spinal-cnn', build: () => getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 }), sample: [9, 9, 6], classes: 5 },
  { name: 'fc-cnn', build: () => getModelSpec('fc-cnn').build({ patch: 11, channels: 4, numClasses: 3 }), sample: [11, 11, 4], classes: 3 },
  { name: 'spinal-mlp', build: () => getModelSpec('spinal-mlp').build({ patch: 1, channels: 8, numClasses: 4 }), sample: [1, 1, 8], classes: 4 },
  { name: 'spinal-mnist', build: () => buildMnistNet({ height: 16, width: 16, channels: 1, numClasses: 4, head: 'spinal' }), sample: [16, 16, 1], classes: 4 },
  { name: 'fc-mnist', build: () => buildMnistNet({ height: 16, width: 16, channels: 2, numClasses: 3, head: 'dense' }), sample: [16, 16, 2], classes: 3 },
  { name: 'strides, valid padding, tanh, sigmoid', build: oddModel, sample: [10, 10, 3], classes: 3 },
  { name: "batch norm in the spinal head (as spinal-vgg5's)", build: () => spinalBatchNormModel(2), sample: [6, 6, 2], classes: 4 },
  { name: 'batch norms after narrow convolutions', build: narrowBatchNormModel, sample: [7, 7, 3], classes: 3 },
];
