/**
 * `spinalnet worker --queue URL`: one worker process, or with --concurrency N, N of them as child
 * processes (each job on its share of the host's cores) restarted with backoff if one dies. The first Ctrl-C/SIGTERM stops
 * taking jobs and checkpoints the current one back onto the queue; a second exits at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ConfigError } from '../core/errors.ts';
import { checkThreads, openmpWaitEnv } from '../core/threads.ts';
import { parseQueueUrl } from '../queue/connection.ts';
import { startWorker } from '../queue/worker.ts';
import { num, parse, str } from './args.ts';

export const WORKER_HELP = `usage: spinalnet worker --queue redis://[:PASSWORD@]HOST:PORT[/DB] [flags]

Takes experiment jobs from the Redis queue (see \`spinalnet experiment --queue\`), runs them and
returns their results. Needs only this package and the URL: scene files come through Redis and are
cached. Use rediss:// for TLS; never expose Redis without a password and TLS.

  --queue URL        the Redis holding the queue
  --concurrency N    worker processes to run here, one job each (default 1)
  --threads N        threads of each job's training engine and map (default: this machine's cores
                     divided among the jobs that every spinalnet worker on this host runs at once,
                     as their heartbeats in Redis say, re-read before each job)
  --cache DIR        where fetched scene files are kept (default: <tmp>/spinalnet-worker-cache)
  --lock-ms MS       a worker silent this long is taken for dead and its job re-run elsewhere,
                     from its last epoch checkpoint (default 30000)

Ctrl-C or SIGTERM: stop at the next batch, checkpoint the job into Redis and put it back on the
queue for another worker; press again to quit at once.
`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(
    argv,
    { help: { type: 'boolean', short: 'h' }, queue: { type: 'string' }, concurrency: { type: 'string' }, cache: { type: 'string' }, 'lock-ms': { type: 'string' }, threads: { type: 'string' } },
    'worker',
  );
  if (v.help) {
    process.stdout.write(WORKER_HELP);
    return 0;
  }
  const url = str(v, 'queue');
  if (url === undefined) throw new ConfigError('--queue', 'the Redis URL of the queue (redis://host:6379)', undefined);
  const q = parseQueueUrl(url);
  const concurrency = num(v, 'concurrency', 1);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError('--concurrency', 'an integer ≥ 1', concurrency);
  const lockMs = num(v, 'lock-ms', 30_000);
  if (!Number.isInteger(lockMs) || lockMs < 1000) throw new ConfigError('--lock-ms', 'an integer ≥ 1000', lockMs);
  const threads = checkThreads('--threads', num(v, 'threads'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (concurrency > 1) return supervise(argv, concurrency, log);

  const w = startWorker(q, { cacheDir: str(v, 'cache'), lockMs, log, threads, group: groupOfThisProcess() });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    log(`${signal}: stopping; the current job is checkpointed and put back on the queue (press again to quit at once)`);
    void w.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await w.closed;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log('worker stopped');
  return 0;
}

/** Runs `n` single workers as child processes; forwards stop signals; restarts one that dies, with backoff. */
function supervise(argv: string[], n: number, log: (line: string) => void): Promise<number> {
  const childArgs = [...process.execArgv, process.argv[1]!, 'worker', ...withoutConcurrency(argv)];
  const children = new Set<ChildProcess>();
  let stopping = false;
  return new Promise((resolve) => {
    const start = (slot: number, delayMs: number) => {
      // Own process group: a terminal's Ctrl-C reaches the supervisor only, which forwards it once.
      // Each child knows its group's size (its share of the cores before the others' heartbeats are in), and
      // its OpenMP threads wait passively: the group shares the machine.
      const env = { ...process.env, ...openmpWaitEnv(process.env, true), [GROUP_ENV]: String(n) };
      const child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'inherit', 'inherit'], detached: true, env });
      const startedAt = Date.now();
      children.add(child);
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (stopping) {
          if (children.size === 0) resolve(0);
          return;
        }
        // Died on its own: restart after a pause that doubles while it keeps dying quickly.
        const next = Date.now() - startedAt > 60_000 ? 1000 : Math.min(delayMs * 2, 60_000);
        log(`worker process ${slot + 1} exited (${signal ?? `code ${code}`}); restarting in ${next / 1000} s`);
        setTimeout(() => !stopping && start(slot, next), next);
      });
    };
    for (let i = 0; i < n; i++) start(i, 500);
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      for (const c of children) c.kill(signal);
      if (children.size === 0) resolve(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Set by the supervisor for its children: how many worker processes its --concurrency started. */
const GROUP_ENV = 'SPINALNET_WORKER_GROUP';

function groupOfThisProcess(): number {
  const n = Number(process.env[GROUP_ENV]);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

function withoutConcurrency(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--concurrency') i++;
    else if (!argv[i]!.startsWith('--concurrency=')) out.push(argv[i]!);
  }
  return out;
}
