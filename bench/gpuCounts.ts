/**
 * What one training step and one prediction batch of the paper network cost tfjs's WebGPU backend in
 * *counts*: compute dispatches (kernel launches), uploads of host data to GPU buffers, reads back to the
 * host, queue submits and shader pipelines compiled. On a software adapter only the counts mean anything
 * (its times are a CPU's); on a real GPU the times printed alongside are real.
 *
 *   node --import tsx bench/gpuCounts.ts [--batch 16] [--steps 3] [--patch 15] [--predict-batch 512] [--by-program]
 *
 * Counted by wrapping WebGPUBackend's own methods (runWebGPUProgram: one dispatch each; uploadToGPU with
 * host values: one upload; read/getBufferData: one download; submitQueue; pipelineCache entries), plus the
 * dispatches of spinalnet's own WGSL kernels (src/backend/webgpu/dispatch.ts counts them).
 * A training step's counts are those of a run of 1 + steps batches minus a run of one batch, so what a
 * training run does once (the optimizer's m and v made on its first step, the epoch's end) is left out.
 * --by-program also lists the training step's dispatches per tfjs program (the constructor's name).
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { customDispatchCount } from '../src/backend/webgpu/dispatch.ts';
import { getModelSpec } from '../src/models/registry.ts';
import { predictClasses } from '../src/inference/predict.ts';
import { arraySource } from '../src/sampling/sampleSource.ts';
import { trainModel } from '../src/training/trainModel.ts';
import { createRng } from '../src/util/random.ts';
import { CHANNELS, CLASSES } from './workloads.ts';

export interface Counts {
  /** All compute dispatches: tfjs's programs and spinalnet's WGSL kernels (src/backend/webgpu). */
  dispatches: number;
  /** Of those, spinalnet's own kernels. */
  custom: number;
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

/** Starts counting on the active webgpu backend; the returned function stops counting and gives the counts. */
export function countWebGpu(byProgram?: Map<string, number>): () => Counts {
  const backend = tf.backend() as unknown as CountedBackend;
  const c = { dispatches: 0, uploads: 0, uploadBytes: 0, downloads: 0, submits: 0 };
  const custom0 = customDispatchCount();
  const pipelines0 = Object.keys(backend.pipelineCache).length;
  const start = performance.now();
  const run = backend.runWebGPUProgram;
  backend.runWebGPUProgram = function (this: unknown, ...args: unknown[]) {
    c.dispatches++;
    if (byProgram) {
      const name = (args[0] as object).constructor.name;
      byProgram.set(name, (byProgram.get(name) ?? 0) + 1);
    }
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
  return () => {
    // Unwrapped, so that a later countWebGpu counts alone.
    Object.assign(backend, { runWebGPUProgram: run, uploadToGPU: upload, getBufferData: read, submitQueue: submit });
    const custom = customDispatchCount() - custom0;
    return {
      ...c, dispatches: c.dispatches + custom, custom, pipelines: Object.keys(backend.pipelineCache).length - pipelines0,
      seconds: (performance.now() - start) / 1000,
    };
  };
}

export interface StepCounts {
  adapter: string;
  batch: number;
  patch: number;
  /** Per training step, after warm-up, without the training run's own counts. */
  train: Counts;
  /** Per prediction batch, after warm-up. */
  predict: Counts;
  predictBatch: number;
  /** Training dispatches per step by tfjs program (spinalnet's kernels under 'spinalnet WGSL'), with --by-program. */
  trainByProgram?: Record<string, number>;
}

const minus = (a: Counts, b: Counts): Counts => ({
  dispatches: a.dispatches - b.dispatches, custom: a.custom - b.custom, uploads: a.uploads - b.uploads, uploadBytes: a.uploadBytes - b.uploadBytes,
  downloads: a.downloads - b.downloads, submits: a.submits - b.submits, pipelines: a.pipelines - b.pipelines, seconds: a.seconds - b.seconds,
});

const per = (c: Counts, n: number): Counts => ({
  dispatches: c.dispatches / n, custom: c.custom / n, uploads: c.uploads / n, uploadBytes: c.uploadBytes / n, downloads: c.downloads / n,
  submits: c.submits / n, pipelines: c.pipelines / n, seconds: c.seconds / n,
});

/** Counts of a training step (the mean of `steps`) and a prediction batch (of `steps`) of spinal-cnn, after one warm-up of each. */
export async function measureCounts(batch: number, steps: number, patch: number, predictBatch: number, byProgram = false): Promise<StepCounts> {
  const info = await selectBackend('webgpu');
  const model = getModelSpec('spinal-cnn').build({ patch, channels: CHANNELS, numClasses: CLASSES });
  const size = patch * patch * CHANNELS;
  const rng = createRng(1, 'gpu-counts');
  const n = batch * steps;
  const data = Float32Array.from({ length: Math.max(n + batch, predictBatch * steps) * size }, () => rng.normal());
  const labels = Int32Array.from({ length: n + batch }, () => rng.int(CLASSES));
  const options = { epochs: 1, batchSize: batch, learningRate: 1e-3, seed: 1, engine: 'tfjs' as const };
  const trainOn = (count: number) =>
    trainModel(model, arraySource(data.subarray(0, count * size), [patch, patch, CHANNELS]), labels.subarray(0, count), CLASSES, options);
  await trainOn(batch);
  // A step's counts without the run's own (the optimizer's m and v made on its first step, the epoch's
  // end): a run of one batch subtracted from a run of 1 + steps batches.
  const oneProgram = byProgram ? new Map<string, number>() : undefined;
  let counts = countWebGpu(oneProgram);
  await trainOn(batch);
  const one = counts();
  const programs = byProgram ? new Map<string, number>() : undefined;
  counts = countWebGpu(programs);
  await trainOn(n + batch);
  const train = per(minus(counts(), one), steps);
  if (programs && oneProgram) {
    for (const [k, v] of oneProgram) programs.set(k, (programs.get(k) ?? 0) - v);
    if (train.custom > 0) programs.set('spinalnet WGSL', train.custom * steps);
  }
  await predictClasses(model, arraySource(data.subarray(0, predictBatch * size), [patch, patch, CHANNELS]), { batchSize: predictBatch });
  counts = countWebGpu();
  await predictClasses(model, arraySource(data.subarray(0, predictBatch * steps * size), [patch, patch, CHANNELS]), { batchSize: predictBatch });
  const predict = per(counts(), steps);
  model.dispose();
  const trainByProgram = programs
    ? Object.fromEntries([...programs].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / steps]))
    : undefined;
  return { adapter: info.detail, batch, patch, train, predict, predictBatch, ...(trainByProgram ? { trainByProgram } : {}) };
}

