/**
 * The reference gradients of CASES models, on tfjs's wasm backend (CPU, float32), computed in a worker
 * thread so that the test process's event loop stays free while VGG-5's backward pass runs. wasm rather than
 * the pure-JS cpu backend: the same float32 reference, and VGG-5's two cases take seconds instead of most
 * of this file's time. One worker answers every case's job in turn (it starts once: tsx, tfjs, wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';
import { tfjsGradients } from '../training/tfjsGradients.ts';
import { CASES } from './webgpuCases.ts';

export interface ReferenceGradientsJob {
  name: string;
  /** model.getWeights() of the test's model, in order. */
  weights: { data: Float32Array; shape: number[] }[];
  x: Float32Array;
  shape: number[];
  labels: Int32Array;
  classWeights: Float32Array;
}

/** Loss, and the gradients in model.trainableWeights order (variable names differ between threads). */
export interface ReferenceGradientsResult {
  loss: number;
  grads: Float32Array[];
}

async function gradientsOf(job: ReferenceGradientsJob): Promise<ReferenceGradientsResult> {
  const c = CASES.find((k) => k.name === job.name)!;
  const model = c.build();
  model.setWeights(job.weights.map((w) => tf.tensor(w.data, w.shape)));
  // The same dropout masks as on webgpu: tfjs draws them in JavaScript from Math.random, whatever the backend.
  const r = await withSeededMathRandom(createRng(3, 'masks'), () => tfjsGradients(model, job.x, job.shape, job.labels, c.classes, job.classWeights));
  const result = { loss: r.loss, grads: model.trainableWeights.map((w) => r.grads.get((w.read() as tf.Variable).name)!) };
  model.dispose();
  return result;
}

await selectBackend('wasm');
parentPort!.on('message', (job: ReferenceGradientsJob) => {
  gradientsOf(job).then((r) => parentPort!.postMessage(r), (err: unknown) => parentPort!.postMessage({ error: String(err instanceof Error ? err.stack : err) }));
});
parentPort!.postMessage('ready');
