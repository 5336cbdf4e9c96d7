/**
 * The KSC-sized map (spinal-cnn, 15×15×30 patches, onnxruntime) in float32 and int8 against PyTorch's predict
 * rate (bench/torch_predict.py, 2 threads, batch 1024), run alternately in rounds; prints each round's rates
 * and ratios and their medians, with the load average before each round. Rates per wall second, and per CPU
 * second (all threads; on a shared machine the less disturbed figure, since waiting for a core costs no CPU).
 *
 *   node --import tsx bench/mapPrecision.ts [--rounds 3] [--fraction 0.1] [--threads 2] [--batch 512]
 *
 * The int8 map calibrates on 1,024 of the map's own (random) patches, inside the timed call, as predict does.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { PYTHON } from './torchReference.ts';
import { KSC, mapScene, paperNetwork } from './workloads.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, fraction: { type: 'string' }, threads: { type: 'string' }, batch: { type: 'string' } } });
const rounds = Number(values.rounds ?? 3);
const fraction = Number(values.fraction ?? 0.1);
const threads = Number(values.threads ?? 2);
const batch = Number(values.batch ?? 512);
const script = fileURLToPath(new URL('./torch_predict.py', import.meta.url));

function torchRate(): { wall: number; cpu: number } {
  const run = spawnSync(PYTHON, [script, '4096', String(threads)], { encoding: 'utf8' });
  const m = /=> ([0-9.]+)\/s; .* => ([0-9.]+)\/CPU-s/.exec(run.stdout);
  if (!m) throw new Error(`${PYTHON} ${script} printed no rate:\n${run.stdout}${run.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) };
}

await tf.setBackend('cpu');
const model = paperNetwork();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { torch: number; f32: number; i8: number; torchCpu: number; f32Cpu: number; i8Cpu: number }[] = [];
for (let r = 1; r <= rounds; r++) {
  const load = os.loadavg()[0]!.toFixed(1);
  const torch = torchRate();
  const f = await mapScene(model, fraction, threads, batch, 'onnxruntime', 'float32');
  const q = await mapScene(model, fraction, threads, batch, 'onnxruntime', 'int8');
  const f32 = f.pixels / f.wall;
  const i8 = q.pixels / q.wall;
  rows.push({ torch: torch.wall, f32, i8, torchCpu: torch.cpu, f32Cpu: f.pixels / f.cpu, i8Cpu: q.pixels / q.cpu });
  const x = rows[rows.length - 1]!;
  const ksc = (rate: number) => (KSC.height * KSC.width / rate).toFixed(1);
  console.log(`round ${r} (load ${load}): PyTorch ${x.torch.toFixed(0)}/s; float32 map ${f32.toFixed(0)}/s (${(f32 / x.torch).toFixed(2)}×, KSC ≈ ${ksc(f32)} s); `
    + `int8 map ${i8.toFixed(0)}/s (${(i8 / x.torch).toFixed(2)}×, KSC ≈ ${ksc(i8)} s) [${q.engine}]`);
  console.log(`  per CPU-s: PyTorch ${x.torchCpu.toFixed(0)}, float32 ${x.f32Cpu.toFixed(0)} (${(x.f32Cpu / x.torchCpu).toFixed(2)}×), int8 ${x.i8Cpu.toFixed(0)} (${(x.i8Cpu / x.torchCpu).toFixed(2)}×)`);
}
console.log(`median ratios per CPU-s: float32 ${median(rows.map((x) => x.f32Cpu / x.torchCpu)).toFixed(2)}×, int8 ${median(rows.map((x) => x.i8Cpu / x.torchCpu)).toFixed(2)}×`);
console.log(`median ratios to PyTorch (wall): float32 ${median(rows.map((x) => x.f32 / x.torch)).toFixed(2)}×, int8 ${median(rows.map((x) => x.i8 / x.torch)).toFixed(2)}×; `
  + `int8 over float32 ${median(rows.map((x) => x.i8 / x.f32)).toFixed(2)}× (${rounds} rounds, ${(fraction * 100).toFixed(0)} % of the KSC rows, ${threads} threads, batch ${batch}; load now ${os.loadavg()[0]!.toFixed(1)})`);