export function formatCounts(r: StepCounts): string[] {
  const row = (name: string, c: Counts) =>
    `${name.padEnd(30)} ${c.dispatches.toFixed(0).padStart(10)} ${c.custom.toFixed(0).padStart(9)} ${c.uploads.toFixed(1).padStart(8)} ${(c.uploadBytes / 1024).toFixed(0).padStart(10)} ${c.downloads.toFixed(1).padStart(9)} ${c.submits.toFixed(1).padStart(8)} ${c.pipelines.toFixed(1).padStart(10)} ${c.seconds.toFixed(3).padStart(8)}`;
  return [
    `WebGPU counts, spinal-cnn ${r.patch}×${r.patch}×${CHANNELS}, ${CLASSES} classes, on ${r.adapter}`,
    `${'per'.padEnd(30)} ${'dispatches'.padStart(10)} ${'(ours)'.padStart(9)} ${'uploads'.padStart(8)} ${'upload KiB'.padStart(10)} ${'downloads'.padStart(9)} ${'submits'.padStart(8)} ${'new shaders'.padStart(10)} ${'seconds'.padStart(8)}`,
    row(`training step (batch ${r.batch})`, r.train),
    row(`prediction batch (${r.predictBatch})`, r.predict),
    ...(r.trainByProgram
      ? ['training step dispatches by program:', ...Object.entries(r.trainByProgram).map(([k, v]) => `  ${k.padEnd(34)} ${v.toFixed(1).padStart(7)}`)]
      : []),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      batch: { type: 'string', default: '16' }, steps: { type: 'string', default: '3' },
      patch: { type: 'string', default: '15' }, 'predict-batch': { type: 'string', default: '512' }, json: { type: 'boolean', default: false },
      'by-program': { type: 'boolean', default: false },
    },
  });
  const result = await measureCounts(Number(values.batch), Number(values.steps), Number(values.patch), Number(values['predict-batch']), values['by-program']);
  console.log(values.json ? JSON.stringify(result) : formatCounts(result).join('\n'));
}
