/**
 * `spinalnet experiment --queue` against a real redis-server with real worker processes: the same
 * numbers as a local run, a worker killed mid-job, a worker joining late, Redis restarted mid-way,
 * bad input failing once, and the password never printed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, freePort, makeCertificates, opensslPresent, redisPresent, startRedis, stopWorker, worker, writeSmallScene, type Cli, type RedisServer } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-queue-'));
const scene = writeSmallScene(dir);
/**
 * The tiny grid of every test: two models, one split, one seed, 3 epochs (a second or two per job). On
 * onnxruntime, whose training bits do not depend on the thread count: the local grid trains its runs side by
 * side on one thread each, a worker on every core, and libtorch's bits differ between the two.
 */
const grid = (models = 'spinal-mlp,fc-cnn', patch = '9') => [
  'experiment', '--cube', scene.cube, '--gt', scene.gt, '--models', models, '--patch', patch, '--splits', 'random', '--seeds', '1',
  '--epochs', '3', '--pca', '8', '--backend', 'wasm', '--train-fraction', '0.2', '--lr-drop-epoch', '0', '--training', 'onnxruntime',
];

interface Run { model: string; split: string; seed: number; overallAccuracy: number; averageAccuracy: number; kappa: number; perClassRecall: number[]; worker?: string; attempts?: number }
const runsOf = (out: string): Run[] => JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')).runs;
const metrics = (r: Run) => [r.model, r.split, r.seed, r.overallAccuracy, r.averageAccuracy, r.kappa, r.perClassRecall];

/** The local experiment's runs (computed once). */
let local: Promise<Run[]> | undefined;
function localRuns(): Promise<Run[]> {
  local ??= (async () => {
    const out = join(dir, 'local');
    const c = cli([...grid(), '--out', out]);
    expect(await c.exited, c.err()).toBe(0);
    return runsOf(out);
  })();
  return local;
}

const children: Cli[] = [];
const spawnWorker = (url: string, name: string, extra: string[] = [], env: Record<string, string> = {}) => {
  const w = worker(url, join(dir, `cache-${name}`), extra, env);
  children.push(w);
  return w;
};

describe.skipIf(!redisPresent)('experiments on a Redis queue', () => {
  // A Redis of its own for each test: the same grid is the same experiment id, already done otherwise.
  let redis: RedisServer;
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(children.map(stopWorker));
    await redis?.stop();
  });

  it('gives the same numbers as the local experiment, with worker and attempts for each run', async () => {
    // One command, two worker processes (--concurrency 2).
    const workers = [spawnWorker(redis.url, 'a', ['--concurrency', '2'])];
    const out = join(dir, 'queued');
    const c = cli([...grid(), '--queue', redis.url, '--out', out]);
    expect(await c.exited, c.err()).toBe(0);
    expect(c.err()).toMatch(/queue: 0 waiting, 0 running, 2 done, 0 failed/);
    const runs = runsOf(out);
    expect(runs.map(metrics)).toEqual((await localRuns()).map(metrics));
    for (const r of runs) {
      expect(r.worker).toMatch(/^.+-\d+$/);
      expect(r.attempts).toBe(1);
    }
    expect(workers[0]!.err().match(/listening on/g)).toHaveLength(2);
    expect(readFileSync(join(out, 'experiment.md'), 'utf8')).toMatch(/\| random \| spinal-mlp \|/);
    // Submitting the same experiment again adds no job: it is collected at once from the finished ones.
    expect(workers[0]!.err().match(/\(attempt \d+\)/g)).toHaveLength(2);
    const again = cli([...grid(), '--queue', redis.url, '--out', join(dir, 'queued-again')]);
    expect(await again.exited, again.err()).toBe(0);
    expect(runsOf(join(dir, 'queued-again')).map(metrics)).toEqual(runs.map(metrics));
    const started = (w: Cli) => w.err().match(/\(attempt \d+\)/g)?.length ?? 0;
    expect(started(workers[0]!)).toBe(2);
    await Promise.all(workers.map(stopWorker));
  });

  it('finishes the grid when a worker is killed mid-job, each run counted once, from the checkpoint', async () => {
    const a = spawnWorker(redis.url, 'k1');
    const b = spawnWorker(redis.url, 'k2');
    const out = join(dir, 'killed');
    const c = cli([...grid(), '--queue', redis.url, '--out', out]);
    // The first worker to finish an epoch is killed outright, its job half done.
    const checkpointed = /(\S+): epoch 1\/3 done, checkpoint in Redis/;
    const victim = await Promise.race([a.waitFor(checkpointed).then(() => a), b.waitFor(checkpointed).then(() => b)]);
    const survivor = victim === a ? b : a;
    const killedJob = checkpointed.exec(victim.err())![1]!;
    victim.proc.kill('SIGKILL');
    expect(await c.exited, c.err()).toBe(0);
    const runs = runsOf(out);
    expect(runs).toHaveLength(2);
    expect(new Set(runs.map((r) => `${r.model}/${r.seed}`)).size).toBe(2);
    expect(runs.map(metrics)).toEqual((await localRuns()).map(metrics));
    // The killed job was found stalled and continued by the survivor from a checkpoint.
    expect(survivor.err()).toMatch(new RegExp(`${killedJob.replace(/\./g, '\\.')}: .*continuing from epoch [23]`));
    const [, model, split, seed] = /\.([^.]+)\.([^.]+)\.(\d+)$/.exec(killedJob)!;
    const rerun = runs.find((r) => r.model === model && r.split === split && r.seed === Number(seed))!;
    expect(rerun.attempts).toBeGreaterThanOrEqual(2);
    await stopWorker(survivor);
  });

  it('on SIGTERM a worker checkpoints its job back onto the queue and another continues it', async () => {
    const a = spawnWorker(redis.url, 't1');
    const out = join(dir, 'terminated');
    const c = cli([...grid('fc-cnn'), '--queue', redis.url, '--out', out]);
    await a.waitFor(/epoch 1\/3 done, checkpoint in Redis/);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.err()).toMatch(/checkpointed at epoch [23], batch \d+, and put back on the queue/);
    const b = spawnWorker(redis.url, 't2');
    expect(await c.exited, c.err()).toBe(0);
    expect(b.err()).toMatch(/continuing from epoch [23]/);
    const [run] = runsOf(out);
    expect(metrics(run!)).toEqual(metrics((await localRuns()).find((r) => r.model === 'fc-cnn')!));
    await stopWorker(b);
  });

  it('fails a job with bad input once, with its message, and the experiment exits 2', async () => {
    const w = spawnWorker(redis.url, 'bad');
    // fc-cnn needs patches of at least 9: the worker's model build refuses 5.
    const c = cli([...grid('fc-cnn', '5'), '--queue', redis.url, '--out', join(dir, 'bad')]);
    expect(await c.exited).toBe(2);
    expect(c.err()).toMatch(/job\(s\) of experiment \w+ failed: fc-cnn random seed 1: --patch: expected an odd size of at least 9/);
    const failures = w.err().match(/fc-cnn\.random\.1: failed/g) ?? [];
    expect(failures).toHaveLength(1);
    await stopWorker(w);
  });
});

