/**
 * Spectrum-only SpinalNet: one pixel's PCA spectrum (a 1×1 patch) → dense 120 → spinal head → classes.
 * The dense layer gives the spinal head a feature vector as wide as the conv trunk's, whatever the
 * number of components.
 */
import * as tf from '@tensorflow/tfjs';
import { SpinalLayer } from './spinalLayer.ts';
import { torchBiasInit, torchKernelInit } from './init.ts';

export interface SpinalMlpOptions {
  channels: number;
  numClasses: number;
}

export function buildSpinalMlp({ channels, numClasses }: SpinalMlpOptions): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [1, 1, channels] }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 120, activation: 'relu', kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(channels) }));
  m.add(new SpinalLayer({ splits: 2, layerWidth: 20, numLayers: 4, dropout: 0.1 }));
  m.add(tf.layers.dropout({ rate: 0.1 }));
  m.add(tf.layers.dense({ units: numClasses, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(80) }));
  return m;
}
