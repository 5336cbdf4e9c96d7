import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BackendError } from '../../src/core/errors.ts';
import { exportOnnx, UnsupportedModelError } from '../../src/inference/onnx/exportOnnx.ts';
import { createOnnxPredictor } from '../../src/inference/onnx/onnxPredict.ts';
import { loadOnnxRuntime } from '../../src/onnx/onnxRuntime.ts';
import { ProtoWriter } from '../../src/onnx/protobuf.ts';
import { buildMnistNet } from '../../src/models/mnistNet.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { SpinalLayer } from '../../src/models/spinalLayer.ts';
import { buildVgg5 } from '../../src/models/vgg5.ts';
import { predictPatchesParallel } from '../../src/inference/parallel/parallelPredict.ts';
import { createRng } from '../../src/util/random.ts';
import { relativeError } from '../helpers.ts';

describe('protobuf writer', () => {
  it('encodes varints, negative int64, floats and nested messages as the wire format specifies', () => {
    const w = new ProtoWriter().int(1, 300).int(2, -1).float(3, 1.5).message(4, (m) => m.string(1, 'ab'));
    expect(Array.from(w.finish())).toEqual([
      0x08, 0xac, 0x02, // field 1 varint 300
      0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // field 2: −1 as ten bytes
      0x1d, 0x00, 0x00, 0xc0, 0x3f, // field 3 fixed32 1.5
      0x22, 0x04, 0x0a, 0x02, 0x61, 0x62, // field 4 { field 1 "ab" }
    ]);
  });
});

/** Random weights with moving variances > 0 and non-zero moving means, so batch norm is really exercised. */
function randomize(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed, 'weights');
  model.setWeights(model.getWeights().map((w, i) => {
    const name = model.weights[i]!.name;
    const values = Float32Array.from({ length: w.size }, () => (/variance/.test(name) ? 0.5 + rng.next() : 0.3 * rng.normal()));
    return tf.tensor(values, w.shape);
  }));
}

function tfjsLogits(model: tf.LayersModel, x: Float32Array, shape: [number, number, number, number]): Float32Array {
  return tf.tidy(() => (model.apply(tf.tensor4d(x, shape), { training: false }) as tf.Tensor).dataSync() as Float32Array);
}

const runtime = await loadOnnxRuntime();
const skip = typeof runtime === 'string';
if (skip) console.warn(`skipping onnxruntime tests: ${runtime}`);

