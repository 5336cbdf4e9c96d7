/**
 * Spatial dropout for NHWC feature maps: drops whole channels (the same for every pixel), like
 * PyTorch's nn.Dropout2d. tfjs-layers ships only the 1-D variant.
 */
import * as tf from '@tensorflow/tfjs';

export interface SpatialDropout2DArgs {
  /** Fraction of channels dropped while training. */
  rate: number;
  name?: string;
}

export class SpatialDropout2D extends tf.layers.Layer {
  static readonly className = 'SpatialDropout2D';
  readonly rate: number;

  constructor(args: SpatialDropout2DArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) throw new RangeError(`SpatialDropout2D: rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs.training !== true || this.rate === 0) return x.clone();
    const [n, , , c] = x.shape;
    return tf.tidy(() => tf.dropout(x, this.rate, [n!, 1, 1, c!]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SpatialDropout2D);
