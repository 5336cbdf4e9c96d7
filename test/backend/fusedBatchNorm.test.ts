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
