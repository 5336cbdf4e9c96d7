/**
 * `spinalnet run --split maps` with the real Pavia University fixed training/test maps. The Pavia cube
 * is not available here, so a synthetic cube of its shape (610×340, a few bands) stands in: what is
 * checked is the split, not the accuracy.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { createRng } from '../../src/util/random.ts';

const gtOnly = join(__dirname, '..', '..', '..', 'shared', 'data', 'gt-only');
const present = existsSync(join(gtOnly, 'TRpavia_fixed.mat'));
if (!present) console.warn('skipping the maps split test: ../shared/data/gt-only is absent');

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await main(args), stderr };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!present)('--split maps with the Pavia University fixed split', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-maps-'));
  const cube = join(dir, 'PaviaU_synthetic.mat');
  const h = 610, w = 340, b = 4;
  const rng = createRng(1);
  writeMatV5(cube, [{ name: 'paviaU', data: Float32Array.from({ length: h * w * b }, () => rng.next()), dims: [h, w, b] }]);
  const common = ['--cube', cube, '--gt', join(gtOnly, 'PaviaU_gt.mat'), '--model', 'spinal-mlp', '--pca', '3', '--epochs', '1', '--backend', 'wasm', '--predict-batch', '4096'];

  it('trains on the training map and tests on the test map', async () => {
    const out = join(dir, 'run');
    const r = await cli(['run', ...common, '--split', 'maps', '--train-map', join(gtOnly, 'TRpavia_fixed.mat'), '--test-map', join(gtOnly, 'TSpavia_fixed.mat'), '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const train = readMatNumeric(join(gtOnly, 'TRpavia_fixed.mat'), 'TRpavia_fixed').data;
    const test = readMatNumeric(join(gtOnly, 'TSpavia_fixed.mat'), 'TSpavia_fixed').data;
    const roles = Array.from(readMatNumeric(join(out, 'split.mat'), 'split').data, Number);
    // Both are column-major H×W, so they compare element by element: training pixels come from the training map only.
    roles.forEach((role, i) => {
      if (role === 1) expect(Number(train[i])).toBeGreaterThan(0);
      if (role === 3) expect(Number(test[i])).toBeGreaterThan(0);
    });
    expect(roles.filter((x) => x === 1)).toHaveLength(metrics.trainPixels);
    expect(metrics.trainPixels).toBeGreaterThan(2500);
    expect(metrics.testPixels).toBeGreaterThan(39000);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).split.strategy).toBe('maps');
  });

  it('refuses a map of another scene', async () => {
    const r = await cli(['run', ...common, '--split', 'maps', '--train-map', join(gtOnly, 'Indian_pines_gt.mat'), '--out', join(dir, 'wrong')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/145×145/);
    expect(existsSync(join(dir, 'wrong'))).toBe(false);
  });
});
