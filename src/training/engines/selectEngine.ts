/**
 * Who computes the training gradients: libtorch (PyTorch's CPU kernels, through the optional addon in
 * native/libtorch), onnxruntime (a training graph on its CPU kernels), or tfjs itself. 'auto' takes the
 * first of libtorch and onnxruntime that can run the model, measured fastest in that order on the paper
 * network (README, Speed), else tfjs. The optimizer, the weights and everything else stay tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, ConfigError } from '../../core/errors.ts';
import { checkEngineForBackend, onnxOrFallback } from '../../onnx/onnxRuntime.ts';
import type { GradientStep } from './gradientStep.ts';
import { createLibtorchGradientStep, LIBTORCH_HOW_TO } from './libtorch/libtorchGradients.ts';
import { createResidentLibtorchStep } from './libtorch/residentStep.ts';
import { createOnnxGradientStep } from './onnxruntime/onnxGradients.ts';
import { createTfjsGradientStep } from './tfjs.ts';

export type TrainingEngine = 'auto' | 'libtorch' | 'onnxruntime' | 'tfjs';
export const TRAINING_ENGINES: readonly TrainingEngine[] = ['auto', 'libtorch', 'onnxruntime', 'tfjs'];
/** Where a libtorch training step keeps the weights, Adam's state and the batch-norm averages during an epoch. */
export type LibtorchState = 'libtorch' | 'tfjs';

/** Refuses a native --training engine with --backend webgpu before anything runs. */
export function checkTrainingForBackend(backend: string, choice: TrainingEngine): void {
  if (choice !== 'libtorch') return checkEngineForBackend(backend, '--training', choice);
  if (backend === 'webgpu') {
    throw new ConfigError('--training', "'auto' or 'tfjs' with --backend webgpu", choice, 'drop --training (on webgpu it runs there), or use --backend wasm with --training libtorch');
  }
}

/**
 * The training step `choice` allows for `model`: libtorch's or onnxruntime's, else tfjs's, with the
 * reason when 'auto' fell back to tfjs. 'libtorch' and 'onnxruntime' throw a BackendError when theirs cannot run.
 * libtorch keeps the training state between syncs (libtorch/residentStep.ts) unless `libtorchState` is 'tfjs'
 * (tfjs keeps it and libtorch only computes the gradients: the step the first is checked against).
 */
export async function createGradientStep(
  choice: TrainingEngine, model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number, threads: number,
  libtorchState: LibtorchState = 'libtorch',
): Promise<{ step: GradientStep; fallbackReason?: string }> {
  const tfjs = () => createTfjsGradientStep(model, sampleShape, numClasses);
  if (choice === 'tfjs') return { step: tfjs() };
  if (choice === 'libtorch' || choice === 'auto') {
    // The step reads the tfjs weights with dataSync(), which tfjs's WebGPU backend cannot do in Node.
    if (tf.getBackend() === 'webgpu') {
      if (choice === 'auto') return { step: tfjs() };
      throw new BackendError('--training libtorch cannot be combined with the webgpu backend', 'drop --training, or use --backend wasm with --training libtorch');
    }
    const step = libtorchState === 'libtorch'
      ? createResidentLibtorchStep(model, sampleShape, numClasses, threads)
      : createLibtorchGradientStep(model, sampleShape, numClasses, threads);
    if (typeof step !== 'string') return { step };
    if (choice === 'libtorch') throw new BackendError(`--training libtorch: ${step}`, `${LIBTORCH_HOW_TO}; or use --training auto`);
  }
  const { onnx, fallbackReason } = await onnxOrFallback(choice === 'auto' ? 'auto' : 'onnxruntime', '--training', 'train with tfjs', () =>
    createOnnxGradientStep(model, sampleShape, numClasses, threads));
  return onnx ? { step: onnx } : { step: tfjs(), ...(fallbackReason !== undefined && { fallbackReason }) };
}
