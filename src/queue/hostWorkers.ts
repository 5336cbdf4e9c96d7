/**
 * Workers on one host see each other through the queue's Redis: each process keeps a heartbeat key
 * (host, pid, cores, concurrency) alive with a TTL, and before each job reads them all to divide its
 * host's cores among the jobs that run there at once (src/core/threads.ts does the arithmetic). A worker
 * that dies stops renewing its key, which expires after a few missed beats.
 */
import type { Redis } from 'ioredis';
import type { WorkerHeartbeat } from '../core/threads.ts';
import { HEARTBEAT_PATTERN, KEY } from './keys.ts';

/** How often a heartbeat is renewed; it expires after three missed renewals. */
export const HEARTBEAT_MS = 5000;

export interface Heartbeat {
  /** Resolves when the first beat is in Redis. */
  ready: Promise<void>;
  /** Stops renewing and removes the key (the others stop counting this worker at once). */
  stop(): Promise<void>;
}

/** Writes `beat` now and every HEARTBEAT_MS until stopped. Failed renewals are retried at the next beat. */
export function startHeartbeat(redis: Redis, beat: WorkerHeartbeat, everyMs = HEARTBEAT_MS): Heartbeat {
  const key = KEY.heartbeat(beat.host, beat.pid);
  const ttl = 3 * everyMs;
  const write = async () => {
    await redis.set(key, JSON.stringify(beat), 'PX', ttl);
  };
  const ready = write();
  const timer = setInterval(() => void write().catch(() => {}), everyMs);
  // A heartbeat alone keeps no process alive.
  timer.unref();
  return {
    ready,
    async stop() {
      clearInterval(timer);
      await redis.del(key).catch(() => {});
    },
  };
}

/** Every live worker's heartbeat, on any host (unreadable values are skipped). */
export async function readHeartbeats(redis: Redis): Promise<WorkerHeartbeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', HEARTBEAT_PATTERN, 'COUNT', 200);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    if (v === null) return [];
    try {
      const h = JSON.parse(v) as Partial<WorkerHeartbeat>;
      const ok = typeof h.host === 'string' && [h.pid, h.cores, h.concurrency].every((n) => Number.isInteger(n) && n! > 0);
      return ok ? [h as WorkerHeartbeat] : [];
    } catch {
      return [];
    }
  });
}
