/**
 * Minimal reproduction: on this 2-core VM, onnxruntime sessions with two intra-op threads run a small
 * memory-bound graph in about 1× the one-thread time for some seconds and about 3–4× for others, while
 * plain JavaScript measured between the same blocks shows both cores computing at full speed and data handed
 * from one core to the other costing more in some blocks than in others.
 *
 *   node --import tsx bench/twoThreadStretches.ts [BLOCKS=40] [RUNS=50]
 *
 * The graph is the first layer's filter gradient of the paper network at batch 64 as the training step
 * builds it (x [64, 15, 15, 30] padded, nine windows sliced, each multiplied by dzᵀ [15, 64·225]): the
 * Pad and Slices run on the calling thread, the products on both. Each block times RUNS runs of each session
 * (one thread; two threads, spinning, twice) after 5 untimed ones, then the JavaScript controls below.
 * Nothing else of the project is involved, so the effect belongs to onnxruntime's threads on this machine,
 * not to the training step (docs/training-speed.md, 2026-12-03 from 10:15 UTC).
 *
 * Before and after the two-thread blocks, coreRoundTrip.ts times a value bounced between two workers
 * through one cache line: how far apart the host has put the two vCPUs at that moment. The summary groups
 * the two-thread blocks by it: the slow ones are mostly where the round trip is long.
 */
import { Worker } from 'node:worker_threads';
import { coreProbe } from './coreRoundTrip.ts';
import { createSession, loadOnnxRuntime, type OrtSession } from '../src/onnx/onnxRuntime.ts';
import { OnnxGraph } from '../src/onnx/onnxGraph.ts';

const blocks = Number(process.argv[2] ?? 40);
const runs = Number(process.argv[3] ?? 50);
const ort = await loadOnnxRuntime();
if (typeof ort === 'string') throw new Error(ort);

const [n, side, cin, cout] = [64, 15, 30, 15];
const rows = n * side * side;
const g = new OnnxGraph([{ name: 'x', shape: [n, side, side, cin] }, { name: 'dzT', shape: [cout, rows] }], 'two-thread-stretches');
const padded = g.op('Pad', ['x', g.int64s('pads', [0, 1, 1, 0, 0, 1, 1, 0])]);
const taps: string[] = [];
for (let i = 0; i < 3; i++) {
  for (let j = 0; j < 3; j++) {
    const ends = [i + side, j + side];
    const window = g.op('Slice', [padded, g.int64s('starts', [i, j]), g.int64s('ends', ends), g.int64s('axes', [1, 2])]);
    taps.push(g.op('MatMul', ['dzT', g.op('Reshape', [window, g.int64s('shape', [-1, cin])])]));
  }
}
const out = g.op('Concat', taps, { axis: 0 });
const bytes = g.serialize([{ name: out, type: 'float32', shape: [9 * cout, cin] }]);
const feeds = {
  x: new ort.Tensor('float32', Float32Array.from({ length: rows * cin }, (_, i) => (i % 7) - 3), [n, side, side, cin]),
  dzT: new ort.Tensor('float32', Float32Array.from({ length: cout * rows }, (_, i) => (i % 5) - 2), [cout, rows]),
};
// The training step's own session settings (two threads spin between operators, onnxruntime's default).
const session = async (threads: number): Promise<OrtSession> => {
  const s = await createSession(ort, bytes, threads);
  if (typeof s === 'string') throw new Error(s);
  return s;
};
const sessions = [await session(1), await session(2), await session(2)];

// Controls without onnxruntime, in plain JavaScript on two workers: (1) floating-point multiply-adds on eight
// independent chains, on one worker alone and on two at once (does each vCPU compute at full speed?); (2) a
// buffer of the Slice output's size written by one worker and then read by the same worker, or by the other
// one (SharedArrayBuffer, handed over with Atomics): what moving data between the cores costs in this block.
const values = rows * cin;
const shared = new SharedArrayBuffer(64 + values * 4);
const worker = `const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData, 0, 4), buf = new Float32Array(workerData, 64, ${values});
const read = () => { let s = 0; for (let i = 0; i < buf.length; i += 4) s += buf[i]; return s; };
const kinds = {
  fma() {
    const c = new Float64Array(8).fill(1);
    let [a, b, d, e, f, g, h, k] = c;
    for (let i = 0; i < 5e7; i++) {
      a = a * 0.999 + 0.001; b = b * 0.999 + 0.001; d = d * 0.999 + 0.001; e = e * 0.999 + 0.001;
      f = f * 0.999 + 0.001; g = g * 0.999 + 0.001; h = h * 0.999 + 0.001; k = k * 0.999 + 0.001;
    }
    flag[3] = a + b + d + e + f + g + h + k;
  },
  local() { for (let r = 0; r < 50; r++) { buf.fill(r); flag[3] = read(); } },
  write() {
    for (let r = 0; r < 50; r++) { buf.fill(r); Atomics.store(flag, 0, 1); while (Atomics.load(flag, 0) !== 0); }
    Atomics.store(flag, 0, 2);
  },
  read() {
    for (;;) {
      let f;
      while ((f = Atomics.load(flag, 0)) === 0);
      if (f === 2) return;
      flag[3] = read();
      Atomics.store(flag, 0, 0);
    }
  },
};
parentPort.on('message', (kind) => {
  const t = performance.now();
  kinds[kind]();
  parentPort.postMessage(performance.now() - t);
});`;;
const workers = [new Worker(worker, { eval: true, workerData: shared }), new Worker(worker, { eval: true, workerData: shared })];
const job = (w: Worker, kind: string) => new Promise<number>((resolve) => { w.once('message', resolve); w.postMessage(kind); });
const flag = new Int32Array(shared, 0, 4);

