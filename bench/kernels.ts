/**
 * Conv kernel and training speed on the active backend (default wasm).
 *
 *   node --import tsx bench/kernels.ts [--backend wasm|cpu|tensorflow|auto] [--batches 16,64] [--steps 20]
 *
 * Prints, per conv layer of the paper network (NHWC input [N,15,15,30], 3×3 'same', stride 1): forward,
 * dX and dW milliseconds (median of repeats), then training samples/s of the whole network (Adam 1e-3,
 * random data, 13 classes, after warm-up) and the most expensive kernels of one training step (tf.profile).
 * On wasm it also times the package's builtin Conv2DBackpropInput before our kernels replace it.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend, type BackendChoice } from '../src/backend/selectBackend.ts';

interface ConvLayer {
  name: string;
  /** Input height = width. */
  size: number;
  inChannels: number;
  outChannels: number;
}

/** The six convs of the paper network; each block ends in a 2×2 max-pool (15 → 7 → 3 → 1). */
const LAYERS: ConvLayer[] = [
  { name: 'block1 conv1 30→15 @15', size: 15, inChannels: 30, outChannels: 15 },
  { name: 'block1 conv2 15→30 @15', size: 15, inChannels: 15, outChannels: 30 },
  { name: 'block2 conv1 30→60 @7', size: 7, inChannels: 30, outChannels: 60 },
  { name: 'block2 conv2 60→60 @7', size: 7, inChannels: 60, outChannels: 60 },
  { name: 'block3 conv1 60→120 @3', size: 3, inChannels: 60, outChannels: 120 },
  { name: 'block3 conv2 120→120 @3', size: 3, inChannels: 120, outChannels: 120 },
];
const CLASSES = 13;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Milliseconds since `start` of this process's CPU time (user + system). */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * On wasm and cpu we time with this process's CPU time, not wall time: those backends compute on one
 * thread, so CPU time is the compute cost even when other processes share the two cores (wall time is then
 * inflated by waiting for a core). The native tensorflow backend is multi-threaded: wall time there.
 */
let useCpuClock = true;

/** Median time of `fn` in ms (kernels on wasm/cpu are synchronous; dataSync covers tensorflow). */
function timeMs(fn: () => tf.Tensor, repeats: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    const out = fn();
    out.dataSync();
    const elapsed = useCpuClock ? cpuMsSince(cpuStart) : performance.now() - wallStart;
    out.dispose();
    if (i >= 2) times.push(elapsed); // the first calls build XNNPACK operators
  }
  return median(times);
}

interface LayerTimes {
  forward: number;
  dX: number;
  dW: number;
}

function timeLayer(layer: ConvLayer, batch: number, repeats: number): LayerTimes {
  const x = tf.randomNormal([batch, layer.size, layer.size, layer.inChannels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, layer.inChannels, layer.outChannels], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([batch, layer.size, layer.size, layer.outChannels], 0, 1, 'float32', 3) as tf.Tensor4D;
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC' };
  const result: LayerTimes = {
    forward: timeMs(() => tf.conv2d(x, w, 1, 'same'), repeats),
    dX: timeMs(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor, repeats),
    dW: Number.NaN,
  };
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined) {
    result.dW = timeMs(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor, repeats);
  }
  tf.dispose([x, w, dy]);
  return result;
}

