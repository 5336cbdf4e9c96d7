/**
 * trainModel with gradients from onnxruntime and from libtorch against trainModel with tfjs's (the wasm
 * backend, the one users train on): same losses and model up to float32 rounding, and the fallback when
 * neither can.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BackendError } from '../../src/core/errors.ts';
import { loadOnnxRuntime } from '../../src/onnx/onnxRuntime.ts';
import { LIBTORCH_HOW_TO, loadLibtorch } from '../../src/training/engines/libtorch/libtorchGradients.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { SpinalLayer } from '../../src/models/spinalLayer.ts';
import { arraySource } from '../../src/sampling/sampleSource.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { trainModel, type TrainingEngine } from '../../src/training/trainModel.ts';
import type { TrainState } from '../../src/training/trainState.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';
import { spinalBatchNormModel } from './smallModels.ts';

const runtime = await loadOnnxRuntime();
const skip = typeof runtime === 'string';
if (skip) console.warn(`onnxruntime training tests skipped: ${runtime}`);
const libtorch = loadLibtorch();
if (typeof libtorch === 'string') console.warn(`libtorch training tests skipped: ${libtorch} (${LIBTORCH_HOW_TO})`);
const NATIVE = [...(skip ? [] : ['onnxruntime' as const]), ...(typeof libtorch === 'string' ? [] : ['libtorch' as const])];

beforeAll(async () => {
  await selectBackend('wasm');
});

interface Case {
  name: string;
  build: () => tf.LayersModel;
  sample: [number, number, number];
  classes: number;
  /** Weights that differ between the engines by float32 noise only (see the test). */
  noiseOnly: number;
}


const CASES: Case[] = [
  // 3 conv biases before batch norm and the 3 moving means after them.
  { name: 'spinal-cnn', build: () => getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 }), sample: [9, 9, 6], classes: 5, noiseOnly: 6 },
  // 3 spinal dense biases before their batch norms, 3 moving means.
  { name: 'a spinal head with batch norm', build: () => spinalBatchNormModel(3), sample: [6, 6, 3], classes: 4, noiseOnly: 6 },
];

/**
 * Which weights only noise moves: a bias that batch norm follows has a zero gradient in exact arithmetic,
 * and Adam scales either engine's float32 noise there up to full-size steps; the moving means follow those
 * biases. Both engines compute the same function (the normalisation removes the bias).
 */
function noiseOnlyWeights(model: tf.LayersModel): Set<string> {
  const names = new Set<string>();
  model.layers.forEach((l, i) => {
    if (model.layers[i + 1]?.getClassName() === 'BatchNormalization') l.weights.filter((w) => w.name.endsWith('/bias')).forEach((w) => names.add(w.name));
    if (l instanceof SpinalLayer && l.batchNorm) l.weights.filter((w) => /\/(bias|moving_mean)_\d+$/.test(w.name)).forEach((w) => names.add(w.name));
    l.weights.filter((w) => w.name.endsWith('/moving_mean')).forEach((w) => names.add(w.name));
  });
  return names;
}

