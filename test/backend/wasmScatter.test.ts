import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { wasmScatterFor } from '../../src/backend/wasmScatter.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { nchwcKernelMap, scatterKernel } from '../../src/onnx/nchwc.ts';
import { loadOnnxRuntime, type OrtTensor } from '../../src/onnx/onnxRuntime.ts';
import { buildGradientGraph } from '../../src/training/engines/onnxruntime/gradientGraph.ts';
import { weightFeeder } from '../../src/training/engines/onnxruntime/onnxGradients.ts';

const runtime = await loadOnnxRuntime();
if (typeof runtime === 'string') console.warn(`weightFeeder test skipped: ${runtime}`);

describe('WebAssembly scatter of NCHWc kernels', () => {
  it('writes exactly what scatterKernel writes, for blocked and unblocked inputs, forward and transposed', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const scatter = wasmScatterFor(memory);
    expect(scatter).not.toBeNull();
    for (const shape of [[3, 3, 5, 7], [3, 3, 20, 9], [1, 1, 17, 33]]) {
      for (const transposed of [false, true]) {
        const map = nchwcKernelMap(shape, 8, transposed);
        const size = map.reduce((a, b) => Math.max(a, b), 0) + 1;
        // Placed at odd (but 4-byte) offsets, the output pre-filled so that untouched padding shows.
        const w = new Float32Array(memory.buffer, 4, map.length);
        const m = new Int32Array(memory.buffer, 4 + map.length * 4 + 12, map.length);
        const out = new Float32Array(memory.buffer, m.byteOffset + map.length * 4 + 4, size);
        for (let i = 0; i < w.length; i++) w[i] = Math.sin(i + shape[2]!) * 1e3;
        m.set(map);
        out.fill(-7);
        const expected = scatterKernel(w, map, new Float32Array(size).fill(-7));
        scatter!(w.byteOffset, m.byteOffset, out.byteOffset, map.length);
        expect(Array.from(out)).toEqual(Array.from(expected)); // padding included: left as it was
      }
    }
  });

  it.skipIf(typeof runtime === 'string')('the training step\'s weight feeds are the same on the wasm heap as blocked in JavaScript', async () => {
    if (typeof runtime === 'string') return;
    await selectBackend('wasm');
    const start = tf.memory().numTensors;
    const model = getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 });
    const graph = buildGradientGraph(model, [9, 9, 6], 5, { nchwcBlock: 8 });
    const feeds = (wasm: boolean) => {
      const f: Record<string, OrtTensor> = {};
      const feeder = weightFeeder(runtime, graph.weights, wasm);
      feeder(f);
      const values = Object.fromEntries(Object.entries(f).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
      feeder.dispose();
      return values;
    };
    const blocked = graph.weights.flatMap((w) => w.feeds.filter((f) => f.scatter !== undefined));
    expect(blocked.length).toBeGreaterThan(0);
    expect(feeds(true)).toEqual(feeds(false));
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
