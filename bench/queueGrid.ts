/**
 * The queue row of `npm run bench`: the Samson grid (spinal-cnn and fc-cnn × 2 seeds, 20 % training: 4 jobs)
 * through a Redis queue of its own, wall time of `spinalnet experiment --queue` with one `spinalnet worker`,
 * then with two workers on this machine. Two workers must not be slower than one (docs/queue.md).
 *
 *   node --import tsx bench/queueGrid.ts [--epochs 4]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'spinalnet.js');
const SAMSON = join(ROOT, '..', 'shared', 'data', 'samson');

export interface QueueGridResult {
  /** Wall seconds of the grid with 1 and with 2 workers. */
  one: number;
  two: number;
  epochs: number;
}

/** Why the row cannot run here, or undefined. */
export function queueGridAbsence(): string | undefined {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return 'redis-server is not installed (Debian package redis-server)';
  if (!existsSync(join(SAMSON, 'Samson_cube.mat'))) return `${SAMSON} is absent`;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Resolves once the child printed `text` (on stdout or stderr). */
function waitFor(child: ChildProcess, text: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const look = (b: Buffer) => {
      seen += b.toString();
      if (seen.includes(text)) resolve();
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before "${text}":\n${seen}`)));
  });
}

/** One grid through a fresh Redis with `workers` worker processes; wall seconds of the submitting command. */
async function grid(workers: number, epochs: number, dir: string): Promise<number> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'pipe' });
  const started: ChildProcess[] = [];
  try {
    await waitFor(redis, 'Ready to accept connections', 'redis-server');
    for (let w = 0; w < workers; w++) {
      const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--cache', join(dir, `cache-${workers}-${w}`)], { stdio: 'pipe' });
      started.push(child);
      await waitFor(child, 'listening on', 'spinalnet worker');
    }
    const t0 = performance.now();
    const run = spawnSync(process.execPath, [
      BIN, 'experiment', '--cube', join(SAMSON, 'Samson_cube.mat'), '--gt', join(SAMSON, 'Samson_gt.mat'),
      '--train-fraction', '0.2', '--models', 'spinal-cnn,fc-cnn', '--seeds', '2', '--epochs', String(epochs),
      '--queue', url, '--out', join(dir, `grid-${workers}`),
    ], { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    if (run.status !== 0) throw new Error(`experiment --queue with ${workers} worker(s) failed (${run.status}):\n${run.stderr}`);
    return seconds;
  } finally {
    for (const c of started) c.kill('SIGTERM');
    await Promise.all(started.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    redis.kill('SIGTERM');
  }
}

/** The grid with one worker, then with two. */
export async function benchQueueGrid(epochs = 4): Promise<QueueGridResult> {
  const dir = mkdtempSync(join(os.tmpdir(), 'spinalnet-queue-bench-'));
  try {
    const one = await grid(1, epochs, dir);
    const two = await grid(2, epochs, dir);
    return { one, two, epochs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { epochs: { type: 'string' } } });
  const absent = queueGridAbsence();
  if (absent) {
    console.log(`queue grid not run: ${absent}`);
  } else {
    const r = await benchQueueGrid(Number(values.epochs ?? 4));
    console.log(`Samson grid (4 jobs, ${r.epochs} epochs) through Redis: 1 worker ${r.one.toFixed(1)} s, 2 workers ${r.two.toFixed(1)} s (${(r.one / r.two).toFixed(2)}×); load now ${os.loadavg()[0]!.toFixed(1)}`);
  }
}