describe.skipIf(NATIVE.length === 0)('trainModel on onnxruntime and libtorch', () => {
  for (const c of CASES) for (const engine of NATIVE) {
    it(`trains on ${engine} as tfjs does: the same losses and the same model, up to float32 rounding: ${c.name}`, async () => {
      const rng = createRng(7);
      const n = 38; // the last batch of each epoch is a partial one (6 of 8)
      const [h, w, ch] = c.sample;
      const x = Float32Array.from({ length: n * h * w * ch }, () => rng.normal());
      const labels = Int32Array.from({ length: n }, (_, i) => i % c.classes);
      // A learnable signal: the class shifts one channel.
      for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) x[(i * h * w + p) * ch] += labels[i]!;
      const train = async (engine: TrainingEngine) => {
        const model = await withSeededMathRandom(createRng(1, 'same init'), c.build);
        const result = await trainModel(model, arraySource(x, c.sample), labels, c.classes, { epochs: 3, batchSize: 8, learningRate: 1e-3, seed: 5, engine });
        const logits = tf.tidy(() => (model.predict(tf.tensor4d(x, [n, ...c.sample])) as tf.Tensor).dataSync() as Float32Array);
        // Layer names differ between the two models (tfjs numbers them), so weights go by position.
        const noise = noiseOnlyWeights(model);
        const weights = model.weights.map((v, i) => ({ noiseOnly: noise.has(v.name), values: model.getWeights()[i]!.dataSync() as Float32Array }));
        return { result, logits, weights };
      };
      const viaOnnx = await train(engine);
      const viaTfjs = await train('tfjs');
      expect(viaOnnx.result.engine.startsWith(`${engine} `)).toBe(true);
      expect(viaTfjs.result.engine).toBe('tfjs wasm');
      const losses = (r: typeof viaOnnx) => r.result.epochs.map((e) => e.loss);
      expect(losses(viaOnnx)[2]).toBeLessThan(losses(viaOnnx)[0]!);
      for (let e = 0; e < 3; e++) expect(Math.abs(losses(viaOnnx)[e]! - losses(viaTfjs)[e]!) / losses(viaTfjs)[e]!).toBeLessThan(1e-4);
      // Every other weight (moving variances included) agrees to float32 rounding grown over 15 steps.
      expect(viaTfjs.weights.filter((v) => v.noiseOnly)).toHaveLength(c.noiseOnly);
      viaTfjs.weights.forEach((v, i) => {
        if (!v.noiseOnly) expect(relativeError(v.values, viaOnnx.weights[i]!.values), `weight ${i}`).toBeLessThan(1e-3);
      });
      expect(relativeError(viaTfjs.logits, viaOnnx.logits)).toBeLessThan(1e-2);
    });
  }

  for (const engine of NATIVE) {
    it(`validates each epoch on the model as it then is: ${engine} (tfjs's wasm convolutions cache packed filters)`, async () => {
      const c = CASES[0]!;
      const rng = createRng(8);
      const n = 24;
      const x = Float32Array.from({ length: n * 9 * 9 * 6 }, () => rng.normal());
      const labels = Int32Array.from({ length: n }, (_, i) => i % c.classes);
      const source = arraySource(x, c.sample);
      const build = () => withSeededMathRandom(createRng(1, 'same init'), c.build);
      const checkpoints: TrainState[] = [];
      const result = await trainModel(await build(), source, labels, c.classes, {
        epochs: 3, batchSize: 8, learningRate: 1e-2, seed: 5, engine, validation: { source, labels }, onCheckpoint: (s) => { checkpoints.push(s); },
      });
      for (const [i, s] of checkpoints.entries()) {
        const fresh = await build();
        fresh.setWeights(s.modelWeights.map((w) => tf.tensor(w.values, w.shape)));
        const loss = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), c.classes), fresh.predict(tf.tensor4d(x, [n, ...c.sample])) as tf.Tensor).dataSync()[0]!);
        expect(result.epochs[i]!.valLoss, `epoch ${i + 1}`).toBeCloseTo(loss, 5);
      }
    });
  }

  it("falls back to tfjs with the reason under 'auto', and refuses under 'onnxruntime', for a model it cannot train", async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 1, 4] }), tf.layers.dense({ units: 2, activation: 'elu' })] });
    const x = new Float32Array(4 * 4).fill(1);
    const labels = Int32Array.from([0, 1, 0, 1]);
    const options = { epochs: 1, batchSize: 4, learningRate: 1e-3, seed: 1 };
    const result = await trainModel(model, arraySource(x, [1, 1, 4]), labels, 2, options);
    expect(result.engine).toBe('tfjs wasm');
    expect(result.fallbackReason).toMatch(/activation 'elu'/);
    for (const engine of NATIVE) await expect(trainModel(model, arraySource(x, [1, 1, 4]), labels, 2, { ...options, engine })).rejects.toThrow(BackendError);
  });

  it("takes libtorch under 'auto' where it is built, else onnxruntime", async () => {
    const model = getModelSpec('spinal-mlp').build({ patch: 1, channels: 4, numClasses: 2 });
    const x = Float32Array.from({ length: 8 * 4 }, (_, i) => i % 3);
    const result = await trainModel(model, arraySource(x, [1, 1, 4]), Int32Array.from({ length: 8 }, (_, i) => i % 2), 2, { epochs: 1, batchSize: 4, learningRate: 1e-3, seed: 1 });
    expect(result.engine.split(' ')[0]).toBe(NATIVE.includes('libtorch') ? 'libtorch' : 'onnxruntime');
  });
});
