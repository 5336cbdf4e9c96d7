import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dropoutMultiplier } from '../../src/training/engines/dropoutMask.ts';
import { withSeededMathRandom } from '../../src/training/seededRandom.ts';
import { createRng } from '../../src/util/random.ts';

describe('dropoutMultiplier', () => {
  it("equals tfjs's dropout multiplier bit for bit, drawing the same random numbers", async () => {
    for (const [shape, rate] of [[[16, 80], 0.1], [[16, 1, 1, 60], 0.05], [[7, 33], 0.5], [[3, 5, 5, 4], 0.9]] as const) {
      const seed = createRng(11, `mask/${shape.join('x')}`).int(1 << 30);
      const fromTfjs = await withSeededMathRandom(createRng(seed, 'm'), () => {
        const a = tf.tidy(() => tf.dropout(tf.ones([...shape]), rate).dataSync() as Float32Array);
        return [a, Math.random()] as const;
      });
      const ours = await withSeededMathRandom(createRng(seed, 'm'), () => {
        const a = dropoutMultiplier(shape.reduce((p: number, v: number) => p * v, 1), rate);
        return [a, Math.random()] as const;
      });
      expect(ours[0]).toEqual(fromTfjs[0]);
      // The same number of draws from Math.random, so the next mask starts where tfjs's would.
      expect(ours[1]).toBe(fromTfjs[1]);
      const dropped = ours[0].filter((v) => v === 0).length / ours[0].length;
      expect(Math.abs(dropped - rate)).toBeLessThan(0.2);
    }
  });
});
