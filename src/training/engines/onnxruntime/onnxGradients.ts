/**
 * Gradients of a training step on onnxruntime's native CPU kernels (gradientGraph.ts), applied by the
 * model's tfjs optimizer. The model's variables stay the single source of truth: every step reads them,
 * so validation, checkpoints, resuming and saving work exactly as with tfjs gradients.
 *
 * Why: on the wasm backend a batch-16 step of the paper network took 47.5 ms in 497 kernel calls on one
 * core here (128-bit SIMD XNNPACK); onnxruntime runs the same step as one graph on every core with its
 * AVX kernels, ~16 ms (`npm run bench` prints both rates).
 */
import * as tf from '@tensorflow/tfjs';
import { createSession, loadOnnxRuntime, type OrtModule, type OrtSession, type OrtTensor } from '../../../onnx/onnxRuntime.ts';
import { BatchNormalization } from '../../../models/batchNorm.ts';
import { SpinalLayer } from '../../../models/spinalLayer.ts';
import { fasterSession, type TimedSession } from '../../../onnx/fasterSession.ts';
import { dropoutMultiplier } from '../dropoutMask.ts';
import { f32, heapMemory, heapView, type WasmBackendLike } from '../../../backend/wasmHeap.ts';
import { wasmScatterFor } from '../../../backend/wasmScatter.ts';
import { buildGradientGraph, type GradientGraph, type WeightSlot } from './gradientGraph.ts';
import { nchwcBlockSize } from '../../../onnx/nchwc.ts';
import { applyStep, type NativeGradientStep, type StepGradients } from '../gradientStep.ts';
import { BackendError } from '../../../core/errors.ts';

/** The onnxruntime step: GradientStep, with a description naming onnxruntime and its thread choice:
 * "onnxruntime 1.30.0, NCHWc convolutions, 2 threads" (NCHWc where the runtime has those kernels:
 * ../../onnx/nchwc.ts), then, once the first steps have timed the ways of using them (fasterSession.ts), the
 * fastest: "…, 2 threads sleeping" (of the graph that served the most steps: with an odd batch size, the one
 * for any batch). */
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
  options: { nchwc?: boolean; wasmScatter?: boolean } = {},
): Promise<OnnxGradientStep | string> {
  const ort = await loadOnnxRuntime();
  if (typeof ort === 'string') return ort;
  let graph: GradientGraph;
  let build: (evenBatches: boolean) => GradientGraph;
  try {
    // NCHWc convolutions where the runtime has them (options.nchwc false: plain ones, for comparisons).
    const nchwcBlock = options.nchwc === false ? undefined : await nchwcBlockSize(ort);
    build = (evenBatches) => buildGradientGraph(model, sampleShape, numClasses, { nchwcBlock, evenBatches });
    // Even batches get the graph whose filter gradients split the batch in halves, on any number of threads
    // (even on one), so that a run's numbers do not depend on how many threads trained it.
    graph = build(true);
  } catch (err) {
    return `the model's training step cannot be written as an ONNX graph: ${err instanceof Error ? err.message : String(err)}`;
  }
  for (const bn of graph.batchNorms) {
    // Their moving averages are updated by the layers' own code (updateMovingAverages).
    if (!(bn.layer instanceof BatchNormalization) && !(bn.layer instanceof SpinalLayer)) {
      return `layer ${bn.layer.name} is a ${bn.layer.getClassName()} from outside spinalnet, whose batch-norm averages it cannot update`;
    }
  }
  const wasmScatter = options.wasmScatter !== false;
  const main = await compile(ort, graph, threads, wasmScatter);
  if (typeof main === 'string') return main;
  // Odd batches (an epoch's last one, or an odd batch size) get the graph for any batch, made when first needed.
  let anyBatch: Promise<Compiled | string> | undefined;
  const forBatch = async (n: number): Promise<Compiled> => {
    if (n % 2 === 0) return main;
    anyBatch ??= compile(ort, build(false), threads, wasmScatter);
    const odd = await anyBatch;
    if (typeof odd === 'string') {
      throw new BackendError(`onnxruntime cannot run the training graph for odd batches: ${odd}`, 'train with --training tfjs');
    }
    return odd;
  };
  return gradientStep(ort, main, forBatch, sampleShape, numClasses, threads);
}

/** A training graph with its session(s) and weight feeder: what one batch runs on. */
interface Compiled {
  graph: GradientGraph;
  session: OrtSession | TimedSession;
  fetches: string[];
  weightFeeds: ReturnType<typeof weightFeeder>;
  /** Steps run on it so far. */
  runs: number;
  release(): Promise<void>;
}

