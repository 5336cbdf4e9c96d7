/**
 * The training loop shared by every model: seeded shuffling, batches cut on demand from a SampleSource,
 * Adam with optional step drops of the learning rate, (class-weighted) softmax cross-entropy, per-epoch
 * statistics, optional validation with best-epoch selection and early stopping, and checkpoints.
 *
 * Reproducibility and resuming: the batch order of epoch e and the dropout masks of batch b come from
 * streams derived from (seed, e, b), not from a generator that has run since the start, so a run
 * resumed at any batch boundary draws exactly what the uninterrupted run would have drawn.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { createAdam } from '../backend/fusedAdam.ts';
import { createGradientStep, type LibtorchState, type TrainingEngine } from './engines/selectEngine.ts';
import { createRng } from '../util/random.ts';
import { type SampleSource, sampleSize } from '../sampling/sampleSource.ts';
import { withSeededMathRandom } from './seededRandom.ts';
import type { TrainState } from './trainState.ts';

export { TRAINING_ENGINES, type TrainingEngine } from './engines/selectEngine.ts';

export interface TrainOptions {
  /** Default 'auto' (nativeStep.ts). 'libtorch' and 'onnxruntime' throw a BackendError when theirs cannot train the model. */
  engine?: TrainingEngine;
  /** The gradient engine's threads (libtorch's or onnxruntime's); default one per core. */
  threads?: number;
  /**
   * Where libtorch keeps the training state during an epoch: 'libtorch' (the default: synced back to the
   * model at the end of each epoch and on an interruption) or 'tfjs' (every step reads the weights from the
   * model and tfjs applies the gradients; the same numbers, slower: for comparisons).
   */
  libtorchState?: LibtorchState;
  epochs: number;
  batchSize: number;
  /** Adam's initial learning rate. */
  learningRate: number;
  /** Multiply the learning rate by `factor` once `afterEpoch` epochs have finished (the paper: 2, 1/3). */
  lrDrops?: readonly { afterEpoch: number; factor: number }[];
  /** Seeds the batch order and tfjs's dropout masks. */
  seed: number;
  /** Loss weight of each class (e.g. inverse frequency); default all 1. */
  classWeights?: Float32Array;
  /** Scored after every epoch (inference mode); the weights of the best epoch are kept. */
  validation?: { source: SampleSource; labels: Int32Array };
  /** Stop when validation accuracy has not improved for this many epochs. Needs `validation`. */
  earlyStopPatience?: number;
  /** Continue from a checkpoint instead of starting afresh. */
  resumeFrom?: TrainState;
  /** Called at the end of every epoch with the state to save (for resuming after a crash). */
  onCheckpoint?: (state: TrainState) => Promise<void> | void;
  /** Checked after every batch; when it returns true, training stops and the state is returned. */
  shouldStop?: () => boolean;
  onBatch?: (p: BatchProgress) => void;
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
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  seconds: number;
}

export interface TrainResult {
  epochs: EpochStats[];
  /** The epoch whose weights the model holds at the end (the best on validation, else the last). */
  keptEpoch: number;
  seconds: number;
  samplesPerSecond: number;
  /** Set when `shouldStop` ended training early: the state to resume from. */
  interrupted?: TrainState;
  /** Set when early stopping ended training. */
  stoppedEarly: boolean;
  /** What computed the gradients: "libtorch 1.13.1, 2 threads", "onnxruntime 1.30.0, …, 2 threads" or "tfjs wasm". */
  engine: string;
  /** The gradient engine's threads (libtorch, onnxruntime); absent when tfjs computed the gradients. */
  threads?: number;
  /** Why onnxruntime did not, when 'auto' fell back to tfjs. */
  fallbackReason?: string;
}

/** tfjs keeps Adam's learning rate in a protected field that it reads at every step. */
interface MutableLearningRate {
  learningRate: number;
}

/**
 * Adam's running powers beta^t, private in tfjs. setWeights() recomputes them with pow(), which differs
 * from the running product in the last float32 bit; saving and restoring them keeps a resumed run
 * bit-identical to an uninterrupted one.
 */
interface AdamPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

