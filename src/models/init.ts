/**
 * PyTorch's default initialisation (kaiming_uniform with a = √5 for weights, U(±1/√fanIn) for biases),
 * so our networks start where the reference scripts start and accuracy compares like for like.
 */
import * as tf from '@tensorflow/tfjs';

/** Weight initializer: U(−1/√fanIn, 1/√fanIn), fanIn computed by tfjs from the kernel shape. */
export const torchKernelInit = (): ReturnType<typeof tf.initializers.zeros> =>
  tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform' });

/** Bias initializer for a layer with the given fan-in. */
export const torchBiasInit = (fanIn: number): ReturnType<typeof tf.initializers.zeros> =>
  tf.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
