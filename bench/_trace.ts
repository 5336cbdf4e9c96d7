Error.stackTraceLimit = 80;
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '/work/wt/webgpu/src/backend/selectBackend.ts';
import { getModelSpec } from '/work/wt/webgpu/src/models/registry.ts';
import { arraySource } from '/work/wt/webgpu/src/training/sampleSource.ts';
import { trainModel } from '/work/wt/webgpu/src/training/trainModel.ts';
await selectBackend('webgpu');
const patch = 9, C = 30, K = 13, batch = 16;
const model = getModelSpec('spinal-cnn').build({ patch, channels: C, numClasses: K });
const data = new Float32Array(batch * patch * patch * C).map((_, i) => Math.sin(i));
const labels = Int32Array.from({ length: batch }, (_, i) => i % K);
const opts = { epochs: 1, batchSize: batch, learningRate: 1e-3, seed: 1, engine: 'tfjs' as const };
await trainModel(model, arraySource(data, [patch, patch, C]), labels, K, opts);
const b = tf.backend() as any;
const run = b.runWebGPUProgram;
const want = process.argv[2]!;
const seen = new Map<string, number>();
b.runWebGPUProgram = function (...args: any[]) {
  const name = args[0].constructor.name;
  if (name === want) {
    const st = new Error().stack!.split('\n').slice(2, 80).filter((l) => !l.includes('engine.ts') && !l.includes('backend_webgpu') && !l.includes('kernel_names') && !l.includes('operation.ts')).slice(0, 8).join(' | ');
    const extra = name === 'BinaryOpProgram' ? args[0].op?.toString().slice(0, 30) : '';
    const key = extra + ' ' + st;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return run.apply(this, args);
};
await trainModel(model, arraySource(data, [patch, patch, C]), labels, K, opts);
for (const [k, v] of [...seen].sort((a, b) => b[1] - a[1])) console.log(v, k.replace(/file:\/\/\/work\/wt\/webgpu\//g, '').replace(/\s+at /g, ' '));
