// The thread arithmetic every computing process uses: the cores shared among the jobs of one host.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { Worker } from 'node:worker_threads';
import { checkThreads, coresHere, jobsOnHost, machineBusy, openmpWaitEnv, threadsForHost, threadsPerJob, type WorkerHeartbeat } from '../../src/core/threads.ts';

const beat = (host: string, pid: number, concurrency = 1, cores = 2): WorkerHeartbeat => ({ host, pid, cores, concurrency });

describe('threadsPerJob', () => {
  it('divides the cores among the jobs, rounding down, never below one', () => {
    expect(threadsPerJob(2, 1)).toBe(2);
    expect(threadsPerJob(2, 2)).toBe(1);
    expect(threadsPerJob(2, 3)).toBe(1);
    expect(threadsPerJob(16, 3)).toBe(5);
    expect(threadsPerJob(8, 0)).toBe(8);
    expect(threadsPerJob(1, 4)).toBe(1);
  });
});

describe('threadsForHost', () => {
  it('counts every job slot of the workers on its own host, not other hosts', () => {
    const beats = [beat('a', 1), beat('a', 2), beat('b', 3, 4)];
    expect(threadsForHost('a', 2, beats)).toBe(1);
    expect(threadsForHost('a', 8, beats)).toBe(4);
    expect(threadsForHost('b', 8, beats)).toBe(2);
    expect(jobsOnHost('a', beats)).toBe(2);
    expect(jobsOnHost('c', beats)).toBe(1);
  });

  it('alone on its host, takes every core; a --concurrency group counts itself before its heartbeats are in', () => {
    expect(threadsForHost('a', 4, [beat('a', 1)])).toBe(4);
    expect(threadsForHost('a', 4, [])).toBe(4);
    expect(threadsForHost('a', 4, [beat('a', 1)], 2)).toBe(2);
    expect(threadsForHost('a', 12, [beat('a', 1, 1), beat('a', 2, 1), beat('a', 3, 2)], 2)).toBe(3);
  });
});

describe('checkThreads', () => {
  it('takes integers ≥ 1 and passes absence through', () => {
    expect(checkThreads('--threads', 3)).toBe(3);
    expect(checkThreads('--threads', undefined)).toBeUndefined();
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => checkThreads('--threads', bad)).toThrow(ConfigError);
  });
});

describe('openmpWaitEnv', () => {
  it("makes OpenMP's threads wait passively on a shared machine, unless the environment already chose", () => {
    expect(openmpWaitEnv({}, true)).toEqual({ OMP_WAIT_POLICY: 'PASSIVE' });
    expect(openmpWaitEnv({}, false)).toEqual({});
    expect(openmpWaitEnv({ OMP_WAIT_POLICY: 'ACTIVE' }, true)).toEqual({});
    expect(openmpWaitEnv({ GOMP_SPINCOUNT: '10000' }, true)).toEqual({});
  });
});

describe('machineBusy', () => {
  // Not the converse: another test file may be using the cores at the same time.
  it('reads a machine whose every core spins as busy', async () => {
    // One spinning thread per core (and one more), for as long as the sample takes.
    const spinners = Array.from({ length: coresHere() + 1 }, () => new Worker('const end = Date.now() + 1500; while (Date.now() < end);', { eval: true }));
    await new Promise((r) => setTimeout(r, 200));
    const busy = machineBusy(300);
    await Promise.all(spinners.map((w) => new Promise((r) => w.once('exit', r))));
    expect(busy).toBe(true);
  });
});
