/**
 * How far apart the host has put this VM's vCPUs at the moment: two worker threads bounce a counter
 * through one shared cache line and the time per round trip comes back in nanoseconds. On the 2-core
 * AMD EPYC VM of 2026-12-03 it read 66–161 ns most of the time and 203–563 ns in stretches; onnxruntime's
 * two spinning threads ran a memory-bound graph about 3–4× slower than one thread in most of the long-trip
 * stretches (bench/twoThreadStretches.ts, docs/training-speed.md). The placement changes within seconds,
 * so a probe says something only about work timed right next to it (blocks of about a second there).
 */
import { Worker } from 'node:worker_threads';

const TRIPS = 50_000;
const source = `const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData);
parentPort.on('message', (side) => {
  const t = performance.now();
  if (side === 'ping') for (let r = 1; r <= ${TRIPS}; r++) { Atomics.store(flag, 0, r); while (Atomics.load(flag, 1) !== r); }
  else for (let r = 1; r <= ${TRIPS}; r++) { while (Atomics.load(flag, 0) !== r); Atomics.store(flag, 1, r); }
  parentPort.postMessage(performance.now() - t);
});`;

export interface CoreProbe {
  /** ns per round trip, measured after `settleMs` (default 100: onnxruntime's threads spin on after a run). */
  roundTrip(settleMs?: number): Promise<number>;
  close(): Promise<void>;
}

export function coreProbe(): CoreProbe {
  const shared = new SharedArrayBuffer(8);
  const flag = new Int32Array(shared);
  const workers = [new Worker(source, { eval: true, workerData: shared }), new Worker(source, { eval: true, workerData: shared })];
  const run = (w: Worker, side: string) => new Promise<number>((resolve) => { w.once('message', resolve); w.postMessage(side); });
  return {
    async roundTrip(settleMs = 100) {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      flag.fill(0);
      const [ms] = await Promise.all([run(workers[0]!, 'ping'), run(workers[1]!, 'pong')]);
      return (ms! / TRIPS) * 1e6;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
