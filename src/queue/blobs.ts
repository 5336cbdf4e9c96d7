/**
 * Content-addressed bytes in Redis: a scene's files go up once (key = sha256 of the bytes, so a
 * second experiment on the same scene uploads nothing) and each worker keeps what it fetched in its
 * cache folder, checked against the hash, so it downloads each file once.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { QueueError } from './connection.ts';
import { KEY } from './keys.ts';

/** Redis refuses strings over 512 MB; a file larger than this cannot travel as one value. */
export const MAX_BLOB_BYTES = 512 * 1024 * 1024 - 1024;

/** Blobs live this long after the last submission that used them (seconds). */
export const BLOB_TTL_S = 7 * 24 * 3600;

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Refuses what cannot be one Redis value (checked before a file is read: it may be over what one read holds too). */
export function checkBlobSize(size: number, what: string): void {
  if (size > MAX_BLOB_BYTES) {
    throw new QueueError(`${what} is ${(size / 2 ** 20).toFixed(0)} MB, over Redis's 512 MB limit for one value`, 'for an experiment, submit with --shared-path (workers read the files from a filesystem they share); else run it locally (without --queue), or crop it');
  }
}

/** Uploads `bytes` unless Redis already holds them; returns their sha256. `what` names them in errors. */
export async function putBlob(redis: Redis, bytes: Uint8Array, what: string): Promise<string> {
  checkBlobSize(bytes.length, what);
  const sha = sha256(bytes);
  const key = KEY.blob(sha);
  // SET NX: two submitters of the same scene write it once; EXPIRE renews its lifetime either way.
  await redis.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', BLOB_TTL_S, 'NX');
  await redis.expire(key, BLOB_TTL_S);
  return sha;
}

/** The path of the blob in `cacheDir`, fetched from Redis the first time. */
export async function fetchBlob(redis: Redis, sha: string, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, 'blobs');
  const path = join(dir, sha);
  if (existsSync(path) && sha256(readFileSync(path)) === sha) return path;
  const bytes = await redis.getBuffer(KEY.blob(sha));
  if (!bytes) throw new QueueError(`the file ${sha.slice(0, 12)}… of this job is no longer in Redis (expired or evicted)`, 'submit the experiment again (its files are uploaded again)');
  if (sha256(bytes) !== sha) throw new QueueError(`the file ${sha.slice(0, 12)}… in Redis does not match its hash`, 'submit the experiment again');
  mkdirSync(dir, { recursive: true });
  // Written beside, then renamed: another worker sharing the folder never reads half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return path;
}