const probe = coreProbe();

const blockRows: number[][] = [];
const trips: [number, number][] = [];
for (let b = 0; b < blocks; b++) {
  const row: number[] = [];
  let before = 0;
  for (const [k, s] of sessions.entries()) {
    if (k === 1) before = await probe.roundTrip();
    for (let i = 0; i < 5; i++) await s.run(feeds, [out]);
    const t = performance.now();
    for (let i = 0; i < runs; i++) await s.run(feeds, [out]);
    row.push((performance.now() - t) / runs);
  }
  trips.push([before, await probe.roundTrip()]);
  const alone = await job(workers[0]!, 'fma');
  row.push(Math.max(...(await Promise.all(workers.map((w) => job(w, 'fma'))))) / alone);
  const local = await job(workers[0]!, 'local');
  Atomics.store(flag, 0, 0);
  const [across] = await Promise.all([job(workers[0]!, 'write'), job(workers[1]!, 'read')]); // flag 0 hands over
  row.push(local / 50, across! / 50);
  blockRows.push(row);
}
console.log(`ms per run, blocks of ${runs}: 1 thread / 2 threads (A) / 2 threads (B) | multiply-adds, two workers' time ` +
  `over one's | ms to write and read ${(values * 4 / 2 ** 20).toFixed(1)} MiB, one worker / written by one, read by the other`);
const fixed = (r: number[], from: number, to: number) => r.slice(from, to).map((v) => v.toFixed(2));
console.log(blockRows.map((r, b) => `${fixed(r, 0, 3).join('/')} | ${fixed(r, 3, 4)} | ${fixed(r, 4, 6).join(' / ')} | ` +
  `round trip ${trips[b]!.map((v) => v.toFixed(0)).join(' / ')} ns before / after the two-thread blocks`).join('\n'));
const slow = blockRows.filter((r) => r[1]! > 2 * r[0]!);
const fast = blockRows.filter((r) => !slow.includes(r));
const mean = (rs: number[][], k: number) => (rs.length ? (rs.reduce((a, r) => a + r[k]!, 0) / rs.length).toFixed(2) : '–');
console.log(`blocks where 2 threads (A) took over twice the one-thread time: ${slow.length} of ${blockRows.length}; ` +
  `means in those blocks and in the others: multiply-adds two over one ${mean(slow, 3)} and ${mean(fast, 3)}; ` +
  `write and read on one worker ${mean(slow, 4)} and ${mean(fast, 4)} ms, ` +
  `across the cores ${mean(slow, 5)} and ${mean(fast, 5)} ms`);
// Two-thread blocks over the one-thread block's time, grouped by the round trips on both sides of them.
const groups = new Map<string, number[]>();
blockRows.forEach((r, b) => {
  const [before, after] = trips[b]!;
  const key = before < 200 && after < 200 ? 'both round trips < 200 ns' : before >= 200 && after >= 200 ? 'both >= 200 ns' : 'one of each';
  groups.set(key, [...(groups.get(key) ?? []), r[1]! / r[0]!, r[2]! / r[0]!]);
});
for (const [key, ratios] of groups) {
  const slowOnes = ratios.filter((v) => v > 2).length;
  console.log(`${key}: ${ratios.length / 2} blocks; two threads over one thread's time above 2× in ${slowOnes} of ${ratios.length} ` +
    `(${ratios.sort((x, y) => x - y).map((v) => v.toFixed(2)).join(' ')})`);
}
await Promise.all(workers.map((w) => w.terminate()));
await probe.close();
for (const s of sessions) await s.release();
