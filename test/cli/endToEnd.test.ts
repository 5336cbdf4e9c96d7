/**
 * A small real run through the installed command (`bin/spinalnet.js`) on the real SalinasA scene:
 * every output is written, the maps have the scene's size, the saved model maps the scene again
 * with `spinalnet predict` and gives the same prediction.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { decodePng } from '../../src/render/index.ts';
import { startView } from '../../src/view/startView.ts';
import { gdalMissing, gdalRead } from '../io/gdal.ts';

const root = join(__dirname, '..', '..');
const salinas = join(root, '..', 'shared', 'data', 'salinasA');
const present = existsSync(join(salinas, 'SalinasA_corrected.mat'));
if (!present) console.warn('skipping the end-to-end run: ../shared/data/salinasA is absent');

function cli(args: string[]): string {
  return execFileSync(process.execPath, [join(root, 'bin', 'spinalnet.js'), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.skipIf(!present)('spinalnet run → predict on SalinasA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-e2e-'));
  const out = join(dir, 'run');
  const cube = join(salinas, 'SalinasA_corrected.mat');
  const gt = join(salinas, 'SalinasA_gt.mat');

  it('writes every output of a run', () => {
    const stdout = cli(['run', '--cube', cube, '--gt', gt, '--model', 'spinal-mlp', '--train-fraction', '0.05', '--epochs', '8', '--lr', '0.003', '--seed', '1', '--backend', 'wasm', '--map-format', 'tif,envi', '--probabilities', '--out', out]);
    expect(stdout).toMatch(/OA \d+\.\d\d%/);
    for (const f of ['metrics.json', 'classification-map.png', 'ground-truth.png', 'errors.png', 'overview.png', 'confusion-matrix.png', 'training-curves.png', 'report.md', 'prediction.mat', 'classification-map.tif', 'classification-map.tif.aux.xml', 'confidence.tif', 'probabilities.tif', 'classification-map.dat', 'classification-map.hdr', 'run.json', 'model/model.json', 'model/weights.bin', 'model/spinalnet.json', 'split.mat', 'split.png', 'report.html', 'false-color.png']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics)).toEqual(expect.arrayContaining(['overallAccuracy', 'averageAccuracy', 'kappa', 'perClass', 'confusionMatrix', 'trainPixels', 'testPixels']));
    expect(metrics.trainPixels + metrics.testPixels).toBe(5348);
    expect(metrics.perClass.map((c: { label: number }) => c.label)).toEqual([1, 10, 11, 12, 13, 14]);
    // A spectral MLP on 5% of SalinasA is far above chance (1/6) even after 8 epochs.
    expect(metrics.overallAccuracy).toBeGreaterThan(0.7);
    const map = decodePng(readFileSync(join(out, 'classification-map.png')));
    expect([map.width, map.height]).toEqual([86, 83]);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(Object.keys(run.timings)).toEqual(['load', 'pca', 'patches', 'train', 'predict', 'render', 'total']);
    expect(run.backend.name).toBe('wasm');
    expect(run.status).toBe('done');
    expect(existsSync(join(out, 'checkpoint'))).toBe(false);
    expect(existsSync(join(out, '.partial'))).toBe(false);
    // split.mat: 1 train, 3 test, exactly on the labelled pixels.
    const split = readMatNumeric(join(out, 'split.mat'), 'split');
    const roles = Array.from(split.data, Number);
    expect(roles.filter((r) => r === 1)).toHaveLength(metrics.trainPixels);
    expect(roles.filter((r) => r === 3)).toHaveLength(metrics.testPixels);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Lettuce_romaine_7wk/);
  });

  /** prediction.mat as row-major label values, and the ground truth likewise. */
  function rowMajor(file: string, variable: string): number[] {
    const m = readMatNumeric(file, variable);
    const [h, w] = m.dims as [number, number];
    return Array.from({ length: h * w }, (_, i) => Number(m.data[(i % w) * h + Math.floor(i / w)]));
  }

  it.skipIf(gdalMissing !== undefined)('GDAL reads the class map as prediction.mat on every pixel (whole-scene maps), the ENVI classification with class names, the probabilities', () => {
    const expected = rowMajor(join(out, 'prediction.mat'), 'prediction');
    // SalinasA has no nodata: the GIS maps hold a class on every pixel, labelled or not.
    expect(expected.every((v) => v !== 0)).toBe(true);
    const tif = gdalRead(join(out, 'classification-map.tif'));
    expect(tif.bands[0]!.shape).toEqual([83, 86]);
    expect(Array.from(tif.bands[0]!.values)).toEqual(expected);
    expect(tif.bands[0]!.categories!.slice(0, 11)).toEqual(['Unclassified', 'Brocoli_green_weeds_1', '', '', '', '', '', '', '', '', 'Corn_senesced_green_weeds']);
    const envi = gdalRead(join(out, 'classification-map.dat'));
    expect(envi.driver).toBe('ENVI');
    // ENVI indices are 1…6 for the values 1, 10…14.
    const index = new Map([1, 10, 11, 12, 13, 14].map((v, k) => [v, k + 1]));
    expect(Array.from(envi.bands[0]!.values)).toEqual(expected.map((v) => (v === 0 ? 0 : index.get(v)!)));
    expect(envi.bands[0]!.categories).toEqual(['Unclassified', 'Brocoli_green_weeds_1', 'Corn_senesced_green_weeds', 'Lettuce_romaine_4wk', 'Lettuce_romaine_5wk', 'Lettuce_romaine_6wk', 'Lettuce_romaine_7wk']);
    const probs = gdalRead(join(out, 'probabilities.tif'));
    expect(probs.bands.map((b) => b.description)).toEqual(['1 Brocoli_green_weeds_1', '10 Corn_senesced_green_weeds', '11 Lettuce_romaine_4wk', '12 Lettuce_romaine_5wk', '13 Lettuce_romaine_6wk', '14 Lettuce_romaine_7wk']);
    const confidence = gdalRead(join(out, 'confidence.tif')).bands[0]!.values;
    for (let i = 0; i < expected.length; i++) {
      if (expected[i] === 0) {
        expect(confidence[i]).toBe(0);
        expect(Number.isNaN(probs.bands[0]!.values[i])).toBe(true);
        continue;
      }
      // The confidence is the probability of the mapped class, the largest of the six.
      const p = probs.bands.map((b) => b.values[i]!);
      expect(confidence[i]).toBe(p[index.get(expected[i]!)! - 1]);
      expect(confidence[i]).toBe(Math.max(...p));
    }
  });

  it('maps the scene again from the saved model with the same result', () => {
    const again = join(dir, 'predict');
    const stdout = cli(['predict', '--model', join(out, 'model'), '--cube', cube, '--gt', gt, '--backend', 'wasm', '--map-format', 'envi', '--out', again]);
    expect(stdout).toMatch(/OA/);
    expect(existsSync(join(again, 'report.html'))).toBe(true);
    for (const f of ['classification-map.tif', 'confidence.tif', 'classification-map.dat', 'classification-map.hdr']) expect(existsSync(join(again, f)), f).toBe(true);
    expect(existsSync(join(again, 'probabilities.tif'))).toBe(false);
    expect(readFileSync(join(again, 'classification-map.tif'))).toEqual(readFileSync(join(out, 'classification-map.tif')));
    const first = readMatNumeric(join(out, 'prediction.mat'), 'prediction');
    const second = readMatNumeric(join(again, 'prediction.mat'), 'prediction');
    expect(first.dims).toEqual([83, 86]);
    expect(Array.from(second.data, Number)).toEqual(Array.from(first.data, Number));
    expect(new Set(Array.from(first.data, Number))).toEqual(new Set([1, 10, 11, 12, 13, 14]));
  });

  it('spinalnet view shows the predict run: its scene, classes and a pixel from the saved model', async () => {
    const view = await startView([join(dir, 'predict')], { port: 0, host: '127.0.0.1' });
    try {
      const scene = await (await fetch(`${view.url}api/run/0/scene`)).json();
      expect([scene.height, scene.width]).toEqual([83, 86]);
      expect(scene.classes.map((c: { value: number }) => c.value)).toEqual([1, 10, 11, 12, 13, 14]);
      const px = await (await fetch(`${view.url}api/run/0/pixel?row=40&col=40`)).json();
      const prediction = readMatNumeric(join(dir, 'predict', 'prediction.mat'), 'prediction');
      expect(scene.classes[px.predicted].value).toBe(Number(prediction.data[40 * 83 + 40]));
      expect(px.top[0].class).toBe(px.predicted);
      expect(px.spectrum).toHaveLength(scene.bands);
    } finally {
      await view.close();
    }
  });
});
