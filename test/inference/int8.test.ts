/**
 * int8 maps: the QDQ graph of a conv model runs in onnxruntime and agrees with float32; --precision reaches
 * the map, run.json, report.md and the saved model.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BackendError, ConfigError } from '../../src/core/errors.ts';
import { exportOnnx } from '../../src/inference/onnx/exportOnnx.ts';
import { activationParams, calibrateInt8, exportOnnxInt8 } from '../../src/inference/onnx/int8.ts';
import { predictPatchesParallel } from '../../src/inference/parallel/parallelPredict.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { createSession, loadOnnxRuntime, type OrtModule, type OrtSession } from '../../src/onnx/onnxRuntime.ts';
import { checkPrecision, DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';
import { arraySource } from '../../src/sampling/sampleSource.ts';
import { trainModel } from '../../src/training/trainModel.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';

const runtime = await loadOnnxRuntime();
const skip = typeof runtime === 'string';
if (skip) console.warn(`skipping int8 tests: ${runtime}`);

/** Random weights with batch-norm statistics away from the identity, so the folding is exercised. */
function randomize(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed, 'weights');
  model.setWeights(model.getWeights().map((w, i) => {
    const name = model.weights[i]!.name;
    const values = Float32Array.from({ length: w.size }, () => (/variance/.test(name) ? 0.5 + rng.next() : /mean/.test(name) ? 0.2 * rng.normal() : 0.3 * rng.normal()));
    return tf.tensor(values, w.shape);
  }));
}

const normals = (n: number, seed: number) => {
  const rng = createRng(seed, 'inputs');
  return Float32Array.from({ length: n }, () => rng.normal());
};

async function classes(
  ort: OrtModule, session: OrtSession, e: { input: string; classes: string; logits: string }, x: Float32Array, shape: number[],
): Promise<{ classes: number[]; logits: Float32Array }> {
  const out = await session.run({ [e.input]: new ort.Tensor('float32', x, shape) }, [e.classes, e.logits]);
  return { classes: Array.from(out[e.classes]!.data as BigInt64Array, Number), logits: out[e.logits]!.data as Float32Array };
}

describe('int8 quantization parameters', () => {
  it('widen the range to hold 0 and map it onto 0…255', () => {
    expect(activationParams([0, 2.55])).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    const p = activationParams([-1, 3]);
    expect(p.zeroPoint).toBe(Math.round(1 / p.scale));
    expect(activationParams([1, 2]).zeroPoint).toBe(0);
  });

  it('--precision takes auto, float32 and int8; int8 with --inference tfjs is refused', () => {
    expect(() => checkPrecision('int8', 'auto')).not.toThrow();
    expect(() => checkPrecision('bf16' as never, 'auto')).toThrow(ConfigError);
    expect(() => checkPrecision('int8', 'tfjs')).toThrow(/--precision: expected 'float32' or 'auto' with --inference tfjs/);
    expect(() => checkPrecision('int8', 'auto', 'webgpu')).toThrow(/with --backend webgpu/);
    expect(() => checkPrecision('auto', 'tfjs', 'webgpu')).not.toThrow();
  });
});

