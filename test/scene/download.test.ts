import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, DownloadError } from '../../src/core/errors.ts';
import { downloadableIds, downloadDataset, sha256File } from '../../src/scene/download.ts';
import { DATASETS, findDataset, type DatasetEntry } from '../../src/scene/registry.ts';
import { createRng } from '../../src/util/random.ts';

// Fake "scene files": seeded random bytes, big enough to arrive in several chunks.
const rng = createRng(7, 'download-test');
const CUBE = Buffer.from(Uint8Array.from({ length: 300_000 }, () => rng.int(256)));
const GT = Buffer.from('fake ground truth\n'.repeat(50));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let server: Server;
let base: string;
const requests: string[] = [];

/** Routes: the two files, a stall, a file sent too long, and 404 for the rest. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  requests.push(req.url ?? '');
  const url = req.url ?? '';
  if (url.endsWith('/fake_cube.mat')) {
    res.writeHead(200, { 'content-length': CUBE.length });
    // Several writes, so progress is reported more than once.
    for (let i = 0; i < CUBE.length; i += 65_536) res.write(CUBE.subarray(i, i + 65_536));
    res.end();
  } else if (url.endsWith('/fake_gt.mat')) {
    res.writeHead(200).end(GT);
  } else if (url.endsWith('/stall_after_headers.mat')) {
    res.writeHead(200);
    res.write(CUBE.subarray(0, 1000)); // then nothing, never ending
  } else if (url.endsWith('/no_answer.mat')) {
    // never answers
  } else if (url.endsWith('/too_long.mat')) {
    res.writeHead(200).end(Buffer.concat([GT, GT]));
  } else {
    res.writeHead(404, 'Not Found').end('no such file');
  }
}

/** The global fetch, refusing anything but this test's local server. */
const localFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1') throw new Error(`test tried to reach ${url.href}`);
  return fetch(input, init);
};

/** A registry-shaped entry whose files live on the local server. */
function fakeEntry(cube: Partial<{ file: string; sha256: string; bytes: number; path: string }> = {}): DatasetEntry {
  const ksc = findDataset('ksc')!;
  const cubeFile = cube.file ?? 'fake_cube.mat';
  return {
    ...ksc,
    id: 'fake',
    cubeFile,
    gtFile: 'fake_gt.mat',
    remote: {
      cube: { file: cubeFile, bytes: cube.bytes ?? CUBE.length, sha256: cube.sha256 ?? sha(CUBE), url: `${base}${cube.path ?? '/uploads/1/1a/'}${cubeFile}` },
      gt: { file: 'fake_gt.mat', bytes: GT.length, sha256: sha(GT), url: `${base}/uploads/2/2b/fake_gt.mat` },
    },
  };
}

let dir: string;

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-download-'));
  requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function downloadError(promise: Promise<unknown>): Promise<DownloadError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

describe('downloadDataset: success and skip', () => {
  it('fetches both files, verifies them, reports progress, and leaves no temporary file', async () => {
    const progress: [number, number | undefined][] = [];
    const dataDir = join(dir, 'nested', 'data'); // created on the way
    const result = await downloadDataset(fakeEntry(), { dataDir, fetchImpl: localFetch, onProgress: (b, t) => progress.push([b, t]) });
    const paths = [join(dataDir, 'fake_cube.mat'), join(dataDir, 'fake_gt.mat')];
    expect(result).toEqual({ files: paths, downloaded: paths, skipped: [] });
    expect(readFileSync(paths[0]).equals(CUBE)).toBe(true);
    expect(readFileSync(paths[1]).equals(GT)).toBe(true);
    expect(readdirSync(dataDir).sort()).toEqual(['fake_cube.mat', 'fake_gt.mat']);
    expect(requests).toEqual(['/uploads/1/1a/fake_cube.mat', '/uploads/2/2b/fake_gt.mat']);

    const total = CUBE.length + GT.length;
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual([total, total]);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
  });

  it('skips files already present with the right SHA-256 and replaces a wrong one', async () => {
    await downloadDataset(fakeEntry(), { dataDir: dir, fetchImpl: localFetch });
    requests.length = 0;
    const again = await downloadDataset(fakeEntry(), { dataDir: dir, fetchImpl: localFetch });
    expect(again.downloaded).toEqual([]);
    expect(again.skipped).toHaveLength(2);
    expect(requests).toEqual([]);

    writeFileSync(join(dir, 'fake_gt.mat'), 'damaged');
    const repaired = await downloadDataset(fakeEntry(), { dataDir: dir, fetchImpl: localFetch });
    expect(repaired.downloaded).toEqual([join(dir, 'fake_gt.mat')]);
    expect(requests).toEqual(['/uploads/2/2b/fake_gt.mat']);
    expect(await sha256File(join(dir, 'fake_gt.mat'))).toBe(sha(GT));
  });

  it('baseUrl replaces everything before the file name', async () => {
    await downloadDataset(fakeEntry(), { dataDir: dir, fetchImpl: localFetch, baseUrl: `${base}/mirror/` });
    expect(requests).toEqual(['/mirror/fake_cube.mat', '/mirror/fake_gt.mat']);
  });
});

