/**
 * Workers on one host divide its cores through their heartbeats in Redis: two `spinalnet worker`
 * processes (and one `--concurrency 2`) each size a job for 2 jobs at once; a stopped worker's
 * heartbeat goes. Real redis-server and worker processes (harness.ts).
 */
import { Redis } from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { threadsPerJob } from '../../src/core/threads.ts';
import { readHeartbeats } from '../../src/queue/hostWorkers.ts';
import { cli, redisPresent, startRedis, stopWorker, worker, writeSmallScene, type Cli, type RedisServer } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-host-workers-'));
const scene = writeSmallScene(dir);
/** Four cells of a second or two each (the grid of experimentQueue.test.ts with seeds 1 and 2). */
const grid = [
  'experiment', '--cube', scene.cube, '--gt', scene.gt, '--models', 'spinal-mlp,fc-cnn', '--patch', '9', '--splits', 'random', '--seeds', '2',
  '--epochs', '2', '--pca', '8', '--backend', 'wasm', '--train-fraction', '0.2', '--lr-drop-epoch', '0', '--training', 'onnxruntime',
];
const cores = availableParallelism();
/** What a worker logs when it starts a cell sized for `jobs` jobs on this host. */
const sizedFor = (jobs: number) => new RegExp(`on ${threadsPerJob(cores, jobs)} threads? \\(${cores} cores, ${jobs} jobs? at once on ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`, 'g');

/**
 * The jobs a worker started, one entry per start: the job id and the start line from "(attempt" on. A job
 * is counted once even when it started twice: these tests run workers with a 2 s lock (the harness), and on
 * a busy machine a job whose lock lapsed is handed out again, which is BullMQ's stall recovery, not sizing.
 */
function startedJobs(w: Cli): { job: string; line: string }[] {
  return [...w.err().matchAll(/^(\S+): .*(\(attempt \d+\) on .*)$/gm)].map((m) => ({ job: m[1]!, line: m[2]! }));
}

describe.skipIf(!redisPresent)('workers on one host', () => {
  let redis: RedisServer;
  const children: Cli[] = [];
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopWorker));
    await redis?.stop();
  });

  const runGrid = async (name: string) => {
    const c = cli([...grid, '--queue', redis.url, '--out', join(dir, name)]);
    expect(await c.exited, c.err()).toBe(0);
  };

  it('two worker processes each see 2 jobs at once on the host, and a stopped one stops counting', async () => {
    const a = worker(redis.url, join(dir, 'cache-a'));
    const b = worker(redis.url, join(dir, 'cache-b'));
    children.push(a, b);
    await Promise.all([a.waitFor(/listening on/), b.waitFor(/listening on/)]);
    const client = new Redis(redis.url);
    try {
      const beats = await readHeartbeats(client);
      expect(beats.map((h) => h.pid).sort()).toEqual([a.proc.pid, b.proc.pid].sort());
      expect(beats.every((h) => h.host === hostname() && h.cores === cores && h.concurrency === 1)).toBe(true);
      const keys = await client.keys('spinalnet:worker:*');
      for (const k of keys) expect(await client.pttl(k)).toBeGreaterThan(0);

      await runGrid('two-workers');
      const lines = [...startedJobs(a), ...startedJobs(b)];
      expect(new Set(lines.map((l) => l.job)).size).toBe(4);
      for (const l of lines) expect(l.line).toMatch(sizedFor(2));

      await stopWorker(b);
      expect((await readHeartbeats(client)).map((h) => h.pid)).toEqual([a.proc.pid]);
    } finally {
      client.disconnect();
    }
  }, 180_000);

  it('--concurrency 2 sizes each of its jobs for 2 jobs at once', async () => {
    const w = worker(redis.url, join(dir, 'cache-c'), ['--concurrency', '2']);
    children.push(w);
    await w.waitFor(/listening on[\s\S]*listening on/);
    await runGrid('concurrency-2');
    const lines = startedJobs(w);
    expect(new Set(lines.map((l) => l.job)).size).toBe(4);
    for (const l of lines) expect(l.line).toMatch(sizedFor(2));
  }, 180_000);

  it('--threads N fixes each job\'s threads', async () => {
    const w = worker(redis.url, join(dir, 'cache-d'), ['--threads', '1']);
    children.push(w);
    await w.waitFor(/listening on/);
    await runGrid('threads-1');
    const lines = startedJobs(w);
    expect(new Set(lines.map((l) => l.job)).size).toBe(4);
    for (const l of lines) expect(l.line).toMatch(/on 1 thread$/);
  }, 180_000);
});