export async function trainModel(
  model: tf.LayersModel,
  source: SampleSource,
  labels: Int32Array,
  numClasses: number,
  opts: TrainOptions,
): Promise<TrainResult> {
  if (labels.length !== source.count) throw new RangeError(`trainModel: ${source.count} samples but ${labels.length} labels`);
  // PyTorch's Adam epsilon (tfjs defaults to 1e-7). createAdam: tfjs's Adam, fused into one kernel on wasm.
  const optimizer = createAdam(opts.learningRate, 0.9, 0.999, 1e-8);
  const lr = optimizer as unknown as MutableLearningRate;
  const n = source.count;
  const per = sampleSize(source);
  const buffer = new Float32Array(opts.batchSize * per);
  const batchLabels = new Int32Array(opts.batchSize);
  const batches = Math.ceil(n / opts.batchSize);
  const classWeights = opts.classWeights ?? new Float32Array(numClasses).fill(1);
  const weights = tf.tensor1d(classWeights);
  const { step: engine, fallbackReason } = await createGradientStep(
    opts.engine ?? 'auto', model, source.sampleShape, numClasses, opts.threads ?? availableParallelism(), opts.libtorchState);
  const state: TrainState = opts.resumeFrom ? structuredClone(opts.resumeFrom) : freshState(opts.learningRate);
  if (opts.resumeFrom) await restore(model, optimizer, opts.resumeFrom);
  lr.learningRate = state.learningRate;
  const start = performance.now();
  let seenNow = 0;
  let stoppedEarly = false;
  try {
    for (; state.epoch <= opts.epochs; state.epoch++) {
      const t0 = performance.now();
      const order = createRng(opts.seed, `batch-order/${state.epoch}`).permutation(n);
      for (; state.batch < batches; state.batch++) {
        if (opts.shouldStop) {
          // Let signal handlers run: they wait for the event loop, which a chain of awaits never reaches.
          await new Promise((resolve) => setImmediate(resolve));
          if (opts.shouldStop()) return await finish(true);
        }
        const b = state.batch;
        const idx = order.subarray(b * opts.batchSize, Math.min(n, (b + 1) * opts.batchSize));
        const size = idx.length;
        source.fill(idx, buffer);
        for (let i = 0; i < size; i++) batchLabels[i] = labels[idx[i]!]!;
        const [loss, hits] = await withSeededMathRandom(createRng(opts.seed, `dropout/${state.epoch}/${b}`), () =>
          engine.run(buffer, size, batchLabels.subarray(0, size), classWeights, optimizer));
        state.lossSum += loss * size;
        state.correct += hits;
        seenNow += size;
        if (opts.onBatch) {
          const speed = seenNow / ((performance.now() - start) / 1000);
          const done = (state.epoch - 1) * n + Math.min(n, (b + 1) * opts.batchSize);
          opts.onBatch({
            epoch: state.epoch, epochs: opts.epochs, batch: b + 1, batches,
            loss: state.lossSum / Math.min(n, (b + 1) * opts.batchSize),
            samplesPerSecond: speed,
            etaSeconds: (opts.epochs * n - done) / speed,
          });
        }
      }
      // Everything below reads the model (validation, the best epoch's weights, the checkpoint).
      await engine.sync?.(optimizer);
      const e: EpochStats = {
        epoch: state.epoch,
        loss: state.lossSum / n,
        accuracy: state.correct / n,
        learningRate: lr.learningRate,
        seconds: state.partialSeconds + (performance.now() - t0) / 1000,
      };
      if (opts.validation) Object.assign(e, await evaluate(model, opts.validation.source, opts.validation.labels, numClasses, weights, opts.batchSize));
      state.history.push(e);
      opts.onEpoch?.(e);
      for (const drop of opts.lrDrops ?? []) {
        if (drop.afterEpoch === state.epoch) lr.learningRate *= drop.factor;
      }
      if (e.valAccuracy !== undefined) {
        // Best = highest validation accuracy, ties to the lower validation loss.
        const best = state.best;
        if (!best || e.valAccuracy > best.valAccuracy || (e.valAccuracy === best.valAccuracy && e.valLoss! < best.valLoss)) {
          state.best = { epoch: state.epoch, valAccuracy: e.valAccuracy, valLoss: e.valLoss!, weights: await readAll(model.getWeights()) };
          state.epochsSinceBest = 0;
        } else state.epochsSinceBest++;
      }
      state.learningRate = lr.learningRate;
      state.batch = 0;
      state.lossSum = 0;
      state.correct = 0;
      state.partialSeconds = 0;
      const stop = opts.earlyStopPatience !== undefined && state.epochsSinceBest >= opts.earlyStopPatience;
      if (opts.onCheckpoint) {
        state.epoch++;
        await opts.onCheckpoint(await snapshot(model, optimizer, state));
        state.epoch--;
      }
      if (stop) {
        stoppedEarly = true;
        state.epoch++;
        break;
      }
    }
    return await finish(false);
  } finally {
    optimizer.dispose();
    weights.dispose();
    await engine.release();
  }

  async function finish(interrupted: boolean): Promise<TrainResult> {
    await engine.sync?.(optimizer);
    const seconds = (performance.now() - start) / 1000;
    const result: TrainResult = {
      epochs: state.history,
      keptEpoch: state.history.length > 0 ? state.history[state.history.length - 1]!.epoch : 0,
      seconds,
      samplesPerSecond: seenNow / seconds,
      stoppedEarly,
      engine: engine.description,
      ...(engine.threads !== undefined && { threads: engine.threads }),
      ...(fallbackReason ? { fallbackReason } : {}),
    };
    if (interrupted) {
      state.partialSeconds += seconds;
      result.interrupted = await snapshot(model, optimizer, state);
    } else if (state.best) {
      model.setWeights(state.best.weights.map((v, i) => tf.tensor(v, model.getWeights()[i]!.shape)));
      result.keptEpoch = state.best.epoch;
    }
    return result;
  }
}

