/**
 * Gradients of a training step on libtorch's CPU kernels (what PyTorch runs: oneDNN convolutions on
 * OpenMP threads), through the native addon in native/libtorch, applied by the model's tfjs optimizer as
 * with onnxruntime (../gradientStep.ts). Optional: the addon is built at install time where libtorch's
 * headers are (Debian: libtorch-dev); without it, this says why and the trainer uses onnxruntime.
 *
 * Why: onnxruntime's batch-64 step stayed below PyTorch's on two cores however its graph was written
 * (docs/performance.md#what-was-tried-and-what-holds); libtorch's is PyTorch's own.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { machineBusy, openmpWaitEnv } from '../../../core/threads.ts';
import { UnsupportedModelError } from '../../../onnx/layers.ts';
import { heapView } from '../../../backend/wasmHeap.ts';
import { dropoutMultiplier } from '../dropoutMask.ts';
import { applyStep, freshMemory, type NativeGradientStep, type StepGradients } from '../gradientStep.ts';
import { buildTorchProgram, type TorchProgram } from './torchProgram.ts';

/** The addon's functions (torch_step.cc). */
export interface TorchAddon {
  version(): string;
  /** Waits for a running step to finish and starts no other (at exit). */
  drain(): void;
  create(code: Float64Array, weightShapes: number[][], threads: number): object;
  step(
    program: object, x: Float32Array, xShape: number[], labels: Int32Array, sampleWeights: Float32Array,
    masks: Float32Array[], weights: Float32Array[], grads: Float32Array[], means: Float32Array[], variances: Float32Array[],
    logits: Float32Array, loss: Float32Array,
  ): Promise<void>;
  /** A training state for `program` (zero until load()); see residentStep.ts. */
  trainer(program: object, maskRates: Float64Array, norms: Float64Array, adam: Float64Array): object;
  load(trainer: object, weights: Float32Array[], m: (Float32Array | null)[], v: (Float32Array | null)[], powers: Float32Array, means: Float32Array[], variances: Float32Array[]): void;
  store(trainer: object, weights: Float32Array[], m: Float32Array[], v: Float32Array[], powers: Float32Array, means: Float32Array[], variances: Float32Array[]): void;
  trainStep(
    program: object, trainer: object, x: Float32Array, xShape: number[], labels: Int32Array, sampleWeights: Float32Array,
    maskSeeds: Float64Array, learningRate: number, logits: Float32Array, loss: Float32Array,
  ): Promise<void>;
}

export const LIBTORCH_ADDON = fileURLToPath(new URL('../../../../native/libtorch/build/Release/torch_step.node', import.meta.url));
export const LIBTORCH_HOW_TO = "install libtorch's headers (Debian: apt-get install libtorch-dev), then npm run build:libtorch";

let loaded: TorchAddon | string | undefined;

/** The addon, or why it cannot be loaded. */
export function loadLibtorch(): TorchAddon | string {
  if (loaded !== undefined) return loaded;
  // libgomp reads its wait policy once, when the addon loads it; Node's process.env writes reach getenv.
  // A process that shares the machine (busy now, or marked by waitPassively) makes OpenMP wait passively.
  Object.assign(process.env, openmpWaitEnv(process.env, machineBusy()));
  try {
    const addon = createRequire(import.meta.url)(LIBTORCH_ADDON) as TorchAddon;
    // process.exit() during a step (a second Ctrl-C, a worker's shutdown) would otherwise destroy libtorch's
    // static objects under the running step: a segmentation fault instead of the exit code.
    process.once('exit', () => addon.drain());
    loaded = addon;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    loaded = code === 'MODULE_NOT_FOUND'
      ? 'the libtorch step is not built (native/libtorch)'
      : `the libtorch step does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  return loaded;
}

/** How OpenMP's threads wait between parallel regions in this process, as run.json names it. */
export function openmpWait(): string {
  const { OMP_WAIT_POLICY: policy, GOMP_SPINCOUNT: spin } = process.env;
  if (spin !== undefined) return `OpenMP spin count ${spin}`;
  return `OpenMP waits ${policy?.toLowerCase() ?? 'active'}`;
}

/**
 * A gradient step for `model` on `threads` cores, or a string saying why there is none (addon missing,
 * or a layer the program writer does not translate).
 */
/** The model's forward program, written and handed to the addon on `threads`; or why it cannot be. */
export function openTorchProgram(
  addon: TorchAddon, model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number, threads: number,
): { program: TorchProgram; handle: ReturnType<TorchAddon['create']> } | string {
  let program: TorchProgram;
  try {
    program = buildTorchProgram(model, sampleShape, numClasses);
  } catch (err) {
    if (!(err instanceof UnsupportedModelError)) throw err;
    return `the model's training step cannot be written for libtorch: ${err.message}`;
  }
  return { program, handle: addon.create(program.code, program.weights.map((w) => w.shape as number[]), threads) };
}

export function createLibtorchGradientStep(
  model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number, threads: number,
): NativeGradientStep | string {
  const addon = loadLibtorch();
  if (typeof addon === 'string') return addon;
  const opened = openTorchProgram(addon, model, sampleShape, numClasses, threads);
  if (typeof opened === 'string') return opened;
  const { program, handle } = opened;
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const sizes = program.weights.map((w) => w.shape.reduce((a: number, d) => a * d!, 1));
  const variables = () => program.weights.map((w) => w.read() as tf.Variable);

  // run() reuses one set of gradient buffers (applyStep has used them before the next step); gradients()
  // hands out fresh ones, which its caller may keep.
  const reused = sizes.map((size) => new Float32Array(size));
  const compute = async (x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array, out: Float32Array[]): Promise<StepGradients> => {
    const sampleWeights = new Float32Array(n);
    for (let i = 0; i < n; i++) sampleWeights[i] = classWeights[labels[i]!]!;
    // In forward order, as the tfjs step draws them.
    const masks = program.masks.map((m) => dropoutMultiplier(m.noiseShape(n).reduce((a, v) => a * v, 1), m.rate));
    // On wasm, views of its heap (no copy; nothing allocates there until the step has finished), else copies.
    const weights = program.weights.map((w) => heapView(w.read()) ?? (w.read().dataSync() as Float32Array));
    const means = program.batchNorms.map((b) => new Float32Array(b.channels));
    const variances = program.batchNorms.map((b) => new Float32Array(b.channels));
    const logits = new Float32Array(n * numClasses);
    const loss = new Float32Array(1);
    await addon.step(handle, x.subarray(0, n * per), [n, ...sampleShape], labels.subarray(0, n), sampleWeights, masks, weights, out, means, variances, logits, loss);
    return {
      loss: loss[0]!,
      logits,
      gradients: new Map(variables().map((v, i) => [v.name, out[i]!])),
      batchStats: means.map((mean, i) => ({ mean, variance: variances[i]! })),
    };
  };
  const gradients = (x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array) =>
    compute(x, n, labels, classWeights, sizes.map((size) => new Float32Array(size)));
  return {
    description: `libtorch ${addon.version()}, ${threads} thread${threads === 1 ? '' : 's'}${threads > 1 ? `, ${openmpWait()}` : ''}`,
    threads,
    gradients,
    async run(x, n, labels, classWeights, optimizer) {
      const step = await compute(x, n, labels, classWeights, reused);
      return applyStep(step, variables(), program.batchNorms, optimizer, n, labels, numClasses);
    },
    sync: () => freshMemory(variables()),
    release: async () => {},
  };
}
