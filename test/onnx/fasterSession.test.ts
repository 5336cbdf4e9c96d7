import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fasterSession } from '../../src/onnx/fasterSession.ts';
import { nchwcBlockSize } from '../../src/onnx/nchwc.ts';
import { createSession, loadOnnxRuntime, type OrtSession, type OrtTensor } from '../../src/onnx/onnxRuntime.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { buildGradientGraph } from '../../src/training/engines/onnxruntime/gradientGraph.ts';
import { weightFeeder } from '../../src/training/engines/onnxruntime/onnxGradients.ts';
import { createRng } from '../../src/util/random.ts';

const runtime = await loadOnnxRuntime();
const skip = typeof runtime === 'string';
if (skip) console.warn(`fasterSession onnxruntime tests skipped: ${runtime}`);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A session that records its runs and answers with its own name. */
function recorder(name: string) {
  const log = { runs: 0, released: 0 };
  const session: OrtSession = {
    async run() {
      log.runs++;
      return { who: { data: name, dims: [] } as OrtTensor };
    },
    async release() {
      log.released++;
    },
  };
  return { session, log };
}

describe('fasterSession', () => {
  it('alternates while timing, then serves every run from one session and releases each session once', async () => {
    const all = ['spinning', 'sleeping', 'one'].map(recorder);
    const s = fasterSession(all.map((r, i) => ({ name: ['spinning', 'sleeping', 'one'][i]!, session: r.session })), 3, 0);
    // One untimed run each, then three timed runs each; the last one's time ends when the 13th run starts.
    for (let i = 0; i < 12; i++) {
      await s.run({}, []);
      expect(s.chosen).toBeUndefined();
    }
    expect(all.map((r) => r.log.runs)).toEqual([4, 4, 4]);
    const first = (await s.run({}, [])).who!.data;
    expect(['spinning', 'sleeping', 'one']).toContain(s.chosen);
    expect(first).toBe(s.chosen);
    for (let i = 0; i < 5; i++) expect((await s.run({}, [])).who!.data).toBe(s.chosen);
    const winner = all[['spinning', 'sleeping', 'one'].indexOf(s.chosen!)]!;
    expect(winner.log.runs).toBe(10);
    // The others stay open (for re-checks) until the session is released.
    for (const r of all) if (r !== winner) expect([r.log.runs, r.log.released]).toEqual([4, 0]);
    await s.release();
    expect(all.map((r) => r.log.released)).toEqual([1, 1, 1]);
  });

  it('counts the time until the next run, so a session that slows the work between runs loses', async () => {
    // "quick" returns at once but the caller is slow after it (as when its threads spin and take the core
    // the caller needs); "steady" takes 5 ms itself and leaves the caller at full speed.
    const quick = recorder('quick');
    const steady: OrtSession = {
      async run() {
        await new Promise((r) => setTimeout(r, 5));
        return { who: { data: 'steady', dims: [] } as OrtTensor };
      },
      async release() {},
    };
    const s = fasterSession([{ name: 'quick', session: quick.session }, { name: 'steady', session: steady }], 3);
    while (s.chosen === undefined) {
      const who = (await s.run({}, [])).who!.data;
      if (who === 'quick') await new Promise((r) => setTimeout(r, 25));
    }
    expect(s.chosen).toBe('steady');
    await s.release();
  });

  it('times them again every recheckEvery runs and follows the one that became faster', async () => {
    // "early" is quick for its first 4 runs (the first timing round) and then slow; "late" the other way round.
    let runs = 0;
    const timedRuns = { early: 0, late: 0 };
    const paced = (name: 'early' | 'late'): OrtSession => ({
      async run() {
        runs++;
        timedRuns[name]++;
        const slow = name === 'early' ? timedRuns.early > 4 : timedRuns.late <= 4;
        await new Promise((r) => setTimeout(r, slow ? 12 : 1));
        return { who: { data: name, dims: [] } as OrtTensor };
      },
      async release() {},
    });
    // 2 untimed + 2 × 3 timed, 20 served; then 2 untimed + 2 × 2 timed (no re-check on slowing down here).
    const s = fasterSession([{ name: 'early', session: paced('early') }, { name: 'late', session: paced('late') }], 3, 20, 2, 0);
    const who: string[] = [];
    for (let i = 0; i < 60; i++) who.push(String((await s.run({}, [])).who!.data));
    expect(who.slice(8, 28)).toEqual(Array(20).fill('early'));
    // After the re-check (runs 29-34), "late" serves, and has served the most runs by the end.
    expect(who.slice(34, 54)).toEqual(Array(20).fill('late'));
    expect(runs).toBe(60);
    expect(s.chosen).toBe('late');
    await s.release();
  });

  it('times them again as soon as the chosen one has slowed down, without waiting for recheckEvery', async () => {
    // "fickle" takes 1 ms until its 12th run, 60 ms after; "steady" always 20 ms (wide margins: timers run
    // late on a busy machine).
    let fickleRuns = 0;
    const session = (name: string, ms: () => number): OrtSession => ({
      async run() {
        await new Promise((r) => setTimeout(r, ms()));
        return { who: { data: name, dims: [] } as OrtTensor };
      },
      async release() {},
    });
    const s = fasterSession([
      { name: 'fickle', session: session('fickle', () => (++fickleRuns > 12 ? 60 : 1)) },
      { name: 'steady', session: session('steady', () => 20) },
    ], 3, 1000, 2, 10, 4);
    const who: string[] = [];
    for (let i = 0; i < 40; i++) who.push(String((await s.run({}, [])).who!.data));
    // Timing: runs 1-8 (4 each). Then fickle serves: runs 9-16 are its 5th-12th, quick; from run 17 on it
    // takes 60 ms, and once 3 of its last 4 runs were slow (run 20) they are timed again: 2 untimed and
    // 2 × 2 timed runs, after which steady serves.
    expect(who.slice(8, 20)).toEqual(Array(12).fill('fickle'));
    expect(who.slice(26)).toEqual(Array(14).fill('steady'));
    expect(s.chosen).toBe('steady');
    await s.release();
  });

  it('releases every session when released before deciding', async () => {
    const a = recorder('spinning');
    const b = recorder('sleeping');
    const s = fasterSession([{ name: 'a', session: a.session }, { name: 'b', session: b.session }]);
    await s.run({}, []);
    await s.release();
    expect([a.log.released, b.log.released]).toEqual([1, 1]);
  });

  for (const kind of ['plain', 'NCHWc']) {
    it.skipIf(skip)(`the training graph (${kind} convolutions) gives identical bits on 2 threads spinning, 2 sleeping and 1 thread`, async () => {
      if (typeof runtime === 'string') return;
      const model = getModelSpec('spinal-cnn').build({ patch: 9, channels: 6, numClasses: 5 });
      const nchwcBlock = kind === 'NCHWc' ? await nchwcBlockSize(runtime) : undefined;
      if (kind === 'NCHWc' && nchwcBlock === undefined) console.warn('this onnxruntime has no NCHWc kernels: the NCHWc graph is the plain one');
      const graph = buildGradientGraph(model, [9, 9, 6], 5, { nchwcBlock });
      const n = 8;
      const rng = createRng(5, 'faster-session');
      const feeds: Record<string, OrtTensor> = {};
      feeds[graph.x] = new runtime.Tensor('float32', Float32Array.from({ length: n * 9 * 9 * 6 }, () => rng.normal()), [n, 9, 9, 6]);
      const oneHot = new Float32Array(n * 5);
      for (let i = 0; i < n; i++) oneHot[i * 5 + (i % 5)] = 1;
      feeds[graph.labels] = new runtime.Tensor('float32', oneHot, [n, 5]);
      feeds[graph.sampleWeights] = new runtime.Tensor('float32', new Float32Array(n).fill(1), [n]);
      for (const m of graph.masks) {
        const shape = m.noiseShape(n);
        feeds[m.input] = new runtime.Tensor('float32', Float32Array.from({ length: shape.reduce((a, v) => a * v, 1) }, () => (rng.next() < m.rate ? 0 : 1 / (1 - m.rate))), shape);
      }
      weightFeeder(runtime, graph.weights)(feeds);
      const fetches = [graph.loss, graph.logits, ...graph.weights.map((w) => w.gradient)];
      const sessions = [await createSession(runtime, graph.bytes, 2, true), await createSession(runtime, graph.bytes, 2, false), await createSession(runtime, graph.bytes, 1)];
      const outs = [];
      for (const s of sessions) {
        if (typeof s === 'string') throw new Error(s);
        outs.push(await s.run(feeds, fetches));
        await s.release();
      }
      for (const out of outs.slice(1)) {
        for (const name of fetches) expect(Array.from(out[name]!.data as Float32Array)).toEqual(Array.from(outs[0]![name]!.data as Float32Array));
      }
    });
  }
});
