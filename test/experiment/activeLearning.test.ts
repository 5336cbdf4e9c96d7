/**
 * The simulated active-learning loop on the demo scene (a small spectral model, two rounds, one seed): it
 * runs, the labelled set grows by `perRound` each round, no pixel is picked twice, and the suggested pixels'
 * margins are below those of random picks under the same first-round model. Behaviour, not an accuracy claim.
 * Then the figure: both curves, with their bands, drawn by renderMeanCurves.
 */
import { describe, expect, it } from 'vitest';
import { simulateActiveLearning } from '../../src/experiment/activeLearning.ts';
import { renderMeanCurves } from '../../src/render/index.ts';
import { makeDemoScene } from '../../src/scene/demoScene.ts';

describe('simulateActiveLearning', () => {
  it('grows the labelled set by perRound per round, never picks a pixel twice, and suggests lower margins than random', async () => {
    const r = await simulateActiveLearning({
      input: { kind: 'demo' }, model: 'spinal-mlp', pca: 8, whiten: true, patch: 1, epochs: 6, batchSize: 16, learningRate: 3e-3,
      lrDropEpoch: 0, lrDropFactor: 1, initialPerClass: 5, rounds: 2, perRound: 10, testFraction: 0.5, seeds: [4], backend: 'wasm',
      training: 'onnxruntime', threads: 1,
    });
    const demo = makeDemoScene();
    const k = demo.classes.length;
    expect(r.runs.map((x) => x.strategy)).toEqual(['suggest', 'random']);
    for (const run of r.runs) {
      expect(run.rounds.map((x) => x.labelled)).toEqual([5 * k, 5 * k + 10, 5 * k + 20]);
      const added = run.rounds.flatMap((x) => x.added);
      expect(added.length).toBe(20);
      expect(new Set(added).size).toBe(20);
      // Every pick is a ground-truth pixel (its label is what gets added).
      for (const p of added) expect(demo.labels!.data[p]).toBeGreaterThan(0);
      for (const x of run.rounds) expect(x.overallAccuracy).toBeGreaterThan(1 / k);
    }
    const [suggest, random] = r.runs;
    // Round 0: the same labels and seed, so the same model chose both sets.
    expect(suggest!.rounds[0]!.overallAccuracy).toBe(random!.rounds[0]!.overallAccuracy);
    expect(suggest!.rounds[0]!.addedMeanMargin!).toBeLessThan(random!.rounds[0]!.addedMeanMargin!);
    const mean = (run: typeof suggest) => run!.rounds.slice(0, 2).reduce((a, x) => a + x.addedMeanMargin!, 0) / 2;
    expect(mean(suggest)).toBeLessThan(mean(random));
    expect(r.summary.map((s) => [s.strategy, s.round, s.labelled])).toEqual([
      ['suggest', 0, 5 * k], ['suggest', 1, 5 * k + 10], ['suggest', 2, 5 * k + 20], ['random', 0, 5 * k], ['random', 1, 5 * k + 10], ['random', 2, 5 * k + 20],
    ]);

    const colors = { suggest: [214, 39, 40], random: [31, 119, 180] } as const;
    const img = renderMeanCurves({
      xLabel: 'labelled pixels', yLabel: 'OA (%)',
      panels: [{
        title: 'demo', curves: (['suggest', 'random'] as const).map((s) => {
          const rows = r.summary.filter((x) => x.strategy === s);
          return { label: s, color: [...colors[s]] as [number, number, number], x: rows.map((x) => x.labelled), mean: rows.map((x) => 100 * x.overallAccuracy.mean), std: rows.map(() => 2) };
        }),
      }],
    });
    // Both line colours are drawn.
    const has = (c: readonly number[]) => {
      for (let i = 0; i < img.data.length; i += 4) if (img.data[i] === c[0] && img.data[i + 1] === c[1] && img.data[i + 2] === c[2]) return true;
      return false;
    };
    expect(has(colors.suggest)).toBe(true);
    expect(has(colors.random)).toBe(true);
  }, 60_000);
});
