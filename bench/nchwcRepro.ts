/**
 * Minimal reproduction for docs/training-speed.md: onnxruntime's NCHWc convolutions (its fastest CPU kernels on
 * AVX2/AVX-512, enabled by graphOptimizationLevel 'all') apply only to a Conv whose weights are a constant
 * of the graph and whose channel counts fit the block size. A training step must feed the weights as
 * inputs, so it never gets them. This times one 3×3 convolution (batch 16, 15×15, C→C channels) with the
 * weights as a constant and as an input, on one thread, and lists the kernels onnxruntime ran.
 *
 *   node --import tsx bench/nchwcRepro.ts [CHANNELS=32] [RUNS=200]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxRuntime, type OrtTensor } from '../src/onnx/onnxRuntime.ts';
import { OnnxGraph } from '../src/onnx/onnxGraph.ts';

const c = Number(process.argv[2] ?? 32);
const runs = Number(process.argv[3] ?? 200);
const ort = await loadOnnxRuntime();
if (typeof ort === 'string') throw new Error(ort);
const weights = Float32Array.from({ length: c * c * 9 }, (_, i) => Math.sin(i) / 10);
const x = new ort.Tensor('float32', Float32Array.from({ length: 16 * c * 225 }, (_, i) => Math.cos(i)), [16, c, 15, 15]);

const dir = mkdtempSync(join(tmpdir(), 'nchwc-repro-'));
for (const constant of [true, false]) {
  const g = new OnnxGraph([], 'nchwc-repro');
  const xin = g.input('x', [16, c, 15, 15]);
  const w = constant ? g.constant('w', weights, [c, c, 3, 3]) : g.input('w', [c, c, 3, 3]);
  const y = g.op('Conv', [xin, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const bytes = g.serialize([{ name: y, type: 'float32', shape: [16, c, 15, 15] }]);
  // enableProfiling and endProfiling are in onnxruntime-node's options and session, outside OrtModule's typing.
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', logSeverityLevel: 3, enableProfiling: true, profileFilePrefix: join(dir, constant ? 'constant' : 'input') } as const;
  const session = (await ort.InferenceSession.create(bytes, options as never)) as unknown as {
    run(f: Record<string, OrtTensor>, o: string[]): Promise<unknown>; endProfiling(): void; release(): Promise<void>;
  };
  const feeds: Record<string, OrtTensor> = { x };
  if (!constant) feeds['w'] = new ort.Tensor('float32', weights, [c, c, 3, 3]);
  for (let i = 0; i < 10; i++) await session.run(feeds, [y]);
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) await session.run(feeds, [y]);
  const used = process.cpuUsage(cpu);
  session.endProfiling();
  // onnxruntime-node's endProfiling returns nothing: the file is <prefix>_<date>.json.
  const file = join(dir, readdirSync(dir).find((f) => f.startsWith(constant ? 'constant' : 'input'))!);
  const kernels = new Set((JSON.parse(readFileSync(file, 'utf8')) as { cat: string; args?: { op_name?: string; provider?: string } }[])
    .filter((e) => e.cat === 'Node' && e.args?.op_name).map((e) => e.args!.op_name!));
  await session.release();
  console.log(`C=${c}, weights as ${constant ? 'a constant' : 'an input  '}: ${((used.user + used.system) / 1000 / runs).toFixed(3)} ms CPU per run; kernels: ${[...kernels].join(', ')}`);
}
rmSync(dir, { recursive: true });
