/** tfjs's own gradients of trainModel's loss: the reference the onnxruntime and WebGPU gradient tests compare against. */
import * as tf from '@tensorflow/tfjs';

/** A model whose gradients a test compares: how to build it, one sample's shape (NHWC without N), classes. */
export interface GradientCase {
  name: string;
  build: () => tf.LayersModel;
  sample: [number, number, number];
  classes: number;
}

export interface Gradients {
  loss: number;
  /** By variable name. */
  grads: Map<string, Float32Array>;
}

/**
 * Loss and gradients of per-sample cross-entropy weighted by class, over the batch's weight sum
 * (trainModel's loss), on the active backend. Async reads: WebGPU cannot read synchronously in Node.
 */
export async function tfjsGradients(
  model: tf.LayersModel, x: Float32Array, shape: number[], labels: Int32Array, classes: number, classWeights: Float32Array,
): Promise<Gradients> {
  tf.engine().startScope();
  try {
    const xs = tf.tensor(x, shape);
    const ys = tf.tensor1d(labels, 'int32');
    const weights = tf.gather(tf.tensor1d(classWeights), ys);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
      const perSample = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classes), logits, undefined, undefined, tf.Reduction.NONE);
      return tf.div(tf.sum(tf.mul(perSample, weights)), tf.sum(weights)) as tf.Scalar;
    }, model.trainableWeights.map((w) => w.read() as tf.Variable));
    const read = await Promise.all(Object.entries(grads).map(async ([k, t]) => [k, (await t.data()) as Float32Array] as const));
    return { loss: (await value.data())[0]!, grads: new Map(read) };
  } finally {
    tf.engine().endScope();
  }
}

/**
 * The largest relative error over the gradients of `ours` against `ref`. A bias followed by batch norm has
 * a zero gradient (the normalisation removes any shift): both sides are float32 noise there, so its error
 * is measured against the largest gradient of the model.
 */
export function worstGradientError(ref: Map<string, Float32Array>, ours: Map<string, Float32Array>, relativeError: (a: ArrayLike<number>, b: ArrayLike<number>) => number): { name: string; error: number } {
  const largest = Math.max(...[...ref.values()].map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  let worst = { name: '', error: 0 };
  for (const [name, g] of ref) {
    const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const error = relativeError(g, ours.get(name)!) * (scale < 1e-6 * largest ? scale / largest : 1);
    if (error >= worst.error) worst = { name, error };
  }
  return worst;
}
