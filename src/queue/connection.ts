/**
 * The Redis URL of a queue (redis:// or rediss:// with TLS, optional password and database number),
 * its redaction for every line we print, and ioredis connections that retry with backoff instead of
 * failing: a worker outlives a Redis restart, and says so once per outage rather than crashing.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, SpinalnetError } from '../core/errors.ts';

/** Everything a user can get wrong about the queue (unreachable Redis, unknown experiment, failed jobs). */
export class QueueError extends SpinalnetError {}

export interface QueueUrl {
  /** As given (with the password): only ever handed to ioredis. */
  readonly url: string;
  /** For people: the password replaced by ***. */
  readonly shown: string;
  readonly password?: string;
}

export function parseQueueUrl(url: string): QueueUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not echoed: a malformed URL may still hold a password.
    throw new ConfigError('--queue', 'a Redis URL such as redis://host:6379/0 or rediss://:password@host:6380', 'a malformed URL (not shown)');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ConfigError('--queue', 'a redis:// or rediss:// (TLS) URL', `a ${u.protocol}// URL`);
  }
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname)) throw new ConfigError('--queue', 'a database number after the port (redis://host:port/0)', u.pathname);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const shown = new URL(url);
  if (shown.password) shown.password = '***';
  return { url, shown: shown.toString(), password };
}

/** Replaces anything between "//user:" and "@" in free text (a URL we could not parse). */
function redactUrlText(text: string): string {
  return text.replace(/(\/\/[^/:@]*:)[^@/]*@/g, '$1***@');
}

/** Removes the password (raw and URL-encoded) from a line before it is printed. */
export function redact(q: QueueUrl, text: string): string {
  let out = redactUrlText(text);
  if (q.password) {
    for (const secret of [q.password, encodeURIComponent(q.password)]) out = out.split(secret).join('***');
  }
  return out;
}

export interface ConnectOptions {
  /** Where connection news goes (already redacted). */
  log: (line: string) => void;
  /** Who is speaking, for the messages ("worker", "experiment"). */
  role: string;
}

/**
 * An ioredis connection for BullMQ (maxRetriesPerRequest null: commands wait for a reconnect) that
 * retries forever with backoff up to 10 s and reports each outage once, and its recovery.
 */
export function connect(q: QueueUrl, opts: ConnectOptions): Redis {
  let down = false;
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    // Backoff between reconnection attempts: 0.5 s, 1 s, 2 s … up to 10 s.
    retryStrategy: (times) => Math.min(500 * 2 ** Math.min(times - 1, 5), 10_000),
    lazyConnect: false,
  };
  const redis = new Redis(q.url, options);
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    opts.log(`${opts.role}: Redis at ${q.shown} unreachable (${redact(q, err.message)}); retrying with backoff`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    opts.log(`${opts.role}: Redis at ${q.shown} reachable again`);
  });
  return redis;
}

/** Waits until Redis answers, or throws a QueueError after `timeoutMs` (for commands a person waits on). */
export async function ensureReachable(q: QueueUrl, redis: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QueueError(`cannot reach Redis at ${q.shown} within ${timeoutMs / 1000} s`, 'start redis-server there (or check host, port, password and TLS in the URL)')),
      timeoutMs,
    );
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } catch (err) {
    if (err instanceof QueueError) throw err;
    throw new QueueError(`Redis at ${q.shown} refused us: ${redact(q, (err as Error).message)}`, 'check the password (redis://:PASSWORD@host:port) and whether the server wants TLS (rediss://)');
  } finally {
    clearTimeout(timer);
  }
}
