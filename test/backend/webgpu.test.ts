/**
 * tfjs's WebGPU backend through Dawn, on whatever adapter this machine has: on CI and the dev machine the
 * SwiftShader software adapter from Debian's chromium (found in-process, see src/backend/webgpu/dawn.ts).
 * Its own file: tfjs keeps one engine per process and vitest runs each file in its own fork. Sizes are tiny
 * because SwiftShader runs every shader on the CPU.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { findAdapter } from '../../src/backend/webgpu/dawn.ts';
import { MODELS } from '../../src/models/registry.ts';
import { predictPatchesParallel } from '../../src/inference/parallel/parallelPredict.ts';
import { patchSource } from '../../src/sampling/sampleSource.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { trainModel, type TrainOptions } from '../../src/training/trainModel.ts';
import type { TrainState } from '../../src/training/trainState.ts';
import { createRng } from '../../src/util/random.ts';
import type { CubeBIP } from '../../src/core/types.ts';
import { relativeError } from '../helpers.ts';
import { tfjsGradients, worstGradientError, type Gradients } from '../training/tfjsGradients.ts';
import { Worker } from 'node:worker_threads';
import type { ReferenceGradientsJob, ReferenceGradientsResult } from './referenceGradientsWorker.ts';
import { CASES } from './webgpuCases.ts';

/** SwiftShader runs a VGG-5 step in tens of CPU-seconds; a busy machine stretches that. */
const SLOW = 600_000;

const probe = await findAdapter(true);
const skip = probe.found === undefined;
if (skip) console.warn(`webgpu tests skipped: ${probe.reason} (install Debian's chromium for SwiftShader, and libvulkan1)`);

/** 12×12 scene, 6 bands: four quadrants, each with its own spectrum, plus noise. */
function quadrantScene(): { cube: CubeBIP; labels: Int32Array } {
  const rng = createRng(11);
  const h = 12, w = 12, b = 6;
  const data = new Float32Array(h * w * b);
  const labels = new Int32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const k = (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1);
      labels[p] = k;
      for (let j = 0; j < b; j++) data[p * b + j] = Math.sin((k + 1) * (j + 1) * 0.7) + 0.3 * rng.normal();
    }
  }
  return { cube: { height: h, width: w, bands: b, data }, labels };
}

/** The worker thread that computes reference gradients (referenceGradientsWorker.ts says why), started once. */
let referenceWorker: Promise<Worker> | undefined;
function startReferenceWorker(): Promise<Worker> {
  referenceWorker ??= new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./referenceGradientsEntry.mjs', import.meta.url), { execArgv: [] });
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
  return referenceWorker;
}

