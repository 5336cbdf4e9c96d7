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
};
