/**
 * What one training step and one prediction batch of the paper network cost tfjs's WebGPU backend in
 * *counts*: compute dispatches (kernel launches), uploads of host data to GPU buffers, reads back to the
 * host, queue submits and shader pipelines compiled. On a software adapter only the counts mean anything
 * (its times are a CPU's); on a real GPU the times printed alongside are real.
 *
 *   node --import tsx bench/gpuCounts.ts [--batch 16] [--steps 3] [--patch 15] [--predict-batch 512]
 *
 * Counted by wrapping WebGPUBackend's own methods (runWebGPUProgram: one dispatch each; uploadToGPU with
 * host values: one upload; read/getBufferData: one download; submitQueue; pipelineCache entries).
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { getModelSpec } from '../src/models/registry.ts';
import { predictClasses } from '../src/training/predict.ts';
import { arraySource } from '../src/training/sampleSource.ts';
import { trainModel } from '../src/training/trainModel.ts';
import { createRng } from '../src/util/random.ts';
import { CHANNELS, CLASSES } from './workloads.ts';

export interface Counts {
  dispatches: number;
  uploads: number;
  uploadBytes: number;
  downloads: number;
  submits: number;
  pipelines: number;
  seconds: number;
}

/** The WebGPUBackend methods we count (private API of tfjs-backend-webgpu 4.22; a bench, not the product). */
interface CountedBackend {
  runWebGPUProgram: (...args: unknown[]) => unknown;
  uploadToGPU: (dataId: unknown) => void;
  getBufferData: (...args: unknown[]) => Promise<unknown>;
  submitQueue: () => void;
  tensorMap: { get(dataId: unknown): { resource: unknown; values: ArrayLike<number> | null; dtype: string } };
  pipelineCache: Record<string, unknown>;
}

/** Starts counting on the active webgpu backend; the returned function gives the counts so far. */
export function countWebGpu(): () => Counts {
  const backend = tf.backend() as unknown as CountedBackend;
  const c = { dispatches: 0, uploads: 0, uploadBytes: 0, downloads: 0, submits: 0 };
  const pipelines0 = Object.keys(backend.pipelineCache).length;
  const start = performance.now();
  const run = backend.runWebGPUProgram;
  backend.runWebGPUProgram = function (this: unknown, ...args: unknown[]) {
    c.dispatches++;
    return run.apply(this, args);
  };
  const upload = backend.uploadToGPU;
  backend.uploadToGPU = function (this: CountedBackend, dataId: unknown) {
    const data = this.tensorMap.get(dataId);
    if (data.resource == null && data.values != null) {
      c.uploads++;
      c.uploadBytes += data.values.length * 4;
    }
    return upload.call(this, dataId);
  };
  const read = backend.getBufferData;
  backend.getBufferData = function (this: unknown, ...args: unknown[]) {
    c.downloads++;
    return read.apply(this, args);
  };
  const submit = backend.submitQueue;
  backend.submitQueue = function (this: unknown) {
    c.submits++;
    return submit.call(this);
  };
  return () => ({ ...c, pipelines: Object.keys(backend.pipelineCache).length - pipelines0, seconds: (performance.now() - start) / 1000 });
}

export interface StepCounts {
  adapter: string;
  batch: number;
  patch: number;
  /** Per training step, after warm-up. */
  train: Counts;
  /** Per prediction batch, after warm-up. */
  predict: Counts;
  predictBatch: number;
}

const per = (c: Counts, n: number): Counts => ({
  dispatches: c.dispatches / n, uploads: c.uploads / n, uploadBytes: c.uploadBytes / n, downloads: c.downloads / n,
  submits: c.submits / n, pipelines: c.pipelines / n, seconds: c.seconds / n,
});

/** Counts of `steps` training steps and `steps` prediction batches of spinal-cnn, after one warm-up of each. */
export async function measureCounts(batch: number, steps: number, patch: number, predictBatch: number): Promise<StepCounts> {
  const info = await selectBackend('webgpu');
  const model = getModelSpec('spinal-cnn').build({ patch, channels: CHANNELS, numClasses: CLASSES });
  const size = patch * patch * CHANNELS;
  const rng = createRng(1, 'gpu-counts');
  const n = batch * steps;
  const data = Float32Array.from({ length: Math.max(n, predictBatch * steps) * size }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(CLASSES));
  const options = { epochs: 1, batchSize: batch, learningRate: 1e-3, seed: 1, engine: 'tfjs' as const };
  await trainModel(model, arraySource(data.subarray(0, batch * size), [patch, patch, CHANNELS]), labels.subarray(0, batch), CLASSES, options);
  let counts = countWebGpu();
  await trainModel(model, arraySource(data.subarray(0, n * size), [patch, patch, CHANNELS]), labels, CLASSES, options);
  const train = per(counts(), steps);
  await predictClasses(model, arraySource(data.subarray(0, predictBatch * size), [patch, patch, CHANNELS]), { batchSize: predictBatch });
  counts = countWebGpu();
  await predictClasses(model, arraySource(data.subarray(0, predictBatch * steps * size), [patch, patch, CHANNELS]), { batchSize: predictBatch });
  const predict = per(counts(), steps);
  model.dispose();
  return { adapter: info.detail, batch, patch, train, predict, predictBatch };
}

export function formatCounts(r: StepCounts): string[] {
  const row = (name: string, c: Counts) =>
    `${name.padEnd(30)} ${c.dispatches.toFixed(0).padStart(10)} ${c.uploads.toFixed(1).padStart(8)} ${(c.uploadBytes / 1024).toFixed(0).padStart(10)} ${c.downloads.toFixed(1).padStart(9)} ${c.submits.toFixed(1).padStart(8)} ${c.pipelines.toFixed(1).padStart(10)} ${c.seconds.toFixed(3).padStart(8)}`;
  return [
    `WebGPU counts, spinal-cnn ${r.patch}×${r.patch}×${CHANNELS}, ${CLASSES} classes, on ${r.adapter}`,
    `${'per'.padEnd(30)} ${'dispatches'.padStart(10)} ${'uploads'.padStart(8)} ${'upload KiB'.padStart(10)} ${'downloads'.padStart(9)} ${'submits'.padStart(8)} ${'new shaders'.padStart(10)} ${'seconds'.padStart(8)}`,
    row(`training step (batch ${r.batch})`, r.train),
    row(`prediction batch (${r.predictBatch})`, r.predict),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      batch: { type: 'string', default: '16' }, steps: { type: 'string', default: '3' },
      patch: { type: 'string', default: '15' }, 'predict-batch': { type: 'string', default: '512' }, json: { type: 'boolean', default: false },
    },
  });
  const result = await measureCounts(Number(values.batch), Number(values.steps), Number(values.patch), Number(values['predict-batch']));
  console.log(values.json ? JSON.stringify(result) : formatCounts(result).join('\n'));
}