async function compile(ort: OrtModule, graph: GradientGraph, threads: number, wasmScatter: boolean): Promise<Compiled | string> {
  const spinning = await createSession(ort, graph.bytes, threads);
  if (typeof spinning === 'string') return spinning;
  let session: OrtSession | TimedSession = spinning;
  if (threads > 1) {
    // Threads that spin or sleep between operators, or one thread: which is fastest depends on the load.
    const sleeping = await createSession(ort, graph.bytes, threads, false);
    const single = await createSession(ort, graph.bytes, 1);
    const candidates = [{ name: `${threads} threads spinning`, session: spinning }];
    if (typeof sleeping !== 'string') candidates.push({ name: `${threads} threads sleeping`, session: sleeping });
    if (typeof single !== 'string') candidates.push({ name: '1 thread', session: single });
    session = fasterSession(candidates);
  }
  // wasmScatter false: the NCHWc kernels blocked in JavaScript (for comparisons).
  const weightFeeds = weightFeeder(ort, graph.weights, wasmScatter);
  const fetches = [graph.loss, graph.logits, ...graph.weights.map((w) => w.gradient), ...graph.batchNorms.flatMap((b) => [b.mean, b.variance])];
  return {
    graph, session, fetches, weightFeeds, runs: 0,
    release: async () => {
      weightFeeds.dispose();
      await session.release();
    },
  };
}

/**
 * Writes the weights' graph inputs (every layout of each, WeightFeed) from the model's variables into
 * `feeds`. Converted layouts go into one buffer per input, rewritten every call (the previous run has
 * finished with it); on the wasm backend, the blocked NCHWc kernels are scattered by WebAssembly into
 * buffers on its heap (tensors held until `dispose`). Measured (bench/trainStep.ts, paper network, batch
 * 16, load ~7): see docs/training-speed.md.
 */
export function weightFeeder(ort: OrtModule, weights: readonly WeightSlot[], wasmScatter = true): ((feeds: Record<string, OrtTensor>) => void) & { dispose(): void } {
  const buffers = new Map(weights.flatMap((w) => w.feeds.filter((f) => f.convert).map((f) => [f.input, new Float32Array(f.shape.reduce((a, d) => a * d, 1))])));
  const onHeap = wasmScatter ? heapScatters(weights) : undefined;
  const write = (feeds: Record<string, OrtTensor>): void => {
    for (const w of weights) {
      const values = heapView(w.variable.read()) ?? (w.variable.read().dataSync() as Float32Array);
      for (const f of w.feeds) {
        const scattered = onHeap?.scatter(f.input, values);
        if (scattered) {
          feeds[f.input] = new ort.Tensor('float32', scattered, f.shape);
          continue;
        }
        const buffer = buffers.get(f.input);
        if (buffer && f.convert) f.convert(values, buffer);
        feeds[f.input] = new ort.Tensor('float32', buffer ?? values, f.shape);
      }
    }
  };
  return Object.assign(write, { dispose: () => onHeap?.dispose() });
}

/**
 * The feeds with a scatter map, done by wasmScatter.ts on the wasm backend's heap (single-threaded build,
 * where heapView gives views): each map and its blocked output are tensors allocated here, once. `scatter`
 * returns the output's heap view, or undefined (no map for that input, or `values` not on the heap).
 */
function heapScatters(weights: readonly WeightSlot[]): { scatter(input: string, values: Float32Array): Float32Array | undefined; dispose(): void } | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const memory = heapMemory(backend);
  const fn = memory === undefined || !(memory.buffer instanceof ArrayBuffer) ? null : wasmScatterFor(memory);
  if (fn === null) return undefined;
  const slots = new Map(weights.flatMap((w) => w.feeds.flatMap((f) => f.scatter === undefined ? [] : [[f.input, {
    map: tf.tensor1d(f.scatter, 'int32'),
    out: tf.zeros([f.shape.reduce((a, d) => a * d, 1)]),
  }] as const])));
  return {
    scatter(input, values) {
      const slot = slots.get(input);
      if (slot === undefined || values.buffer !== memory!.buffer) return undefined;
      const out = f32(backend, slot.out);
      fn(values.byteOffset, f32(backend, slot.map).byteOffset, out.byteOffset, slot.map.size);
      return out;
    },
    dispose: () => tf.dispose([...slots.values()].flatMap((s) => [s.map, s.out])),
  };
}

function gradientStep(
  ort: OrtModule,
  main: Compiled,
  forBatch: (n: number) => Promise<Compiled>,
  sampleShape: readonly [number, number, number],
  numClasses: number,
  threads: number,
): OnnxGradientStep {
  const version = ort.env.versions.node ?? ort.env.versions.common ?? '?';
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const used = new Set([main]);
  // The one that served the most steps (with an odd batch size, the graph for any batch) names the thread choice.
  let busiest = main;
  const gradients = async (x: Float32Array, n: number, labels: Int32Array, classWeights: Float32Array): Promise<StepGradients> => {
    const compiled = await forBatch(n);
    used.add(compiled);
    if (++compiled.runs > busiest.runs) busiest = compiled;
    const { graph, session, fetches, weightFeeds } = compiled;
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
  const { graph } = main;
  return {
    get description() {
      const { session } = busiest;
      const chosen = 'chosen' in session ? session.chosen : undefined;
      return `onnxruntime ${version}, ${graph.usesNchwc ? 'NCHWc convolutions, ' : ''}${chosen ?? `${threads} thread${threads === 1 ? '' : 's'}`}`;
    },
    threads,
    gradients,
    async run(x, n, labels, classWeights, optimizer) {
      const step = await gradients(x, n, labels, classWeights);
      return applyStep(step, graph.weights.map((w) => w.variable.read() as tf.Variable), graph.batchNorms, optimizer, n, labels, numClasses);
    },
    release: async () => {
      await Promise.all([...used].map((c) => c.release()));
    },
  };
}
