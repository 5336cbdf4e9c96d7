/**
 * Where a training run stands, as plain data: enough to continue it exactly (the position, the running
 * sums of the current epoch, the history, the best epoch so far, the model's and Adam's weights).
 * Random streams are derived from (seed, epoch, batch), so no generator state is needed.
 * `saveTrainState`/`loadTrainState` write it as a folder: state.json + one binary file of float32s.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError } from '../core/errors.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import type { EpochStats } from './trainModel.ts';

export interface WeightArray {
  name?: string;
  shape: number[];
  values: Float32Array;
}

export interface TrainState {
  /** The epoch to run next (1-based) and the batch within it. */
  epoch: number;
  batch: number;
  /** Sums over the batches of the current epoch done so far. */
  lossSum: number;
  correct: number;
  /** Seconds already spent in the current epoch before an interruption. */
  partialSeconds: number;
  learningRate: number;
  history: EpochStats[];
  best?: { epoch: number; valAccuracy: number; valLoss: number; weights: Float32Array[] };
  epochsSinceBest: number;
  modelWeights: WeightArray[];
  /** Adam's iteration count and moments, in tfjs's getWeights() order. */
  optimizerWeights: WeightArray[];
  /** Adam's running beta1^t and beta2^t. */
  adamPowers?: [number, number];
}

interface StoredArray {
  name?: string;
  shape: number[];
  offset: number;
  length: number;
}

const KIND = 'spinalnet-checkpoint';
const FIX = 'resume from a run folder whose checkpoint/ was written by spinalnet, or start the run again';

/** The state as JSON plus one buffer of float32s (what a checkpoint folder or a queue's store holds). */
export function encodeTrainState(state: TrainState): { json: string; weights: Uint8Array } {
  const arrays: Float32Array[] = [];
  let offset = 0;
  const store = (values: Float32Array, shape: number[], name?: string): StoredArray => {
    arrays.push(values);
    const s = { name, shape, offset, length: values.length };
    offset += values.length;
    return s;
  };
  const json = {
    kind: KIND,
    version: 1,
    ...state,
    best: state.best && { ...state.best, weights: state.best.weights.map((w) => store(w, [w.length])) },
    modelWeights: state.modelWeights.map((w) => store(w.values, w.shape, w.name)),
    optimizerWeights: state.optimizerWeights.map((w) => store(w.values, w.shape, w.name)),
  };
  const bin = new Float32Array(offset);
  let o = 0;
  for (const a of arrays) {
    bin.set(a, o);
    o += a.length;
  }
  return { json: JSON.stringify(json), weights: new Uint8Array(bin.buffer) };
}

/** Writes the state into `dir` (replaced whole: written beside it, then renamed). */
export function saveTrainState(dir: string, state: TrainState): void {
  const { json, weights } = encodeTrainState(state);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileAtomic(join(tmp, 'weights.bin'), weights);
  writeFileAtomic(join(tmp, 'state.json'), json);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

export function loadTrainState(dir: string): TrainState {
  if (!existsSync(join(dir, 'state.json')) || !existsSync(join(dir, 'weights.bin'))) {
    throw new InputFileError(dir, 'no checkpoint here (state.json and weights.bin missing)', FIX);
  }
  return decodeTrainState(readFileSync(join(dir, 'state.json'), 'utf8'), readFileSync(join(dir, 'weights.bin')), dir);
}

/** The inverse of encodeTrainState; `where` names the checkpoint in errors. */
export function decodeTrainState(text: string, raw: Uint8Array, where: string): TrainState {
  const fix = FIX;
  let json: Omit<TrainState, 'modelWeights' | 'optimizerWeights' | 'best'> & {
    kind: string;
    modelWeights: StoredArray[];
    optimizerWeights: StoredArray[];
    best?: { epoch: number; valAccuracy: number; valLoss: number; weights: StoredArray[] };
  };
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(join(where, 'state.json'), `not valid JSON (${(err as Error).message})`, fix);
  }
  if (json.kind !== KIND) throw new InputFileError(join(where, 'state.json'), 'not a spinalnet checkpoint', fix);
  const bin = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const load = (s: StoredArray): WeightArray => {
    if (s.offset + s.length > bin.length) throw new InputFileError(join(where, 'weights.bin'), 'shorter than state.json says', fix);
    return { name: s.name, shape: s.shape, values: bin.slice(s.offset, s.offset + s.length) };
  };
  return {
    epoch: json.epoch,
    batch: json.batch,
    lossSum: json.lossSum,
    correct: json.correct,
    partialSeconds: json.partialSeconds,
    learningRate: json.learningRate,
    history: json.history,
    epochsSinceBest: json.epochsSinceBest,
    adamPowers: json.adamPowers,
    best: json.best && { ...json.best, weights: json.best.weights.map((w) => load(w).values) },
    modelWeights: json.modelWeights.map(load),
    optimizerWeights: json.optimizerWeights.map(load),
  };
}
