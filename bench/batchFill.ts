/**
 * CPU time of cutting one training batch of the paper network's patches (15×15×30) from a reduced scene
 * in memory, as trainModel does before every step (patchSource.fill): what assembling batches natively
 * could save per step.
 *
 *   node --import tsx bench/batchFill.ts [--batches 2000]
 */
import { parseArgs } from 'node:util';
import type { CubeBIP } from '../src/core/types.ts';
import { patchSource } from '../src/sampling/sampleSource.ts';
import { createRng } from '../src/util/random.ts';
import { CHANNELS, PATCH } from './workloads.ts';

const { values: args } = parseArgs({ options: { batches: { type: 'string', default: '2000' } } });
const reps = Number(args.batches);
// Samson's size (95×95), 1,542 training pixels as in its 20 % split.
const [height, width] = [95, 95];
const rng = createRng(1, 'batch-fill');
const cube: CubeBIP = { height, width, bands: CHANNELS, data: Float32Array.from({ length: height * width * CHANNELS }, () => rng.normal()) };
const pixels = Int32Array.from({ length: 1542 }, () => rng.int(height * width));
const source = patchSource(cube, PATCH, pixels);
const order = rng.permutation(pixels.length);
for (const batch of [16, 64]) {
  const out = new Float32Array(batch * PATCH * PATCH * CHANNELS);
  const perEpoch = Math.floor(pixels.length / batch);
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) {
    const b = r % perEpoch;
    source.fill(order.subarray(b * batch, (b + 1) * batch), out);
  }
  const c = process.cpuUsage(c0);
  console.log(`batch ${batch}: ${((c.user + c.system) / 1000 / reps).toFixed(3)} ms CPU per batch (${reps} batches)`);
}
