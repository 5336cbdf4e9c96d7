/**
 * Minimal reproduction for docs/training-speed.md: onnxruntime's parallel executor (executionMode
 * 'parallel', inter-op threads) running a graph of two independent branches, against the same graph on
 * the sequential executor with one thread and with two intra-op threads. Each branch is a chain of `DEPTH`
 * 3×3 convolutions (batch 32, 15×15, 32 channels, weights as inputs, as in a training step); if the
 * executor ran the branches side by side, the parallel run would take about half the one-thread run.
 * It does not: since onnxruntime 1.14 the CPU nodes of a graph run as one sequential stream whatever the
 * execution mode (microsoft/onnxruntime#16158).
 *
 *   node --import tsx bench/parallelExecutorRepro.ts [DEPTH=6] [RUNS=40]
 */
import { loadOnnxRuntime, type OrtTensor } from '../src/onnx/onnxRuntime.ts';
import { OnnxGraph } from '../src/onnx/onnxGraph.ts';

const depth = Number(process.argv[2] ?? 6);
const runs = Number(process.argv[3] ?? 40);
const loaded = await loadOnnxRuntime();
if (typeof loaded === 'string') throw new Error(loaded);
const ort = loaded;
const [n, c, side] = [32, 32, 15];

const g = new OnnxGraph([], 'parallel-executor-repro');
const outputs: string[] = [];
for (const branch of ['a', 'b']) {
  let t = g.input(`x_${branch}`, [n, c, side, side]);
  for (let k = 0; k < depth; k++) t = g.op('Relu', [g.op('Conv', [t, g.input(`w_${branch}${k}`, [c, c, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
  outputs.push(t);
}
const bytes = g.serialize(outputs.map((name) => ({ name, type: 'float32' as const, shape: [n, c, side, side] })));
const feeds: Record<string, OrtTensor> = {};
for (const branch of ['a', 'b']) {
  feeds[`x_${branch}`] = new ort.Tensor('float32', Float32Array.from({ length: n * c * side * side }, (_, i) => Math.cos(i)), [n, c, side, side]);
  for (let k = 0; k < depth; k++) feeds[`w_${branch}${k}`] = new ort.Tensor('float32', Float32Array.from({ length: c * c * 9 }, (_, i) => Math.sin(i + k) / 20), [c, c, 3, 3]);
}
const ways = [
  { name: 'sequential, 1 thread', intra: 1, inter: 1, mode: 'sequential' },
  { name: 'sequential, 2 intra-op threads', intra: 2, inter: 1, mode: 'sequential' },
  { name: 'parallel, 2 inter-op threads, 1 intra-op', intra: 1, inter: 2, mode: 'parallel' },
] as const;
// executionMode 'parallel' is in onnxruntime-node's options, outside OrtModule's typing ('sequential' only).
const create = ort.InferenceSession.create as (m: Uint8Array, o: object) => ReturnType<typeof ort.InferenceSession.create>;
const sessions = [];
for (const w of ways) {
  sessions.push(await create(bytes, { intraOpNumThreads: w.intra, interOpNumThreads: w.inter, executionMode: w.mode, graphOptimizationLevel: 'all', logSeverityLevel: 3 }));
}
const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
console.log(`two independent chains of ${depth} convolutions (batch ${n}, ${side}×${side}, ${c} channels), median ms per run, 3 alternating rounds:`);
for (let round = 1; round <= 3; round++) {
  const line: string[] = [];
  for (const [k, s] of sessions.entries()) {
    for (let i = 0; i < 3; i++) await s.run(feeds, outputs);
    const t: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await s.run(feeds, outputs);
      t.push(performance.now() - t0);
    }
    line.push(`${ways[k]!.name} ${median(t).toFixed(2)}`);
  }
  console.log(`  round ${round}: ${line.join('; ')}`);
}
for (const s of sessions) await s.release();