describe.skipIf(skip)('int8 ONNX graph', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  const shape = [9, 9, 6] as const;

  it('runs in onnxruntime as a QDQ graph and agrees with float32 on ≥ 99 % of random inputs', async () => {
    const ort = runtime as OrtModule;
    // A briefly trained model: a network with random weights answers (nearly) one class whatever it sees, with
    // margins so small that any rounding flips them. Class k's patches: noise around a spectrum of its own.
    const model = getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 });
    const per = shape[0] * shape[1] * shape[2];
    const spectra = normals(5 * shape[2], 7).map((v) => 1.5 * v);
    const draw = (n: number, seed: number) => {
      const rng = createRng(seed, 'labels');
      const labels = Int32Array.from({ length: n }, () => rng.int(5));
      const x = normals(n * per, seed);
      for (let i = 0; i < x.length; i++) x[i]! += spectra[labels[Math.floor(i / per)]! * shape[2] + (i % shape[2])]!;
      return { x, labels };
    };
    const train = draw(400, 11);
    await trainModel(model, arraySource(train.x, shape), train.labels, 5, { epochs: 4, batchSize: 16, learningRate: 3e-3, seed: 1 });
    const calibration = await calibrateInt8(ort, model, shape, draw(256, 12).x, 1);
    expect(calibration.ranges).toHaveLength(7); // six convolution inputs, and the last pooling's input
    const int8 = exportOnnxInt8(model, shape, calibration);
    const float = exportOnnx(model, shape);
    expect(Buffer.from(int8.bytes).includes('QuantizeLinear')).toBe(true);
    const n = 1000;
    const { x, labels } = draw(n, 13);
    const [fr, qr] = await Promise.all([float, int8].map(async (e) => {
      const s = await createSession(ort, e.bytes, 1);
      if (typeof s === 'string') throw new Error(s);
      try {
        return await classes(ort, s, e, x, [n, ...shape]);
      } finally {
        await s.release();
      }
    }));
    const [a, b] = [fr!.classes, qr!.classes];
    expect(new Set(a).size).toBeGreaterThanOrEqual(4);
    // The logits themselves stay close (a wrong scale or zero point anywhere would not).
    expect(relativeError(fr!.logits, qr!.logits)).toBeLessThan(0.05);
    expect(a.filter((c, i) => c === labels[i]).length / n).toBeGreaterThan(0.8);
    const same = a.filter((c, i) => c === b[i]).length;
    expect(same / n).toBeGreaterThanOrEqual(0.99);
    model.dispose();
  }, 60_000);

  it('predictPatchesParallel maps in int8 when asked, in float32 by default, and refuses int8 on tfjs', async () => {
    const model = getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 });
    randomize(model, 4);
    const cube = { height: 12, width: 10, bands: 6, data: normals(12 * 10 * 6, 5) };
    const q = await predictPatchesParallel(model, cube, 9, undefined, { workers: 1, precision: 'int8', engine: 'onnxruntime' });
    expect(q.precision).toBe('int8');
    expect(q.engine).toMatch(/int8/);
    const f = await predictPatchesParallel(model, cube, 9, undefined, { workers: 1, engine: 'onnxruntime' });
    expect(f.precision).toBe('float32');
    expect(q.classes.filter((c, i) => c === f.classes[i]).length / q.classes.length).toBeGreaterThanOrEqual(0.95);
    await expect(predictPatchesParallel(model, cube, 9, undefined, { workers: 0, precision: 'int8', engine: 'tfjs' })).rejects.toThrow(BackendError);
    model.dispose();
    // Nothing to quantize without convolutions: spinal-mlp maps in float32 whatever was asked.
    const mlp = getModelSpec('spinal-mlp').build({ patch: 1, channels: 6, numClasses: 5 });
    expect((await predictPatchesParallel(mlp, cube, 1, undefined, { workers: 1, precision: 'int8', engine: 'onnxruntime' })).precision).toBe('float32');
    mlp.dispose();
  });

  it('a run with --precision int8 records it in run.json and report.md and saves the ranges with the model', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'spinalnet-int8-')), 'run');
    const config: RunConfig = {
      ...DEFAULTS, input: { kind: 'demo' }, model: 'spinal-cnn', patch: 9, pca: 6, epochs: 1, trainFraction: 0.05,
      seed: 3, backend: 'wasm', predictWorkers: 1, precision: 'int8', inference: 'onnxruntime', out,
    };
    await runPipeline(config);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.precision).toBe('int8');
    expect(run.inference).toMatch(/onnxruntime .*int8/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/int8/);
    const meta = JSON.parse(readFileSync(join(out, 'model', 'spinalnet.json'), 'utf8'));
    expect(meta.int8Calibration.ranges).toHaveLength(7);
    expect(meta.int8Calibration.samples).toBeGreaterThan(0);
  }, 120_000);
});
