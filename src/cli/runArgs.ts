/** Parses `spinalnet run` flags into a RunConfig (also the shared protocol of `experiment`). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_CHOICES } from '../backend/selectBackend.ts';
import { ConfigError } from '../core/errors.ts';
import { checkThreads } from '../core/threads.ts';
import { DEFAULTS, DEMO_TRAIN_FRACTION, type RunConfig } from '../pipeline/config.ts';
import { SPLIT_STRATEGIES } from '../sampling/makeSplit.ts';
import { parseMapFormats } from '../pipeline/gisMaps.ts';
import { parseSize, parseTileSize } from '../scene/memoryPlan.ts';
import { bool, num, oneOf, parse, str, type Options, type Values } from './args.ts';
import { INFERENCE_ENGINES, PRECISION_CHOICES } from '../inference/parallel/parallelPredict.ts';
import { TRAINING_ENGINES } from '../training/trainModel.ts';

const RUN_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  dataset: { type: 'string' }, 'data-dir': { type: 'string' }, demo: { type: 'boolean' },
  cube: { type: 'string' }, gt: { type: 'string' }, 'cube-var': { type: 'string' }, 'gt-var': { type: 'string' },
  pca: { type: 'string' }, whiten: { type: 'boolean' }, 'pca-fit': { type: 'string' }, patch: { type: 'string' },
  'train-fraction': { type: 'string' }, 'train-per-class': { type: 'string' }, seed: { type: 'string' },
  model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
  'lr-drop-epoch': { type: 'string' }, 'lr-drop-factor': { type: 'string' }, backend: { type: 'string' },
  out: { type: 'string' }, force: { type: 'boolean' }, 'mask-background': { type: 'boolean' }, 'predict-batch': { type: 'string' },
  'map-format': { type: 'string' }, probabilities: { type: 'boolean' },
  split: { type: 'string' }, 'val-fraction': { type: 'string' }, 'block-size': { type: 'string' },
  'train-map': { type: 'string' }, 'test-map': { type: 'string' }, 'train-map-var': { type: 'string' }, 'test-map-var': { type: 'string' },
  'early-stop': { type: 'string' }, 'predict-workers': { type: 'string' }, inference: { type: 'string' }, precision: { type: 'string' }, training: { type: 'string' }, 'wasm-threads': { type: 'string' }, 'class-weights': { type: 'string' }, resume: { type: 'string' },
  'memory-limit': { type: 'string' }, 'tile-size': { type: 'string' },
  'train-vector': { type: 'string' }, 'test-vector': { type: 'string' }, layer: { type: 'string' }, 'class-field': { type: 'string' },
  threads: { type: 'string' }, 'train-threads': { type: 'string' }, 'init-from': { type: 'string' },
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
  const trainVector = str(v, 'train-vector');
  if (cube !== undefined || gt !== undefined) {
    if (cube === undefined) throw new ConfigError('--cube', 'the scene\'s cube with --gt', undefined, 'pass --cube FILE (MAT, ENVI or GeoTIFF)');
    if (gt === undefined && trainVector === undefined) throw new ConfigError('--gt', 'a label map with --cube (or reference polygons: --train-vector FILE)', undefined);
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
    ...memoryFlags(v),
    whiten: bool(v, 'whiten', DEFAULTS.whiten),
    pcaFit: str(v, 'pca-fit') === undefined ? undefined : oneOf(v, 'pca-fit', ['scene', 'train'] as const, 'scene'),
    // With reference vectors the layer's pixels train unless --split polygons holds whole polygons out.
    split: oneOf(v, 'split', SPLIT_STRATEGIES, trainVector !== undefined ? 'maps' : DEFAULTS.split),
    trainVector,
    testVector: str(v, 'test-vector'),
    vectorLayer: str(v, 'layer'),
    classField: str(v, 'class-field'),
    valFraction: num(v, 'val-fraction', DEFAULTS.valFraction),
    blockSize: num(v, 'block-size'),
    trainMap: str(v, 'train-map'),
    testMap: str(v, 'test-map'),
    trainMapVar: str(v, 'train-map-var'),
    testMapVar: str(v, 'test-map-var'),
    earlyStop: num(v, 'early-stop'),
    initFrom: str(v, 'init-from'),
    classWeights: oneOf(v, 'class-weights', ['none', 'balanced'] as const, DEFAULTS.classWeights),
    patch: num(v, 'patch', DEFAULTS.patch),
    // The demo trains on a fifth of its pixels so that `npm start` finishes in a few minutes on 2 cores.
    trainFraction: num(v, 'train-fraction', input.kind === 'demo' ? DEMO_TRAIN_FRACTION : DEFAULTS.trainFraction),
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
    mapFormats: mapFormatsFrom(v),
    probabilities: bool(v, 'probabilities', DEFAULTS.probabilities),
    predictBatch: num(v, 'predict-batch', DEFAULTS.predictBatch),
    ...threadFlags(v),
    inference: oneOf(v, 'inference', INFERENCE_ENGINES, DEFAULTS.inference),
    precision: oneOf(v, 'precision', PRECISION_CHOICES, DEFAULTS.precision),
    training: oneOf(v, 'training', TRAINING_ENGINES, DEFAULTS.training),
    wasmThreads: num(v, 'wasm-threads'),
  };
}

/**
 * --threads N (run, experiment, predict): the threads of the training engine and of the map, unless
 * --train-threads or --predict-workers name their own. Absent: each stage takes one per core.
 */
export function threadFlags(v: Values): { trainThreads?: number; predictWorkers?: number } {
  const threads = checkThreads('--threads', num(v, 'threads'));
  const train = checkThreads('--train-threads', num(v, 'train-threads')) ?? threads;
  const predict = num(v, 'predict-workers') ?? threads;
  return { ...(train !== undefined && { trainThreads: train }), ...(predict !== undefined && { predictWorkers: predict }) };
}

/** --map-format LIST (run and predict): the class-map formats, default ['tif']. */
export function mapFormatsFrom(v: Values): RunConfig['mapFormats'] {
  const list = str(v, 'map-format');
  return list === undefined ? [...DEFAULTS.mapFormats] : parseMapFormats(list);
}

/** --memory-limit SIZE and --tile-size N (run, experiment and predict), parsed once here. */
export function memoryFlags(v: Values): { memoryLimit?: number; tileSize?: number } {
  const limit = str(v, 'memory-limit');
  const tile = str(v, 'tile-size');
  return {
    ...(limit !== undefined && { memoryLimit: parseSize(limit) }),
    ...(tile !== undefined && { tileSize: parseTileSize(tile) }),
  };
}
