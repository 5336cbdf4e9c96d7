/**
 * The one interface every training engine implements: tfjs (tfjs.ts), onnxruntime's graph
 * (onnxruntime/onnxGradients.ts) and libtorch's autograd (libtorch/libtorchGradients.ts). Each runs one
 * optimisation step on a batch; tfjs's optimizer applies the gradients to the model's tfjs variables, so
 * those stay the single source of truth (validation, checkpoints, resuming and saving work alike).
 */
import * as tf from '@tensorflow/tfjs';
import { FusedAdamOptimizer } from '../../backend/fusedAdam.ts';
import type { BatchNormalization } from '../../models/batchNorm.ts';
import { SpinalLayer } from '../../models/spinalLayer.ts';

/** What one forward and backward pass computed. */
export interface StepGradients {
  loss: number;
  /** [n, classes] */
  logits: Float32Array;
  /** One per trainable weight, in tfjs layout, keyed by the variable's name. */
  gradients: Map<string, Float32Array>;
  /** Batch mean and biased variance of each batch norm, in the step's order (its batchNorms). */
  batchStats: { mean: Float32Array; variance: Float32Array }[];
}

export interface GradientStep {
  /** What computes the gradients, for logs and run.json ("tfjs wasm", "onnxruntime 1.30.0, …", "libtorch 1.13.0, 2 threads"). */
  readonly description: string;
  /** The engine's own threads (libtorch's OpenMP threads, onnxruntime's intra-op threads); absent for tfjs, which runs on its backend's. */
  readonly threads?: number;
  /**
   * One optimisation step on n NHWC samples in training mode (batch statistics, dropout drawn from
   * Math.random as tfjs's dropout draws it): the weighted loss's gradients, then `optimizer` applies them
   * to the model's variables and the batch-norm moving averages move. Returns the mean loss and the
   * number of correct predictions.
   */
  run(x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array, optimizer: tf.Optimizer): Promise<[number, number]>;
  /**
   * Makes the tfjs model current before anything reads it (the trainer calls it before validation,
   * checkpoints, the end and an interruption). An engine that keeps the training state itself between steps
   * (libtorch/residentStep.ts) writes the weights, `optimizer`'s state and the batch-norm averages back, and
   * its next step reads them afresh; the steps that applyStep serves give the variables fresh memory
   * (freshMemory). Absent for tfjs's own step.
   */
  sync?(optimizer: tf.Optimizer): Promise<void>;
  release(): Promise<void>;
}

/** A native engine's step, which also hands out the gradients it computed (for applyStep and the tests). */
export interface NativeGradientStep extends GradientStep {
  /** Loss and gradients of the weighted loss on n NHWC samples, in training mode, without applying them. */
  gradients(x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array): Promise<StepGradients>;
}

/** A batch norm whose statistics a step hands out: a BatchNormalization layer, or one of a spinal layer's. */
export interface BatchNormSite {
  layer: tf.layers.Layer;
  /** Which of a spinal layer's batch norms; absent for a BatchNormalization layer. */
  index?: number;
}

/**
 * The second half of GradientStep.run: applies `step`'s gradients to `variables` with `optimizer`, moves
 * the batch norms' averages, and returns the mean loss and the number of correct predictions.
 */
export function applyStep(
  step: StepGradients, variables: readonly tf.Variable[], batchNorms: readonly BatchNormSite[], optimizer: tf.Optimizer,
  n: number, labels: Int32Array, numClasses: number,
): [number, number] {
  const inPlace = optimizer instanceof FusedAdamOptimizer &&
    optimizer.applyGradientArrays(variables, variables.map((v) => step.gradients.get(v.name)!));
  tf.tidy(() => {
    if (!inPlace) {
      const grads: tf.NamedTensorMap = {};
      for (const v of variables) grads[v.name] = tf.tensor(step.gradients.get(v.name)!, v.shape);
      optimizer.applyGradients(grads);
    }
    batchNorms.forEach((slot, i) => {
      const { mean, variance } = step.batchStats[i]!;
      if (slot.layer instanceof SpinalLayer) slot.layer.updateMovingAverages(slot.index!, tf.tensor1d(mean), tf.tensor1d(variance), n);
      else (slot.layer as BatchNormalization).updateMovingAveragesFromArrays(mean, variance);
    });
  });
  return [step.loss, countHits(step.logits, n, labels, numClasses)];
}

/**
 * GradientStep.sync of the steps that applyStep serves: gives every one of `variables` fresh memory with its
 * values. Why: applyStep's Adam writes the variables in place on the wasm heap, and tfjs's wasm backend keeps
 * an XNNPACK operator per convolution filter and matrix-multiply weight that packed the values it saw at its
 * first use, freed only with that memory; so a validation after the first epoch's scored partly stale
 * weights (test/training/residentStep.test.ts checks validation against a fresh model of the checkpoint).
 */
export function freshMemory(variables: readonly tf.Variable[]): Promise<void> {
  tf.tidy(() => {
    for (const v of variables) v.assign(tf.tensor(v.dataSync().slice(), v.shape, v.dtype));
  });
  return Promise.resolve();
}

/** How many of n samples' logits ([n, classes]) have their first maximum, as tf.argMax picks it, at the label. */
export function countHits(logits: Float32Array, n: number, labels: Int32Array, numClasses: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (logits[i * numClasses + k]! > logits[i * numClasses + best]!) best = k;
    if (best === labels[i]) hits++;
  }
  return hits;
}
