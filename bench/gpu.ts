/**
 * `bench/gpu.sh`: the paper network on WebGPU (Dawn) against onnxruntime on this machine's CPU, as one
 * table: training samples/s at batch 16, 64 and 256, prediction samples/s, the KSC-sized map time, and
 * WebGPU's per-step counts (dispatches, uploads). Made for a machine with a GPU; on a software adapter
 * (SwiftShader) use --quick, which only proves the command runs (its times are a CPU's).
 *
 *   node --import tsx bench/gpu.ts [--quick] [--samples 1024] [--predict 8192] [--map-fraction 1]
 *
 * Each engine runs in its own child process (bench/backendRun.ts), as in `npm run bench`.
 * It is a benchmark: nothing here asserts a time; the targets are printed next to the ratios.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findAdapter, formatAdapter } from '../src/backend/webgpu/dawn.ts';
import type { BackendPlan, BackendResult } from './backendRun.ts';
import type { StepCounts } from './gpuCounts.ts';
import { formatCounts } from './gpuCounts.ts';
import { fmtRate, perWall, runChild, table } from './run.ts';
import { KSC, type MapTiming, type Rate } from './workloads.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    samples: { type: 'string' },
    predict: { type: 'string' },
    'map-fraction': { type: 'string' },
  },
});
const quick = values.quick;
const samples = Number(values.samples ?? (quick ? 0 : 1024));
const predict = Number(values.predict ?? (quick ? 16 : 8192));
// --quick: 32 pixels of the KSC-sized cube, extrapolated.
const mapFraction = Number(values['map-fraction'] ?? (quick ? 32 / (KSC.height * KSC.width) : 1));
const cores = os.availableParallelism();

// The adapter first: it is the question a GPU machine answers. VK_ICD_FILENAMES, when set here for
// SwiftShader, is inherited by the children.
const { found, reason } = await findAdapter(true);
console.error(`gpu bench: ${found ? formatAdapter(found.description) : `no WebGPU adapter: ${reason}`}`);
if (found?.description.software && !quick) {
  console.error('gpu bench: WARNING: a software adapter; its times are a CPU\'s. Pass --quick to only check that the bench runs.');
}

/** With --quick: one batch of 16 after one warm-up batch; no batch 64 or 256 (minutes each on SwiftShader). */
const train = (batch: number) => (quick ? (batch === 16 ? 16 : 0) : samples);
const base = { train16: train(16), train64: train(64), train256: train(256), predict, predictBatch: quick ? 16 : 512, mapFraction };
const plans: BackendPlan[] = [
  ...(found ? [{ ...base, backend: 'webgpu' as const, workers: 0, ...(quick ? { warmupBatches: 1 } : {}) }] : []),
  { ...base, backend: 'wasm', onnx: true, workers: cores },
];
const results: BackendResult[] = [];
for (const plan of plans) {
  console.error(`gpu bench: ${plan.onnx ? 'onnxruntime (CPU)' : 'webgpu'} …`);
  results.push(runChild(plan));
}

let counts: StepCounts | undefined;
if (found) {
  console.error('gpu bench: webgpu counts …');
  const script = fileURLToPath(new URL('./gpuCounts.ts', import.meta.url));
  const args = [...(quick ? ['--batch', '16', '--steps', '1', '--patch', '9', '--predict-batch', '16'] : ['--batch', '64', '--steps', '3']), '--json', '--by-program'];
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    counts = JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as StepCounts;
  } catch {
    console.error(`gpu bench: counts failed (exit ${child.status})`);
  }
}

const rate = (r: Rate | undefined) => (r ? `${fmtRate(perWall(r)!)}/s` : '—');
const mapSeconds = (m: MapTiming | undefined) => (m ? (m.wall * m.scenePixels) / m.pixels : undefined);
const mapCell = (m: MapTiming | undefined) => {
  const s = mapSeconds(m);
  return s === undefined ? '—' : `${m!.pixels === m!.scenePixels ? '' : '≈ '}${s.toFixed(1)} s`;
};
const ok = results.filter((r) => r.unavailable === undefined);
const out: string[] = [];
out.push(`spinalnet gpu bench: paper network (spinal-cnn, 15×15×30 patches, 13 classes), random data; ${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores, Node ${process.version}`);
out.push(`WebGPU adapter: ${found ? `${formatAdapter(found.description)}; found through ${found.description.via}` : `none (${reason})`}`);
if (quick) out.push('--quick: tiny sizes to check that the bench runs; not a measurement.');
out.push('');
out.push(table(
  ['engine', 'train b16', 'train b64', 'train b256', 'predict', `KSC map (${(KSC.height * KSC.width).toLocaleString('en-US')} px)`],
  ok.map((r) => [r.detail ?? r.backend, rate(r.train16), rate(r.train64), rate(r.train256), rate(r.predict), mapCell(r.map)]),
));
for (const r of results.filter((x) => x.unavailable !== undefined)) out.push(`${r.detail ?? r.backend}: not available: ${r.unavailable}`);
const gpu = ok.find((r) => r.backend === 'webgpu');
const cpu = ok.find((r) => r.detail?.startsWith('onnxruntime'));
if (gpu && cpu) {
  const ratio = (a: Rate | undefined, b: Rate | undefined) => (a && b ? `${(perWall(a)! / perWall(b)!).toFixed(2)}×` : '—');
  const g = mapSeconds(gpu.map);
  const c = mapSeconds(cpu.map);
  out.push('');
  out.push('WebGPU ÷ onnxruntime-CPU (targets on a real GPU: train b64 ≥ 5×, KSC map ≥ 10×):');
  out.push(table(['train b16', 'train b64', 'train b256', 'predict', 'KSC map'], [[
    ratio(gpu.train16, cpu.train16), ratio(gpu.train64, cpu.train64), ratio(gpu.train256, cpu.train256), ratio(gpu.predict, cpu.predict),
    g !== undefined && c !== undefined ? `${(c / g).toFixed(2)}×` : '—',
  ]]));
}
if (counts) {
  out.push('');
  out.push(...formatCounts(counts));
}
out.push('');
out.push(`(training: ${quick ? 'one batch of 16 after one warm-up batch' : `${samples} samples per batch size after 2 warm-up batches`}; ` +
  `predict ${predict} samples; map ${mapFraction === 1 ? 'the whole scene' : `${Math.round(mapFraction * KSC.height * KSC.width)} of ${KSC.height * KSC.width} pixels, extrapolated`}; ` +
  `onnxruntime on ${cores} threads)`);
console.log(out.join('\n'));
