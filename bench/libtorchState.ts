/**
 * The real protocol's training (Samson 20 %, the run's defaults: paper network, 16 epochs at batch 16, libtorch
 * on every core) with the training state kept in libtorch for each epoch against the state kept in tfjs (each
 * step reading the weights from the model, tfjs's Adam), alternating in one process so that both see the same
 * machine load (each pair in the other order, after one untimed epoch): wall and CPU seconds of trainModel,
 * and the epochs' losses, which must agree.
 *
 *   node --import tsx bench/libtorchState.ts [--pairs 2] [--epochs 16] [--train-fraction 0.2] [--threads N]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { DEFAULTS, type RunConfig } from '../src/pipeline/config.ts';
import { buildRunModel, prepareRun, trainingSetup } from '../src/pipeline/prepareRun.ts';
import { loadInputScene } from '../src/pipeline/sceneInput.ts';
import { trainModel } from '../src/training/trainModel.ts';

const { values: args } = parseArgs({
  options: { pairs: { type: 'string', default: '2' }, threads: { type: 'string' }, epochs: { type: 'string', default: '16' }, 'train-fraction': { type: 'string', default: '0.2' } },
});
const SAMSON = fileURLToPath(new URL('../../shared/data/samson/', import.meta.url));
await selectBackend('wasm');
const config: RunConfig = {
  ...DEFAULTS, input: { kind: 'files', cube: `${SAMSON}Samson_cube.mat`, gt: `${SAMSON}Samson_gt.mat` },
  trainFraction: Number(args['train-fraction']), epochs: Number(args.epochs),
  ...(args.threads !== undefined && { trainThreads: Number(args.threads) }),
};
const prepared = await prepareRun(config, await loadInputScene(config.input));
console.log(`Samson, ${prepared.split.train.length} training patches, ${config.epochs} epochs at batch ${config.batchSize}`);
// Untimed: libtorch's first steps build its kernels, which a fresh `spinalnet run` pays whichever way.
{
  const { source, labels, options } = trainingSetup(config, prepared);
  await trainModel(await buildRunModel(config, prepared), source, labels, prepared.scene.classes.length, { ...options, epochs: 1, engine: 'libtorch' });
}
const losses = new Map<string, string>();
for (let pair = 1; pair <= Number(args.pairs); pair++) {
  // Each pair in the other order, so that neither always runs first.
  for (const libtorchState of pair % 2 === 1 ? ['libtorch', 'tfjs'] as const : ['tfjs', 'libtorch'] as const) {
    const model = await buildRunModel(config, prepared);
    const { source, labels, options } = trainingSetup(config, prepared);
    const load = os.loadavg()[0]!;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const result = await trainModel(model, source, labels, prepared.scene.classes.length, { ...options, engine: 'libtorch', libtorchState });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu);
    losses.set(libtorchState, result.epochs.map((e) => e.loss.toPrecision(10)).join(' '));
    console.log(`pair ${pair}, state in ${libtorchState.padEnd(8)}: ${wall.toFixed(1)} s wall, ${((c.user + c.system) / 1e6).toFixed(1)} CPU-s (load ${load.toFixed(1)}; ${result.engine})`);
    model.dispose();
  }
}
console.log(`losses ${losses.get('libtorch') === losses.get('tfjs') ? 'equal' : 'DIFFER'} between the two`);
