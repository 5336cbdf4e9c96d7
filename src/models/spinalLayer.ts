/**
 * The spinal module of SpinalNet (Kabir et al., arXiv 2007.03347) as one serializable tfjs layer.
 *
 * The input features are cut into `splits` equal slices. Layer i reads slice (i mod splits) and, from the
 * second layer on, the previous layer's output:
 *   s1 = L1(x[slice 0]);  s2 = L2([x[slice 1], s1]);  s3 = L3([x[slice 0], s2]);  s4 = L4([x[slice 1], s3]) …
 * and the module returns all layer outputs side by side, [s1, s2, …, sN] (numLayers × layerWidth
 * features), for the classifier that follows. Each Li is dropout → dense → (batch norm) → activation.
 * The hyperspectral and the image models both use this class.
 */
import * as tf from '@tensorflow/tfjs';

type Shape = (number | null)[];

/** Activations the module supports; the same names as tfjs-layers uses. */
export type SpinalActivation = 'relu' | 'linear' | 'tanh' | 'sigmoid' | 'elu' | 'selu';

const ACTIVATIONS: Record<SpinalActivation, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  linear: (x) => x,
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
};

export interface SpinalLayerArgs {
  /** Number of equal slices the input features are cut into (the paper: 2, i.e. halves). Default 2. */
  splits?: number;
  /** Units of each spinal layer (the paper's KSC network: 20). */
  layerWidth: number;
  /** Number of spinal layers (the paper's KSC network: 4). */
  numLayers: number;
  /** Dropout rate applied to each layer's input while training. Default 0. */
  dropout?: number;
  /** Activation after each layer. Default 'relu'. */
  activation?: SpinalActivation;
  /** Batch normalisation between each dense and its activation (the paper's VGG head). Default false. */
  batchNorm?: boolean;
  /** Momentum of the batch-norm moving statistics (tfjs convention: new = m·old + (1−m)·batch). Default 0.9. */
  batchNormMomentum?: number;
  /** Batch-norm epsilon. Default 1e-5 (PyTorch's). */
  batchNormEpsilon?: number;
  /** Layer name; tfjs makes one when absent. */
  name?: string;
  /** Set by tfjs when the layer is the first of a model. */
  inputShape?: Shape;
  batchInputShape?: Shape;
  trainable?: boolean;
}

export class SpinalLayer extends tf.layers.Layer {
  static readonly className = 'SpinalLayer';
  readonly splits: number;
  readonly layerWidth: number;
  readonly numLayers: number;
  readonly dropoutRate: number;
  readonly activationName: SpinalActivation;
  readonly batchNorm: boolean;
  readonly batchNormMomentum: number;
  readonly batchNormEpsilon: number;
  private kernels: tf.LayerVariable[] = [];
  private biases: tf.LayerVariable[] = [];
  private gammas: tf.LayerVariable[] = [];
  private betas: tf.LayerVariable[] = [];
  private movingMeans: tf.LayerVariable[] = [];
  private movingVariances: tf.LayerVariable[] = [];

  constructor(args: SpinalLayerArgs) {
    super(args);
    this.splits = args.splits ?? 2;
    this.layerWidth = args.layerWidth;
    this.numLayers = args.numLayers;
    this.dropoutRate = args.dropout ?? 0;
    this.activationName = args.activation ?? 'relu';
    this.batchNorm = args.batchNorm ?? false;
    this.batchNormMomentum = args.batchNormMomentum ?? 0.9;
    this.batchNormEpsilon = args.batchNormEpsilon ?? 1e-5;
    const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
    if (!positiveInt(this.splits) || !positiveInt(this.layerWidth) || !positiveInt(this.numLayers)) {
      throw new RangeError(
        `SpinalLayer: splits, layerWidth and numLayers must be positive integers, got ${this.splits}, ${this.layerWidth}, ${this.numLayers}`,
      );
    }
    if (!(this.dropoutRate >= 0 && this.dropoutRate < 1)) throw new RangeError(`SpinalLayer: dropout must be in [0, 1), got ${this.dropoutRate}`);
    if (!(this.activationName in ACTIVATIONS)) throw new RangeError(`SpinalLayer: unknown activation '${this.activationName}'`);
  }

