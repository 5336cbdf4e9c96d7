/**
 * The multiplier tfjs's `tf.dropout(x, rate)` applies, drawn in plain JavaScript from the same random
 * numbers: one Math.random() seeds an Alea stream (tfjs-core's UniformRandom), each element is
 * floor(u + keep) / keep in float32. Used by the onnxruntime training step, which must drop exactly what
 * a tfjs training step would drop. Why not tfjs's own op on ones: it costs an order of magnitude more per
 * step (docs/performance.md#the-onnxruntime-training-step); test/training/dropoutMask.test.ts checks the
 * values are tfjs's bit for bit.
 */
import seedrandom from 'seedrandom';

const fr = Math.fround;

/** float32 multipliers (0 or 1/keep) of the given element count, for dropout `rate` in (0, 1). */
export function dropoutMultiplier(size: number, rate: number): Float32Array {
  // tfjs: seed = Math.random() when no seed is passed; Alea keyed by its decimal string.
  const random = seedrandom.alea(Math.random().toString());
  const keep = fr(1 - rate);
  const scale = fr(1 / keep);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(fr(fr(random()) + keep)) === 0 ? 0 : scale;
  return out;
}
