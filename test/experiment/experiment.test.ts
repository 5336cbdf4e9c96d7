import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeExperimentFiles } from '../../src/experiment/experimentReport.ts';
import { runExperiment } from '../../src/experiment/runExperiment.ts';
import { meanStd, paired } from '../../src/experiment/statistics.ts';
import { DEFAULTS } from '../../src/pipeline/config.ts';
import { decodePng } from '../../src/render/index.ts';

describe('statistics', () => {
  it('mean and sample standard deviation', () => {
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: Math.sqrt(32 / 7) });
    expect(meanStd([3])).toEqual({ mean: 3, std: 0 });
  });
  it('paired differences and wins', () => {
    const p = paired([0.9, 0.8, 0.7, 0.6], [0.85, 0.85, 0.7, 0.5]);
    expect(p.n).toBe(4);
    expect(p.difference.mean).toBeCloseTo((0.05 - 0.05 + 0 + 0.1) / 4, 12);
    expect([p.winsA, p.winsB, p.ties]).toEqual([2, 1, 1]);
  });
});

describe('runExperiment', () => {
  it('runs the grid on the demo scene, pairs models by seed and writes its files', async () => {
    const base = { ...DEFAULTS, input: { kind: 'demo' as const }, epochs: 1, pca: 8, backend: 'wasm' as const, trainFraction: 0.1, trainPerClass: 20 };
    // The same model listed twice: a paired comparison of identical runs must come out all ties.
    const result = await runExperiment({ base, models: ['spinal-mlp', 'spinal-mlp'], splits: ['random', 'per-class'], seeds: [1, 2] });
    expect(result.runs).toHaveLength(8);
    expect(result.runs.map((r) => [r.split, r.seed])).toEqual([
      ['random', 1], ['random', 1], ['random', 2], ['random', 2], ['per-class', 1], ['per-class', 1], ['per-class', 2], ['per-class', 2],
    ]);
    expect(result.runs.filter((r) => r.split === 'per-class').every((r) => r.trainPixels === 13 * 20)).toBe(true);
    expect(result.comparisons).toHaveLength(2);
    // The same model twice on the same seeds: every paired difference is 0, all ties.
    for (const c of result.comparisons) {
      expect(c.overallAccuracy.difference.mean).toBe(0);
      expect(c.overallAccuracy.ties).toBe(2);
    }
    const dir = mkdtempSync(join(tmpdir(), 'spinalnet-exp-'));
    writeExperimentFiles((f) => join(dir, f), result);
    expect(readFileSync(join(dir, 'experiment.md'), 'utf8')).toMatch(/\| random \| spinal-mlp \|/);
    // Which engine computed the gradients: onnxruntime when installed, else tfjs (each run records it).
    expect(readFileSync(join(dir, 'experiment.md'), 'utf8')).toMatch(/gradients on (libtorch \S+, \d threads?|onnxruntime \S+, \d threads?|tfjs wasm)/);
    expect(JSON.parse(readFileSync(join(dir, 'experiment.json'), 'utf8')).runs).toHaveLength(8);
    expect(decodePng(readFileSync(join(dir, 'experiment.png'))).width).toBeGreaterThan(300);
  });
});

describe('runImageExperiment', () => {
  it('runs spinal and dense MNIST models on the same seeds and keeps each run', async () => {
    const { runImageExperiment } = await import('../../src/experiment/imageExperiment.ts');
    const { IMAGE_DEFAULTS } = await import('../../src/images/runConfig.ts');
    const dir = mkdtempSync(join(tmpdir(), 'spinalnet-imgexp-'));
    const result = await runImageExperiment({
      base: { ...IMAGE_DEFAULTS, epochs: 1, maxTrain: 200, maxTest: 100, backend: 'wasm' },
      models: ['spinal-mnist', 'fc-mnist'],
      seeds: [1],
      runsDir: join(dir, 'runs'),
    });
    expect(result.data.unit).toBe('images');
    expect(result.runs.map((r) => [r.model, r.seed, r.testPixels])).toEqual([['spinal-mnist', 1, 100], ['fc-mnist', 1, 100]]);
    expect(result.summaries.map((s) => s.weights)).toEqual([13818, 21840]);
    expect(result.comparisons).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'runs', 'fc-mnist-seed1', 'metrics.json'), 'utf8')).testImages).toBe(100);
  });
});
