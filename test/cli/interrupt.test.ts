/**
 * Stopping a run with a signal: the folder says 'interrupted' and holds no finished-looking output;
 * --resume completes it with exactly the metrics of an uninterrupted run of the same seed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAndSignal } from './signalChild.ts';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'spinalnet.js');
const salinas = join(root, '..', 'shared', 'data', 'salinasA');
const present = existsSync(join(salinas, 'SalinasA_corrected.mat'));
if (!present) console.warn('skipping the interrupt test: ../shared/data/salinasA is absent');

const args = (out: string) => [
  'run', '--cube', join(salinas, 'SalinasA_corrected.mat'), '--gt', join(salinas, 'SalinasA_gt.mat'),
  '--model', 'spinal-mlp', '--train-fraction', '0.05', '--epochs', '6', '--batch-size', '8', '--seed', '3',
  '--backend', 'wasm', '--out', out,
];

/** Starts a run and sends `signal` once `afterEpoch` epochs have finished; resolves with the exit code. */
const runAndInterrupt = (out: string, signal: NodeJS.Signals = 'SIGTERM', afterEpoch = 1) => runAndSignal(args(out), new RegExp(`epoch ${afterEpoch}:`), signal);

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe.skipIf(!present)('interrupting and resuming a run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-int-'));

  it('marks the folder interrupted, leaves no results, and resumes to the uninterrupted metrics', async () => {
    const stopped = join(dir, 'stopped');
    const r = await runAndInterrupt(stopped);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/--resume/);
    const record = readJson(join(stopped, 'run.json'));
    expect(record.status).toBe('interrupted');
    expect(record.message).toMatch(/SIGTERM/);
    for (const f of ['metrics.json', 'classification-map.png', 'prediction.mat', 'overview.png', 'model']) {
      expect(existsSync(join(stopped, f)), f).toBe(false);
    }
    expect(existsSync(join(stopped, 'checkpoint', 'state.json'))).toBe(true);

    execFileSync(process.execPath, [bin, 'run', '--resume', stopped], { cwd: root, stdio: 'pipe' });
    expect(readJson(join(stopped, 'run.json')).status).toBe('done');
    expect(existsSync(join(stopped, 'checkpoint'))).toBe(false);

    const straight = join(dir, 'straight');
    execFileSync(process.execPath, [bin, ...args(straight)], { cwd: root, stdio: 'pipe' });
    const a = readJson(join(straight, 'metrics.json'));
    const b = readJson(join(stopped, 'metrics.json'));
    expect(b).toEqual(a);
    const lossesA = readJson(join(straight, 'run.json')).training.epochs.map((e: { loss: number }) => e.loss);
    const lossesB = readJson(join(stopped, 'run.json')).training.epochs.map((e: { loss: number }) => e.loss);
    expect(lossesB).toEqual(lossesA);
  });

  it('resumes a run killed outright (SIGKILL) from its last epoch checkpoint, to the same metrics', async () => {
    const killed = join(dir, 'killed');
    const r = await runAndInterrupt(killed, 'SIGKILL', 2);
    expect(r.code).toBeNull(); // killed: no exit code, nothing could be written on the way out
    expect(readJson(join(killed, 'run.json')).status).toBe('running');
    expect(existsSync(join(killed, 'metrics.json'))).toBe(false);
    execFileSync(process.execPath, [bin, 'run', '--resume', killed], { cwd: root, stdio: 'pipe' });
    expect(readJson(join(killed, 'run.json')).status).toBe('done');
    expect(readJson(join(killed, 'metrics.json'))).toEqual(readJson(join(dir, 'straight', 'metrics.json')));
  });
});
