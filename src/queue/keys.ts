/** The names spinalnet uses in Redis: one BullMQ queue and a few keys of its own beside it. */

export const QUEUE_NAME = 'spinalnet';

export const KEY = {
  /** A file's bytes, by sha256. */
  blob: (sha: string) => `spinalnet:blob:${sha}`,
  /** An experiment's description (JSON): its grid, its data, its job ids. */
  experiment: (id: string) => `spinalnet:experiment:${id}`,
  /** The last epoch checkpoint of a job (hash: state, weights). */
  checkpoint: (jobId: string) => `spinalnet:checkpoint:${jobId}`,
  /** A map tile's classes (Int32 bytes). */
  tileResult: (jobId: string) => `spinalnet:tile-result:${jobId}`,
  /** A live worker process's heartbeat (JSON WorkerHeartbeat; expires when the worker stops renewing it). */
  heartbeat: (host: string, pid: number) => `spinalnet:worker:${host}:${pid}`,
};

/** What matches every heartbeat key (SCAN MATCH). */
export const HEARTBEAT_PATTERN = 'spinalnet:worker:*';

/**
 * Options of every job: crashes and lost workers are retried with backoff (a cell from its last
 * checkpoint); bad input is not (the worker fails it as unrecoverable). Finished jobs are kept
 * `keepS` seconds so their results can be collected later.
 */
export const jobOptions = (keepS: number) =>
  ({ attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: keepS }, removeOnFail: { age: keepS } }) as const;
