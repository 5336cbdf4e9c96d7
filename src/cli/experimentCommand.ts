/** `spinalnet experiment`: the run flags for the shared protocol plus --models, --splits, --seeds. */
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { writeExperimentFiles } from '../experiment/experimentReport.ts';
import { runImageExperiment } from '../experiment/imageExperiment.ts';
import { type ExperimentResult } from '../experiment/runExperiment.ts';
import { defaultJobs, runExperimentScheduled } from '../experiment/sideBySide.ts';
import { bool, parse, str } from './args.ts';
import { findImageDataset } from '../images/registry.ts';
import { imageConfigFromArgs } from './imageCommand.ts';
import { inputName } from '../pipeline/sceneInput.ts';
import { StagedOutput } from '../pipeline/stagedOutput.ts';
import { SPLIT_STRATEGIES, type SplitStrategy } from '../sampling/makeSplit.ts';
import { runConfigFromArgs } from './runArgs.ts';
import { timestamp } from '../util/stageClock.ts';

export const EXPERIMENT_HELP = `usage: spinalnet experiment [scene] --models A,B --splits S,T --seeds N [run flags]

Trains every model on every split with every seed, scores each on its test pixels, and writes
experiment.json, experiment.md (mean ± std of OA, AA, kappa; per-class accuracy; weights; training
time; a paired comparison of the models seed by seed) and experiment.png.

  --models LIST   comma-separated models (default spinal-cnn,fc-cnn; for an image
                  --dataset such as mnist: spinal-mnist,fc-mnist, with \`spinalnet image\` flags)
  --splits LIST   comma-separated splits: ${SPLIT_STRATEGIES.join(', ')} (default random)
  --seeds N|LIST  N seeds (1..N) or a comma-separated list (default 3)
  --out DIR       output folder (default outputs/experiment-<scene>-<time>); --force replaces it
  --jobs N        scene experiments: runs trained side by side, each in its own process on one
                  thread (default 2 when two or more runs are queued on a machine with 2+ cores;
                  1 = one run at a time on every core). Sooner side by side; the same numbers
                  either way with --training onnxruntime, the same to float32 rounding on libtorch.
  --queue URL     run the grid on a Redis job queue (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for
                  TLS): workers started with \`spinalnet worker --queue URL\` take the runs
  --detach        with --queue: print the experiment id and return; collect later with
                  \`spinalnet experiment --collect ID --queue URL [--out DIR]\`
  --shared-path   with --queue: workers read the scene files at their path on a filesystem they all
                  mount alike instead of through Redis (scenes over Redis's 512 MB per file)
  every other flag of \`spinalnet run\` sets the shared protocol (scene, --pca, --patch, --epochs, …)
`;

/** Takes `--name VALUE` (or `--name=VALUE`) out of argv. */
function take(argv: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) {
      if (i + 1 >= argv.length) throw new ConfigError(`--${name}`, 'a value', undefined);
      value = argv[i + 1];
      argv.splice(i, 2);
      i--;
    } else if (argv[i]!.startsWith(`--${name}=`)) {
      value = argv[i]!.slice(name.length + 3);
      argv.splice(i, 1);
      i--;
    }
  }
  return value;
}

