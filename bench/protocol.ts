/**
 * The bench's real-protocol row: `spinalnet run` on a real scene (its run.json `timings.train`) against
 * `../shared/bench/torch_protocol.py` (the paper network in PyTorch, 2 threads, its printed `train=`
 * seconds) on the same scene and split sizes, run alternately so both see the same machine load.
 * Both sides train 16 epochs at batch 16 without warm-up: what a user of either waits for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './torchReference.ts';

export const TORCH_PROTOCOL = fileURLToPath(new URL('../../shared/bench/torch_protocol.py', import.meta.url));
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/spinalnet.js', import.meta.url));

export interface ProtocolScene {
  name: string;
  cube: string;
  cubeVar: string;
  gt: string;
  gtVar: string;
  /** Share of each class that trains (spinalnet --train-fraction; PyTorch's test size is 1 − this). */
  trainFraction: number;
}

/** Samson with 20 % training (1,542 patches): the first scene. */
export const SAMSON: ProtocolScene = {
  name: 'Samson 20 %',
  cube: path.join(SHARED, 'data/samson/Samson_cube.mat'), cubeVar: 'samson',
  gt: path.join(SHARED, 'data/samson/Samson_gt.mat'), gtVar: 'samson_gt',
  trainFraction: 0.2,
};

/**
 * The KSC-shaped scene (real KSC labels, synthetic 176-band cube) with the paper's 80 % training
 * (4,169 patches), written by ../shared/tools/make_ksc_shaped.py into `dir` when not there yet.
 */
export function kscShaped(dir: string): ProtocolScene | string {
  const cube = path.join(dir, 'KSC.mat');
  const gt = path.join(dir, 'KSC_gt.mat');
  if (!existsSync(cube) || !existsSync(gt)) {
    const made = spawnSync(PYTHON, [path.join(SHARED, 'tools/make_ksc_shaped.py'), dir], { encoding: 'utf8' });
    if (made.status !== 0) return `make_ksc_shaped.py failed: ${(made.stderr || String(made.error)).trim().split('\n').pop()}`;
  }
  return { name: 'KSC-shaped 80 %', cube, cubeVar: 'KSC', gt, gtVar: 'KSC_gt', trainFraction: 0.8 };
}

export interface ProtocolRun {
  /** Training seconds: spinalnet's timings.train, PyTorch's printed train= time. */
  ours: number;
  torch: number;
  /** 1-minute load average before each side started. */
  loadOurs: number;
  loadTorch: number;
  /** CPU seconds (user + system) of each whole process, loading and mapping included. */
  cpuOurs: number;
  cpuTorch: number;
  engine: string;
  trainPatches: number;
}

const load = () => os.loadavg()[0]!;

function cpuOf(child: ReturnType<typeof spawnSync>): number {
  const m = /CPU_SECONDS ([0-9.]+) ([0-9.]+)/.exec(String(child.stderr));
  return m ? Number(m[1]) + Number(m[2]) : Number.NaN;
}

/** Prefixes `/usr/bin/time` when it exists, to read the child's CPU time. */
function timed(command: string, args: string[]): ReturnType<typeof spawnSync> {
  return existsSync('/usr/bin/time')
    ? spawnSync('/usr/bin/time', ['-f', 'CPU_SECONDS %U %S', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** One PyTorch run, then one spinalnet run, on `scene`. Throws with the child's last lines when one fails. */
export function runProtocolPair(scene: ProtocolScene): ProtocolRun {
  const loadTorch = load();
  const torchArgs = [TORCH_PROTOCOL, scene.cube, scene.cubeVar, scene.gt, scene.gtVar, 'transpose', String(1 - scene.trainFraction), '16'];
  const t = timed(PYTHON, torchArgs);
  const tm = /train=(\d+) .*train=([0-9.]+)s/.exec(String(t.stdout));
  if (t.status !== 0 || !tm) throw new Error(`${PYTHON} ${torchArgs.join(' ')} failed:\n${String(t.stderr).slice(-800)}`);

  const out = mkdtempSync(path.join(os.tmpdir(), 'spinalnet-bench-'));
  try {
    const loadOurs = load();
    const args = [CLI, 'run', '--cube', scene.cube, '--gt', scene.gt, '--train-fraction', String(scene.trainFraction), '--out', path.join(out, 'run')];
    const s = timed(process.execPath, args);
    if (s.status !== 0) throw new Error(`spinalnet ${args.slice(1).join(' ')} failed:\n${String(s.stderr).slice(-800)}`);
    const run = JSON.parse(readFileSync(path.join(out, 'run', 'run.json'), 'utf8')) as {
      timings: { train: number }; training: { engine: string }; split: { train: number };
    };
    return {
      ours: run.timings.train, torch: Number(tm[2]), loadOurs, loadTorch,
      cpuOurs: cpuOf(s), cpuTorch: cpuOf(t), engine: run.training.engine, trainPatches: run.split.train,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Why the row cannot run here (no PyTorch, no script, no scene), or undefined. */
export function protocolAbsence(scene: ProtocolScene, torchMissing: string | undefined): string | undefined {
  if (torchMissing) return torchMissing;
  if (!existsSync(TORCH_PROTOCOL)) return `${TORCH_PROTOCOL} is missing`;
  for (const f of [scene.cube, scene.gt]) if (!existsSync(f)) return `${f} is missing`;
  return undefined;
}
