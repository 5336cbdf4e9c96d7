/**
 * Gradients of a training step on onnxruntime's native CPU kernels (gradientGraph.ts), applied by the
 * model's tfjs optimizer. The model's variables stay the single source of truth: every step reads them,
 * so validation, checkpoints, resuming and saving work exactly as with tfjs gradients.
 *
 * Why: on the wasm backend a step of the paper network is hundreds of small kernel calls on one core
 * (128-bit SIMD XNNPACK); onnxruntime runs the same step as one graph on every core with its AVX kernels,
 * several times faster (`npm run bench` prints both rates; docs/performance.md#the-onnxruntime-training-step).
 */
import * as tf from '@tensorflow/tfjs';
import { createSession, loadOnnxRuntime, type OrtModule, type OrtSession, type OrtTensor } from '../../../onnx/onnxRuntime.ts';
import { fasterSession, type TimedSession } from '../../../onnx/fasterSession.ts';
import { dropoutMultiplier } from '../dropoutMask.ts';
import { buildGradientGraph, type GradientGraph, type WeightSlot } from './gradientGraph.ts';
import { nchwcBlockSize } from '../../../onnx/nchwc.ts';
import { applyStep, freshMemory, type NativeGradientStep, type StepGradients } from '../gradientStep.ts';

/** The onnxruntime step: GradientStep, with a description naming onnxruntime and its thread choice:
 * "onnxruntime 1.30.0, NCHWc convolutions, 2 threads" (NCHWc where the runtime has those kernels:
 * ../../onnx/nchwc.ts), then, once the first steps have timed the ways of using them (fasterSession.ts), the
 * fastest: "…, 2 threads sleeping". */
export type OnnxGradientStep = NativeGradientStep;

/**
 * A gradient step for `model` on `threads` cores, or a string saying why there is none (runtime missing,
 * or a layer the graph builder does not translate).
 */
export async function createOnnxGradientStep(
  model: tf.LayersModel,
  sampleShape: readonly [number, number, number],
  numClasses: number,
  threads: number,
  options: { nchwc?: boolean } = {},
): Promise<OnnxGradientStep | string> {
  const ort = await loadOnnxRuntime();
  if (typeof ort === 'string') return ort;
  let graph: GradientGraph;
  try {
    // NCHWc convolutions where the runtime has them (options.nchwc false: plain ones, for comparisons).
    const nchwcBlock = options.nchwc === false ? undefined : await nchwcBlockSize(ort);
    graph = buildGradientGraph(model, sampleShape, numClasses, { nchwcBlock });
  } catch (err) {
    return `the model's training step cannot be written as an ONNX graph: ${err instanceof Error ? err.message : String(err)}`;
  }
  const session = await timedSession(ort, graph.bytes, threads);
  if (typeof session === 'string') return session;
  return gradientStep(ort, graph, session, sampleShape, numClasses, threads);
}

/** The graph's session on `threads` threads; with more than one, the ways of using them timed against each other. */
async function timedSession(ort: OrtModule, bytes: Uint8Array, threads: number): Promise<OrtSession | TimedSession | string> {
  const spinning = await createSession(ort, bytes, threads);
  if (typeof spinning === 'string' || threads === 1) return spinning;
  // Threads that spin or sleep between operators, or one thread: which is fastest depends on the load.
  const sleeping = await createSession(ort, bytes, threads, false);
  const single = await createSession(ort, bytes, 1);
  const candidates = [{ name: `${threads} threads spinning`, session: spinning }];
  if (typeof sleeping !== 'string') candidates.push({ name: `${threads} threads sleeping`, session: sleeping });
  if (typeof single !== 'string') candidates.push({ name: '1 thread', session: single });
  return fasterSession(candidates);
}

/**
 * Writes the weights' graph inputs (every layout of each, WeightFeed) from the model's variables into
 * `feeds`. Converted layouts go into one buffer per input, rewritten every call (the previous run has
 * finished with it).
 */
export function weightFeeder(ort: OrtModule, weights: readonly WeightSlot[]): (feeds: Record<string, OrtTensor>) => void {
  const buffers = new Map(weights.flatMap((w) => w.feeds.filter((f) => f.convert).map((f) => [f.input, new Float32Array(f.shape.reduce((a, d) => a * d, 1))])));
  return (feeds) => {
    for (const w of weights) {
      const values = w.variable.read().dataSync() as Float32Array;
      for (const f of w.feeds) {
        const buffer = buffers.get(f.input);
        if (buffer && f.convert) f.convert(values, buffer);
        feeds[f.input] = new ort.Tensor('float32', buffer ?? values, f.shape);
      }
    }
  };
}

function gradientStep(
  ort: OrtModule,
  graph: GradientGraph,
  session: OrtSession | TimedSession,
  sampleShape: readonly [number, number, number],
  numClasses: number,
  threads: number,
): OnnxGradientStep {
  const version = ort.env.versions.node ?? ort.env.versions.common ?? '?';
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const weightFeeds = weightFeeder(ort, graph.weights);
  const fetches = [graph.loss, graph.logits, ...graph.weights.map((w) => w.gradient), ...graph.batchNorms.flatMap((b) => [b.mean, b.variance])];
  const gradients = async (x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array): Promise<StepGradients> => {
    const feeds: Record<string, OrtTensor> = {};
    feeds[graph.x] = new ort.Tensor('float32', x.subarray(0, n * per), [n, ...sampleShape]);
    const oneHot = new Float32Array(n * numClasses);
    const sampleWeights = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      oneHot[i * numClasses + labels[i]!] = 1;
      sampleWeights[i] = classWeights[labels[i]!]!;
    }
    feeds[graph.labels] = new ort.Tensor('float32', oneHot, [n, numClasses]);
    feeds[graph.sampleWeights] = new ort.Tensor('float32', sampleWeights, [n]);
    for (const m of graph.masks) {
      // In forward order, as the tfjs step draws them.
      const shape = m.noiseShape(n);
      feeds[m.input] = new ort.Tensor('float32', dropoutMultiplier(shape.reduce((a, v) => a * v, 1), m.rate), shape);
    }
    weightFeeds(feeds);
    const out = await session.run(feeds, fetches);
    const data = (name: string) => out[name]!.data as Float32Array;
    return {
      loss: data(graph.loss)[0]!,
      logits: data(graph.logits),
      gradients: new Map(graph.weights.map((w) => [(w.variable.read() as tf.Variable).name, data(w.gradient)])),
      batchStats: graph.batchNorms.map((b) => ({ mean: data(b.mean), variance: data(b.variance) })),
    };
  };
  return {
    get description() {
      const chosen = 'chosen' in session ? session.chosen : undefined;
      return `onnxruntime ${version}, ${graph.usesNchwc ? 'NCHWc convolutions, ' : ''}${chosen ?? `${threads} thread${threads === 1 ? '' : 's'}`}`;
    },
    threads,
    gradients,
    async run(x, n, labels, classWeights, optimizer) {
      const step = await gradients(x, n, labels, classWeights);
      return applyStep(step, graph.weights.map((w) => w.variable.read() as tf.Variable), graph.batchNorms, optimizer, n, labels, numClasses);
    },
    sync: () => freshMemory(graph.weights.map((w) => w.variable.read() as tf.Variable)),
    release: () => session.release(),
  };
}
