/**
 * tfjs-layers' BatchNormalization, trained through spinalnet's fused kernels where the backend has them
 * (src/backend/fusedBatchNorm.ts: wasm), else exactly as tfjs-layers does. Same class name, config and
 * weights, so saved models are unchanged and older ones load into this class.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, fusedBatchNormAvailable, movingAveragesFused, movingAveragesInPlace } from '../backend/fusedBatchNorm.ts';

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;

/** The fields of tfjs-layers' BatchNormalization the training path reads (not in tfjs's public types). */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

// tfjs exports the layer only through its factory; its class is the instance's constructor.
const TfjsBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (
  args?: BatchNormArgs,
) => tf.layers.Layer;

export class BatchNormalization extends TfjsBatchNormalization {
  static readonly className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const f = this as unknown as BatchNormFields;
    const channelsLast = f.axis === -1 || f.axis === x.rank - 1;
    if (kwargs['training'] !== true || !channelsLast || !f.center || !f.scale || !fusedBatchNormAvailable()) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTrain(x, f.gamma.read(), f.beta.read(), f.epsilon);
      this.updateMovingAverages(mean, variance);
      return y;
    });
  }

  /**
   * tfjs-layers' moving averages: v ← v − (v − batch)·(1 − momentum), with the batch's mean and biased
   * variance per channel (one kernel where the backend has it: WebGPU). Also used by the onnxruntime
   * training step, which computes those statistics.
   */
  updateMovingAverages(mean: tf.Tensor, variance: tf.Tensor): void {
    const f = this as unknown as BatchNormFields;
    tf.tidy(() => {
      const fused = movingAveragesFused(f.movingMean.read(), f.movingVariance.read(), mean, variance, f.momentum);
      if (fused !== undefined) {
        f.movingMean.write(fused[0]);
        f.movingVariance.write(fused[1]);
        return;
      }
      for (const [v, batch] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
        const old = v.read();
        v.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - f.momentum)));
      }
    });
  }

  /** The moving mean and variance, and tfjs's momentum (for a training step that keeps them elsewhere during an epoch). */
  movingAverageVariables(): { mean: tf.LayerVariable; variance: tf.LayerVariable; momentum: number } {
    const f = this as unknown as BatchNormFields;
    return { mean: f.movingMean, variance: f.movingVariance, momentum: f.momentum };
  }

  /**
   * The same from the statistics as arrays (the onnxruntime training step's outputs): in place on the wasm
   * heap where it can (no tensors, no kernel calls; the same bits), else through updateMovingAverages.
   */
  updateMovingAveragesFromArrays(mean: Float32Array, variance: Float32Array): void {
    const f = this as unknown as BatchNormFields;
    if (movingAveragesInPlace(f.movingMean.read(), f.movingVariance.read(), mean, variance, f.momentum)) return;
    tf.tidy(() => this.updateMovingAverages(tf.tensor1d(mean), tf.tensor1d(variance)));
  }
}
// fromConfig is inherited at run time; the cast only tells the type checker so.
tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);

/** A batch-norm layer (channels last) with PyTorch's defaults: momentum 0.1 (tfjs 0.9), epsilon 1e-5. */
export const batchNorm = (): tf.layers.Layer => new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
