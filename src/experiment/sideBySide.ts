/**
 * Runs an experiment grid's cells side by side: `jobs` child processes (cellProcess.ts), each training
 * one cell at a time on its share of the cores (one thread each on two cores), fed from one queue. With onnxruntime the cells compute exactly
 * what they compute one at a time on every core (its training step gives the same bits on 1 and 2 threads,
 * test/experiment/sideBySide.test.ts checks a grid both ways); libtorch's agree to float32 rounding (a
 * second thread changes the order of some of its sums). Only sooner: a batch-16 step is
 * ~290 small operators, which two threads share poorly, while two independent runs keep both cores busy.
 * docs/performance.md#experiments-side-by-side has the measurement that made 2 jobs the default.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BackendError, DataError, SpinalnetError } from '../core/errors.ts';
import { coresHere, openmpWaitEnv, threadsPerJob } from '../core/threads.ts';
import { getModelSpec } from '../models/registry.ts';
import { validateConfig } from '../pipeline/config.ts';
import { loadInputScene } from '../pipeline/sceneInput.ts';
import type { CellReply, CellRequest } from './cellProcess.ts';
import { compare, type ExperimentConfig, experimentSceneOptions, type ExperimentResult, type ExperimentRun, runExperiment, summarise } from './runExperiment.ts';

/** What an experiment ran, and how: `schedule` says whether cells ran one at a time or side by side. */
export interface ScheduledResult extends ExperimentResult {
  schedule: string;
}

/** Default jobs: one per core, at most 2 (the measured case), when two or more cells are queued. */
export function defaultJobs(cells: number): number {
  return cells >= 2 ? Math.min(2, coresHere(), cells) : 1;
}

/** The grid's cells in runExperiment's order: splits, then seeds, then models innermost. */
function cells(config: ExperimentConfig): Omit<CellRequest, 'index' | 'base'>[] {
  return config.splits.flatMap((split) => config.seeds.flatMap((seed) => config.models.map((model) => ({ model, split, seed }))));
}

/** An error a cell process reported, as the class it had there when that class takes (message, fix). */
function rebuild(r: Extract<CellReply, { kind: 'error' }>): Error {
  if (r.fix === undefined) return new Error(r.message);
  if (r.name === 'DataError') return new DataError(r.message, r.fix);
  if (r.name === 'BackendError') return new BackendError(r.message, r.fix);
  return new SpinalnetError(r.message, r.fix);
}

/**
 * The experiment, its cells spread over `jobs` processes (1: runExperiment in this process, on every core).
 * Bad input fails here, before any process starts, as runExperiment would fail.
 */
export async function runExperimentScheduled(
  config: ExperimentConfig, jobs: number, log: (line: string) => void = () => {},
): Promise<ScheduledResult> {
  const grid = cells(config);
  const workers = Math.max(1, Math.min(Math.floor(jobs), grid.length));
  if (workers <= 1 || grid.length < 2) {
    const result = await runExperiment(config, log);
    return { ...result, schedule: `one run at a time on ${config.base.trainThreads ?? coresHere()} training threads` };
  }
  // The checks runExperiment makes first, so that bad input gives its one clear error here.
  grid.forEach((c) => validateConfig({ ...config.base, ...c }));
  config.models.forEach(getModelSpec);
  (await loadInputScene(config.base.input, experimentSceneOptions(config))).scan.close();

  const start = performance.now();
  // The cores divided among the runs side by side (one each on two cores), unless --threads said otherwise.
  const share = threadsPerJob(coresHere(), workers);
  const base = { ...config.base, trainThreads: config.base.trainThreads ?? share, predictWorkers: config.base.predictWorkers ?? share };
  const results: (ExperimentResult | undefined)[] = new Array(grid.length);
  const entry = fileURLToPath(new URL('./cellEntry.mjs', import.meta.url));
  const pool: ChildProcess[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let finished = 0;
      let failed = false;
      const feed = (child: ChildProcess) => {
        if (next >= grid.length) {
          child.send('exit');
          return;
        }
        const index = next++;
        child.send({ index, base, ...grid[index]! } satisfies CellRequest);
      };
      for (let i = 0; i < workers; i++) {
        // execArgv: []: the entry registers tsx itself; inheriting the parent's loader flags would load it twice.
        // Runs side by side share the cores: their OpenMP threads (libtorch) wait passively.
        const child = fork(entry, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...openmpWaitEnv(process.env, true) } });
        pool.push(child);
        child.on('message', (m: CellReply) => {
          if (m.kind === 'log') {
            // A cell's own lines; its "[1/1]" counter is replaced by the grid's.
            log(m.line.replace(/^\[1\/1\] /, `[job ${i + 1}] `));
            return;
          }
          if (m.kind === 'error') {
            failed = true;
            reject(rebuild(m));
            return;
          }
          results[m.index] = m.result;
          finished++;
          if (finished === grid.length) resolve();
          else if (!failed) feed(child);
        });
        child.on('exit', (code) => {
          if (!failed && finished < grid.length && code !== 0) {
            failed = true;
            reject(new BackendError(`an experiment process stopped (exit ${code}) before its runs were done`, 'rerun with --jobs 1 (one run at a time in one process)'));
          }
        });
        feed(child);
      }
    });
  } finally {
    for (const child of pool) if (child.exitCode === null) child.kill();
  }
  const done = results as ExperimentResult[];
  const runs: ExperimentRun[] = done.map((r) => r.runs[0]!);
  const first = done[0]!;
  return {
    ...first,
    config,
    runs,
    summaries: summarise(runs, config),
    comparisons: compare(runs, config),
    seconds: (performance.now() - start) / 1000,
    schedule: `${workers} runs side by side, ${base.trainThreads === 1 ? 'one training thread' : `${base.trainThreads} training threads`} each`,
  };
}
