/**
 * Fetches a registry scene's files into the data folder and proves they are the right bytes.
 *
 * Each file is streamed to a temporary name beside its destination while its SHA-256 is computed,
 * then checked (size and hash) and renamed into place, so data/ never holds a partial or wrong file.
 * (This is writeFileAtomic's temp-and-rename pattern, streamed: the KSC cube is 57 MB and need not sit
 * in memory.) A file already present with the right hash is not fetched again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, DownloadError } from '../core/errors.ts';
import { DATASETS, findDataset, type DatasetEntry, type RemoteFile } from './registry.ts';

export interface DownloadOptions {
  /** Folder the files go into; created if missing. */
  dataDir: string;
  /** The fetch to use; default the global fetch. */
  fetchImpl?: typeof fetch;
  /**
   * Replaces everything before the file name in each address: `${baseUrl}/${name}` (a mirror, or a
   * local server in tests). Default: the registry's addresses.
   */
  baseUrl?: string;
  /** Called as data arrives: bytes received so far over all files being fetched, and their total. */
  onProgress?: (bytes: number, total?: number) => void;
  /** Give up on a file when no data has arrived for this long, in ms; default 60 000. */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  /** Absolute paths of the scene's files (cube, then ground truth), all present and verified. */
  files: string[];
  /** Those fetched now. */
  downloaded: string[];
  /** Those already present with the right SHA-256. */
  skipped: string[];
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Ids of the registry scenes that have a download address. */
export function downloadableIds(): string[] {
  return DATASETS.filter((d) => d.remote !== undefined).map((d) => d.id);
}

/**
 * Downloads and verifies the cube and ground-truth files of `entryOrId` (a registry id, or an entry
 * object) into `opts.dataDir`. Throws ConfigError for an unknown id or a scene with no address, and
 * DownloadError, naming the file, the address and what to do, for anything that goes wrong on the way.
 */
export async function downloadDataset(entryOrId: string | DatasetEntry, opts: DownloadOptions): Promise<DownloadResult> {
  const entry = resolveEntry(entryOrId);
  const remote = entry.remote!;
  const dataDir = resolve(opts.dataDir);
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!(idleMs > 0)) throw new ConfigError('idleTimeoutMs', 'a positive number of milliseconds', idleMs);

  const wanted = [remote.cube, remote.gt];
  const result: DownloadResult = { files: [], downloaded: [], skipped: [] };
  const toFetch: RemoteFile[] = [];
  for (const file of wanted) {
    const dest = join(dataDir, file.file);
    result.files.push(dest);
    if (await isVerified(dest, file)) result.skipped.push(dest);
    else toFetch.push(file);
  }
  if (toFetch.length === 0) return result;

  try {
    await mkdir(dataDir, { recursive: true });
  } catch (err) {
    throw new DownloadError(`cannot create the data folder ${dataDir}: ${messageOf(err)}`,
      `create ${dataDir} yourself or pass a writable folder`);
  }
  const total = toFetch.reduce((s, f) => s + f.bytes, 0);
  let before = 0;
  for (const file of toFetch) {
    const url = opts.baseUrl === undefined ? file.url : `${opts.baseUrl.replace(/\/+$/, '')}/${lastSegment(file.url)}`;
    await fetchOne(file, url, dataDir, fetchImpl, idleMs, (got) => opts.onProgress?.(before + got, total));
    before += file.bytes;
    result.downloaded.push(join(dataDir, file.file));
  }
  return result;
}