describe.skipIf(!redisPresent)('workers and Redis coming and going', () => {
  afterAll(async () => {
    await Promise.all(children.map(stopWorker));
  });
  it('a worker waits for Redis, one started after submission joins in, and the password is never printed', async () => {
    const password = 'pw-Zq81-secret';
    const port = await freePort();
    const url = `redis://:${password}@127.0.0.1:${port}`;
    const early = spawnWorker(url, 'early');
    await early.waitFor(/unreachable .*retrying with backoff/);
    expect(early.proc.exitCode).toBeNull();
    const redis = await startRedis({ port, password });
    try {
      await early.waitFor(/listening on redis:\/\/:\*\*\*@127\.0\.0\.1/);
      // Stop the early worker with SIGTERM: it exits cleanly.
      await stopWorker(early);
      expect(early.err()).toMatch(/worker stopped/);
      const submit = cli([...grid(), '--queue', url, '--detach']);
      expect(await submit.exited, submit.err()).toBe(0);
      const id = submit.out().trim();
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      const late = spawnWorker(url, 'late');
      const out = join(dir, 'collected');
      const collect = cli(['experiment', '--collect', id, '--queue', url, '--out', out]);
      expect(await collect.exited, collect.err()).toBe(0);
      const runs = runsOf(out);
      expect(runs).toHaveLength(2);
      expect(runs.every((r) => r.worker === runs[0]!.worker)).toBe(true);
      expect(runs.map(metrics)).toEqual((await localRuns()).map(metrics));
      await stopWorker(late);
      for (const p of [early, submit, late, collect]) expect(p.err() + p.out()).not.toContain(password);
    } finally {
      await redis.stop();
    }
  });

  it('loses nothing when Redis (append-only file on) restarts mid-experiment', async () => {
    const redisDir = mkdtempSync(join(tmpdir(), 'spinalnet-aof-'));
    const redis = await startRedis({ dir: redisDir, extra: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    try {
      const w = spawnWorker(redis.url, 'aof');
      const out = join(dir, 'restarted');
      const c = cli([...grid(), '--queue', redis.url, '--out', out]);
      await w.waitFor(/: done, OA/);
      await redis.stop();
      await c.waitFor(/unreachable/);
      await redis.start();
      expect(await c.exited, c.err()).toBe(0);
      expect(c.err()).toMatch(/reachable again/);
      const runs = runsOf(out);
      expect(runs.map(metrics)).toEqual((await localRuns()).map(metrics));
      await stopWorker(w);
    } finally {
      await redis.stop();
    }
  });

  it.skipIf(!opensslPresent)('runs over TLS (rediss://) with a password, trusting a private CA through NODE_EXTRA_CA_CERTS', async () => {
    const certs = makeCertificates(mkdtempSync(join(tmpdir(), 'spinalnet-tls-')));
    const password = 'tls-Pw-77x';
    const redis = await startRedis({ tls: certs, password });
    const env = { NODE_EXTRA_CA_CERTS: certs.ca };
    try {
      expect(redis.url).toMatch(/^rediss:/);
      const w = spawnWorker(redis.url, 'tls', [], env);
      const out = join(dir, 'tls');
      const c = cli([...grid(), '--queue', redis.url, '--out', out], env);
      expect(await c.exited, c.err()).toBe(0);
      expect(runsOf(out).map(metrics)).toEqual((await localRuns()).map(metrics));
      await stopWorker(w);
      for (const p of [w, c]) expect(p.err() + p.out()).not.toContain(password);
    } finally {
      await redis.stop();
    }
  });
});
