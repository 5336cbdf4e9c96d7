/**
 * One training-mode step of spinalnet's BatchNormalization layer, for comparing backends
 * (fusedBatchNorm.test.ts: wasm, webgpuKernels.test.ts: WebGPU, both against cpu).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormalization } from '../../src/models/batchNorm.ts';
import { createRng } from '../../src/util/random.ts';

export interface Step {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/**
 * One training-mode call of a BatchNormalization layer with the given weights on the active backend:
 * output, gradients of Σ y·w (w fixed random) for x, γ and β, and the moving averages afterwards.
 */
export async function trainingStep(shape: number[], seed: number): Promise<Step> {
  const rng = createRng(seed, 'bn');
  const c = shape[shape.length - 1]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  const x = tf.tensor(values(size, () => 3 * rng.normal() + 1.5), shape);
  const w = tf.tensor(values(size, () => rng.normal()), shape);
  const layer = new BatchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: shape.slice(1) });
  layer.build(shape);
  layer.setWeights([
    tf.tensor(values(c, () => 0.5 + rng.next())), tf.tensor(values(c, () => rng.normal())),
    tf.tensor(values(c, () => rng.normal())), tf.tensor(values(c, () => 0.5 + rng.next())),
  ]);
  const xv = tf.variable(x);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: tf.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(xv, { training: true }) as tf.Tensor);
    return tf.sum(tf.mul(y, w));
  }, [xv, gamma!, beta!]);
  // data(), not dataSync(): tfjs's WebGPU backend cannot read synchronously in Node.
  const read = async (t: tf.Tensor) => ((await t.data()) as Float32Array).slice();
  const [, , movingMean, movingVariance] = layer.getWeights();
  const out = {
    y: await read(y!), dx: await read(grads[xv.name]!), dgamma: await read(grads[gamma!.name]!), dbeta: await read(grads[beta!.name]!),
    movingMean: await read(movingMean!), movingVariance: await read(movingVariance!),
  };
  tf.dispose([y!, ...Object.values(grads)]);
  for (const v of layer.weights) v.dispose();
  xv.dispose();
  return out;
}
