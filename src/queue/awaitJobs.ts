/**
 * Waiting for a set of jobs by id (an experiment's cells, a map's tiles): their states are read every
 * `pollMs`, a line is printed whenever the counts change, and the finished jobs are returned. A failed
 * job (bad input, or out of retries) ends the wait with a QueueError naming it; while Redis is away
 * the wait goes on (the connection reports the outage and reconnects).
 */
import type { Job, Queue } from 'bullmq';
import { SpinalnetError } from '../core/errors.ts';
import { QueueError } from './connection.ts';

/** What a worker reports while it runs a job. */
export interface JobProgress {
  worker: string;
  /** e.g. "epoch 3/16". */
  step: string;
}

export interface AwaitOptions {
  log: (line: string) => void;
  /** How often job states are read (ms); default 500. */
  pollMs?: number;
  /** What failed, for the error: e.g. "experiment 1a2b…". */
  what: string;
}

export async function awaitJobs<D, R>(
  queue: Queue<D, R>,
  ids: readonly string[],
  describe: (job: Job<D, R>) => string,
  opts: AwaitOptions,
): Promise<Map<string, { job: Job<D, R>; collectedAt: number }>> {
  const done = new Map<string, { job: Job<D, R>; collectedAt: number }>();
  let shown = '';
  for (;;) {
    let waiting = 0;
    const running: string[] = [];
    const failed: string[] = [];
    try {
      for (const id of ids) {
        if (done.has(id)) continue;
        // BullMQ's conditional result type does not narrow for a generic D; the queue was opened with these types.
        const job = (await queue.getJob(id)) as Job<D, R> | undefined;
        if (!job) throw new QueueError(`job ${id} of ${opts.what} is gone from the queue (removed by hand?)`, 'submit the same command again');
        const state = await job.getState();
        if (state === 'completed' && job.returnvalue) done.set(id, { job, collectedAt: Date.now() });
        else if (state === 'failed') failed.push(`${describe(job)}: ${job.failedReason}`);
        else if (state === 'active') {
          const p = job.progress as Partial<JobProgress> | number;
          running.push(typeof p === 'object' && p.worker ? `${p.worker}: ${describe(job)}, ${p.step}` : describe(job));
        } else waiting++;
      }
    } catch (err) {
      if (err instanceof SpinalnetError) throw err;
      await sleep(opts.pollMs ?? 500);
      continue;
    }
    if (failed.length > 0) {
      throw new QueueError(`${failed.length} job(s) of ${opts.what} failed: ${failed.join('; ')}`, 'fix the cause and submit the same command again (failed jobs are retried, finished ones kept)');
    }
    const line = `queue: ${waiting} waiting, ${running.length} running${running.length ? ` (${running.join('; ')})` : ''}, ${done.size} done, 0 failed`;
    if (line !== shown) opts.log(line);
    shown = line;
    if (done.size === ids.length) return done;
    await sleep(opts.pollMs ?? 500);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
