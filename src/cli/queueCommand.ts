/** `spinalnet experiment --queue URL [--detach | --collect ID]`: the submitting side of the queue. */
import type { Redis } from 'ioredis';
import type { ExperimentConfig, ExperimentResult } from '../experiment/runExperiment.ts';
import { connect, ensureReachable, parseQueueUrl, redact, type QueueUrl } from '../queue/connection.ts';
import { awaitExperiment, openQueue, queueOverhead, submitExperiment } from '../queue/experimentJobs.ts';
import type { PackOptions } from '../queue/jobInputs.ts';
import { predictPipeline, type PredictConfig, type PredictResult } from '../pipeline/predictPipeline.ts';
import { queueMapper } from '../queue/predictJobs.ts';

/** How long a person waits for an unreachable Redis before the command gives up (ms). */
const REACH_TIMEOUT_MS = 10_000;

async function withQueue<T>(url: string, log: (line: string) => void, body: (redis: Redis, q: QueueUrl) => Promise<T>): Promise<T> {
  const q = parseQueueUrl(url);
  const say = (line: string) => log(redact(q, line));
  const redis = connect(q, { log: say, role: 'experiment' });
  try {
    await ensureReachable(q, redis, REACH_TIMEOUT_MS);
    return await body(redis, q);
  } finally {
    redis.disconnect();
  }
}

/** Submits, waits with progress, and returns the experiment built from the workers' results. */
export function runOnQueue(url: string, config: ExperimentConfig, log: (line: string) => void, pack: PackOptions = {}): Promise<ExperimentResult> {
  return withQueue(url, log, async (redis, q) => {
    const queue = openQueue(redis);
    try {
      const record = await submitExperiment(redis, queue, config, log, pack);
      log(`waiting for workers (spinalnet worker --queue ${q.shown}); Ctrl-C leaves the jobs running, collect later with --collect ${record.id}`);
      return report(await awaitExperiment(redis, queue, record.id, (l) => log(redact(q, l))), log);
    } finally {
      await queue.close();
    }
  });
}

/** Submits and prints the experiment id on stdout. */
export function submitDetached(url: string, config: ExperimentConfig, pack: PackOptions = {}): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  return withQueue(url, log, async (redis, q) => {
    const queue = openQueue(redis);
    try {
      const record = await submitExperiment(redis, queue, config, log, pack);
      process.stdout.write(`${record.id}\n`);
      log(`collect with: spinalnet experiment --collect ${record.id} --queue ${q.shown}`);
      return 0;
    } finally {
      await queue.close();
    }
  });
}

/** Waits for an experiment submitted earlier and returns it. */
export function collectOnQueue(url: string, id: string, log: (line: string) => void): Promise<ExperimentResult> {
  return withQueue(url, log, async (redis, q) => {
    const queue = openQueue(redis);
    try {
      return report(await awaitExperiment(redis, queue, id, (l) => log(redact(q, l))), log);
    } finally {
      await queue.close();
    }
  });
}

/** One line on the queue's own cost per job (the README's measurement). */
function report(result: Awaited<ReturnType<typeof awaitExperiment>>, log: (line: string) => void): ExperimentResult {
  const { pickupSeconds, collectSeconds } = queueOverhead(result.runs);
  const stats = (xs: number[]) => `mean ${(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)).toFixed(3)} s, max ${Math.max(0, ...xs).toFixed(3)} s`;
  log(`queue overhead per job: pickup (enqueued or worker free → started) ${stats(pickupSeconds)}; collect (finished → collected) ${stats(collectSeconds)}`);
  return result;
}

/** `spinalnet predict --queue`: the local predict pipeline with its map made by tile jobs. */
export function predictOnQueue(url: string, config: PredictConfig, tileRows: number, log: (line: string) => void): Promise<PredictResult> {
  return withQueue(url, log, (redis, q) => predictPipeline(config, (l) => log(redact(q, l)), queueMapper(redis, tileRows)));
}
