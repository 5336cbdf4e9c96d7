/**
 * The training loop shared by every model: seeded shuffling, batches cut on demand from a SampleSource,
 * Adam with optional step drops of the learning rate, softmax cross-entropy, per-epoch statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../util/random.ts';
import { type SampleSource, sampleSize } from './sampleSource.ts';
import { withSeededMathRandom } from './seededRandom.ts';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Adam's initial learning rate. */
  learningRate: number;
  /** Multiply the learning rate by `factor` once `afterEpoch` epochs have finished (the paper: 2, 1/3). */
  lrDrops?: readonly { afterEpoch: number; factor: number }[];
  /** Seeds the batch order and tfjs's dropout masks. */
  seed: number;
  /** Called after every batch (for progress display). */
  onBatch?: (p: BatchProgress) => void;
  /** Called after every epoch. */
  onEpoch?: (e: EpochStats) => void;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean loss of the epoch so far. */
  loss: number;
  samplesPerSecond: number;
  /** Seconds left for the whole training, estimated from the speed so far. */
  etaSeconds: number;
}

export interface EpochStats {
  /** 1-based. */
  epoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  seconds: number;
}

export interface TrainResult {
  epochs: EpochStats[];
  seconds: number;
  samplesPerSecond: number;
}

/** tfjs keeps Adam's learning rate in a protected field that it reads at every step. */
interface MutableLearningRate {
  learningRate: number;
}

export async function trainModel(
  model: tf.LayersModel,
  source: SampleSource,
  labels: Int32Array,
  numClasses: number,
  opts: TrainOptions,
): Promise<TrainResult> {
  if (labels.length !== source.count) throw new RangeError(`trainModel: ${source.count} samples but ${labels.length} labels`);
  const rng = createRng(opts.seed, 'training');
  const orderRng = rng.fork('batch-order');
  // PyTorch's Adam epsilon (tfjs defaults to 1e-7).
  const optimizer = tf.train.adam(opts.learningRate, 0.9, 0.999, 1e-8);
  const n = source.count;
  const per = sampleSize(source);
  const [h, w, c] = source.sampleShape;
  const buffer = new Float32Array(opts.batchSize * per);
  const batchLabels = new Int32Array(opts.batchSize);
  const batches = Math.ceil(n / opts.batchSize);
  const stats: EpochStats[] = [];
  const start = performance.now();
  let seen = 0;
  try {
    await withSeededMathRandom(rng.fork('tfjs'), async () => {
      for (let epoch = 1; epoch <= opts.epochs; epoch++) {
        const t0 = performance.now();
        const order = orderRng.permutation(n);
        let lossSum = 0;
        let correct = 0;
        for (let b = 0; b < batches; b++) {
          const idx = order.subarray(b * opts.batchSize, Math.min(n, (b + 1) * opts.batchSize));
          const size = idx.length;
          source.fill(idx, buffer);
          for (let i = 0; i < size; i++) batchLabels[i] = labels[idx[i]!]!;
          const [loss, hits] = step(model, optimizer, buffer.subarray(0, size * per), [size, h, w, c], batchLabels.subarray(0, size), numClasses);
          lossSum += loss * size;
          correct += hits;
          seen += size;
          if (opts.onBatch) {
            const elapsed = (performance.now() - start) / 1000;
            const speed = seen / elapsed;
            opts.onBatch({
              epoch, epochs: opts.epochs, batch: b + 1, batches,
              loss: lossSum / Math.min(n, (b + 1) * opts.batchSize),
              samplesPerSecond: speed,
              etaSeconds: (opts.epochs * n - seen) / speed,
            });
          }
        }
        const lr = (optimizer as unknown as MutableLearningRate).learningRate;
        const e: EpochStats = { epoch, loss: lossSum / n, accuracy: correct / n, learningRate: lr, seconds: (performance.now() - t0) / 1000 };
        stats.push(e);
        opts.onEpoch?.(e);
        for (const drop of opts.lrDrops ?? []) {
          if (drop.afterEpoch === epoch) (optimizer as unknown as MutableLearningRate).learningRate = lr * drop.factor;
        }
      }
    });
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  return { epochs: stats, seconds, samplesPerSecond: seen / seconds };
}

/** One optimisation step; returns the batch's mean loss and the number of correct predictions. */
function step(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: Float32Array,
  shape: [number, number, number, number],
  y: Int32Array,
  numClasses: number,
): [number, number] {
  return tf.tidy(() => {
    const xs = tf.tensor4d(x, shape);
    const ys = tf.tensor1d(y, 'int32');
    const oneHot = tf.oneHot(ys, numClasses);
    let hits: tf.Scalar | undefined;
    const loss = optimizer.minimize(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
      // keep(): minimize() runs this function in its own tidy scope.
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'int32')) as tf.Scalar);
      return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
    }, true)!;
    const result: [number, number] = [loss.dataSync()[0]!, hits!.dataSync()[0]!];
    hits!.dispose();
    return result;
  });
}