/** The wasm backend's loss and gradients for `model`'s current weights, keyed by this thread's variable names. */
async function referenceGradients(model: tf.LayersModel, job: Omit<ReferenceGradientsJob, 'weights'>): Promise<Gradients> {
  const weights = await Promise.all(model.getWeights().map(async (w) => ({ data: (await w.data()) as Float32Array, shape: w.shape })));
  const worker = await startReferenceWorker();
  const r = await new Promise<ReferenceGradientsResult>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the reference gradients worker exited with code ${code}`));
    worker.once('exit', onExit);
    worker.once('message', (m: ReferenceGradientsResult | { error: string }) => {
      worker.off('exit', onExit);
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.postMessage({ ...job, weights } satisfies ReferenceGradientsJob);
  });
  return { loss: r.loss, grads: new Map(model.trainableWeights.map((w, i) => [(w.read() as tf.Variable).name, r.grads[i]!])) };
}

describe.skipIf(skip)('webgpu backend (Dawn)', () => {
  afterAll(async () => {
    if (referenceWorker) await (await referenceWorker).terminate();
  });

  beforeAll(async () => {
    const info = await selectBackend('webgpu');
    console.log(`webgpu tests on ${info.detail}`);
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toBeDefined();
    // Explicit --backend webgpu runs on a software adapter, with a warning.
    if (info.adapter!.software) expect(info.warning).toMatch(/software/);
    else expect(info.warning).toBeUndefined();
  });

  for (const c of CASES) {
    it(`computes the gradients of ${c.name} as the wasm backend does on the CPU (relative error ≤ 1e-3)`, async () => {
      await tf.setBackend('cpu');
      const model = await withSeededMathRandom(createRng(1, c.name), c.build);
      // VGG-5's batch norm sees only 2×2 pixels per sample in its last block: with two samples, vgg5's
      // gradients on the two float32 backends were 1.5e-3 apart, with four within 1e-3. spinal-vgg5's head
      // normalises each dense layer over the batch: with two samples x̂ = ±√(σ²/(σ²+ε)), so the gradient
      // into its kernels is ε/(σ²+ε) times O(1) terms that cancel, i.e. float32 rounding noise; it passed
      // with tfjs's kernels and was 3.4e-2 apart once spinalnet's WGSL batch norm rounded the trunk's
      // activations differently (src/backend/webgpu/batchNormKernels.ts). Four samples make both well posed.
      const n = c.name === 'vgg5' || c.name === 'spinal-vgg5' ? 4 : 2;
      const rng = createRng(2, c.name);
      const x = Float32Array.from({ length: n * c.sample[0] * c.sample[1] * c.sample[2] }, () => rng.normal());
      const labels = Int32Array.from({ length: n }, () => rng.int(c.classes));
      const classWeights = Float32Array.from({ length: c.classes }, () => 0.5 + rng.next());
      // The same dropout masks on both: tfjs draws them in JavaScript from Math.random, whatever the backend.
      const ref = await referenceGradients(model, { name: c.name, x, shape: [n, ...c.sample], labels, classWeights });
      await tf.setBackend('webgpu');
      const ours = await withSeededMathRandom(createRng(3, 'masks'), () => tfjsGradients(model, x, [n, ...c.sample], labels, c.classes, classWeights));
      expect(tf.getBackend()).toBe('webgpu');
      expect(Math.abs(ours.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-3);
      expect([...ours.grads.keys()].sort()).toEqual([...ref.grads.keys()].sort());
      const worst = worstGradientError(ref.grads, ours.grads, relativeError);
      expect(worst.error, worst.name).toBeLessThan(1e-3);
      model.dispose();
    }, SLOW);
  }

  describe('training and mapping', () => {
    const { cube, labels } = quadrantScene();
    // Two batches an epoch: SwiftShader runs each shader on the CPU, seconds per step.
    const train = Int32Array.from({ length: 32 }, (_, i) => (i * 53) % labels.length);
    const trainLabels = Int32Array.from(train, (p) => labels[p]!);
    const build = () => withSeededMathRandom(createRng(5, 'init'), () => MODELS.find((m) => m.id === 'spinal-cnn')!.build({ patch: 9, channels: 6, numClasses: 4 }));
    const options = (extra: Partial<TrainOptions>): TrainOptions => ({
      epochs: 2, batchSize: 16, learningRate: 0.01, seed: 7,
      validation: { source: patchSource(cube, 9, train.subarray(0, 16)), labels: trainLabels.subarray(0, 16) }, ...extra,
    });
    let trained: tf.LayersModel;

    it('trains spinal-cnn on webgpu (gradients there, not on onnxruntime), with falling loss, checkpoints and resume', async () => {
      await tf.setBackend('webgpu');
      const checkpoints: TrainState[] = [];
      trained = await build();
      const full = await trainModel(trained, patchSource(cube, 9, train), trainLabels, 4, options({ onCheckpoint: (s) => void checkpoints.push(s) }));
      expect(full.engine).toBe('tfjs webgpu');
      expect(full.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      expect(full.epochs[1]!.loss).toBeLessThan(full.epochs[0]!.loss);
      expect(full.epochs[0]!.valAccuracy).toBeDefined();
      expect(checkpoints).toHaveLength(2);

      // Resuming from the checkpoint of epoch 1 lands on the weights of the uninterrupted run.
      const resumed = await build();
      const again = await trainModel(resumed, patchSource(cube, 9, train), trainLabels, 4, options({ resumeFrom: checkpoints[0]! }));
      expect(again.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      const a = await Promise.all(trained.getWeights().map((t) => t.data()));
      const b = await Promise.all(resumed.getWeights().map((t) => t.data()));
      a.forEach((w, i) => expect(relativeError(w, b[i]!), `weight ${i}`).toBeLessThan(1e-5));
      resumed.dispose();
    }, SLOW);

    it('maps the scene as the wasm backend does on at least 99 % of pixels', async () => {
      await tf.setBackend('webgpu');
      const gpu = await predictPatchesParallel(trained, cube, 9, undefined, { batchSize: 64, workers: 2 });
      expect(gpu.engine).toBe('tfjs webgpu');
      expect(gpu.workers).toBe(0);
      // The same weights in a model on wasm: tensors cannot move off WebGPU by themselves (that needs a
      // synchronous read), so they are read asynchronously and set on a copy.
      const weights = await Promise.all(trained.getWeights().map(async (t) => ({ shape: t.shape, values: (await t.data()) as Float32Array })));
      await selectBackend('wasm');
      const copy = await build();
      copy.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
      const wasm = await predictPatchesParallel(copy, cube, 9, undefined, { batchSize: 64, workers: 0, engine: 'tfjs' });
      expect(wasm.engine).toBe('tfjs wasm');
      let same = 0;
      for (let p = 0; p < labels.length; p++) if (gpu.classes[p] === wasm.classes[p]) same++;
      expect(same / labels.length).toBeGreaterThanOrEqual(0.99);
      // The map is a real one, not a constant: most pixels get their quadrant's class.
      let right = 0;
      for (let p = 0; p < labels.length; p++) if (gpu.classes[p] === labels[p]) right++;
      expect(right / labels.length).toBeGreaterThan(0.4);
    }, SLOW);
  });
});
