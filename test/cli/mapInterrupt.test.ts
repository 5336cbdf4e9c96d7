/**
 * Ctrl-C during the map: a real child process gets SIGINT once its map has started, stops after the
 * window in progress (exit 130, run.json 'interrupted', no results visible), and `run --resume` continues
 * the map from the next window with the trained model from the checkpoint; every output file equals an
 * uninterrupted run's. The scene is a small synthetic flight line (bench/flightLine.ts) mapped in 4 windows.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/index.ts';
import { runAndSignal } from './signalChild.ts';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'spinalnet.js');
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-mapint-'));
const scene = join(dir, 'scene');

// 4,096 lines × 64 samples: with --tile-size 8 the map's windows are 1,024 rows (MIN_MAP_WINDOW_PIXELS), so 4 windows.
const args = (out: string) => [
  'run', '--cube', join(scene, 'flightline.hdr'), '--gt', join(scene, 'flightline_gt.hdr'), '--model', 'spinal-mlp', '--pca', '8',
  '--train-fraction', '0.01', '--epochs', '2', '--batch-size', '32', '--seed', '5', '--backend', 'wasm', '--predict-workers', '0',
  '--tile-size', '8', '--probabilities', '--out', out,
];

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe('Ctrl-C during the map, then --resume', () => {
  it('stops after a window, resumes from the next one without training, and ends with the files of an uninterrupted run', async () => {
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'flightLine.ts'), '--out', scene, '--lines', '4096', '--samples', '64', '--bands', '16', '--classes', '4'], { cwd: root, stdio: 'pipe' });
    const stopped = join(dir, 'stopped');
    const r = await runAndSignal(args(stopped), /mapping \d+ pixels/, 'SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopping after this window of the map/);
    const record = readJson(join(stopped, 'run.json'));
    expect(record.status).toBe('interrupted');
    const row = Number(/during the map after row (\d+) of 4096/.exec(record.message)?.[1]);
    expect(row).toBeGreaterThan(0);
    expect(row).toBeLessThan(4096);
    expect(row % 1024).toBe(0);
    // Nothing that looks like a result; the map's checkpoint holds the model and the finished rows.
    expect(readdirSync(stopped).sort()).toEqual(['checkpoint', 'run.json']);
    expect(readJson(join(stopped, 'checkpoint', 'map', 'map.json')).rowsDone).toBe(row);

    const resumed = spawnSync(process.execPath, [bin, 'run', '--resume', stopped], { cwd: root, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    // No training, and the map picks up at the first row not done.
    expect(resumed.stderr).toContain(`resuming the map at row ${row} of 4096`);
    expect(resumed.stderr).not.toMatch(/training spinal-mlp|epoch 1:/);
    const log = readJson(join(stopped, 'run.json'));
    expect(log.status).toBe('done');
    expect(existsSync(join(stopped, 'checkpoint'))).toBe(false);

    const straight = join(dir, 'straight');
    execFileSync(process.execPath, [bin, ...args(straight)], { cwd: root, stdio: 'pipe' });
    const same = ['classification-map.tif', 'classification-map.tif.aux.xml', 'confidence.tif', 'probabilities.tif', 'classification-map.png',
      'errors.png', 'ground-truth.png', 'false-color.png', 'split.png', 'overview.png', 'confusion-matrix.png', 'training-curves.png', 'metrics.json'];
    for (const f of same) expect(readFileSync(join(stopped, f)).equals(readFileSync(join(straight, f))), f).toBe(true);
    const prediction = (d: string) => Array.from(readMatNumeric(join(d, 'prediction.mat'), 'prediction').data as Uint8Array);
    expect(prediction(stopped)).toEqual(prediction(straight));
    const losses = (record: { training: { epochs: { loss: number }[] } }) => record.training.epochs.map((e) => e.loss);
    expect(losses(log)).toEqual(losses(readJson(join(straight, 'run.json'))));
  }, 180_000);

  it('a run killed outright (SIGKILL) mid-map resumes from its last recorded window to the same files, with no stray temporary file', async () => {
    const killed = join(dir, 'killed');
    const r = await runAndSignal(args(killed), /map: \d+\/4096 rows/, 'SIGKILL');
    expect(r.code).toBeNull();
    expect(readJson(join(killed, 'run.json')).status).toBe('running');
    const resumed = spawnSync(process.execPath, [bin, 'run', '--resume', killed], { cwd: root, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming the map at row \d+ of 4096/);
    const straight = join(dir, 'straight');
    expect(readdirSync(killed).sort()).toEqual(readdirSync(straight).sort());
    for (const f of ['classification-map.tif', 'confidence.tif', 'probabilities.tif', 'classification-map.png', 'metrics.json']) {
      expect(readFileSync(join(killed, f)).equals(readFileSync(join(straight, f))), f).toBe(true);
    }
  }, 120_000);

  it('predict stops after a window too: exit 130, no output folder and no staging folder left', async () => {
    const model = join(dir, 'straight', 'model');
    const parent = join(dir, 'predicted');
    const out = join(parent, 'maps');
    const r = await runAndSignal(['predict', '--model', model, '--cube', join(scene, 'flightline.hdr'), '--backend', 'wasm', '--predict-workers', '0',
      '--tile-size', '8', '--out', out], /mapping \d+ pixels/, 'SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted: stopped by SIGINT during the map after row \d+ of 4096; nothing was written \(predict has no --resume: run it again\)/);
    expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([]);
  }, 60_000);
});
