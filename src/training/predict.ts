/**
 * Inference in batches: samples are cut into one reused buffer, so memory does not grow with the
 * number of samples (a whole KSC scene is 314k patches, 8.5 GB if they existed at once).
 *
 * Each batch runs through `model.apply(x, {training: false})`, not `model.predict(x)`: predict() re-slices
 * its input into batches of 32 (its default batchSize) and concatenates the outputs, which on wasm cost
 * more than the network itself (batch 512, paper network: 979 → 438 CPU-ms, measured with tf.profile:
 * 16 Slice calls took 332 ms). apply() runs the same layers in inference mode on the whole batch.
 */
import * as tf from '@tensorflow/tfjs';
import { type SampleSource, sampleSize } from './sampleSource.ts';

export interface PredictOptions {
  /** Samples per forward pass. Default 512. */
  batchSize?: number;
  /** Called after each batch with the number of samples done. */
  onProgress?: (done: number, total: number) => void;
}

/** The most likely class of every sample of `source`, with the model in inference mode. */
export function predictClasses(model: tf.LayersModel, source: SampleSource, opts: PredictOptions = {}): Int32Array {
  return predictRange(model, source, 0, source.count, opts);
}

/**
 * Classes of samples `start` … `end − 1` of `source` (the parallel predictor gives each worker a range).
 * Returns `end − start` classes.
 */
export function predictRange(
  model: tf.LayersModel,
  source: SampleSource,
  start: number,
  end: number,
  opts: PredictOptions = {},
): Int32Array {
  const batchSize = opts.batchSize ?? 512;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`predictClasses: batchSize must be a positive integer, got ${batchSize}`);
  const per = sampleSize(source);
  const [h, w, c] = source.sampleShape;
  const total = end - start;
  const buffer = new Float32Array(Math.min(batchSize, Math.max(total, 1)) * per);
  const indices = new Int32Array(Math.min(batchSize, Math.max(total, 1)));
  const out = new Int32Array(total);
  for (let done = 0; done < total; done += batchSize) {
    const size = Math.min(batchSize, total - done);
    for (let i = 0; i < size; i++) indices[i] = start + done + i;
    source.fill(indices.subarray(0, size), buffer);
    const classes = tf.tidy(() => {
      const xs = tf.tensor4d(buffer.subarray(0, size * per), [size, h, w, c]);
      // training = false: dropout off, batch norm on its moving averages.
      const logits = model.apply(xs, { training: false }) as tf.Tensor;
      return tf.argMax(logits, -1);
    });
    out.set(classes.dataSync() as Int32Array, done);
    classes.dispose();
    opts.onProgress?.(done + size, total);
  }
  return out;
}