describe.skipIf(skip)('ONNX export run by onnxruntime', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  const cases: [string, () => tf.LayersModel, [number, number, number]][] = [
    ['spinal-cnn (conv + batch norm + spinal head)', () => getModelSpec('spinal-cnn').build({ patch: 15, channels: 30, numClasses: 13 }), [15, 15, 30]],
    ['fc-cnn (dense head)', () => getModelSpec('fc-cnn').build({ patch: 11, channels: 8, numClasses: 5 }), [11, 11, 8]],
    ['spinal-mlp (spectra)', () => getModelSpec('spinal-mlp').build({ patch: 1, channels: 20, numClasses: 7 }), [1, 1, 20]],
    ['spinal-mnist (input conv, permute to channels-first, flatten)', () => buildMnistNet({ height: 28, width: 28, channels: 1, numClasses: 10, head: 'spinal' }), [28, 28, 1]],
    ['the other activations (tanh, sigmoid, elu, selu, softmax) and a spinal head with tanh', () => tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [2, 2, 3] }),
        tf.layers.dense({ units: 8, activation: 'tanh' }),
        tf.layers.dense({ units: 8, activation: 'sigmoid' }),
        tf.layers.dense({ units: 8, activation: 'elu' }),
        tf.layers.dense({ units: 8, activation: 'selu' }),
        new SpinalLayer({ splits: 2, layerWidth: 3, numLayers: 3, activation: 'tanh', batchNorm: true }),
        tf.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    }), [2, 2, 3]],
    ['spinal-vgg5 (spinal batch norm, flatten of 2×2 maps)', () => buildVgg5({ height: 16, width: 16, channels: 3, numClasses: 10, head: 'spinal' }), [16, 16, 3]],
  ];
  for (const [name, build, shape] of cases) {
    it(`${name}: the same logits as tfjs in inference mode (relative error ≤ 1e-4) and their argmax`, async () => {
      const model = build();
      randomize(model, 3);
      const n = 37;
      const rng = createRng(4, 'x');
      const x = Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.normal());
      const reference = tfjsLogits(model, x, [n, ...shape]);
      const p = await createOnnxPredictor(model, shape, 2);
      if (typeof p === 'string') throw new Error(p);
      const { logits, classes } = await p.run(x, n);
      await p.release();
      expect(relativeError(reference, logits)).toBeLessThan(1e-4);
      const k = reference.length / n;
      const argmax = Array.from({ length: n }, (_, i) => reference.subarray(i * k, (i + 1) * k).reduce((b, v, j, a) => (v > a[b]! ? j : b), 0));
      expect(Array.from(classes)).toEqual(argmax);
      model.dispose();
    });
  }

  it('refuses a layer it does not translate, naming it', () => {
    const model = tf.sequential({ layers: [tf.layers.upSampling2d({ inputShape: [4, 4, 2] }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    expect(() => exportOnnx(model, [4, 4, 2])).toThrow(UnsupportedModelError);
    expect(() => exportOnnx(model, [4, 4, 2])).toThrow(/UpSampling2D/);
    model.dispose();
  });

  describe('maps through predictPatchesParallel', () => {
    const cube = (() => {
      const rng = createRng(6, 'cube');
      const height = 20, width = 23, bands = 5;
      return { height, width, bands, data: Float32Array.from({ length: height * width * bands }, () => rng.normal()) };
    })();

    it("'auto' runs onnxruntime and agrees with tfjs on every pixel", async () => {
      const model = getModelSpec('spinal-cnn').build({ patch: 9, channels: 5, numClasses: 4 });
      randomize(model, 8);
      const onnx = await predictPatchesParallel(model, cube, 9, undefined, { workers: 2 });
      expect(onnx.engine).toMatch(/^onnxruntime /);
      const tfjs = await predictPatchesParallel(model, cube, 9, undefined, { workers: 0, engine: 'tfjs' });
      expect(tfjs.engine).toBe('tfjs wasm');
      const disagree = onnx.classes.filter((c, i) => c !== tfjs.classes[i]).length;
      expect(new Set(tfjs.classes).size).toBeGreaterThan(1);
      expect(disagree).toBe(0);
      // Softmax probabilities from onnxruntime's logits agree with tfjs's to float32 rounding.
      const p = await predictPatchesParallel(model, cube, 9, undefined, { workers: 2, probabilities: 'all' });
      const q = await predictPatchesParallel(model, cube, 9, undefined, { workers: 0, engine: 'tfjs', probabilities: 'all' });
      expect(p.engine).toMatch(/^onnxruntime /);
      expect(p.probabilities!.length).toBe(cube.height * cube.width * 4);
      expect(relativeError(q.probabilities!, p.probabilities!)).toBeLessThan(1e-4);
      expect(relativeError(q.confidence!, p.confidence!)).toBeLessThan(1e-4);
      model.dispose();
    });

    it('maps on two threads and on one, timed against each other, to the same bits as one thread alone, in float32 and int8', async () => {
      const model = getModelSpec('spinal-cnn').build({ patch: 9, channels: 5, numClasses: 4 });
      randomize(model, 9);
      for (const precision of ['float32', 'int8'] as const) {
        // Batches of 8: 58 runs, enough for the timing (2 untimed, 2 × 8 timed) and a choice that maps the rest.
        const timed = await predictPatchesParallel(model, cube, 9, undefined, { workers: 2, batchSize: 8, precision, probabilities: 'all' });
        const single = await predictPatchesParallel(model, cube, 9, undefined, { workers: 1, batchSize: 8, precision, probabilities: 'all' });
        expect(timed.precision).toBe(precision);
        expect(timed.engine).toMatch(/, (1 thread|2 threads)$/);
        expect(single.engine).toMatch(/, 1 thread$/);
        expect(Array.from(timed.classes)).toEqual(Array.from(single.classes));
        expect(Buffer.from(timed.probabilities!.buffer).equals(Buffer.from(single.probabilities!.buffer))).toBe(true);
      }
      model.dispose();
    });

    it("'auto' falls back to tfjs with the reason when the model does not export; 'onnxruntime' refuses", async () => {
      const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [3, 3, 5] }), tf.layers.dense({ units: 4, activation: 'softplus' })] });
      const auto = await predictPatchesParallel(model, cube, 3, Int32Array.from([0, 1, 2]), { workers: 1 });
      expect(auto.engine).toBe('tfjs wasm');
      expect(auto.fallbackReason).toMatch(/softplus/);
      await expect(predictPatchesParallel(model, cube, 3, undefined, { engine: 'onnxruntime' })).rejects.toThrow(BackendError);
      model.dispose();
    });
  });
});
