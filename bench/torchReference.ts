/**
 * The PyTorch reference on this machine: `/work/shared/bench/torch_throughput.py` (the paper network in
 * PyTorch, 2 threads) run with Debian's python3 when `import torch` works there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
/** Timed passes torch_throughput.py makes over its samples after its warm-up pass (its default). */
export const TORCH_EPOCHS = 4;

export const TORCH_SCRIPT = fileURLToPath(new URL('../../shared/bench/torch_throughput.py', import.meta.url));

export interface TorchReference {
  /** Samples per second, wall clock, as the script prints them. */
  train16: number;
  train64: number;
  predict: number;
  /** CPU seconds the script used (user + system, from /usr/bin/time), when measurable. */
  cpuSeconds?: number;
  wallSeconds: number;
  command: string;
}

/** Why the reference cannot run here, or undefined when it can. */
export function torchAbsence(): string | undefined {
  if (!existsSync(TORCH_SCRIPT)) return `${TORCH_SCRIPT} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `'${PYTHON} -c "import torch"' fails (install: apt-get install -y python3-torch python3-sklearn)`;
  return undefined;
}

/** Parses the script's output; throws when a line is missing (the script changed). */
export function parseTorchOutput(text: string, samples: number): Pick<TorchReference, 'train16' | 'train64' | 'predict'> {
  const train = (bs: number): number => {
    const m = new RegExp(`bs=${bs} train .*=> ([0-9.]+) samples/s`).exec(text);
    if (!m) throw new Error(`no 'bs=${bs} train … samples/s' line in the PyTorch output:\n${text}`);
    return Number(m[1]);
  };
  const p = /torch predict (\d+): ([0-9.]+) s/.exec(text);
  if (!p) throw new Error(`no 'torch predict N: T s' line in the PyTorch output:\n${text}`);
  const seconds = Number(p[2]);
  return { train16: train(16), train64: train(64), predict: (Number(p[1]) || samples) / Math.max(seconds, 1e-3) };
}

/** Runs the reference with `samples` samples and 2 threads (the setting). */
export function runTorchReference(samples: number, threads = 2): TorchReference {
  const args = [TORCH_SCRIPT, String(samples), String(threads), String(TORCH_EPOCHS)];
  const command = `${PYTHON} ${args.join(' ')}`;
  const timed = existsSync('/usr/bin/time');
  const start = performance.now();
  const run = timed
    ? spawnSync('/usr/bin/time', ['-f', 'CPU_SECONDS %U %S', PYTHON, ...args], { encoding: 'utf8' })
    : spawnSync(PYTHON, args, { encoding: 'utf8' });
  const wallSeconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`${command} failed:\n${run.stderr}`);
  const cpu = /CPU_SECONDS ([0-9.]+) ([0-9.]+)/.exec(run.stderr);
  return {
    ...parseTorchOutput(run.stdout, samples),
    ...(cpu ? { cpuSeconds: Number(cpu[1]) + Number(cpu[2]) } : {}),
    wallSeconds,
    command,
  };
}
