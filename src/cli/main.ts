/**
 * The `spinalnet` command line: parses flags into typed configs and calls the library. Errors a user
 * can cause print one message and the fix, and exit 2; anything else is a bug and prints its stack.
 */
import { BACKEND_CHOICES } from '../backend/selectBackend.ts';
import { ConfigError, SpinalnetError } from '../core/errors.ts';
import { formatInspection } from '../io/mat/inspect.ts';
import { formatRaster, inspectFile } from '../io/raster/inspectRaster.ts';
import { DEFAULTS } from '../pipeline/config.ts';
import { predictPipeline, PredictStopped, type PredictConfig } from '../pipeline/predictPipeline.ts';
import { resumePipeline, runPipeline, type RunResult } from '../pipeline/runPipeline.ts';
import { pct } from '../pipeline/sceneOutputs.ts';
import { downloadDataset } from '../scene/download.ts';
import { bool, num, oneOf, parse, str } from './args.ts';
import { experimentCommand } from './experimentCommand.ts';
import { mapFormatsFrom, memoryFlags, runConfigFromArgs, threadFlags } from './runArgs.ts';
import { rowProgressLines } from '../util/rowProgress.ts';
import { DOWNLOAD_HELP, INSPECT_HELP, MAIN_HELP, PREDICT_HELP, RUN_HELP } from './help.ts';
import { INFERENCE_ENGINES, PRECISION_CHOICES } from '../inference/parallel/parallelPredict.ts';

const err = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

async function runCommand(argv: string[]): Promise<number> {
  const config = runConfigFromArgs(argv);
  if (config === 'help') {
    out(RUN_HELP);
    return 0;
  }
  const hooks = { log: err, progress: true, handleSignals: true, scanProgress: rowProgressLines(err) };
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
  const m = result.metrics;
  if (m) out(`OA ${pct(m.overallAccuracy)}  AA ${pct(m.averageAccuracy)}  kappa ${m.kappa.toFixed(4)}  (${m.testPixels} test pixels)`);
  else out(`no test pixels: estimate the map's accuracy and areas from a sample (spinalnet sample ${result.outDir} --size N --out samples.gpkg, label it, then spinalnet assess)`);
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
      'predict-workers': { type: 'string' }, inference: { type: 'string' }, precision: { type: 'string' },
      'map-format': { type: 'string' }, probabilities: { type: 'boolean' }, queue: { type: 'string' }, 'tile-rows': { type: 'string' },
      'memory-limit': { type: 'string' }, 'tile-size': { type: 'string' }, threads: { type: 'string' },
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
  const tileRows = num(v, 'tile-rows', 64);
  if (!Number.isInteger(tileRows) || tileRows < 1) throw new ConfigError('--tile-rows', 'an integer ≥ 1', tileRows);
  const queue = str(v, 'queue');
  const predictConfig: PredictConfig = {
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
    predictWorkers: threadFlags(v).predictWorkers,
    inference: oneOf(v, 'inference', INFERENCE_ENGINES, DEFAULTS.inference),
    precision: oneOf(v, 'precision', PRECISION_CHOICES, DEFAULTS.precision),
    mapFormats: mapFormatsFrom(v),
    probabilities: bool(v, 'probabilities', DEFAULTS.probabilities),
    ...memoryFlags(v),
  };
  // The queue's code (bullmq, ioredis) loads only when asked for.
  let result;
  try {
    result = queue !== undefined
      ? await (await import('./queueCommand.ts')).predictOnQueue(queue, predictConfig, tileRows, err)
      : await predictPipeline(predictConfig, err, undefined, rowProgressLines(err), { handleSignals: true });
  } catch (e) {
    if (!(e instanceof PredictStopped)) throw e;
    err(`interrupted: ${e.message}`);
    return 130;
  }
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
  if (positionals.length !== 1) throw new ConfigError('spinalnet inspect', 'one scene file', positionals.join(' ') || 'nothing', 'run `spinalnet inspect FILE` (.mat, ENVI .hdr, .tif)');
  // MAT: each numeric variable is read once for its min and max (src/io/mat/inspect.ts); ENVI/GeoTIFF: the header only.
  const found = await inspectFile(positionals[0]!);
  if (v.json) out(JSON.stringify('variables' in found ? found.variables : found.raster, jsonValue, 2));
  else for (const line of 'variables' in found ? formatInspection(found.variables) : formatRaster(found.raster)) out(line);
  return 0;
}

/** JSON for typed arrays (wavelengths) as plain arrays. */
function jsonValue(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
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
  experiment: experimentCommand,
  image: async (argv) => (await import('./imageCommand.ts')).imageCommand(argv),
  worker: async (argv) => (await import('./workerCommand.ts')).workerCommand(argv),
  view: async (argv) => (await import('./viewCommand.ts')).viewCommand(argv),
  sample: async (argv) => (await import('./assessmentCommands.ts')).sampleCommand(argv),
  suggest: async (argv) => (await import('./assessmentCommands.ts')).suggestCommand(argv),
  assess: async (argv) => (await import('./assessmentCommands.ts')).assessCommand(argv),
  backends: async (argv) => (await import('./backendsCommand.ts')).backendsCommand(argv, out),
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
