/**
 * CPU time of the onnxruntime training step of the paper network, for A/B comparisons on a shared
 * machine (wall time there measures the other jobs): the same seeded batches every time, one
 * onnxruntime thread, and the process's CPU time (process.cpuUsage) split into `session.run` and the
 * rest of the step (feeds, tfjs's Adam, batch-norm averages, gathering the batch).
 *
 *   node --import tsx bench/trainStep.ts [--batch 16] [--steps 150] [--rounds 3] [--threads 1] [--profile [--profile-nodes 40]] [--variants nchwc,plain]
 *
 * --variants alternates the rounds between graph variants (nchwc: onnxruntime's NCHWc convolutions where
 * it has them, the default; plain: Conv and ConvTranspose; either with "+tensorAdam": Adam through tfjs
 * tensors instead of in place; libtorch: the libtorch step, whose time all counts as "rest"; libtorch-state: the
 * libtorch step that keeps the training state in libtorch, synced back after the round), so that both see the
 * same machine load.
 *
 * --profile adds onnxruntime's profiler over the timed steps and prints its kernel time per step by
 * operator type (the profiler itself slows the step; the totals above it are without it);
 * --profile-nodes N also lists the N slowest nodes with their output shapes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { createAdam } from '../src/backend/fusedAdam.ts';
import { loadOnnxRuntime, type OrtModule, type OrtSession } from '../src/onnx/onnxRuntime.ts';
import { createOnnxGradientStep } from '../src/training/engines/onnxruntime/onnxGradients.ts';
import { createLibtorchGradientStep } from '../src/training/engines/libtorch/libtorchGradients.ts';
import { createResidentLibtorchStep } from '../src/training/engines/libtorch/residentStep.ts';
import { withSeededMathRandom } from '../src/training/seededRandom.ts';
import { createRng } from '../src/util/random.ts';
import { CHANNELS, CLASSES, PATCH, paperNetwork, randomSamples } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    'profile-nodes': { type: 'string' },
    variants: { type: 'string', default: 'nchwc' },
  },
});
const batch = Number(args.batch);
const steps = Number(args.steps);
const threads = Number(args.threads);
await selectBackend('wasm');
tf.randomUniform([1]); // settle tfjs's own lazy setup outside the timings
const ort = await loadOnnxRuntime();
if (typeof ort === 'string') throw new Error(ort);

const per = PATCH * PATCH * CHANNELS;
const { data, labels } = randomSamples(steps * batch, 5);
const classWeights = new Float32Array(CLASSES).fill(1);
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Wraps the step's session so that its run() time (CPU) is counted apart from the rest. */
let runCpu = 0;
const profileDir = args.profile ? mkdtempSync(join(tmpdir(), 'trainstep-')) : undefined;
const realCreate = ort.InferenceSession.create.bind(ort.InferenceSession);
(ort as OrtModule).InferenceSession.create = async (bytes, options) => {
  const profiled = args.profile ? { ...options, enableProfiling: true, profileFilePrefix: join(profileDir!, 'p') } : options;
  // endProfiling is in onnxruntime-node's session, outside OrtSession's typing; it writes <prefix>_<date>.json.
  const session = (await realCreate(bytes, profiled)) as OrtSession & { endProfiling?: () => void };
  return {
    async run(feeds, fetches) {
      const c = process.cpuUsage();
      const out = await session.run(feeds, fetches);
      runCpu += cpuMs(process.cpuUsage(c));
      return out;
    },
    release: async () => {
      if (args.profile) session.endProfiling?.();
      await session.release();
    },
  };
};

