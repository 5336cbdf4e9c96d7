/**
 * MAT fuzzing soak runs (the same cases as test/fuzz/matFuzz.test.ts, as many as asked):
 *
 *   npm run fuzz -- [--cases 100000] [--seed 6] [--first 0] [--data ../shared/data] [--hang-seconds 30]
 *   npm run fuzz -- --seed 6 --case 1234        replay one case: its source, mutations and outcome
 *   npm run fuzz -- --rasters [--cases 20000] [--seed 11] [--first 0]
 *                                               ENVI headers and TIFF tags instead (test/fuzz/rasterFuzzCases.ts), in this thread
 *
 * Cases run in a worker thread that reports each case before starting it; if one runs longer than
 * --hang-seconds the worker is stopped and the case is printed, so a hang is caught (a synchronous
 * hang in the same thread could not be). Exit status: 0 when every case read or was refused with a
 * typed error naming the file, 1 otherwise.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FUZZ_MAX_BYTES, allSources, exercise, makeCase, runFuzz, type FuzzReport } from '../test/fuzz/matFuzzCases.ts';
import { runRasterFuzz } from '../test/fuzz/rasterFuzzCases.ts';

interface Job {
  readonly seed: number;
  readonly cases: number;
  readonly first: number;
  readonly data: string;
}

type Message =
  | { readonly kind: 'start'; readonly index: number; readonly source: string; readonly mutations: readonly string[] }
  | { readonly kind: 'done'; readonly report: FuzzReport };

const DEFAULT_DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));

if (isMainThread) await main();
else await runWorker(workerData as Job);

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      cases: { type: 'string', default: '20000' }, seed: { type: 'string', default: '6' },
      first: { type: 'string', default: '0' }, case: { type: 'string' }, data: { type: 'string', default: DEFAULT_DATA },
      'hang-seconds': { type: 'string', default: '30' }, rasters: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, s: string) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got '${s}'`);
    return n;
  };
  const seed = int('seed', v.seed), data = v.data;
  if (v.rasters) return rasterFuzz(seed, int('first', v.first), int('cases', v.cases));
  if (v.case !== undefined) return replay(seed, int('case', v.case), data);
  const job: Job = { seed, cases: int('cases', v.cases), first: int('first', v.first), data };
  const hangMs = 1000 * int('hang-seconds', v['hang-seconds']);
  console.log(`MAT fuzz: cases ${job.first}…${job.first + job.cases - 1}, seed ${seed}, data ${data}`);

  const t0 = performance.now();
  // A worker does not inherit the tsx loader hooks, so it registers them before importing this file.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(import.meta.url)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: job });
  let current: Extract<Message, { kind: 'start' }> | undefined;
  let since = performance.now();
  let done = 0;
  const report = await new Promise<FuzzReport | undefined>((resolve, reject) => {
    const timer = setInterval(() => {
      if (current !== undefined && performance.now() - since > hangMs) {
        console.error(`HANG: case ${current.index} (${current.source}; ${current.mutations.join(', ')}) ran over ${hangMs / 1000} s`);
        console.error(`replay: npm run fuzz -- --seed ${seed} --case ${current.index}`);
        clearInterval(timer);
        void worker.terminate().then(() => resolve(undefined));
      }
    }, 250);
    worker.on('message', (m: Message) => {
      if (m.kind === 'start') {
        current = m;
        since = performance.now();
        if (++done % 5000 === 0) console.log(`  ${done} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      } else {
        clearInterval(timer);
        resolve(m.report);
      }
    });
    worker.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
  if (report === undefined) process.exit(1);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${report.cases} cases in ${seconds.toFixed(1)} s: ${report.read} read, ${report.refused} refused with a typed error, ` +
      `${report.failures.length} failures; slowest case ${report.maxMs.toFixed(1)} ms (#${report.slowest.index}, ` +
      `${report.slowest.source}); worker peak RSS ${report.maxRssMiB.toFixed(0)} MiB`,
  );
  console.log('refusals by kind (numbers as N):');
  for (const [m, n] of report.messages.slice(0, 40)) console.log(`  ${String(n).padStart(7)}  ${m}`);
  for (const f of report.failures.slice(0, 10)) {
    console.log(`FAILED case ${f.index} (${f.source}; ${f.mutations.join(', ')}):\n${f.error}`);
  }
  process.exit(report.failures.length === 0 ? 0 : 1);
}

/** ENVI/GeoTIFF soak: every case in this thread (their readers are asynchronous and bounded by the file size). */
async function rasterFuzz(seed: number, first: number, cases: number): Promise<void> {
  const t0 = performance.now();
  const r = await runRasterFuzz(seed, first, cases);
  console.log(
    `raster fuzz: ${r.cases} cases (seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.read} read, ${r.refused} refused with a typed error, ` +
      `${r.failures.length} failures; slowest case ${r.maxMs.toFixed(1)} ms (#${r.slowest})`,
  );
  for (const f of r.failures.slice(0, 10)) console.log(`FAILED case ${f.index} (${f.source}; ${f.mutations.join(', ')}):\n${f.error}`);
  process.exit(r.failures.length === 0 ? 0 : 1);
}

async function runWorker(job: Job): Promise<void> {
  const { sources } = allSources(job.data);
  const post = (m: Message) => parentPort?.postMessage(m);
  // Announce each case before it runs, so the main thread can name a case that never finishes.
  const report = await runFuzz({
    seed: job.seed, cases: job.cases, first: job.first, sources,
    onStart: (c) => post({ kind: 'start', index: c.index, source: c.source, mutations: c.mutations }),
  });
  post({ kind: 'done', report });
}

async function replay(seed: number, index: number, data: string): Promise<void> {
  const { sources } = allSources(data);
  const c = makeCase(index, seed, sources);
  console.log(`case ${index} of seed ${seed}: ${c.source}, ${c.bytes.length} bytes after: ${c.mutations.join('; ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-fuzz-replay-'));
  try {
    const p = join(dir, 'case.mat');
    writeFileSync(p, c.bytes);
    const t0 = performance.now();
    const r = await exercise(p, FUZZ_MAX_BYTES);
    console.log(`${r.outcome}${r.message ?? ''} (${(performance.now() - t0).toFixed(1)} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
