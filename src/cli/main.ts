/**
 * The `spinalnet` command line: parses flags into typed configs and calls the library. Errors a user
 * can cause print one message and the fix, and exit 2; anything else is a bug and prints its stack.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_CHOICES } from '../backend/selectBackend.ts';
import { ConfigError, SpinalnetError } from '../errors.ts';
import { listMatVariables } from '../io/mat/reader.ts';
import { DEFAULTS, type RunConfig } from '../pipeline/config.ts';
import { predictPipeline } from '../pipeline/predictPipeline.ts';
import { resumePipeline, runPipeline, type RunResult } from '../pipeline/runPipeline.ts';
import { SPLIT_STRATEGIES } from '../sampling/makeSplit.ts';
import { pct } from '../pipeline/sceneOutputs.ts';
import { downloadDataset } from '../scene/download.ts';
import { bool, num, oneOf, parse, str, type Options } from './args.ts';
import { DOWNLOAD_HELP, INSPECT_HELP, MAIN_HELP, PREDICT_HELP, RUN_HELP } from './help.ts';

const err = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

const RUN_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  dataset: { type: 'string' }, 'data-dir': { type: 'string' }, demo: { type: 'boolean' },
  cube: { type: 'string' }, gt: { type: 'string' }, 'cube-var': { type: 'string' }, 'gt-var': { type: 'string' },
  pca: { type: 'string' }, whiten: { type: 'boolean' }, 'pca-fit': { type: 'string' }, patch: { type: 'string' },
  'train-fraction': { type: 'string' }, 'train-per-class': { type: 'string' }, seed: { type: 'string' },
  model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
  'lr-drop-epoch': { type: 'string' }, 'lr-drop-factor': { type: 'string' }, backend: { type: 'string' },
  out: { type: 'string' }, force: { type: 'boolean' }, 'mask-background': { type: 'boolean' }, 'predict-batch': { type: 'string' },
  split: { type: 'string' }, 'val-fraction': { type: 'string' }, 'block-size': { type: 'string' },
  'train-map': { type: 'string' }, 'test-map': { type: 'string' }, 'train-map-var': { type: 'string' }, 'test-map-var': { type: 'string' },
  'early-stop': { type: 'string' }, 'class-weights': { type: 'string' }, resume: { type: 'string' },
};

export function runConfigFromArgs(argv: string[]): RunConfig | 'help' | { resume: string } {
  const { values: v, positionals } = parse(argv, RUN_OPTIONS, 'run');
  if (v.help) return 'help';
  const resume = str(v, 'resume');
  if (resume !== undefined) {
    const others = Object.keys(v).filter((k) => k !== 'resume' && k !== 'backend');
    if (others.length > 0) throw new ConfigError('--resume', 'no other flags (the run keeps its own configuration)', others.map((k) => `--${k}`).join(' '));
    return { resume };
  }
  if (positionals.length > 0) throw new ConfigError('spinalnet run', 'flags only', positionals.join(' '), 'name the scene with --dataset or --cube/--gt');
  const dataDir = str(v, 'data-dir') ?? 'data';
  const cube = str(v, 'cube');
  const gt = str(v, 'gt');
  const dataset = str(v, 'dataset');
  let input: RunConfig['input'];
  if (cube !== undefined || gt !== undefined) {
    if (cube === undefined || gt === undefined) throw new ConfigError(cube === undefined ? '--cube' : '--gt', 'a MAT file (pass --cube and --gt together)', undefined);
    if (dataset !== undefined || v.demo) throw new ConfigError('--dataset', 'not with --cube/--gt', dataset ?? '--demo', 'name the scene one way: --dataset, --cube/--gt or --demo');
    input = { kind: 'files', cube, gt, cubeVar: str(v, 'cube-var'), gtVar: str(v, 'gt-var') };
  } else if (dataset !== undefined) {
    if (v.demo) throw new ConfigError('--demo', 'not with --dataset', true, 'name the scene one way');
    input = { kind: 'dataset', id: dataset, dataDir };
  } else if (v.demo) {
    input = { kind: 'demo' };
  } else {
    // The embedded default: KSC when the user has put it in data/, else the synthetic demo.
    input = existsSync(join(dataDir, 'KSC.mat')) && existsSync(join(dataDir, 'KSC_gt.mat')) ? { kind: 'dataset', id: 'ksc', dataDir } : { kind: 'demo' };
  }
  return {
    input,
    pca: num(v, 'pca', DEFAULTS.pca),
    whiten: bool(v, 'whiten', DEFAULTS.whiten),
    pcaFit: str(v, 'pca-fit') === undefined ? undefined : oneOf(v, 'pca-fit', ['scene', 'train'] as const, 'scene'),
    split: oneOf(v, 'split', SPLIT_STRATEGIES, DEFAULTS.split),
    valFraction: num(v, 'val-fraction', DEFAULTS.valFraction),
    blockSize: num(v, 'block-size'),
    trainMap: str(v, 'train-map'),
    testMap: str(v, 'test-map'),
    trainMapVar: str(v, 'train-map-var'),
    testMapVar: str(v, 'test-map-var'),
    earlyStop: num(v, 'early-stop'),
    classWeights: oneOf(v, 'class-weights', ['none', 'balanced'] as const, DEFAULTS.classWeights),
    patch: num(v, 'patch', DEFAULTS.patch),
    trainFraction: num(v, 'train-fraction', DEFAULTS.trainFraction),
    trainPerClass: num(v, 'train-per-class'),
    seed: num(v, 'seed', DEFAULTS.seed),
    model: str(v, 'model') ?? DEFAULTS.model,
    epochs: num(v, 'epochs', DEFAULTS.epochs),
    batchSize: num(v, 'batch-size', DEFAULTS.batchSize),
    learningRate: num(v, 'lr', DEFAULTS.learningRate),
    lrDropEpoch: num(v, 'lr-drop-epoch', DEFAULTS.lrDropEpoch),
    lrDropFactor: num(v, 'lr-drop-factor', DEFAULTS.lrDropFactor),
    backend: oneOf(v, 'backend', BACKEND_CHOICES, DEFAULTS.backend),
    out: str(v, 'out'),
    force: bool(v, 'force', DEFAULTS.force),
    maskBackground: bool(v, 'mask-background', DEFAULTS.maskBackground),
    predictBatch: num(v, 'predict-batch', DEFAULTS.predictBatch),
  };
}

async function runCommand(argv: string[]): Promise<number> {
  const config = runConfigFromArgs(argv);
  if (config === 'help') {
    out(RUN_HELP);
    return 0;
  }
  const hooks = { log: err, progress: true, handleSignals: true };
  let result: RunResult;
  if ('resume' in config) {
    result = await resumePipeline(config.resume, hooks);
  } else {
    if (config.input.kind === 'demo') err('no data/KSC.mat: running the built-in synthetic demo scene (see data/README.md for real scenes)');
    result = await runPipeline(config, hooks);
  }
  if (result.status === 'interrupted') {
    err(`interrupted: checkpoint saved in ${result.outDir}; continue with: spinalnet run --resume ${result.outDir}`);
    return 130;
  }
  const m = result.metrics!;
  out(`OA ${pct(m.overallAccuracy)}  AA ${pct(m.averageAccuracy)}  kappa ${m.kappa.toFixed(4)}  (${m.testPixels} test pixels)`);
  out(`outputs: ${result.outDir}`);
  return 0;
}

async function predictCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(
    argv,
    {
      help: { type: 'boolean', short: 'h' }, model: { type: 'string' }, cube: { type: 'string' }, gt: { type: 'string' },
      'cube-var': { type: 'string' }, 'gt-var': { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' },
      backend: { type: 'string' }, 'mask-background': { type: 'boolean' }, 'predict-batch': { type: 'string' },
    },
    'predict',
  );
  if (v.help) {
    out(PREDICT_HELP);
    return 0;
  }
  const need = (name: string, what: string) => {
    const s = str(v, name);
    if (s === undefined) throw new ConfigError(`--${name}`, what, undefined, `run \`spinalnet predict --help\``);
    return s;
  };
  const result = await predictPipeline(
    {
      modelDir: need('model', 'the model/ folder of a finished run'),
      cube: need('cube', 'the MAT file of the scene to map'),
      gt: str(v, 'gt'),
      cubeVar: str(v, 'cube-var'),
      gtVar: str(v, 'gt-var'),
      out: need('out', 'an output folder'),
      force: bool(v, 'force', false),
      backend: oneOf(v, 'backend', BACKEND_CHOICES, 'auto'),
      maskBackground: bool(v, 'mask-background', true),
      predictBatch: num(v, 'predict-batch', DEFAULTS.predictBatch),
    },
    err,
  );
  if (result.metrics) out(`OA ${pct(result.metrics.overallAccuracy)}  AA ${pct(result.metrics.averageAccuracy)}  kappa ${result.metrics.kappa.toFixed(4)}`);
  out(`outputs: ${result.outDir}`);
  return 0;
}

async function inspectCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } }, 'inspect');
  if (v.help) {
    out(INSPECT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError('spinalnet inspect', 'one MAT file', positionals.join(' ') || 'nothing', 'run `spinalnet inspect FILE.mat`');
  const vars = listMatVariables(positionals[0]!);
  if (v.json) out(JSON.stringify(vars.map((x) => ({ name: x.name, class: x.class, dims: x.dims })), null, 2));
  else for (const x of vars) out(`${x.name}\t${x.class}${x.complex ? ' (complex)' : ''}\t${x.dims.join('×')}`);
  return 0;
}

async function downloadCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, { help: { type: 'boolean', short: 'h' }, 'data-dir': { type: 'string' } }, 'download');
  if (v.help) {
    out(DOWNLOAD_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError('spinalnet download', 'one scene name', positionals.join(' ') || 'nothing', 'run `spinalnet download --help` for the names');
  const dataDir = str(v, 'data-dir') ?? 'data';
  const result = await downloadDataset(positionals[0]!, { dataDir });
  for (const f of result.skipped) out(`already present and verified: ${f}`);
  for (const f of result.downloaded) out(`downloaded and verified: ${f}`);
  return 0;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  predict: predictCommand,
  inspect: inspectCommand,
  download: downloadCommand,
};

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(MAIN_HELP);
    return command === undefined ? 2 : 0;
  }
  const fn = COMMANDS[command];
  if (!fn) {
    err(`error: unknown command '${command}'\n  fix: use one of ${Object.keys(COMMANDS).join(', ')} (spinalnet --help)`);
    return 2;
  }
  try {
    return await fn(rest);
  } catch (e) {
    if (e instanceof SpinalnetError) {
      err(`error: ${e.message}\n  fix: ${e.fix}`);
      return 2;
    }
    err(`internal error (please report it): ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}
