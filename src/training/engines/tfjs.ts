/**
 * The tfjs engine: the model's own layers on the active tfjs backend (wasm, webgpu, tensorflow, cpu)
 * compute the loss and tfjs's autodiff the gradients; the step every backend can run.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientStep } from './gradientStep.ts';

/** Per-sample cross-entropy weighted by class, normalised by the batch's weight sum (as PyTorch does). */
export function weightedLoss(logits: tf.Tensor2D, oneHot: tf.Tensor, ys: tf.Tensor1D, classWeights: tf.Tensor1D): tf.Scalar {
  const perSample = tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, undefined, tf.Reduction.NONE);
  const w = tf.gather(classWeights, ys);
  return tf.div(tf.sum(tf.mul(perSample, w)), tf.sum(w)) as tf.Scalar;
}

export function createTfjsGradientStep(model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number): GradientStep {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  // The class weights stay one tensor for the whole training; made again only when the caller's change.
  let weights: { values: Float32Array; tensor: tf.Tensor1D } | undefined;
  const weightTensor = (values: Float32Array) => {
    if (weights?.values !== values) {
      weights?.tensor.dispose();
      weights = { values, tensor: tf.tensor1d(values) };
    }
    return weights.tensor;
  };
  return {
    description: `tfjs ${tf.getBackend()}`,
    /**
     * Reads the loss and hit count with data(), not dataSync(): tfjs's WebGPU backend cannot read
     * synchronously in Node.
     */
    async run(x, n, labels, classWeights, optimizer) {
      const w = weightTensor(classWeights);
      const [loss, hits] = tf.tidy(() => {
        const xs = tf.tensor4d(x.subarray(0, n * per), [n, ...sampleShape]);
        const ys = tf.tensor1d(labels.subarray(0, n), 'int32');
        const oneHot = tf.oneHot(ys, numClasses);
        let hits: tf.Scalar | undefined;
        const loss = optimizer.minimize(() => {
          const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
          // keep(): minimize() runs this function in its own tidy scope.
          hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'int32')) as tf.Scalar);
          return weightedLoss(logits, oneHot, ys, w);
        }, true, variables)!;
        return [loss, hits!];
      });
      try {
        return [(await loss.data())[0]!, (await hits.data())[0]!];
      } finally {
        loss.dispose();
        hits.dispose();
      }
    },
    async release() {
      weights?.tensor.dispose();
      weights = undefined;
    },
  };
}
