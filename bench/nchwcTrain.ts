/**
 * The paper network's six convolutions at batch N (forward, and the input gradient of all but the
 * first), one onnxruntime thread, weights as graph inputs: plain Conv + ConvTranspose against
 * onnxruntime's NCHWc convolutions (com.microsoft.nchwc Conv, channels padded to the block of 16; the
 * inputs are fed already blocked, so this times the convolutions alone). CPU ms per run.
 *
 *   node --import tsx bench/nchwcTrain.ts [N=16]
 */
import { loadOnnxRuntime, type OrtTensor } from '../src/onnx/onnxRuntime.ts';
import { OnnxGraph } from '../src/onnx/onnxGraph.ts';
const ort = await loadOnnxRuntime();
if (typeof ort === 'string') throw new Error(ort);
const N = Number(process.argv[2] ?? 16);
const runs = 100;
const layers = [[30, 15, 15], [15, 30, 15], [30, 60, 7], [60, 60, 7], [60, 120, 3], [120, 120, 3]];
const B = 16; // AVX-512's block (src/onnx/nchwc.ts: nchwcBlockSize)
const up = (c: number) => Math.ceil(c / B) * B;
const rnd = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
for (const variant of ['plain', 'nchwc']) {
  const g = new OnnxGraph([], 'x');
  const feeds: Record<string, OrtTensor> = {};
  const outs: { name: string; type: 'float32'; shape: number[] }[] = [];
  layers.forEach(([ci, co, s], i) => {
    if (variant === 'plain') {
      const x = g.input(`x${i}`, [N, ci, s, s]); feeds[x] = new ort.Tensor('float32', rnd(N * ci * s * s), [N, ci, s, s]);
      const w = g.input(`w${i}`, [co, ci, 3, 3]); feeds[w] = new ort.Tensor('float32', rnd(co * ci * 9), [co, ci, 3, 3]);
      const dz = g.input(`dz${i}`, [N, co, s, s]); feeds[dz] = new ort.Tensor('float32', rnd(N * co * s * s), [N, co, s, s]);
      outs.push({ name: g.op('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), type: 'float32', shape: [N, co, s, s] });
      if (i > 0) outs.push({ name: g.op('ConvTranspose', [dz, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), type: 'float32', shape: [N, ci, s, s] });
    } else {
      const cip = up(ci), cop = up(co);
      const x = g.input(`x${i}`, [N, cip, s, s]); feeds[x] = new ort.Tensor('float32', rnd(N * cip * s * s), [N, cip, s, s]);
      const w = g.input(`w${i}`, [cop, cip, 3, 3]); feeds[w] = new ort.Tensor('float32', rnd(cop * cip * 9), [cop, cip, 3, 3]);
      const wt = g.input(`wt${i}`, [cip, cop, 3, 3]); feeds[wt] = new ort.Tensor('float32', rnd(cop * cip * 9), [cip, cop, 3, 3]);
      const dz = g.input(`dz${i}`, [N, cop, s, s]); feeds[dz] = new ort.Tensor('float32', rnd(N * cop * s * s), [N, cop, s, s]);
      outs.push({ name: g.opD('Conv', [x, w], 'com.microsoft.nchwc', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), type: 'float32', shape: [N, cop, s, s] });
      if (i > 0) outs.push({ name: g.opD('Conv', [dz, wt], 'com.microsoft.nchwc', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), type: 'float32', shape: [N, cip, s, s] });
    }
  });
  const bytes = g.serialize(outs);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', logSeverityLevel: 3 });
  const names = outs.map((o) => o.name);
  for (let i = 0; i < 10; i++) await session.run(feeds, names);
  const c = process.cpuUsage();
  for (let i = 0; i < runs; i++) await session.run(feeds, names);
  const u = process.cpuUsage(c);
  console.log(variant, ((u.user + u.system) / 1000 / runs).toFixed(3), 'ms CPU per run');
}
