/**
 * `npm run bench:scale`: is the map's time linear in the pixels? Maps random reduced scenes of 1×, 4×
 * and 16× the KSC-shaped area (512×614, 1024×1228, 2048×2456; 30 PCA components) with an untrained
 * model, through the pipeline's own map call (predictPatchesParallel), and prints seconds per million
 * pixels (wall and CPU) and peak RSS. A benchmark: nothing here asserts a time.
 *
 *   node --import tsx bench/mapScale.ts [--model spinal-mlp|spinal-cnn] [--scales 1,4,16] [--workers N] [--inference auto|tfjs]
 *
 * spinal-cnn (15×15 patches) maps ~10⁴ pixels/s on 2 cores, so its 16× scene takes minutes: pass
 * --scales 1,4 for a quick look.
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { getModelSpec } from '../src/models/registry.ts';
import { predictPatchesParallel, type InferenceEngine } from '../src/inference/parallel/parallelPredict.ts';
import { createRng } from '../src/util/random.ts';
import { clock, peakRssMiB } from './clock.ts';
import { CHANNELS, CLASSES, KSC, PATCH } from './workloads.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'spinal-mlp' }, scales: { type: 'string', default: '1,4,16' },
    workers: { type: 'string' }, inference: { type: 'string', default: 'auto' },
  },
});
await selectBackend('wasm');
const spec = getModelSpec(values.model!);
const patch = spec.spectral ? 1 : PATCH;
const model = await spec.build({ patch, channels: CHANNELS, numClasses: CLASSES });
console.log(`map time against scene size: ${values.model} (patch ${patch}), ${CHANNELS} components, ${CLASSES} classes`);
console.log('scale  rows×cols      pixels     wall s   s/Mpx wall   s/Mpx CPU   peak RSS MiB   engine');
for (const scale of values.scales!.split(',').map(Number)) {
  const side = Math.sqrt(scale);
  const height = Math.round(KSC.height * side);
  const width = Math.round(KSC.width * side);
  const rng = createRng(3, 'bench-scale');
  const data = new Float32Array(height * width * CHANNELS);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  let engine = '';
  const t = await clock(async () => {
    const r = await predictPatchesParallel(model, { height, width, bands: CHANNELS, data }, patch, undefined, {
      workers: values.workers === undefined ? undefined : Number(values.workers), engine: values.inference as InferenceEngine, probabilities: 'confidence',
    });
    engine = r.engine;
  });
  const mpx = (height * width) / 1e6;
  console.log(`${`${scale}×`.padEnd(6)} ${`${height}×${width}`.padEnd(12)} ${String(height * width).padStart(9)}  ${t.wall.toFixed(2).padStart(8)}  ${(t.wall / mpx).toFixed(2).padStart(11)}  ${(t.cpu / mpx).toFixed(2).padStart(10)}  ${peakRssMiB().toFixed(0).padStart(13)}   ${engine}`);
}