/** The paper network, built quickly (the real model lives elsewhere): conv/BN/ReLU blocks, spinal-sized head. */
function paperNetwork(): tf.Sequential {
  const model = tf.sequential();
  const conv = (filters: number, extra: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {}) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', ...extra });
  model.add(conv(15, { inputShape: [15, 15, 30] }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(conv(30, { activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(conv(60));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(conv(60, { activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  // Spatial dropout: one mask value per (sample, channel). null = this dimension's size at call time.
  model.add(tf.layers.dropout({ rate: 0.25, noiseShape: [null, 1, 1, 60] as unknown as number[] }));
  model.add(conv(120));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(conv(120, { activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 60, activation: 'relu' }));
  model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return model;
}

interface TrainingSpeed {
  /** Samples per second of wall time. */
  wall: number;
  /** Samples per second of this process's CPU time (see useCpuClock). */
  cpu: number;
  /** Kernels by total time per step, most expensive first, from tf.profile over `profileSteps` steps. */
  topKernels: string;
}

/**
 * tf.profile times each kernel with `backend.time`, wall clock on wasm and cpu. For the same reason as
 * timeMs we swap in this process's CPU time on the backend instance while profiling; returns the undo.
 */
function timeKernelsByCpu(): () => void {
  const backend = tf.backend() as unknown as { time(f: () => void): Promise<tf.BackendTimingInfo> };
  const wallTime = backend.time;
  backend.time = async (f: () => void) => {
    const start = process.cpuUsage();
    f();
    return { kernelMs: cpuMsSince(start) } as tf.BackendTimingInfo;
  };
  return () => {
    backend.time = wallTime;
  };
}

async function trainingSpeed(batch: number, steps: number, profileSteps = 5): Promise<TrainingSpeed> {
  const model = paperNetwork();
  const x = tf.randomNormal([batch, 15, 15, 30], 0, 1, 'float32', 4);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, CLASSES, 'int32', 5) as tf.Tensor1D, CLASSES);
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, labels); // warm-up: operator creation, allocations
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, labels);
  const cpuSeconds = cpuMsSince(cpuStart) / 1000;
  const wallSeconds = (performance.now() - wallStart) / 1000;

  const byKernel = new Map<string, number>();
  const restoreTimer = useCpuClock ? timeKernelsByCpu() : () => {};
  try {
    for (let i = 0; i < profileSteps; i++) {
      const profile = await tf.profile(async () => {
        await model.trainOnBatch(x, labels);
      });
      for (const k of profile.kernels) {
        // 'name__op' entries are customGrad ops (fusedConv2d__op) whose time includes their inner kernels.
        if (k.name.endsWith('__op')) continue;
        byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number) / profileSteps);
      }
    }
  } finally {
    restoreTimer();
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  const topKernels = top.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ') + `; all kernels ${total.toFixed(1)}`;
  tf.dispose([x, labels]);
  model.dispose();
  return { wall: (steps * batch) / wallSeconds, cpu: (steps * batch) / cpuSeconds, topKernels };
}

function printLayerTable(title: string, batch: number, repeats: number): void {
  console.log(`\n${title}, batch ${batch} (ms, median of ${repeats})`);
  console.log('layer'.padEnd(26) + 'forward'.padStart(9) + 'dX'.padStart(9) + 'dW'.padStart(9));
  for (const layer of LAYERS) {
    const t = timeLayer(layer, batch, repeats);
    const fmt = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(2)).padStart(9);
    console.log(layer.name.padEnd(26) + fmt(t.forward) + fmt(t.dX) + fmt(t.dW));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'wasm' },
      batches: { type: 'string', default: '16,64' },
      steps: { type: 'string', default: '20' },
      repeats: { type: 'string', default: '15' },
    },
  });
  const choice = values.backend as BackendChoice;
  const batches = values.batches.split(',').map(Number);
  const steps = Number(values.steps);
  const repeats = Number(values.repeats);
  // Other processes on the machine inflate wall times; say how busy it was.
  const load = () => `load average (1 min) ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores`;
  console.log(load());

  if (choice === 'wasm') {
    // Before our kernels are registered: the package's own Conv2DBackpropInput, for comparison.
    await import('@tensorflow/tfjs-backend-wasm');
    if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined && (await tf.setBackend('wasm'))) {
      for (const batch of batches) printLayerTable('wasm builtin kernels (no Conv2DBackpropFilter)', batch, repeats);
    }
  }
  const info = await selectBackend(choice);
  useCpuClock = info.name !== 'tensorflow';
  console.log(`\nbackend: ${info.detail}; timing by ${useCpuClock ? 'process CPU time' : 'wall clock'}`);
  for (const batch of batches) printLayerTable(`${info.name} with spinalnet kernels`, batch, repeats);

  for (const batch of batches) {
    const speed = await trainingSpeed(batch, steps);
    console.log(
      `\ntraining, batch ${batch}, ${steps} steps: ${speed.cpu.toFixed(1)} samples per CPU-second, ` +
        `${speed.wall.toFixed(1)} samples per wall-second`,
    );
    console.log(`  one step, kernels by ${useCpuClock ? 'CPU' : 'wall'} ms (tf.profile): ${speed.topKernels}`);
  }
  console.log(`\n${load()}`);
}

await main();
