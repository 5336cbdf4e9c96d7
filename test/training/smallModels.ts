/** Small models shared by the onnxruntime training tests. */
import * as tf from '@tensorflow/tfjs';
import { SpinalLayer } from '../../src/models/spinalLayer.ts';

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
