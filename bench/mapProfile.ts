/**
 * Where a map's time goes: raw session.run rates of the paper network's float32 and int8 graphs on random
 * KSC-shaped patches (threads 1 and 2, spinning or sleeping, batches 256/1,024/4,096), per wall and per CPU
 * second, and the rate at which patches are cut from a KSC-sized cube (the map's other work).
 *
 *   node --import tsx bench/mapProfile.ts
 */
import * as tf from '@tensorflow/tfjs';
import { exportOnnx, type OnnxExport } from '../src/inference/onnx/exportOnnx.ts';
import { calibrateInt8, exportOnnxInt8 } from '../src/inference/onnx/int8.ts';
import { createSession, loadOnnxRuntime, type OrtModule, type OrtSession } from '../src/onnx/onnxRuntime.ts';
import { patchSource } from '../src/sampling/sampleSource.ts';
import { CHANNELS, KSC, PATCH, paperNetwork, randomSamples } from './workloads.ts';
import os from 'node:os';

await tf.setBackend('cpu');
const ort = await loadOnnxRuntime();
if (typeof ort === 'string') throw new Error(ort);
const model = paperNetwork();
const shape = [PATCH, PATCH, CHANNELS] as const;
const per = PATCH * PATCH * CHANNELS;
const N = 4096;
const { data } = randomSamples(N, 1);
const graphs: [string, OnnxExport][] = [
  ['float32', exportOnnx(model, shape)],
  ['int8', exportOnnxInt8(model, shape, await calibrateInt8(ort as OrtModule, model, shape, randomSamples(1024, 2).data, 2))],
];

async function rate(session: OrtSession, g: OnnxExport, batch: number): Promise<string> {
  const pass = async () => {
    for (let i = 0; i < N; i += batch) {
      await session.run({ [g.input]: new (ort as OrtModule).Tensor('float32', data.subarray(i * per, (i + batch) * per), [batch, ...shape]) }, [g.logits, g.classes]);
    }
  };
  await pass();
  const t = performance.now();
  const c = process.cpuUsage();
  await pass();
  const wall = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(c);
  return `${(N / wall).toFixed(0)} / ${(N / ((cpu.user + cpu.system) / 1e6)).toFixed(0)}`;
}

console.log(`load average ${os.loadavg()[0]!.toFixed(1)}; samples per wall second / per CPU second, ${N} samples a cell`);
for (const [threads, spinning] of [[1, true], [2, true], [2, false]] as const) {
  for (const [name, g] of graphs) {
    const s = await createSession(ort as OrtModule, g.bytes, threads, spinning);
    if (typeof s === 'string') throw new Error(s);
    const cells = [];
    for (const batch of [256, 1024, 4096]) cells.push(`b${batch} ${await rate(s, g, batch)}`);
    console.log(`${name}, ${threads} thread${threads > 1 ? `s, ${spinning ? 'spinning' : 'sleeping'}` : ''}: ${cells.join('; ')}`);
    await s.release();
  }
}
const cube = { height: KSC.height, width: KSC.width, bands: CHANNELS, data: randomSamples(Math.ceil(KSC.height * KSC.width / (per / CHANNELS)), 3).data.subarray(0, KSC.height * KSC.width * CHANNELS) };
const source = patchSource(cube, PATCH);
const out = new Float32Array(512 * per);
const indices = new Int32Array(512);
const t = performance.now();
for (let s = 0; s < 32768; s += 512) {
  for (let i = 0; i < 512; i++) indices[i] = s + i;
  source.fill(indices, out);
}
console.log(`cutting 15×15×30 patches from a KSC-sized cube: ${(32768 / ((performance.now() - t) / 1000)).toFixed(0)}/s on one thread; load now ${os.loadavg()[0]!.toFixed(1)}`);
