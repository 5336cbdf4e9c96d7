/**
 * The libtorch step that keeps the training state in libtorch for an epoch (residentStep.ts) against the
 * step that hands its gradients to tfjs (libtorchGradients.ts): the same seeds give the same losses, model
 * and optimizer state. Both run libtorch's kernels on the same weights, and the native Adam update and
 * moving averages round as tfjs's do, so the comparison is exact, not within a tolerance.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam } from '../../src/backend/fusedAdam.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { buildRunModel, prepareRun, trainingSetup } from '../../src/pipeline/prepareRun.ts';
import { loadInputScene } from '../../src/pipeline/sceneInput.ts';
import { arraySource } from '../../src/sampling/sampleSource.ts';
import { createLibtorchGradientStep, LIBTORCH_HOW_TO, loadLibtorch } from '../../src/training/engines/libtorch/libtorchGradients.ts';
import { createResidentLibtorchStep } from '../../src/training/engines/libtorch/residentStep.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { trainModel, type TrainOptions } from '../../src/training/trainModel.ts';
import type { TrainState } from '../../src/training/trainState.ts';
import { createRng } from '../../src/util/random.ts';
import { GRADIENT_CASES } from './smallModels.ts';

const addon = loadLibtorch();
const skip = typeof addon === 'string';
if (skip) console.warn(`libtorch state tests skipped: ${addon} (${LIBTORCH_HOW_TO})`);

beforeAll(async () => {
  await selectBackend('wasm');
});

const valuesOf = (model: tf.LayersModel) => model.getWeights().map((t) => t.dataSync() as Float32Array);

/** The optimizer's saved weights (iteration count, moments) as getWeights hands them to checkpoints, without names (tfjs numbers layers per model). */
async function optimizerValues(optimizer: tf.Optimizer): Promise<tf.TypedArray[]> {
  return (await optimizer.getWeights()).map((w) => w.tensor.dataSync());
}

/** Whether two lists of arrays hold the same bits (a deep toEqual of the paper network's weights takes seconds). */
function sameBits(a: readonly ArrayBufferView[], b: readonly ArrayBufferView[]): boolean {
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return a.length === b.length && a.every((v, i) => bytes(v).equals(bytes(b[i]!)));
}

