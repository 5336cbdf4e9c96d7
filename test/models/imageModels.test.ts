/**
 * The image models: the paper's shapes and weight counts, the spinal layer being THE SpinalLayer, the
 * channel-first flatten, InputConv2D against tfjs's own conv, and a save/load round trip.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { getImageModelSpec, IMAGE_MODELS } from '../../src/models/imageRegistry.ts';
import { channelFirstFlatten, InputConv2D } from '../../src/models/mnistNet.ts';
import { loadModel, saveModel } from '../../src/models/modelFiles.ts';
import { SpinalLayer } from '../../src/models/spinalLayer.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const build = (id: string, height = 28, width = 28, channels = 1, numClasses = 10) =>
  withSeededMathRandom(createRng(1, id), () => getImageModelSpec(id).build({ height, width, channels, numClasses }));

describe('spinal-mnist and fc-mnist', () => {
  it("have the paper's layers and weight counts", async () => {
    const spinal = await build('spinal-mnist');
    // conv 1→10 5×5: 260; conv 10→20 5×5: 5020; spinal: 160·8+8 + 5·(168·8+8) = 8048; dense 48→10: 490.
    expect(spinal.countParams()).toBe(260 + 5020 + 8048 + 490);
    const layer = spinal.layers.find((l) => l instanceof SpinalLayer) as SpinalLayer;
    expect([layer.splits, layer.layerWidth, layer.numLayers, layer.dropoutRate]).toEqual([2, 8, 6, 0]);
    expect(spinal.outputs[0]!.shape).toEqual([null, 10]);
    const dense = await build('fc-mnist');
    // 320→50: 16050; 50→10: 510.
    expect(dense.countParams()).toBe(260 + 5020 + 16050 + 510);
    expect(dense.layers.some((l) => l instanceof SpinalLayer)).toBe(false);
  });

  it('adapt to other image sizes and channels, and refuse images too small', async () => {
    const m = await build('spinal-mnist', 32, 32, 3, 4); // CIFAR-sized: 5×5×20 = 500 features
    expect(m.countParams()).toBe(3 * 25 * 10 + 10 + 5020 + (250 * 8 + 8) + 5 * (258 * 8 + 8) + 48 * 4 + 4);
    await expect(build('spinal-mnist', 12, 12)).rejects.toThrow(ConfigError);
  });

  it('predict without leaking tensors', async () => {
    const m = await build('spinal-mnist');
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const y = m.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([3, 10]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('VGG-5', () => {
  it('builds both heads for 28×28 grey and 32×32 RGB images', async () => {
    const spinal = await build('spinal-vgg5');
    const convWeights = 1 * 9 * 64 + 64 + 64 * 9 * 64 + 64 + 64 * 9 * 128 + 128 + 128 * 9 * 128 + 128 + 128 * 9 * 256 + 256 + 5 * (256 * 9 * 256 + 256);
    const convBn = 4 * (2 * 64 + 2 * 128 + 6 * 256); // gamma, beta, moving mean and variance
    // Spinal: 128·128+128 + 3·(256·128+128), BN 4·4·128; output 512→10.
    const head = 128 * 128 + 128 + 3 * (256 * 128 + 128) + 4 * 4 * 128 + 512 * 10 + 10;
    expect(spinal.countParams()).toBe(convWeights + convBn + head);
    const layer = spinal.layers.find((l) => l instanceof SpinalLayer) as SpinalLayer;
    expect([layer.layerWidth, layer.numLayers, layer.dropoutRate, layer.batchNorm]).toEqual([128, 4, 0.5, true]);
    const dense = await build('vgg5', 32, 32, 3, 10);
    expect(dense.outputs[0]!.shape).toEqual([null, 10]);
    // 2×2×256 = 1024 features → 512.
    expect(dense.layers.some((l) => l.getWeights().some((w) => w.shape.join() === '1024,512'))).toBe(true);
  });

  it('is in the registry as heavy, with its dense twin', () => {
    expect(IMAGE_MODELS.map((m) => [m.id, m.head, m.heavy])).toEqual([
      ['spinal-mnist', 'spinal', false],
      ['fc-mnist', 'dense', false],
      ['spinal-vgg5', 'spinal', true],
      ['vgg5', 'dense', true],
    ]);
    expect(() => getImageModelSpec('resnet')).toThrow(/--model: expected one of spinal-mnist, fc-mnist, spinal-vgg5, vgg5/);
  });
});

describe('building blocks', () => {
  it('flattens channel-first, as PyTorch views NCHW', () => {
    const m = tf.sequential();
    m.add(tf.layers.inputLayer({ inputShape: [2, 2, 3] }));
    channelFirstFlatten().forEach((l) => m.add(l));
    // NHWC value at (r, c, k) = 100k + 10r + c → features ordered by channel, then row, then column.
    const x = tf.tensor4d(Array.from({ length: 12 }, (_, i) => 100 * (i % 3) + 10 * Math.floor(i / 6) + (Math.floor(i / 3) % 2)), [1, 2, 2, 3]);
    expect(Array.from((m.predict(x) as tf.Tensor).dataSync())).toEqual([0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211]);
  });

  it('InputConv2D computes what tfjs conv2d computes, and its weight gradients', () => {
    const layer = new InputConv2D({ filters: 4, kernelSize: 3, padding: 'same' });
    const x = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = layer.apply(x) as tf.Tensor;
    const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    const expected = tf.add(tf.conv2d(x, kernel, 1, 'same'), bias);
    expect(y.shape).toEqual([2, 5, 5, 4]);
    expect(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]).toBeLessThan(1e-5);
    const grads = tf.grads((k: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, k as tf.Tensor4D, 1, 'same'))))([kernel]);
    const { grads: mine } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(layer.apply(x) as tf.Tensor, bias))) as tf.Scalar, layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    const kGrad = Object.values(mine).find((g) => g.rank === 4)!;
    expect(tf.max(tf.abs(tf.sub(kGrad, grads[0]!))).dataSync()[0]).toBeLessThan(1e-3);
    expect(layer.computeOutputShape([null, 28, 28, 1])).toEqual([null, 28, 28, 4]);
    expect(new InputConv2D({ filters: 10, kernelSize: 5 }).computeOutputShape([null, 28, 28, 1])).toEqual([null, 24, 24, 10]);
  });

  it('saves and loads an image model with its image metadata, predicting the same', async () => {
    const m = await build('spinal-mnist');
    const dir = mkdtempSync(join(tmpdir(), 'spinalnet-imgmodel-'));
    await saveModel(dir, m, {
      kind: 'spinalnet-model', version: 1, modelId: 'spinal-mnist', patch: 28,
      classes: Array.from({ length: 10 }, (_, i) => ({ value: i, name: String(i) })), inputBands: 1,
      preprocessing: { kind: 'image-normalization', mean: [0.1307], std: [0.3081] }, dataset: 'mnist',
      image: { height: 28, width: 28, channels: 1 },
    });
    const { model, meta } = await loadModel(dir);
    expect(meta.image).toEqual({ height: 28, width: 28, channels: 1 });
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toContain('InputConv2D');
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 8);
    const a = (m.predict(x) as tf.Tensor).dataSync();
    const b = (model.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
