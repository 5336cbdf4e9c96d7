import { describe, expect, it } from 'vitest';
import { experimentCommand } from '../../src/cli/experimentCommand.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { defaultJobs, runExperimentScheduled } from '../../src/experiment/sideBySide.ts';
import { DEFAULTS } from '../../src/pipeline/config.ts';

const base = {
  ...DEFAULTS, input: { kind: 'demo' as const }, epochs: 1, pca: 6, patch: 9, backend: 'wasm' as const, trainPerClass: 12,
};
const grid = { base, models: ['spinal-cnn', 'spinal-mlp'], splits: ['per-class' as const], seeds: [1, 2] };
const small = { ...grid, seeds: [1] };

describe('runExperimentScheduled', () => {
  it('side by side computes exactly what one at a time computes on onnxruntime, in the same order', async () => {
    // onnxruntime's step gives the same bits on one and two threads; libtorch's agree only to float32 rounding.
    const onnx = { ...small, base: { ...base, training: 'onnxruntime' as const } };
    const together = await runExperimentScheduled(onnx, 2);
    const alone = await runExperimentScheduled(onnx, 1);
    expect(together.schedule).toBe('2 runs side by side, one training thread each');
    expect(alone.schedule).toMatch(/^one run at a time/);
    const key = (r: (typeof alone.runs)[number]) => [r.model, r.split, r.seed, r.overallAccuracy, r.kappa, r.perClassRecall, r.trainPixels, r.testPixels];
    expect(together.runs.map(key)).toEqual(alone.runs.map(key));
    expect(together.runs.map((r) => [r.model, r.seed])).toEqual([['spinal-cnn', 1], ['spinal-mlp', 1]]);
    expect(together.summaries).toEqual(alone.summaries.map((s, i) => ({ ...s, trainSeconds: together.summaries[i]!.trainSeconds })));
    expect(together.data).toEqual(alone.data);
  }, 120_000);

  it('fails before starting any process on bad input, with the error runExperiment gives', async () => {
    await expect(runExperimentScheduled({ ...grid, base: { ...base, epochs: 0 } }, 2)).rejects.toBeInstanceOf(ConfigError);
  });

  it('spinalnet experiment refuses --jobs 0 and --jobs for image datasets', async () => {
    await expect(experimentCommand(['--demo', '--jobs', '0'])).rejects.toThrow(/--jobs: expected a whole number/);
    await expect(experimentCommand(['--dataset', 'mnist', '--jobs', '2'])).rejects.toBeInstanceOf(ConfigError);
  });

  it('queues side by side only when two or more runs are queued', () => {
    expect(defaultJobs(1)).toBe(1);
    expect(defaultJobs(4)).toBeGreaterThanOrEqual(1);
    expect(defaultJobs(4)).toBeLessThanOrEqual(2);
  });
});
