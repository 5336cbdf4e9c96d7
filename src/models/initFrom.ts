/**
 * Training that starts from an earlier run's weights (`run --init-from RUN`): every weight of a freshly
 * built model is replaced by the old model's, except the output layer's columns of classes the old model
 * did not have, which keep the fresh layer's initialisation (a new class widens the output layer). The
 * classes are matched by the caller (by name); `classMap[k]` is the old output of new class k, or −1.
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors.ts';

export interface InitFromResult {
  /** New classes whose output weights came from the old model. */
  readonly kept: number;
  /** New classes whose output weights are freshly initialised. */
  readonly added: number;
}

/** The last layer that has weights: the classifier (kernel [features, classes], bias [classes]). */
function outputLayer(model: tf.LayersModel): tf.layers.Layer {
  for (let i = model.layers.length - 1; i >= 0; i--) if (model.layers[i]!.getWeights().length > 0) return model.layers[i]!;
  throw new DataError('the model has no weights', 'build the model before initialising it');
}

/**
 * Copies `old`'s weights into `fresh` (same architecture; the output layer may have other classes).
 * Throws a DataError naming the first weight whose shape differs (another model, patch size or number of
 * PCA components), with `what` (e.g. the run folder) in the message.
 */
export function initFromModel(fresh: tf.LayersModel, old: tf.LayersModel, classMap: Int32Array, what: string): InitFromResult {
  const freshOut = outputLayer(fresh), oldOut = outputLayer(old);
  const body = (m: tf.LayersModel, out: tf.layers.Layer) => m.layers.filter((l) => l !== out).flatMap((l) => l.weights);
  const freshBody = body(fresh, freshOut), oldBody = body(old, oldOut);
  const fix = 'train with the same --model, --patch and PCA as that run (--init-from reuses its PCA), or drop --init-from';
  if (freshBody.length !== oldBody.length) throw new DataError(`${what}: its model has ${oldBody.length} weight arrays before the output layer, this run's ${freshBody.length}`, fix);
  freshBody.forEach((w, i) => {
    const o = oldBody[i]!;
    if (w.shape.join('×') !== o.shape.join('×')) throw new DataError(`${what}: weight ${o.originalName} is ${o.shape.join('×')}, this run's ${w.shape.join('×')}`, fix);
  });
  const [fk, fb] = freshOut.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const [ok, ob] = oldOut.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  if (!fk || !fb || !ok || !ob || fk.shape[0] !== ok.shape[0]) {
    throw new DataError(`${what}: its output layer takes ${ok?.shape[0]} features, this run's ${fk?.shape[0]}`, fix);
  }
  const features = fk.shape[0], kNew = fk.shape[1], kOld = ok.shape[1];
  if (classMap.length !== kNew) throw new RangeError(`initFromModel: ${classMap.length} class mappings for ${kNew} outputs`);
  const kernel = fk.dataSync().slice() as Float32Array, bias = fb.dataSync().slice() as Float32Array;
  const oldKernel = ok.dataSync(), oldBias = ob.dataSync();
  let kept = 0;
  classMap.forEach((o, k) => {
    if (o < 0) return;
    if (o >= kOld) throw new RangeError(`initFromModel: old class ${o} of ${kOld}`);
    for (let f = 0; f < features; f++) kernel[f * kNew + k] = oldKernel[f * kOld + o]!;
    bias[k] = oldBias[o]!;
    kept++;
  });
  tf.tidy(() => {
    freshBody.forEach((w, i) => (w as tf.LayerVariable).write(oldBody[i]!.read()));
    freshOut.setWeights([tf.tensor2d(kernel, [features, kNew]), tf.tensor1d(bias)]);
  });
  return { kept, added: kNew - kept };
}