console.log(`paper network, batch ${batch}, ${steps} steps, ${threads} onnxruntime thread(s); CPU ms per step (whole step / session.run / rest)`);
const model = await withSeededMathRandom(createRng(7, 'trainstep-model'), paperNetwork);
const variants = args.variants.split(',');
const lossSum = new Map(variants.map((v) => [v, 0]));
const stepCpu = new Map(variants.map((v) => [v, [] as number[]]));
const initial = model.getWeights().map((w) => w.clone());
for (let round = 0; round < Number(args.rounds) * variants.length; round++) {
  const variant = variants[round % variants.length]!;
  model.setWeights(initial);
  const optimizer = createAdam(1e-3, 0.9, 0.999, 1e-8);
  // "+tensorAdam": the gradients go to Adam as tfjs tensors (applyGradients), not in place (applyGradientArrays).
  if (variant.includes('+tensorAdam')) Object.assign(optimizer, { applyGradientArrays: () => false });
  const step = variant === 'libtorch-state'
    ? createResidentLibtorchStep(model, [PATCH, PATCH, CHANNELS], CLASSES, threads)
    : variant === 'libtorch'
    ? createLibtorchGradientStep(model, [PATCH, PATCH, CHANNELS], CLASSES, threads)
    : await createOnnxGradientStep(model, [PATCH, PATCH, CHANNELS], CLASSES, threads, { nchwc: !variant.startsWith('plain') });
  if (typeof step === 'string') throw new Error(step);
  const run = async (s: number) => {
    const x = data.subarray(s * batch * per, (s + 1) * batch * per);
    const [loss] = await withSeededMathRandom(createRng(1, `dropout/${s}`), () =>
      step.run(x, batch, labels.subarray(s * batch, (s + 1) * batch), classWeights, optimizer));
    return loss;
  };
  for (let s = 0; s < 3; s++) await run(s); // first runs allocate
  runCpu = 0;
  const c = process.cpuUsage();
  const wall0 = performance.now();
  let sum = 0;
  for (let s = 0; s < steps; s++) sum += await run(s);
  const total = cpuMs(process.cpuUsage(c));
  const wall = performance.now() - wall0;
  lossSum.set(variant, lossSum.get(variant)! + sum);
  stepCpu.get(variant)!.push(total / steps);
  console.log(`${variant} round ${Math.floor(round / variants.length) + 1}: ${(total / steps).toFixed(2)} / ${(runCpu / steps).toFixed(2)} / ${((total - runCpu) / steps).toFixed(2)}; wall ${(wall / steps).toFixed(2)} ms   (load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
  await step.sync?.(optimizer);
  await step.release();
  optimizer.dispose();
}
// From the same initial weights over the same batches (the first 3 steps run once more untimed in each round).
const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
for (const [v, t] of stepCpu) console.log(`${v}: whole step median ${median(t).toFixed(2)} ms CPU, best ${Math.min(...t).toFixed(2)}`);
for (const [v, sum] of lossSum) console.log(`${v}: loss sum ${sum.toPrecision(10)} (equal across variants up to rounding)`);

if (profileDir) {
  interface Event { cat: string; name: string; dur: number; args?: { op_name?: string; output_type_shape?: unknown[] } }
  const events = readdirSync(profileDir).flatMap((f) => JSON.parse(readFileSync(join(profileDir, f), 'utf8')) as Event[]);
  const byOp = new Map<string, { us: number; count: number }>();
  const byNode = new Map<string, { op: string; shape: string; us: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.args?.op_name || !e.name.endsWith('_kernel_time')) continue;
    const k = byOp.get(e.args.op_name) ?? { us: 0, count: 0 };
    k.us += e.dur;
    k.count++;
    byOp.set(e.args.op_name, k);
    const n = byNode.get(e.name) ?? { op: e.args.op_name, shape: JSON.stringify(e.args.output_type_shape ?? []), us: 0 };
    n.us += e.dur;
    byNode.set(e.name, n);
  }
  const runs = Number(args.rounds) * variants.length * (steps + 3);
  const total = [...byOp.values()].reduce((a, k) => a + k.us, 0);
  console.log(`onnxruntime kernels: ${(total / runs / 1000).toFixed(2)} ms per step in ${([...byOp.values()].reduce((a, k) => a + k.count, 0) / runs).toFixed(0)} nodes`);
  for (const [op, k] of [...byOp].sort((a, b) => b[1].us - a[1].us)) {
    console.log(`  ${op.padEnd(18)} ${(k.us / runs / 1000).toFixed(3)} ms  ${(k.count / runs).toFixed(0)} nodes`);
  }
  if (args['profile-nodes']) {
    console.log('slowest nodes (ms per step, output shape):');
    for (const [name, n] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, Number(args['profile-nodes']))) {
      console.log(`  ${(n.us / runs / 1000).toFixed(3)}  ${n.op.padEnd(14)} ${name.replace(/_kernel_time$/, '').slice(0, 40).padEnd(40)} ${n.shape.slice(0, 90)}`);
    }
  }
  rmSync(profileDir, { recursive: true });
}
