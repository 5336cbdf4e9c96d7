/**
 * What the model stages hold besides the scene, for the memory plan (src/scene/memoryPlan.ts): the
 * model and one batch of patches at a time (training patches are cut per batch from the reduced scene,
 * prepareRun.ts; the map cuts its batches the same way). Estimated from the model's weight count:
 *
 *  - training (`run`): 20 bytes per weight — the tfjs weights (4), Adam's two moments (8), the gradients
 *    (4) and the gradient engine's own copy of the weights (4: onnxruntime's training graph, or tfjs's
 *    intermediate); plus one training batch and one map batch of patches (patch² × components × 4 each);
 *  - mapping (`predict`): 8 bytes per weight (tfjs's weights and the inference session's copy) plus one
 *    map batch.
 * Not counted: the activations inside a batch (for spinal-cnn on 15×15 patches a few MB per training
 * batch of 16) and the JavaScript/WebAssembly runtimes themselves (~100–200 MB of RSS before any data).
 */
import type * as tf from '@tensorflow/tfjs';
import { getModelSpec } from '../models/registry.ts';
import type { RunConfig } from './config.ts';

/** Bytes per weight while training: weights, Adam moments, gradients, the gradient engine's copy. */
export const TRAIN_BYTES_PER_WEIGHT = 20;
/** Bytes per weight while mapping: weights and the inference session's copy. */
export const MAP_BYTES_PER_WEIGHT = 8;
/** Classes assumed when the model is sized before the labels are read (each adds < 100 weights). */
const CLASSES_FOR_ESTIMATE = 255;

export interface WorkMemory {
  readonly bytes: number;
  /** For messages: what the bytes are. */
  readonly what: string;
}

const batchBytes = (samples: number, patch: number, components: number): number => samples * patch * patch * components * 4;

/** The model stage of `run`: the model built once to count its weights (then disposed), a training batch and a map batch. */
export function runWorkMemory(config: Pick<RunConfig, 'model' | 'patch' | 'pca' | 'batchSize' | 'predictBatch'>): WorkMemory {
  const spec = getModelSpec(config.model);
  const patch = spec.spectral ? 1 : config.patch;
  const model = spec.build({ patch, channels: config.pca, numClasses: CLASSES_FOR_ESTIMATE });
  const weights = model.countParams();
  model.dispose();
  const bytes = weights * TRAIN_BYTES_PER_WEIGHT + batchBytes(config.batchSize + config.predictBatch, patch, config.pca);
  return { bytes, what: `the ${spec.id} model (${weights} weights) while training, one training batch and one map batch of ${patch}×${patch} patches` };
}

/** The map stage of `predict`: the loaded model and one map batch. */
export function mapWorkMemory(model: tf.LayersModel, patch: number, components: number, predictBatch: number): WorkMemory {
  const weights = model.countParams();
  const bytes = weights * MAP_BYTES_PER_WEIGHT + batchBytes(predictBatch, patch, components);
  return { bytes, what: `the model (${weights} weights) and one map batch of ${patch}×${patch} patches` };
}