describe.skipIf(skip)('libtorch keeping the training state for an epoch', () => {
  for (const c of GRADIENT_CASES) {
    it(`gives the bits of the step whose gradients tfjs applies, masks, Adam and batch-norm averages included: ${c.name}`, async () => {
      const viaTfjs = await withSeededMathRandom(createRng(1, c.name), c.build);
      const kept = await withSeededMathRandom(createRng(1, c.name), c.build);
      const initial = valuesOf(kept);
      const [adamTfjs, adamKept] = [createAdam(1e-2, 0.9, 0.999, 1e-8), createAdam(1e-2, 0.9, 0.999, 1e-8)];
      const reference = createLibtorchGradientStep(viaTfjs, c.sample, c.classes, 2);
      const step = createResidentLibtorchStep(kept, c.sample, c.classes, 2);
      if (typeof reference === 'string' || typeof step === 'string') throw new Error(String(reference));
      const rng = createRng(2, c.name);
      const n = 6;
      for (let s = 0; s < 8; s++) {
        const x = Float32Array.from({ length: n * c.sample[0] * c.sample[1] * c.sample[2] }, () => rng.normal());
        const labels = Int32Array.from({ length: n }, () => rng.int(c.classes));
        const classWeights = Float32Array.from({ length: c.classes }, () => 0.5 + rng.next());
        if (s === 5) for (const adam of [adamTfjs, adamKept]) (adam as unknown as { learningRate: number }).learningRate /= 3;
        const a = await withSeededMathRandom(createRng(3, `masks/${s}`), () => reference.run(x, n, labels, classWeights, adamTfjs));
        const b = await withSeededMathRandom(createRng(3, `masks/${s}`), () => step.run(x, n, labels, classWeights, adamKept));
        expect(b, `step ${s}`).toEqual(a);
        if (s === 2) {
          // The state is in libtorch: the tfjs model has not moved, until the sync.
          expect(sameBits(valuesOf(kept), initial)).toBe(true);
          await step.sync!(adamKept);
          expect(sameBits(valuesOf(kept), valuesOf(viaTfjs))).toBe(true);
        }
      }
      await step.sync!(adamKept);
      expect(sameBits(valuesOf(kept), valuesOf(viaTfjs))).toBe(true);
      expect(sameBits(valuesOf(kept), initial)).toBe(false);
      expect(sameBits(await optimizerValues(adamKept), await optimizerValues(adamTfjs))).toBe(true);
      // Adam's running powers, private in tfjs, which the next update's bias correction reads.
      const powers = (o: tf.Optimizer) => ['accBeta1', 'accBeta2'].map((k) => (o as unknown as Record<string, tf.Variable>)[k]!.dataSync()[0]);
      expect(powers(adamKept)).toEqual(powers(adamTfjs));
      for (const o of [adamTfjs, adamKept]) o.dispose();
    });
  }

  /** 38 seeded samples of a 9×9×6 scene whose class shifts one channel (the last batch of 8 is a partial one). */
  function smallScene() {
    const rng = createRng(7);
    const n = 38;
    const x = Float32Array.from({ length: n * 9 * 9 * 6 }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 5);
    for (let i = 0; i < n; i++) for (let p = 0; p < 81; p++) x[(i * 81 + p) * 6] += labels[i]!;
    return { x, source: arraySource(x, [9, 9, 6]), labels };
  }
  const buildCnn = () => withSeededMathRandom(createRng(1, 'same init'), () => getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 }));

  it('trains through trainModel as the tfjs-kept state does (epochs, checkpoints, the model), and validates the synced model', async () => {
    const { x, source, labels } = smallScene();
    const train = async (libtorchState: 'libtorch' | 'tfjs') => {
      const model = await buildCnn();
      const checkpoints: TrainState[] = [];
      const opts: TrainOptions = {
        epochs: 3, batchSize: 8, learningRate: 1e-3, lrDrops: [{ afterEpoch: 1, factor: 1 / 3 }], seed: 5, engine: 'libtorch', libtorchState,
        validation: { source, labels }, onCheckpoint: (s) => { checkpoints.push(s); },
      };
      const result = await trainModel(model, source, labels, 5, opts);
      return { result, checkpoints, weights: valuesOf(model) };
    };
    const kept = await train('libtorch');
    const reference = await train('tfjs');
    expect(kept.result.engine).toMatch(/^libtorch /);
    const epochs = (r: typeof kept) => r.result.epochs.map(({ seconds: _, ...e }) => e);
    expect(epochs(kept)).toEqual(epochs(reference));
    expect(kept.result.keptEpoch).toBe(reference.result.keptEpoch);
    expect(kept.checkpoints).toHaveLength(3);
    for (const [i, s] of kept.checkpoints.entries()) {
      const r = reference.checkpoints[i]!;
      expect(sameBits(s.modelWeights.map((w) => w.values), r.modelWeights.map((w) => w.values))).toBe(true);
      expect(sameBits(s.optimizerWeights.map((w) => w.values), r.optimizerWeights.map((w) => w.values))).toBe(true);
      expect(s.adamPowers).toEqual(r.adamPowers);
      // Validation saw the weights the checkpoint holds (taken right after it): a fresh model of them scores the
      // same. (tfjs's wasm convolutions had kept packed filters of the first validation, before freshMemory.)
      const fresh = await buildCnn();
      fresh.setWeights(s.modelWeights.map((w) => tf.tensor(w.values, w.shape)));
      const loss = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 5), fresh.predict(tf.tensor4d(x, [38, 9, 9, 6])) as tf.Tensor).dataSync()[0]!);
      expect(kept.result.epochs[i]!.valLoss).toBeCloseTo(loss, 5);
    }
    expect(sameBits(kept.weights, reference.weights)).toBe(true);
  });

  it('an interrupted run (the state synced back mid-epoch) resumed from its checkpoint ends as the uninterrupted one', async () => {
    const { source, labels } = smallScene();
    const opts: TrainOptions = { epochs: 3, batchSize: 8, learningRate: 1e-3, lrDrops: [{ afterEpoch: 2, factor: 1 / 3 }], seed: 5, engine: 'libtorch' };
    const straight = await buildCnn();
    const a = await trainModel(straight, source, labels, 5, opts);
    const first = await buildCnn();
    let steps = 0;
    const stopped = await trainModel(first, source, labels, 5, { ...opts, shouldStop: () => ++steps > 7 });
    expect(stopped.interrupted).toMatchObject({ epoch: 2, batch: 2 }); // 5 batches per epoch
    const second = await buildCnn();
    const b = await trainModel(second, source, labels, 5, { ...opts, resumeFrom: stopped.interrupted });
    expect(b.epochs.map((e) => e.loss)).toEqual(a.epochs.map((e) => e.loss));
    expect(sameBits(valuesOf(second), valuesOf(straight))).toBe(true);
  });

  const SAMSON = fileURLToPath(new URL('../../../shared/data/samson/', import.meta.url));
  it.skipIf(!existsSync(`${SAMSON}Samson_gt.mat`))('trains 3 epochs of the paper network on Samson as the tfjs-kept state does', async () => {
    // 8 % of each class (about 600 patches): the real scene, PCA and patches, in seconds.
    const config: RunConfig = {
      ...DEFAULTS, input: { kind: 'files', cube: `${SAMSON}Samson_cube.mat`, gt: `${SAMSON}Samson_gt.mat` }, trainFraction: 0.08, epochs: 3,
    };
    const prepared = await prepareRun(config, await loadInputScene(config.input));
    const train = async (libtorchState: 'libtorch' | 'tfjs') => {
      const model = await buildRunModel(config, prepared);
      const { source, labels, options } = trainingSetup(config, prepared);
      const result = await trainModel(model, source, labels, prepared.scene.classes.length, { ...options, engine: 'libtorch', threads: 2, libtorchState });
      return { losses: result.epochs.map((e) => [e.loss, e.accuracy]), weights: valuesOf(model) };
    };
    const kept = await train('libtorch');
    const reference = await train('tfjs');
    expect(kept.losses).toEqual(reference.losses);
    expect(sameBits(kept.weights, reference.weights)).toBe(true);
    expect(kept.losses[2]![0]).toBeLessThan(kept.losses[0]![0]!);
  }, 60_000);

  it('refuses an optimizer other than createAdam\'s, whose update it could not match', async () => {
    const c = GRADIENT_CASES[2]!;
    const model = await withSeededMathRandom(createRng(1, c.name), c.build);
    const step = createResidentLibtorchStep(model, c.sample, c.classes, 1);
    if (typeof step === 'string') throw new Error(step);
    const sgd = tf.train.sgd(0.1);
    await expect(step.run(new Float32Array(8 * 2), 2, Int32Array.from([0, 1]), new Float32Array(4).fill(1), sgd)).rejects.toThrow(/createAdam/);
  });
});