function freshState(learningRate: number): TrainState {
  return { epoch: 1, batch: 0, lossSum: 0, correct: 0, partialSeconds: 0, learningRate, history: [], epochsSinceBest: 0, modelWeights: [], optimizerWeights: [] };
}

/** Copies the model's and optimizer's weights into the state (plain arrays, so it can be written out). */
async function snapshot(model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainState): Promise<TrainState> {
  const named = await optimizer.getWeights();
  return {
    ...structuredClone({ ...state, modelWeights: [], optimizerWeights: [] }),
    modelWeights: await Promise.all(model.getWeights().map(async (t) => ({ shape: t.shape, values: await readFloat32(t) }))),
    optimizerWeights: await Promise.all(named.map(async (nt) => ({ name: nt.name, shape: nt.tensor.shape, values: await readFloat32(nt.tensor) }))),
    adamPowers: [(await readFloat32((optimizer as unknown as AdamPowers).accBeta1))[0]!, (await readFloat32((optimizer as unknown as AdamPowers).accBeta2))[0]!],
  };
}

/** A copy of a float32 tensor's values, read asynchronously (WebGPU cannot read synchronously in Node). */
async function readFloat32(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()).slice() as Float32Array;
}

const readAll = (tensors: tf.Tensor[]): Promise<Float32Array[]> => Promise.all(tensors.map(readFloat32));

async function restore(model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainState): Promise<void> {
  if (state.modelWeights.length !== model.weights.length) {
    throw new RangeError(`checkpoint has ${state.modelWeights.length} weight arrays, the model ${model.weights.length}`);
  }
  model.setWeights(state.modelWeights.map((w) => tf.tensor(w.values, w.shape)));
  if (state.optimizerWeights.length > 0) {
    await optimizer.setWeights(state.optimizerWeights.map((w) => ({ name: w.name ?? '', tensor: tf.tensor(w.values, w.shape) })));
  }
  if (state.adamPowers) {
    const powers = optimizer as unknown as AdamPowers;
    powers.accBeta1.assign(tf.scalar(state.adamPowers[0]));
    powers.accBeta2.assign(tf.scalar(state.adamPowers[1]));
  }
}

/** Loss and accuracy of the model on a source, in inference mode. */
async function evaluate(
  model: tf.LayersModel,
  source: SampleSource,
  labels: Int32Array,
  numClasses: number,
  classWeights: tf.Tensor1D,
  batchSize: number,
): Promise<{ valLoss: number; valAccuracy: number }> {
  const per = sampleSize(source);
  const [h, w, c] = source.sampleShape;
  const size = Math.max(batchSize, 256);
  const buffer = new Float32Array(size * per);
  const idx = new Int32Array(size);
  let lossSum = 0;
  let weightSum = 0;
  let correct = 0;
  for (let s = 0; s < source.count; s += size) {
    const m = Math.min(size, source.count - s);
    for (let i = 0; i < m; i++) idx[i] = s + i;
    source.fill(idx.subarray(0, m), buffer);
    const sums = tf.tidy(() => {
      const xs = tf.tensor4d(buffer.subarray(0, m * per), [m, h, w, c]);
      const ys = tf.tensor1d(labels.subarray(s, s + m), 'int32');
      const logits = model.predict(xs) as tf.Tensor2D;
      const perSample = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, numClasses), logits, undefined, undefined, tf.Reduction.NONE);
      const wt = tf.gather(classWeights, ys);
      return tf.stack([tf.sum(tf.mul(perSample, wt)), tf.sum(wt), tf.cast(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'int32')), 'float32')]);
    });
    // One async read (WebGPU cannot read synchronously in Node); the hit count is exact in float32 below 2^24.
    const [l, ws, hit] = await sums.data();
    sums.dispose();
    lossSum += l!;
    weightSum += ws!;
    correct += hit!;
  }
  return { valLoss: lossSum / weightSum, valAccuracy: correct / source.count };
}
