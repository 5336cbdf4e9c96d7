import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpinalLayer } from '../../src/models/spinalLayer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** F = 4 features, halves a = x[0:2], b = x[2:4]; 3 layers of width 1 with hand-set weights. */
function handModel(activation: 'linear' | 'relu'): tf.Sequential {
  const model = tf.sequential();
  model.add(new SpinalLayer({ inputShape: [4], splits: 2, layerWidth: 1, numLayers: 3, activation }));
  // Weight order: kernel_0, bias_0, kernel_1, bias_1, kernel_2, bias_2.
  model.layers[0]!.setWeights([
    tf.tensor2d([[1], [2]]), tf.tensor1d([0.5]), // s1 = a0 + 2·a1 + 0.5
    tf.tensor2d([[1], [-1], [3]]), tf.tensor1d([0]), // s2 = b0 − b1 + 3·s1
    tf.tensor2d([[0], [1], [1]]), tf.tensor1d([-1]), // s3 = a1 + s2 − 1
  ]);
  return model;
}

describe('SpinalLayer', () => {
  it('wires slices and previous outputs as the paper does (hand-computed case)', () => {
    const x = tf.tensor2d([
      [1, 2, 3, 5],
      [-1, -1, 0, 0],
    ]);
    // Row 1: s1 = 1 + 4 + 0.5 = 5.5; s2 = 3 − 5 + 16.5 = 14.5; s3 = 2 + 14.5 − 1 = 15.5.
    // Row 2 (linear): s1 = −2.5; s2 = 0 − 0 − 7.5 = −7.5; s3 = −1 − 7.5 − 1 = −9.5.
    expect((handModel('linear').predict(x) as tf.Tensor).arraySync()).toEqual([
      [5.5, 14.5, 15.5],
      [-2.5, -7.5, -9.5],
    ]);
    // With ReLU row 2 becomes s1 = 0, s2 = 0, s3 = max(−1 + 0 − 1, 0) = 0.
    expect((handModel('relu').predict(x) as tf.Tensor).arraySync()).toEqual([
      [5.5, 14.5, 15.5],
      [0, 0, 0],
    ]);
  });

  it('has the weight shapes of the paper head (120 features → 4 layers of 20)', () => {
    const model = tf.sequential();
    model.add(new SpinalLayer({ inputShape: [120], layerWidth: 20, numLayers: 4, dropout: 0.1 }));
    expect(model.outputs[0]!.shape).toEqual([null, 80]);
    expect(model.layers[0]!.getWeights().map((w) => w.shape)).toEqual([
      [60, 20], [20], [80, 20], [20], [80, 20], [20], [80, 20], [20],
    ]);
    expect(model.countParams()).toBe(60 * 20 + 20 + 3 * (80 * 20 + 20));
  });

  it('survives a save/load round trip with its config and weights', async () => {
    const model = tf.sequential();
    model.add(new SpinalLayer({ inputShape: [6], splits: 3, layerWidth: 2, numLayers: 4, dropout: 0.2, batchNorm: true, activation: 'tanh' }));
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const layer = loaded.layers[0] as SpinalLayer;
    expect(layer).toBeInstanceOf(SpinalLayer);
    expect(layer.getConfig()).toMatchObject({ splits: 3, layerWidth: 2, numLayers: 4, dropout: 0.2, batchNorm: true, activation: 'tanh' });
    const x = tf.randomNormal([3, 6], 0, 1, 'float32', 7);
    expect((loaded.predict(x) as tf.Tensor).arraySync()).toEqual((model.predict(x) as tf.Tensor).arraySync());
  });

  it('applies dropout only while training', () => {
    const layer = new SpinalLayer({ splits: 2, layerWidth: 3, numLayers: 2, dropout: 0.5 });
    const x = tf.ones([64, 8]);
    const a = layer.apply(x, { training: false }) as tf.Tensor;
    const b = layer.apply(x, { training: false }) as tf.Tensor;
    expect(a.arraySync()).toEqual(b.arraySync());
    const t = layer.apply(x, { training: true }) as tf.Tensor;
    expect(tf.any(tf.notEqual(t, a)).dataSync()[0]).toBe(1);
  });

  it('updates batch-norm moving statistics while training and uses them at inference', () => {
    const layer = new SpinalLayer({ splits: 1, layerWidth: 2, numLayers: 1, batchNorm: true, activation: 'linear' });
    const x = tf.tensor2d([[1], [3], [5], [7]]);
    layer.apply(x, { training: true });
    const [, , , , movingMean, movingVar] = layer.getWeights();
    // Moving mean moved 10% of the way from 0 to the batch mean.
    const h = tf.add(tf.matMul(x, layer.getWeights()[0]!), layer.getWeights()[1]!);
    const { mean, variance } = tf.moments(h, 0);
    expect(movingMean!.arraySync()).toEqual(tf.mul(mean, 0.1).arraySync());
    const unbiased = tf.mul(variance, 4 / 3);
    const expectedVar = tf.add(0.9, tf.mul(unbiased, 0.1)).arraySync() as number[];
    (movingVar!.arraySync() as number[]).forEach((v, i) => expect(v).toBeCloseTo(expectedVar[i]!, 5));
  });

  it('leaks no tensors in a forward pass', () => {
    const layer = new SpinalLayer({ layerWidth: 4, numLayers: 3, dropout: 0.1, batchNorm: true });
    const x = tf.ones([5, 10]);
    layer.apply(x, { training: true }); // builds the weights
    const before = tf.memory().numTensors;
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects features that do not split evenly and bad arguments', () => {
    expect(() => new SpinalLayer({ layerWidth: 0, numLayers: 2 })).toThrow(/positive integers/);
    expect(() => new SpinalLayer({ layerWidth: 2, numLayers: 2, dropout: 1 })).toThrow(/dropout/);
    const layer = new SpinalLayer({ splits: 2, layerWidth: 2, numLayers: 2 });
    expect(() => layer.apply(tf.ones([1, 5]))).toThrow(/equal slices/);
  });
});
