/**
 * The typed configuration of a `spinalnet run`, its defaults (the SpinalNet paper's KSC protocol) and
 * its validation. The CLI only parses flags into this; the library can be driven with it directly.
 */
import type { BackendChoice } from '../backend/selectBackend.ts';
import { checkInteger, ConfigError } from '../core/errors.ts';
import { MODELS } from '../models/registry.ts';
import { checkEngineForBackend } from '../onnx/onnxRuntime.ts';
import { SPLIT_STRATEGIES, type SplitStrategy } from '../sampling/makeSplit.ts';
import { INFERENCE_ENGINES, type InferenceEngine, PRECISION_CHOICES, type PrecisionChoice } from '../inference/parallel/parallelPredict.ts';
import { TRAINING_ENGINES, type TrainingEngine } from '../training/trainModel.ts';
import { checkTrainingForBackend } from '../training/engines/selectEngine.ts';
import type { GeoReference } from '../core/types.ts';
import { checkMapFormats, type MapFormat } from './gisMaps.ts';

export interface RunConfig {
  /** Where the scene comes from: a registry dataset in `dataDir`, explicit files, or the built-in demo. */
  input:
    | { kind: 'dataset'; id: string; dataDir: string }
    // gt may be absent only with trainVector: the classes then come from the vectors.
    | { kind: 'files'; cube: string; gt?: string; cubeVar?: string; gtVar?: string }
    // georef: library use only (no flag): places the synthetic demo on the ground, for tests of the GIS outputs.
    | { kind: 'demo'; georef?: GeoReference };
  /** Principal components kept (the paper: 30). */
  pca: number;
  /**
   * Most bytes the scene's arrays may take (`--memory-limit`; src/scene/memoryPlan.ts says what is
   * counted). Default: 75% of the machine's (or container's) memory.
   */
  memoryLimit?: number;
  /** Rows per window when reading the scene and per band when mapping it (`--tile-size`). Default: as many as fit. */
  tileSize?: number;
  /** Divide each component by its standard deviation (the paper: yes). */
  whiten: boolean;
  /**
   * Fit PCA on every pixel of the scene (the paper) or on the training pixels only. Default: 'scene'
   * under the random split (the paper's protocol), 'train' under every other split (no test pixel
   * shapes the features).
   */
  pcaFit?: 'scene' | 'train';
  /** Patch side, odd (the paper: 15). Spectral models use 1. */
  patch: number;
  /** How labelled pixels are divided (the paper: random). */
  split: SplitStrategy;
  /** `random`: stratified share of each class for training (the paper: 0.8); `blocks`: target share. */
  trainFraction: number;
  /** `per-class`: training pixels per class. */
  trainPerClass?: number;
  /** Share of the training side held out for validation (best epoch kept); 0 = none (the paper). */
  valFraction: number;
  /** `blocks`: block side in pixels. */
  blockSize?: number;
  /** `maps`: label maps (MAT files) of the training and test pixels, and their variables. */
  trainMap?: string;
  testMap?: string;
  trainMapVar?: string;
  testMapVar?: string;
  /**
   * Reference polygons or points digitised in a GIS (GeoPackage, shapefile, GeoJSON): the training
   * features' pixels train (`--train-vector`), the test features' pixels test (`--test-vector`); the
   * split is then `maps` (the layers' pixels) or `polygons` (whole polygons of the training layer).
   */
  trainVector?: string;
  testVector?: string;
  /** The layer, for vector files holding several (`--layer`). */
  vectorLayer?: string;
  /** The attribute holding each feature's class, a name or an integer code (`--class-field`, default 'class'). */
  classField?: string;
  /** Stop when validation accuracy has not improved for this many epochs (needs valFraction > 0). */
  earlyStop?: number;
  /**
   * A finished run's folder whose saved model gives the initial weights (`--init-from`): same model and
   * patch, its PCA reused (so the features match), classes matched by name, a new class an added output.
   */
  initFrom?: string;
  /** 'balanced' weights each class's loss by inverse frequency. */
  classWeights: 'none' | 'balanced';
  /** Seeds the split, the initial weights, dropout and the batch order (the paper's split: 345). */
  seed: number;
  model: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** The learning rate is divided by `lrDropFactor` after this many epochs (the paper: 2 and 3); 0 = never. */
  lrDropEpoch: number;
  lrDropFactor: number;
  backend: BackendChoice;
  /** XNNPACK threads of the wasm backend (default 1): faster on an idle machine, slower on a busy one. */
  wasmThreads?: number;
  /** Output folder; default outputs/<dataset>-<timestamp>. */
  out?: string;
  /** Replace an existing output folder. */
  force: boolean;
  /** Black (PNG) / nodata (GeoTIFF, ENVI) where the scene has no label, in the classification maps. */
  maskBackground: boolean;
  /** Class-map formats beside the PNG: the GeoTIFF always; 'envi' adds an ENVI classification. */
  mapFormats: MapFormat[];
  /** Also write probabilities.tif: every class's softmax probability, one float32 band per class. */
  probabilities: boolean;
  /** Samples per forward pass when mapping the scene. */
  predictBatch: number;
  /** Worker threads (tfjs) or intra-op threads (onnxruntime) for the full-scene map; default one per core (shared as trainThreads is). */
  predictWorkers?: number;
  /** Who maps the scene: onnxruntime when it is installed and the model exports ('auto'), or tfjs. */
  inference: InferenceEngine;
  /**
   * The map's arithmetic: 'int8' (onnxruntime, calibrated on a seeded subset of the training patches),
   * 'float32', or 'auto' (int8 where onnxruntime maps on a CPU with VNNI, else float32).
   */
  precision: PrecisionChoice;
  /** Who computes the training gradients (src/training/engines/selectEngine.ts): 'auto' takes libtorch, then onnxruntime, then tfjs. */
  training: TrainingEngine;
  /**
   * Threads of the training gradients' engine (libtorch, onnxruntime); default one per core (experiments side by
   * side and queue workers: the cores divided among the runs that share them).
   */
  trainThreads?: number;
}

