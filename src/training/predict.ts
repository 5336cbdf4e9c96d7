/**
 * Inference in batches: samples are cut into one reused buffer, so memory does not grow with the
 * number of samples (a whole KSC scene is 314k patches, 8.5 GB if they existed at once).
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
  const batchSize = opts.batchSize ?? 512;
  const per = sampleSize(source);
  const [h, w, c] = source.sampleShape;
  const buffer = new Float32Array(batchSize * per);
  const indices = new Int32Array(batchSize);
  const out = new Int32Array(source.count);
  for (let start = 0; start < source.count; start += batchSize) {
    const size = Math.min(batchSize, source.count - start);
    for (let i = 0; i < size; i++) indices[i] = start + i;
    source.fill(indices.subarray(0, size), buffer);
    const classes = tf.tidy(() => {
      const xs = tf.tensor4d(buffer.subarray(0, size * per), [size, h, w, c]);
      // predict() runs layers with training = false: dropout off, batch norm on its moving averages.
      return tf.argMax(model.predict(xs) as tf.Tensor, -1);
    });
    out.set(classes.dataSync() as Int32Array, start);
    classes.dispose();
    opts.onProgress?.(start + size, source.count);
  }
  return out;
}