/** SHA-256 of a file, hex, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function resolveEntry(entryOrId: string | DatasetEntry): DatasetEntry {
  const ids = downloadableIds().join(', ');
  const entry = typeof entryOrId === 'string' ? findDataset(entryOrId) : entryOrId;
  if (entry === undefined) {
    throw new ConfigError('dataset', `one of the scenes that can be downloaded (${ids})`, entryOrId,
      `run the download with one of: ${ids}`);
  }
  if (entry.remote === undefined) {
    throw new ConfigError('dataset', `one of the scenes that can be downloaded (${ids})`, entry.id,
      `${entry.title} has no canonical download address: place ${entry.cubeFile} and ${entry.gtFile} in the data folder by hand (see data/README.md), or download one of: ${ids}`);
  }
  return entry;
}

async function isVerified(path: string, file: RemoteFile): Promise<boolean> {
  try {
    const info = await stat(path);
    return info.isFile() && info.size === file.bytes && (await sha256File(path)) === file.sha256;
  } catch {
    return false; // absent or unreadable: fetch it (a write problem will then be reported)
  }
}

/** Streams `url` to a temporary file, checks size and hash, renames it into place; cleans up on failure. */
async function fetchOne(file: RemoteFile, url: string, dataDir: string, fetchImpl: typeof fetch, idleMs: number,
  progress: (bytes: number) => void): Promise<void> {
  const dest = join(dataDir, file.file);
  const tmp = join(dataDir, `.${file.file}.${process.pid}.${randomUUID().slice(0, 8)}.download.tmp`);
  const byHand = `download ${url} by hand into ${dataDir} as ${file.file} (${file.bytes} bytes, SHA-256 ${file.sha256})`;
  // An idle timer, re-armed on every chunk: a slow but steady download is fine, a stalled one is not.
  const controller = new AbortController();
  let idle = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => { idle = true; controller.abort(); }, idleMs);
  };
  const seconds = `${idleMs / 1000} s`;
  let handle: FileHandle | undefined;
  try {
    arm();
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      const why = idle ? `no answer within ${seconds}` : describeNetworkError(err);
      throw new DownloadError(`${file.file}: the site could not be reached (${why}) for ${url}`,
        `check your connection and try again later, or ${byHand}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError(`${file.file}: the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}`,
        `the address may have moved: ${byHand}`);
    }
    if (response.body === null) {
      throw new DownloadError(`${file.file}: the server sent no content for ${url}`, byHand);
    }
    const hash = createHash('sha256');
    try {
      handle = await open(tmp, 'w');
    } catch (err) {
      throw new DownloadError(`${file.file}: cannot write into ${dataDir} (${messageOf(err)}) while fetching ${url}`,
        `make ${dataDir} writable, or ${byHand}`);
    }
    const reader = response.body.getReader();
    let got = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        const why = idle ? `no data for ${seconds}` : describeNetworkError(err);
        throw new DownloadError(`${file.file}: the download from ${url} broke off after ${got} of ${file.bytes} bytes (${why})`,
          `try again later, or ${byHand}`);
      }
      if (chunk.done) break;
      arm();
      got += chunk.value.byteLength;
      if (got > file.bytes) {
        await reader.cancel().catch(() => undefined);
        throw new DownloadError(`${file.file}: ${url} sent more than the expected ${file.bytes} bytes`,
          `the server sent a different file: ${byHand}`);
      }
      hash.update(chunk.value);
      await handle.write(chunk.value);
      progress(got);
    }
    await handle.close();
    handle = undefined;
    if (got !== file.bytes) {
      throw new DownloadError(`${file.file}: ${url} sent ${got} bytes, expected ${file.bytes}`,
        `the download was cut short or the file changed: try again, or ${byHand}`);
    }
    const digest = hash.digest('hex');
    if (digest !== file.sha256) {
      throw new DownloadError(`${file.file}: checksum mismatch for ${url}: SHA-256 is ${digest}, expected ${file.sha256}`,
        `the server sent a different file: ${byHand}`);
    }
    await rename(tmp, dest);
  } catch (err) {
    controller.abort();
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(`${file.file}: could not save the download from ${url} into ${dataDir} (${messageOf(err)})`,
      `check that ${dataDir} is writable and has ${file.bytes} bytes free, or ${byHand}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The last path segment of an address: the file name a mirror serves it under. */
function lastSegment(url: string): string {
  const path = new URL(url).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

/** fetch wraps socket errors as TypeError('fetch failed') with the system error as `cause`. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'connection closed',
  };
  if (code !== undefined) return known[code] !== undefined ? `${known[code]}, ${code}` : code;
  if (typeof cause?.message === 'string') return cause.message;
  return messageOf(err);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
