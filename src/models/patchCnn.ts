/**
 * The SpinalNet paper's KSC network: a 2-D conv trunk over PCA patches (NHWC) and either the spinal
 * head (`spinal-cnn`) or a plain dense head of the same output width (`fc-cnn`, the ablation).
 *
 * Trunk (3×3 'same' convs): 30→15 conv, BN, ReLU; 15→30 conv, ReLU; maxpool 2;
 * →60 conv, BN, ReLU; 60→60 conv, ReLU; maxpool 2; spatial dropout 0.05; →120 conv, BN, ReLU;
 * 120→120 conv, ReLU; maxpool 2. A 15×15 patch ends as 1×1×120 features.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm } from './batchNorm.ts';
import { ConfigError } from '../core/errors.ts';
import { SpinalLayer } from './spinalLayer.ts';
import { SpatialDropout2D } from './spatialDropout2d.ts';
import { torchBiasInit, torchKernelInit } from './init.ts';

export interface PatchCnnOptions {
  /** Patch side in pixels (odd); the trunk needs at least 8 to survive three 2× poolings. */
  patch: number;
  /** Channels per pixel (PCA components). */
  channels: number;
  numClasses: number;
  head: 'spinal' | 'dense';
}

/** Spinal head of the paper: halves of the trunk features, 4 layers of 20, dropout 0.1. */
const SPINAL = { layerWidth: 20, numLayers: 4, dropout: 0.1 } as const;

function conv(filters: number, inChannels: number, activation: 'relu' | 'linear'): tf.layers.Layer {
  return tf.layers.conv2d({
    filters, kernelSize: 3, padding: 'same', activation,
    kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(inChannels * 9),
  });
}


function dense(units: number, fanIn: number, activation: 'relu' | 'linear'): tf.layers.Layer {
  return tf.layers.dense({ units, activation, kernelInitializer: torchKernelInit(), biasInitializer: torchBiasInit(fanIn) });
}

export function buildPatchCnn(opts: PatchCnnOptions): tf.LayersModel {
  const { patch, channels, numClasses, head } = opts;
  const side = Math.floor(Math.floor(Math.floor(patch / 2) / 2) / 2);
  if (side < 1) {
    throw new ConfigError('--patch', 'an odd size of at least 9 for the conv models (three 2× poolings)', patch);
  }
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [patch, patch, channels] }));
  const widths = [
    [15, 30],
    [60, 60],
    [120, 120],
  ] as const;
  let inCh = channels;
  widths.forEach(([a, b], block) => {
    m.add(conv(a, inCh, 'linear'));
    m.add(batchNorm());
    m.add(tf.layers.reLU());
    m.add(conv(b, a, 'relu'));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    if (block === 1) m.add(new SpatialDropout2D({ rate: 0.05 }));
    inCh = b;
  });
  m.add(tf.layers.flatten());
  const features = 120 * side * side;
  const hidden = SPINAL.layerWidth * SPINAL.numLayers;
  if (head === 'spinal') {
    m.add(new SpinalLayer({ splits: 2, ...SPINAL }));
  } else {
    // Dense twin: one hidden layer as wide as the spinal head's output, same dropout.
    m.add(tf.layers.dropout({ rate: SPINAL.dropout }));
    m.add(dense(hidden, features, 'relu'));
  }
  m.add(tf.layers.dropout({ rate: SPINAL.dropout }));
  m.add(dense(numClasses, hidden, 'linear'));
  return m;
}
