/** Messages between the parallel predictor and its worker threads. */
import type { BackendChoice } from '../../backend/selectBackend.ts';

/** workerData of each prediction worker. */
export interface WorkerSetup {
  /** tfjs backend to run in the worker (the parent's). */
  backend: BackendChoice;
  /** tf.io model artifacts of the model to run (topology and weights). */
  artifacts: unknown;
  /** The cube, BIP float32, in shared memory: every worker reads the same copy. */
  cube: { height: number; width: number; bands: number; data: SharedArrayBuffer };
  /** Pixels to classify (row-major indices), shared; absent = every pixel of the cube. */
  pixels?: SharedArrayBuffer;
  patch: number;
  batchSize: number;
  /** Where the worker writes class indices (Int32Array over this buffer, one per sample). */
  out: SharedArrayBuffer;
  /** When asked: the winning class's softmax probability (Float32Array, one per sample). */
  confidence?: SharedArrayBuffer;
  /** When asked: every class's probability (Float32Array, sample-major, samples × classes). */
  probabilities?: SharedArrayBuffer;
}

/** Parent → worker: classify samples start … end − 1, or stop. */
export type WorkerCommand = { kind: 'range'; start: number; end: number } | { kind: 'stop' };

/** Worker → parent. */
export type WorkerReport =
  | { kind: 'ready' }
  | { kind: 'done'; start: number; end: number }
  | { kind: 'error'; message: string };
