/**
 * How many threads a computing process gives its training engine and its map: the cores it may use,
 * shared among the jobs that run at once on this host. Pure arithmetic here (unit-tested); the queue's
 * worker feeds it what the other workers on its host say in Redis (src/queue/hostWorkers.ts).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { ConfigError } from './errors.ts';

/** The cores this process may use (the machine's, or fewer under an affinity mask or cgroup limit). */
export const coresHere = (): number => availableParallelism();

/** Threads for each of `jobs` jobs running at once on `cores` cores: ⌊cores / jobs⌋, at least 1. */
export function threadsPerJob(cores: number, jobs: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, jobs)));
}

/** One worker process's heartbeat: what it tells the other workers on its host. */
export interface WorkerHeartbeat {
  host: string;
  pid: number;
  /** Cores the worker may use. */
  cores: number;
  /** Jobs it runs at once. */
  concurrency: number;
}

/**
 * Jobs that run at once on `host`: the concurrency of every live heartbeat there, and at least `ownJobs`
 * (what this worker's own group runs, known before the others' heartbeats are read).
 */
export function jobsOnHost(host: string, heartbeats: readonly WorkerHeartbeat[], ownJobs = 1): number {
  return Math.max(ownJobs, heartbeats.filter((h) => h.host === host).reduce((sum, h) => sum + h.concurrency, 0));
}

/** Threads per job for a worker on `host` with `cores`: its cores divided among the host's jobs (jobsOnHost). */
export function threadsForHost(host: string, cores: number, heartbeats: readonly WorkerHeartbeat[], ownJobs = 1): number {
  return threadsPerJob(cores, jobsOnHost(host, heartbeats, ownJobs));
}

/** --threads N (and the flags it is the default of): an integer ≥ 1, or undefined when not given. */
export function checkThreads(flag: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(flag, 'an integer ≥ 1 (threads)', value);
  return value;
}

/**
 * OpenMP (libtorch's threads) waits by spinning after each parallel region unless told otherwise; where
 * other processes want the cores, a spinning thread takes the core from the thread it waits for
 * (docs/performance.md has the measurement). Returns the environment variables to set before libgomp
 * loads (it reads them once, at load) for a process that shares the machine: none when it does not, or
 * when the user has chosen a wait policy or spin count already.
 */
export function openmpWaitEnv(env: Readonly<Record<string, string | undefined>>, shared: boolean): Record<string, string> {
  if (!shared || env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return {};
  return { OMP_WAIT_POLICY: 'PASSIVE' };
}

/**
 * Whether other work wants this machine's cores now: less than half a core idle over a quarter of a second
 * (Linux: /proc/stat), else a one-minute load average of at least one per core. Not the load average where
 * the sample can be taken: it trails by a minute, so a run started right after another (the bench's PyTorch
 * reference, a user's previous run) read as busy on idle cores and waited passively, slower there
 * (docs/performance.md, OpenMP's wait policy).
 */
export function machineBusy(sampleMs = 250): boolean {
  const idleShare = idleCoreShare(sampleMs);
  if (idleShare === undefined) return loadavg()[0]! >= coresHere();
  return idleShare * coresHere() < 0.5;
}

/** The share of all CPU time that was idle during `ms` milliseconds (a synchronous wait), from /proc/stat. */
function idleCoreShare(ms: number): number | undefined {
  const read = (): { idle: number; total: number } | undefined => {
    try {
      const cpu = /^cpu\s+(.+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]?.trim().split(/\s+/).map(Number);
      if (!cpu || cpu.length < 5 || cpu.some((v) => !Number.isFinite(v))) return undefined;
      // user nice system idle iowait irq softirq steal …: idle and iowait are time no task wanted a core.
      return { idle: cpu[3]! + cpu[4]!, total: cpu.slice(0, 8).reduce((a, b) => a + b, 0) };
    } catch {
      return undefined;
    }
  };
  const a = read();
  if (!a) return undefined;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = read();
  if (!b || b.total <= a.total) return undefined;
  return (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Marks this process as one that shares the machine (a queue worker beside others, a run side by side):
 * OpenMP will wait passively, if libtorch has not loaded yet. Children started after inherit it.
 */
export function waitPassively(): void {
  Object.assign(process.env, openmpWaitEnv(process.env, true));
}
