/**
 * A native training step (onnxruntime's graph: onnx/onnxGradients.ts, or libtorch's autograd:
 * libtorch/libtorchGradients.ts): it computes a batch's loss and gradients from the model's tfjs
 * variables, and tfjs's optimizer applies them, so the model's variables stay the single source of truth
 * (validation, checkpoints, resuming and saving work as with tfjs gradients).
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
  /** What computes the gradients, for logs and run.json ("onnxruntime 1.30.0, …", "libtorch 1.13.0, 2 threads"). */
  readonly description: string;
  /**
   * Loss and gradients of the weighted loss on n NHWC samples, in training mode (batch statistics,
   * dropout). The dropout masks are drawn from Math.random as tfjs's dropout draws them.
   */
  gradients(x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array): Promise<StepGradients>;
  /**
   * One optimisation step: gradients(), then `optimizer` applies them to the model's variables and the
   * batch-norm moving averages move. Returns the mean loss and the number of correct predictions.
   */
  run(x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array, optimizer: tf.Optimizer): Promise<[number, number]>;
  release(): Promise<void>;
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
  let hits = 0;
  for (let i = 0; i < n; i++) {
    // The first maximum, as tf.argMax.
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (step.logits[i * numClasses + k]! > step.logits[i * numClasses + best]!) best = k;
    if (best === labels[i]) hits++;
  }
  return [step.loss, hits];
}
