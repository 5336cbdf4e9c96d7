/**
 * Real parts for the queue tests: a redis-server of our own on a free loopback port (stopped after),
 * spinalnet workers and submitters as child processes, and a small scene written as MAT files so its
 * bytes really travel through Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { makeDemoScene } from '../../src/scene/demoScene.ts';

export const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'spinalnet.js');

export const redisPresent = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!redisPresent) console.warn('skipping the queue tests: redis-server is not installed (Debian package redis-server)');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server on `port` with its files in `dir`; `extra` adds flags (persistence, password). */
export async function startRedis(opts: { port?: number; dir?: string; extra?: string[]; password?: string; tls?: { ca: string; cert: string; key: string } } = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'spinalnet-redis-'));
  mkdirSync(dir, { recursive: true });
  let proc: ChildProcess | undefined;
  const tls = opts.tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key, '--tls-ca-cert-file', opts.tls.ca, '--tls-auth-clients', 'no'] : ['--port', String(port)];
  const args = [...tls, '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(opts.password ? ['--requirepass', opts.password] : []), ...(opts.extra ?? [])];
  const server: RedisServer = {
    port,
    url: `${opts.tls ? 'rediss' : 'redis'}://${opts.password ? `:${opts.password}@` : ''}127.0.0.1:${port}`,
    async start() {
      proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
        proc!.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (/Ready to accept connections/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        proc!.on('exit', () => reject(new Error(`redis-server exited: ${out}`)));
      });
    },
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      const p = proc;
      // SIGTERM: redis-server flushes its append-only file and exits.
      await new Promise<void>((resolve) => {
        p.on('exit', () => resolve());
        p.kill('SIGTERM');
      });
    },
  };
  await server.start();
  return server;
}

export interface Cli {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves when stderr matches `re` (rejects after `ms`). */
  waitFor: (re: RegExp, ms?: number) => Promise<void>;
  exited: Promise<number | null>;
}

/** `spinalnet ARGS` as a child process, its output collected; `env` adds environment variables. */
export function cli(args: string[], env: Record<string, string> = {}): Cli {
  const proc = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    for (const w of [...waiters]) if (w.re.test(err)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return {
    proc,
    out: () => out,
    err: () => err,
    exited,
    waitFor: (re, ms = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(err)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${err}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

export const worker = (url: string, cache: string, extra: string[] = [], env: Record<string, string> = {}) =>
  cli(['worker', '--queue', url, '--cache', cache, '--lock-ms', '2000', ...extra], env);

export const opensslPresent = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** A private CA and a certificate for 127.0.0.1 signed by it (files in `dir`), for a TLS redis-server. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=spinalnet test CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.ext')]);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

/** Stops a worker with SIGTERM and waits for it (a no-op when it is gone). */
export async function stopWorker(w: Cli): Promise<void> {
  if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
  await w.exited;
}

/** A 64×64×16 demo scene as two MAT files (column-major, as MATLAB writes them). */
export function writeSmallScene(dir: string): { cube: string; gt: string } {
  const cube = join(dir, 'small_cube.mat');
  const gt = join(dir, 'small_gt.mat');
  if (existsSync(cube) && existsSync(gt)) return { cube, gt };
  const scene = makeDemoScene({ height: 64, width: 64, bands: 16 });
  const { height: h, width: w, bands: b, data } = scene.cube;
  const colMajor = new Float32Array(h * w * b);
  const labels = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < b; k++) colMajor[r + c * h + k * h * w] = data[(r * w + c) * b + k]!;
      labels[r + c * h] = scene.labels!.data[r * w + c]!;
    }
  }
  writeMatV5(cube, [{ name: 'cube', data: colMajor, dims: [h, w, b] }]);
  writeMatV5(gt, [{ name: 'gt', data: labels, dims: [h, w] }]);
  return { cube, gt };
}