export const DEFAULTS: Omit<RunConfig, 'input'> = {
  pca: 30,
  whiten: true,
  patch: 15,
  split: 'random',
  trainFraction: 0.8,
  valFraction: 0,
  classWeights: 'none',
  seed: 345,
  model: 'spinal-cnn',
  epochs: 16,
  batchSize: 16,
  learningRate: 1e-3,
  lrDropEpoch: 2,
  lrDropFactor: 3,
  backend: 'auto',
  force: false,
  maskBackground: true,
  mapFormats: ['tif'],
  probabilities: false,
  predictBatch: 512,
  inference: 'auto',
  // int8 where the CPU has VNNI: test/inference/int8Bar.test.ts checks the bar on Samson, SalinasA and KSC-shaped.
  precision: 'auto',
  training: 'auto',
};

/** Training share of the built-in demo scene unless --train-fraction is given (keeps `npm start` short). */
export const DEMO_TRAIN_FRACTION = 0.2;

/** Where PCA is fitted for this configuration (see RunConfig.pcaFit). */
export const pcaFitOf = (c: Pick<RunConfig, 'pcaFit' | 'split'>): 'scene' | 'train' => c.pcaFit ?? (c.split === 'random' ? 'scene' : 'train');

/** Throws a ConfigError naming the first option out of range. */
export function validateConfig(config: RunConfig): void {
  const int = checkInteger;
  int('--pca', config.pca, 1);
  if (config.memoryLimit !== undefined) int('--memory-limit', config.memoryLimit, 1);
  if (config.tileSize !== undefined) int('--tile-size', config.tileSize, 1);
  int('--epochs', config.epochs, 1);
  int('--batch-size', config.batchSize, 1);
  int('--predict-batch', config.predictBatch, 1);
  checkMapFormats(config.mapFormats);
  if (!INFERENCE_ENGINES.includes(config.inference)) throw new ConfigError('--inference', `one of ${INFERENCE_ENGINES.join(', ')}`, config.inference);
  if (!TRAINING_ENGINES.includes(config.training)) throw new ConfigError('--training', `one of ${TRAINING_ENGINES.join(', ')}`, config.training);
  checkEngineForBackend(config.backend, '--inference', config.inference);
  checkPrecision(config.precision, config.inference, config.backend);
  checkTrainingForBackend(config.backend, config.training);
  if (config.predictWorkers !== undefined) int('--predict-workers', config.predictWorkers, 0);
  if (config.trainThreads !== undefined) int('--train-threads', config.trainThreads, 1);
  if (config.wasmThreads !== undefined) int('--wasm-threads', config.wasmThreads, 1);
  int('--lr-drop-epoch', config.lrDropEpoch, 0);
  if (!Number.isSafeInteger(config.seed)) throw new ConfigError('--seed', 'an integer', config.seed);
  if (!(config.learningRate > 0 && Number.isFinite(config.learningRate))) throw new ConfigError('--lr', 'a positive number', config.learningRate);
  if (!(config.lrDropFactor >= 1)) throw new ConfigError('--lr-drop-factor', 'a number ≥ 1', config.lrDropFactor);
  if (!SPLIT_STRATEGIES.includes(config.split)) throw new ConfigError('--split', `one of ${SPLIT_STRATEGIES.join(', ')}`, config.split);
  if (!(config.trainFraction > 0 && config.trainFraction < 1)) throw new ConfigError('--train-fraction', 'a number between 0 and 1 (exclusive)', config.trainFraction);
  if (config.trainPerClass !== undefined) int('--train-per-class', config.trainPerClass, 1);
  if (config.split === 'per-class' && config.trainPerClass === undefined) throw new ConfigError('--train-per-class', 'a count with --split per-class', undefined);
  if (config.split === 'maps' && config.trainMap === undefined && config.trainVector === undefined) throw new ConfigError('--train-map', 'a MAT file of training labels with --split maps', undefined);
  if (config.trainVector !== undefined) {
    if (config.split !== 'maps' && config.split !== 'polygons') {
      throw new ConfigError('--split', "'maps' (the layer's pixels train) or 'polygons' (whole polygons held out) with --train-vector", config.split);
    }
    if (config.trainMap !== undefined) throw new ConfigError('--train-map', 'not with --train-vector', config.trainMap, 'give the training pixels one way');
  } else {
    if (config.split === 'polygons') throw new ConfigError('--split', 'polygons only with --train-vector', 'polygons', 'pass the training polygons with --train-vector FILE');
    if (config.testVector !== undefined) throw new ConfigError('--test-vector', 'with --train-vector', config.testVector, 'pass the training layer too (--train-vector FILE)');
    if (config.input.kind === 'files' && config.input.gt === undefined) throw new ConfigError('--gt', 'a label map (or reference polygons with --train-vector)', undefined);
  }
  if (!(config.valFraction >= 0 && config.valFraction < 1)) throw new ConfigError('--val-fraction', 'a number in [0, 1)', config.valFraction);
  if (config.blockSize !== undefined) int('--block-size', config.blockSize, 1);
  if (config.earlyStop !== undefined) {
    int('--early-stop', config.earlyStop, 1);
    if (config.valFraction === 0) throw new ConfigError('--early-stop', 'a validation set: pass --val-fraction too', config.earlyStop);
  }
  if (config.classWeights !== 'none' && config.classWeights !== 'balanced') throw new ConfigError('--class-weights', "'none' or 'balanced'", config.classWeights);
  if (!MODELS.some((m) => m.id === config.model)) throw new ConfigError('--model', `one of ${MODELS.map((m) => m.id).join(', ')}`, config.model);
  if (!Number.isInteger(config.patch) || config.patch < 1 || config.patch % 2 === 0) throw new ConfigError('--patch', 'an odd positive integer (e.g. 15)', config.patch);
  if (config.pcaFit !== undefined && config.pcaFit !== 'scene' && config.pcaFit !== 'train') throw new ConfigError('--pca-fit', "'scene' or 'train'", config.pcaFit);
}

/**
 * Throws a ConfigError for a --precision that is not a choice, or int8 with a map that never runs on onnxruntime
 * (--inference tfjs, or --backend webgpu, whose maps stay on the GPU): refused before training, not after.
 */
export function checkPrecision(precision: PrecisionChoice, inference: InferenceEngine | undefined, backend?: string): void {
  if (!PRECISION_CHOICES.includes(precision)) throw new ConfigError('--precision', `one of ${PRECISION_CHOICES.join(', ')}`, precision);
  if (precision !== 'int8') return;
  if (inference === 'tfjs') {
    throw new ConfigError('--precision', "'float32' or 'auto' with --inference tfjs (int8 maps run on onnxruntime)", precision, 'drop --inference tfjs, or use --precision float32');
  }
  if (backend === 'webgpu') {
    throw new ConfigError('--precision', "'float32' or 'auto' with --backend webgpu (int8 maps run on onnxruntime, on the CPU)", precision, 'use --backend wasm, or --precision float32');
  }
}
