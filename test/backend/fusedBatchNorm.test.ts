import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BN_TRAIN_KERNEL } from '../../src/backend/fusedBatchNorm.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BatchNormalization } from '../../src/models/batchNorm.ts';
import { relativeError } from '../helpers.ts';
import { type Step, trainingStep } from './batchNormStep.ts';

describe('fused batch norm (wasm) against tfjs-layers on cpu', () => {
  const shapes: [string, number[]][] = [
    ['the paper net\'s first BN, batch 16', [16, 15, 15, 15]],
    ['a 3×3 map, 120 channels', [5, 3, 3, 120]],
    ['one sample', [1, 4, 4, 6]],
    ['2-D (a dense layer\'s output)', [9, 7]],
  ];
  it.each(shapes)('%s: output, dx, dγ, dβ and moving averages agree (relative error ≤ 1e-4)', async (_name, shape) => {
    await selectBackend('cpu');
    expect(tf.getKernel(BN_TRAIN_KERNEL, 'cpu')).toBeUndefined(); // the stock tfjs-layers path
    const cpu = await trainingStep(shape, 11);
    await selectBackend('wasm');
    expect(tf.getKernel(BN_TRAIN_KERNEL, 'wasm')).toBeDefined();
    const wasm = await trainingStep(shape, 11);
    for (const key of Object.keys(cpu) as (keyof Step)[]) {
      expect(relativeError(cpu[key], wasm[key]), key).toBeLessThan(1e-4);
    }
  });

  it('moving averages from arrays, in place on the wasm heap, are bit-identical to the tensor path and leave a copy alone', async () => {
    await selectBackend('wasm');
    const channels = 37;
    const layers = [0, 1].map(() => {
      const model = tf.sequential({ layers: [new BatchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: [channels] })] });
      return model.layers[0] as BatchNormalization;
    });
    const [viaTensors, viaArrays] = layers as [BatchNormalization, BatchNormalization];
    const moving = (l: BatchNormalization) => l.getWeights().slice(2).map((t) => Array.from(t.dataSync()));
    let sharing: tf.Tensor | undefined;
    for (let step = 0; step < 5; step++) {
      const mean = Float32Array.from({ length: channels }, (_, i) => Math.sin(step * 7 + i) * 3);
      const variance = Float32Array.from({ length: channels }, (_, i) => 1 + Math.cos(step + i * 0.3) ** 2 * 5);
      tf.tidy(() => viaTensors.updateMovingAverages(tf.tensor1d(mean), tf.tensor1d(variance)));
      if (step === 3) {
        // setWeights makes the variables share memory with the caller's tensors: in place would change them too.
        const mine = viaArrays.getWeights().map((w) => tf.tensor(w.dataSync(), w.shape));
        viaArrays.setWeights(mine);
        sharing = mine[2];
      }
      const before = sharing ? Array.from(sharing.dataSync()) : undefined;
      const memory = viaArrays.getWeights()[2]!.dataId;
      viaArrays.updateMovingAveragesFromArrays(mean, variance);
      // In place (the same memory) unless shared; once written anew, the variable shares nothing again.
      expect(viaArrays.getWeights()[2]!.dataId === memory).toBe(step !== 3);
      if (sharing) expect(Array.from(sharing.dataSync())).toEqual(before);
      expect(moving(viaArrays)).toEqual(moving(viaTensors));
    }
    sharing?.dispose();
  });

  it('keeps the class name and config of tfjs-layers, so saved models are unchanged and load into it', async () => {
    const model = tf.sequential({ layers: [new BatchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: [3, 3, 4] })] });
    const json = model.toJSON(undefined, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.map((l) => l.class_name)).toContain('BatchNormalization');
    const restored = await tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
    expect(restored.layers.some((l) => l instanceof BatchNormalization)).toBe(true);
    model.dispose();
    restored.dispose();
  });
});
