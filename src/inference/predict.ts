/**
 * Inference in batches: samples are cut into one reused buffer, so memory does not grow with the
 * number of samples (a whole KSC scene is 314k patches, 8.5 GB if they existed at once).
 *
 * Each batch runs through `model.apply(x, {training: false})`, not `model.predict(x)`: predict() re-slices
 * its input into batches of 32 (its default batchSize) and concatenates the outputs, which on wasm cost
 * more than the network itself (docs/performance.md#maps-and-images). apply() runs the same layers in
 * inference mode on the whole batch.
 *
 * Async: classes are read with data(), since tfjs's WebGPU backend cannot read synchronously in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { type ProbabilityTargets, writeSoftmax } from './probabilities.ts';
import { batchesOf, type SampleSource } from '../sampling/sampleSource.ts';

export interface PredictOptions {
  /** Samples per forward pass. Default 512. */
  batchSize?: number;
  /** Called after each batch with the number of samples done. */
  onProgress?: (done: number, total: number) => void;
  /** Also write softmax probabilities here. Absent: classes only (no logits leave the backend). */
  probabilities?: ProbabilityTargets;
}

/** The most likely class of every sample of `source`, with the model in inference mode. */
export function predictClasses(model: tf.LayersModel, source: SampleSource, opts: PredictOptions = {}): Promise<Int32Array> {
  return predictRange(model, source, 0, source.count, opts);
}

/**
 * Classes of samples `start` … `end − 1` of `source` (the parallel predictor gives each worker a range).
 * Returns `end − start` classes.
 */
export async function predictRange(
  model: tf.LayersModel,
  source: SampleSource,
  start: number,
  end: number,
  opts: PredictOptions = {},
): Promise<Int32Array> {
  const [h, w, c] = source.sampleShape;
  const total = end - start;
  const out = new Int32Array(total);
  const wanted = opts.probabilities;
  for (const { data, size, offset } of batchesOf(source, start, end, opts.batchSize ?? 512)) {
    const [classes, logits] = tf.tidy(() => {
      const xs = tf.tensor4d(data, [size, h, w, c]);
      // training = false: dropout off, batch norm on its moving averages.
      const logits = model.apply(xs, { training: false }) as tf.Tensor;
      return [tf.argMax(logits, -1), wanted ? logits : undefined] as const;
    });
    const batchClasses = (await classes.data()) as Int32Array;
    out.set(batchClasses, offset);
    if (wanted && logits) writeSoftmax((await logits.data()) as Float32Array, size, batchClasses, wanted, offset);
    classes.dispose();
    logits?.dispose();
    opts.onProgress?.(offset + size, total);
  }
  return out;
}
