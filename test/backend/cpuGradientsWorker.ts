/**
 * The cpu backend's gradients of one CASES model, computed in a worker thread. tfjs's cpu kernels are
 * synchronous: VGG-5's backward pass on them blocked the test process's event loop for over a minute on a
 * loaded machine, and vitest then fails the run ("Timeout calling onTaskUpdate") although every test passed.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';
import { tfjsGradients } from '../training/tfjsGradients.ts';
import { CASES } from './webgpuCases.ts';

export interface CpuGradientsJob {
  name: string;
  /** model.getWeights() of the test's model, in order. */
  weights: { data: Float32Array; shape: number[] }[];
  x: Float32Array;
  shape: number[];
  labels: Int32Array;
  classWeights: Float32Array;
}

/** Loss, and the gradients in model.trainableWeights order (variable names differ between threads). */
export interface CpuGradientsResult {
  loss: number;
  grads: Float32Array[];
}

const job = workerData as CpuGradientsJob;
await tf.setBackend('cpu');
const c = CASES.find((k) => k.name === job.name)!;
const model = c.build();
model.setWeights(job.weights.map((w) => tf.tensor(w.data, w.shape)));
// The same dropout masks as on webgpu: tfjs draws them in JavaScript from Math.random, whatever the backend.
const r = await withSeededMathRandom(createRng(3, 'masks'), () => tfjsGradients(model, job.x, job.shape, job.labels, c.classes, job.classWeights));
const result: CpuGradientsResult = { loss: r.loss, grads: model.trainableWeights.map((w) => r.grads.get((w.read() as tf.Variable).name)!) };
parentPort!.postMessage(result);