describe('downloadDataset: failures', () => {
  it('rejects a checksum mismatch with both hashes, and leaves nothing behind', async () => {
    const wrong = '0'.repeat(64);
    const err = await downloadError(downloadDataset(fakeEntry({ sha256: wrong }), { dataDir: dir, fetchImpl: localFetch }));
    expect(err.message).toContain('fake_cube.mat');
    expect(err.message).toContain(`${base}/uploads/1/1a/fake_cube.mat`);
    expect(err.message).toContain(sha(CUBE));
    expect(err.message).toContain(wrong);
    expect(err.message).toMatch(/checksum mismatch/);
    expect(err.fix).toContain(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports an HTTP status other than 200, naming the file and address', async () => {
    const err = await downloadError(downloadDataset(fakeEntry({ file: 'missing.mat' }), { dataDir: dir, fetchImpl: localFetch }));
    expect(err.message).toContain('missing.mat');
    expect(err.message).toContain('HTTP 404');
    expect(err.message).toContain(`${base}/uploads/1/1a/missing.mat`);
    expect(err.fix).toMatch(/by hand/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('uses the registry entry for an id, with baseUrl pointing at a mirror', async () => {
    // The real KSC entry against the local server: nothing there, so a 404 naming the mirrored address.
    const err = await downloadError(downloadDataset('KSC', { dataDir: dir, fetchImpl: localFetch, baseUrl: `${base}/mirror` }));
    expect(err.message).toContain(`${base}/mirror/KSC.mat`);
    expect(err.fix).toContain(findDataset('ksc')!.remote!.cube.sha256);
    expect(requests).toEqual(['/mirror/KSC.mat']);
  });

  it('says the site could not be reached when the connection is refused, and how to get the file by hand', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const entry = fakeEntry();
    const url = `http://127.0.0.1:${port}/uploads/1/1a/fake_cube.mat`;
    const err = await downloadError(downloadDataset({ ...entry, remote: { ...entry.remote!, cube: { ...entry.remote!.cube, url } } },
      { dataDir: dir, fetchImpl: localFetch }));
    expect(err.message).toMatch(/could not be reached/);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toContain(url);
    expect(err.fix).toContain(`download ${url} by hand into ${dir}`);
    expect(err.fix).toContain(sha(CUBE));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a server that does not answer, after the idle timeout', async () => {
    const err = await downloadError(downloadDataset(fakeEntry({ file: 'no_answer.mat' }), { dataDir: dir, fetchImpl: localFetch, idleTimeoutMs: 300 }));
    expect(err.message).toMatch(/could not be reached \(no answer within 0.3 s\)/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a download that stalls midway, and removes the partial file', async () => {
    const err = await downloadError(downloadDataset(fakeEntry({ file: 'stall_after_headers.mat' }), { dataDir: dir, fetchImpl: localFetch, idleTimeoutMs: 300 }));
    expect(err.message).toMatch(/broke off after 1000 of 300000 bytes \(no data for 0.3 s\)/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops a download that is longer than expected', async () => {
    const err = await downloadError(downloadDataset(fakeEntry({ file: 'too_long.mat', bytes: GT.length }), { dataDir: dir, fetchImpl: localFetch }));
    expect(err.message).toMatch(/more than the expected/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects a download shorter than expected', async () => {
    const err = await downloadError(downloadDataset(fakeEntry({ bytes: CUBE.length + 1 }), { dataDir: dir, fetchImpl: localFetch }));
    expect(err.message).toContain(`sent ${CUBE.length} bytes, expected ${CUBE.length + 1}`);
    expect(existsSync(join(dir, 'fake_cube.mat'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('downloadDataset: which scenes', () => {
  it('lists the downloadable ids for an unknown id', async () => {
    const err = await downloadDataset('nope', { dataDir: dir, fetchImpl: localFetch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("'nope'");
    for (const id of ['ksc', 'indian-pines', 'salinas', 'salinas-a', 'pavia-u', 'botswana']) expect((err as Error).message).toContain(id);
  });

  it('refuses scenes without a canonical address (Pavia Centre, Samson), saying so', async () => {
    expect(downloadableIds()).not.toContain('pavia-c');
    expect(downloadableIds()).not.toContain('samson');
    for (const id of ['pavia-c', 'samson']) {
      const err = await downloadDataset(id, { dataDir: dir, fetchImpl: localFetch }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).fix).toMatch(/no canonical download address/);
      expect((err as ConfigError).fix).toContain('ksc');
    }
    expect(requests).toEqual([]);
  });
});

describe('data/README.md', () => {
  it('lists every downloadable file with the registry size, SHA-256 and address', () => {
    const readme = readFileSync(new URL('../../data/README.md', import.meta.url), 'utf8');
    for (const d of DATASETS) {
      expect(readme).toContain(`\`${d.id}\``);
      for (const f of d.remote ? [d.remote.cube, d.remote.gt] : []) {
        const row = readme.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${f.file}\``));
        expect(row, f.file).toBeDefined();
        expect(row).toContain(f.bytes.toLocaleString('en-US'));
        expect(row).toContain(f.sha256);
        expect(row).toContain(f.url);
      }
    }
  });
});
