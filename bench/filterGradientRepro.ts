/**
 * Minimal reproduction for docs/training-speed.md: one convolution's filter gradient as the training graph
 * computes it (nine shifted windows of the padded NHWC input, each multiplied by the output gradient dz as
 * [Cout, N·H·W]), on onnxruntime with one thread and with two spinning threads, written two ways:
 *
 *   single: one MatMul per tap, [Cout, K] × [K, Cin] (K = N·H·W);
 *   halves: one MatMul per tap batched over the batch's two halves, [2, Cout, K/2] × [2, K/2, Cin], then
 *           the halves added (what the graph does for even batches on more than one thread).
 *
 * MLAS splits a single product of this shape (small M and N, long K) between threads by rows or columns,
 * so each thread reads all of one operand; batched, each thread takes one half of both. onnxruntime's
 * profiler splits each run's time into the products (MatMul) and the windows (Slice): the windows are
 * copied on the calling thread alone, and on two threads they take longer than on one.
 *
 *   node --import tsx bench/filterGradientRepro.ts [N,SIDE,CIN,COUT=64,15,30,15] [RUNS=40]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxRuntime, type OrtTensor } from '../src/onnx/onnxRuntime.ts';
import { OnnxGraph } from '../src/onnx/onnxGraph.ts';

const [n, side, cin, cout] = (process.argv[2] ?? '64,15,30,15').split(',').map(Number) as [number, number, number, number];
const runs = Number(process.argv[3] ?? 40);
if (n % 2 !== 0) throw new Error('N must be even (the halves)');
const loaded = await loadOnnxRuntime();
if (typeof loaded === 'string') throw new Error(loaded);
const ort = loaded;
const K = n * side * side;

function graph(halves: boolean): { bytes: Uint8Array; output: string } {
  const g = new OnnxGraph([], 'filter-gradient-repro');
  const x = g.input('x', [n, side, side, cin]);
  const dzT = g.input('dzT', [cout, K]);
  const padded = g.op('Pad', [x, g.int64s('pads', [0, 1, 1, 0, 0, 1, 1, 0])]);
  const left = halves ? g.op('Transpose', [g.op('Reshape', [dzT, g.int64s('shape', [cout, 2, -1])])], { perm: [1, 0, 2] }) : dzT;
  const rows = g.int64s('shape', halves ? [2, -1, cin] : [-1, cin]);
  const parts: string[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const tap = g.op('Slice', [padded, g.int64s('starts', [i, j]), g.int64s('ends', [i + side, j + side]), g.int64s('axes', [1, 2])]);
      parts.push(g.op('MatMul', [left, g.op('Reshape', [tap, rows])]));
    }
  }
  const all = g.op('Concat', parts, { axis: 0 });
  const output = halves ? g.op('ReduceSum', [g.op('Reshape', [all, g.int64s('shape', [9, 2, cout, cin])]), g.int64s('axes', [1])], { keepdims: 0 }) : all;
  return { bytes: g.serialize([{ name: output, type: 'float32', shape: halves ? [9, cout, cin] : [9 * cout, cin] }]), output };
}

const feeds: Record<string, OrtTensor> = {
  x: new ort.Tensor('float32', Float32Array.from({ length: n * side * side * cin }, (_, i) => Math.cos(i)), [n, side, side, cin]),
  dzT: new ort.Tensor('float32', Float32Array.from({ length: cout * K }, (_, i) => Math.sin(i)), [cout, K]),
};
// enableProfiling, profileFilePrefix and endProfiling are onnxruntime-node's, outside OrtModule's typing.
const create = ort.InferenceSession.create as unknown as (m: Uint8Array, o: object) => Promise<{ run: (f: Record<string, OrtTensor>, o: string[]) => Promise<unknown>; endProfiling(): void }>;
const dir = mkdtempSync(join(tmpdir(), 'fg-repro-'));
const ways = [];
for (const halves of [false, true]) {
  const { bytes, output } = graph(halves);
  for (const threads of [1, 2]) {
    const name = `${halves ? 'halves' : 'single'}, ${threads} thread${threads > 1 ? 's' : ''}`;
    const prefix = join(dir, `${ways.length}`);
    const session = await create(bytes, {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
      enableProfiling: true, profileFilePrefix: prefix,
    });
    ways.push({ name, session, output, prefix, times: [] as number[] });
  }
}
const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
console.log(`filter gradient of a 3×3 convolution, batch ${n}, ${side}×${side}, ${cin} -> ${cout} channels; 3 rounds of ${runs} runs per way, alternating`);
for (let round = 0; round < 3; round++) {
  for (const w of ways) {
    for (let i = 0; i < 3; i++) await w.session.run(feeds, [w.output]);
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await w.session.run(feeds, [w.output]);
      w.times.push(performance.now() - t0);
    }
  }
}
interface Event { cat: string; name: string; dur: number; args?: { op_name?: string } }
for (const [k, w] of ways.entries()) {
  w.session.endProfiling();
  const file = readdirSync(dir).find((f) => f.startsWith(`${k}_`))!;
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Event[];
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.args?.op_name || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args.op_name === 'FusedMatMul' ? 'MatMul' : e.args.op_name;
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  }
  const perRun = (op: string) => ((byOp.get(op) ?? 0) / (3 * (runs + 3)) / 1000).toFixed(2);
  console.log(`  ${w.name.padEnd(18)} median ${median(w.times).toFixed(2)} ms per run (profiler: products ${perRun('MatMul')} ms, windows ${perRun('Slice')} ms)`);
}
rmSync(dir, { recursive: true });