export async function experimentCommand(argv: string[]): Promise<number> {
  const rest = [...argv];
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(EXPERIMENT_HELP);
    return 0;
  }
  const queue = take(rest, 'queue');
  const detach = rest.includes('--detach');
  if (detach) rest.splice(rest.indexOf('--detach'), 1);
  const collect = take(rest, 'collect');
  const sharedPath = rest.includes('--shared-path');
  if (sharedPath) rest.splice(rest.indexOf('--shared-path'), 1);
  if (sharedPath && (queue === undefined || collect !== undefined)) throw new ConfigError('--shared-path', 'an experiment submitted to a queue: pass --queue URL too', undefined);
  if ((detach || collect !== undefined) && queue === undefined) throw new ConfigError(detach ? '--detach' : '--collect', 'a queue: pass --queue URL too', undefined);
  if (queue !== undefined && collect !== undefined) {
    const { values: v } = parse(rest, { out: { type: 'string' }, force: { type: 'boolean' } }, 'experiment --collect');
    const log = (line: string) => process.stderr.write(`${line}\n`);
    return writeExperiment(str(v, 'out') ?? join('outputs', `experiment-${collect}-${timestamp()}`), bool(v, 'force', false), async () => (await import('./queueCommand.ts')).collectOnQueue(queue, collect, log));
  }
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  const datasetIndex = rest.indexOf('--dataset');
  const imageDataset = datasetIndex >= 0 && findImageDataset(rest[datasetIndex + 1] ?? '') !== undefined;
  const models = list(take(rest, 'models') ?? (imageDataset ? 'spinal-mnist,fc-mnist' : 'spinal-cnn,fc-cnn'));
  const splits = list(take(rest, 'splits') ?? 'random');
  for (const s of splits) {
    if (!SPLIT_STRATEGIES.includes(s as SplitStrategy)) throw new ConfigError('--splits', `a list of ${SPLIT_STRATEGIES.join(', ')}`, s);
  }
  const seedsArg = take(rest, 'seeds') ?? '3';
  const seeds = /^\d+$/.test(seedsArg) ? Array.from({ length: Number(seedsArg) }, (_, i) => i + 1) : list(seedsArg).map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s))) throw new ConfigError('--seeds', 'a count or a comma-separated list of integers', seedsArg);
  if (imageDataset && queue !== undefined) throw new ConfigError('--queue', 'a scene experiment (image datasets run locally only)', '--dataset ' + rest[datasetIndex + 1]);
  const jobsArg = take(rest, 'jobs');
  const jobs = jobsArg === undefined ? defaultJobs(models.length * splits.length * seeds.length) : Number(jobsArg);
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new ConfigError('--jobs', 'a whole number ≥ 1', jobsArg);
  if (imageDataset) {
    if (jobsArg !== undefined) throw new ConfigError('--jobs', 'no --jobs for image datasets (their runs take one at a time)', jobsArg);
    return imageExperiment(rest, models, splits, seeds);
  }
  if (queue !== undefined && jobsArg !== undefined) throw new ConfigError('--jobs', 'no --jobs with --queue (each worker takes --concurrency jobs)', jobsArg);
  const base = runConfigFromArgs(rest);
  if (base === 'help' || 'resume' in base) throw new ConfigError('spinalnet experiment', 'run flags without --resume', '--resume');
  const config = { base, models, splits: splits as SplitStrategy[], seeds };
  // The queue's code (bullmq, ioredis) loads only when asked for.
  if (queue !== undefined && detach) return (await import('./queueCommand.ts')).submitDetached(queue, config, { sharedPath });
  const out = base.out ?? join('outputs', `experiment-${inputName(base.input)}-${timestamp()}`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  return writeExperiment(out, base.force, async () => (queue !== undefined ? (await import('./queueCommand.ts')).runOnQueue(queue, config, log, { sharedPath }) : runExperimentScheduled(config, jobs, log)));
}

/** Writes experiment.json/md/png of `produce()` into `out` (checked before any work; nothing left on failure). */
async function writeExperiment(out: string, force: boolean, produce: () => Promise<ExperimentResult>): Promise<number> {
  const staged = StagedOutput.open(out, force);
  try {
    const result = await produce();
    writeExperimentFiles((f) => staged.path(f), result);
    const dir = staged.commit();
    for (const s of result.summaries) {
      process.stdout.write(`${s.split}\t${s.model}\tOA ${(100 * s.overallAccuracy.mean).toFixed(2)} ± ${(100 * s.overallAccuracy.std).toFixed(2)}\n`);
    }
    process.stdout.write(`outputs: ${dir}\n`);
    return 0;
  } catch (err) {
    staged.abandon();
    throw err;
  }
}

/** The image-dataset variant: models × seeds through `spinalnet image`'s pipeline, runs kept under runs/. */
async function imageExperiment(rest: string[], models: string[], splits: string[], seeds: number[]): Promise<number> {
  if (splits.some((s) => s !== 'random')) {
    throw new ConfigError('--splits', "'random' for image datasets (a stratified split of the images)", splits.join(','));
  }
  const base = imageConfigFromArgs(rest);
  if (base === 'help') throw new ConfigError('spinalnet experiment', 'no --help among the run flags', '--help');
  const out = base.out ?? join('outputs', `experiment-${base.dataset}-${timestamp()}`);
  const staged = StagedOutput.open(out, base.force);
  try {
    const result = await runImageExperiment({ base, models, seeds, runsDir: staged.path('runs') }, (line) => process.stderr.write(`${line}\n`));
    writeExperimentFiles((f) => staged.path(f), result);
    const dir = staged.commit();
    for (const s of result.summaries) {
      process.stdout.write(`${s.model}\tOA ${(100 * s.overallAccuracy.mean).toFixed(2)} ± ${(100 * s.overallAccuracy.std).toFixed(2)}\n`);
    }
    process.stdout.write(`outputs: ${dir}\n`);
    return 0;
  } catch (err) {
    staged.abandon();
    throw err;
  }
}