  /** Width of one input slice for `features` input features. */
  sliceWidth(features: number): number {
    if (features % this.splits !== 0) {
      throw new RangeError(`SpinalLayer: ${features} input features do not split into ${this.splits} equal slices`);
    }
    return features / this.splits;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const features = shape[shape.length - 1];
    if (typeof features !== 'number') throw new RangeError('SpinalLayer: the feature dimension must be known');
    const part = this.sliceWidth(features);
    // PyTorch's nn.Linear default init: U(−1/√fanIn, 1/√fanIn), so runs compare with the reference scripts.
    for (let i = 0; i < this.numLayers; i++) {
      const fanIn = part + (i > 0 ? this.layerWidth : 0);
      const limit = 1 / Math.sqrt(fanIn);
      const init = tf.initializers.randomUniform({ minval: -limit, maxval: limit });
      this.kernels.push(this.addWeight(`kernel_${i}`, [fanIn, this.layerWidth], 'float32', init));
      this.biases.push(this.addWeight(`bias_${i}`, [this.layerWidth], 'float32', init));
      if (this.batchNorm) {
        this.gammas.push(this.addWeight(`gamma_${i}`, [this.layerWidth], 'float32', tf.initializers.ones()));
        this.betas.push(this.addWeight(`beta_${i}`, [this.layerWidth], 'float32', tf.initializers.zeros()));
        this.movingMeans.push(
          this.addWeight(`moving_mean_${i}`, [this.layerWidth], 'float32', tf.initializers.zeros(), undefined, false),
        );
        this.movingVariances.push(
          this.addWeight(`moving_variance_${i}`, [this.layerWidth], 'float32', tf.initializers.ones(), undefined, false),
        );
      }
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...shape.slice(0, -1), this.numLayers * this.layerWidth];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const training = kwargs.training === true;
      const slices = tf.split(x, this.splits, -1);
      const activation = ACTIVATIONS[this.activationName];
      const outputs: tf.Tensor[] = [];
      let previous: tf.Tensor | undefined;
      for (let i = 0; i < this.numLayers; i++) {
        const slice = slices[i % this.splits]!;
        let h = previous === undefined ? slice : tf.concat([slice, previous], -1);
        if (training && this.dropoutRate > 0) h = tf.dropout(h, this.dropoutRate);
        h = tf.add(tf.matMul(h, this.kernels[i]!.read()), this.biases[i]!.read());
        if (this.batchNorm) h = this.normalize(h, i, training);
        previous = activation(h);
        outputs.push(previous);
      }
      return tf.concat(outputs, -1);
    });
  }

  /** Batch norm of layer i: batch statistics while training (and moving averages updated), else the averages. */
  private normalize(h: tf.Tensor, i: number, training: boolean): tf.Tensor {
    const gamma = this.gammas[i]!.read();
    const beta = this.betas[i]!.read();
    if (!training) {
      return tf.batchNorm(h, this.movingMeans[i]!.read(), this.movingVariances[i]!.read(), beta, gamma, this.batchNormEpsilon);
    }
    const { mean, variance } = tf.moments(h, 0);
    this.updateMovingAverages(i, mean, variance, h.shape[0] ?? 1);
    return tf.batchNorm(h, mean, variance, beta, gamma, this.batchNormEpsilon);
  }

  /**
   * Moves layer i's batch-norm averages towards a batch of n with this mean and biased variance. Also
   * used by the onnxruntime training step, which computes those statistics.
   */
  updateMovingAverages(i: number, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    tf.tidy(() => {
      const m = this.batchNormMomentum;
      // Moving variance uses the unbiased batch variance, as PyTorch does (tfjs-layers, and so the conv
      // layers' BatchNormalization, keeps the biased one; the factor n/(n−1) is at most 1.007 in the paper network at batch 16).
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.movingMeans[i]!.write(tf.add(tf.mul(this.movingMeans[i]!.read(), m), tf.mul(mean, 1 - m)));
      this.movingVariances[i]!.write(tf.add(tf.mul(this.movingVariances[i]!.read(), m), tf.mul(unbiased, 1 - m)));
    });
  }

  /** Layer i's batch-norm moving mean and variance (for a training step that keeps them elsewhere during an epoch). */
  movingAverageVariables(i: number): [tf.LayerVariable, tf.LayerVariable] {
    return [this.movingMeans[i]!, this.movingVariances[i]!];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      splits: this.splits,
      layerWidth: this.layerWidth,
      numLayers: this.numLayers,
      dropout: this.dropoutRate,
      activation: this.activationName,
      batchNorm: this.batchNorm,
      batchNormMomentum: this.batchNormMomentum,
      batchNormEpsilon: this.batchNormEpsilon,
    };
  }
}
tf.serialization.registerClass(SpinalLayer);
