/**
 * The active-learning loop measured on real scenes (Samson and SalinasA from ../shared/data, or data/):
 * 5 labelled pixels per class to start, 4 rounds of 10 more — suggested (lowest margin, spread by the patch
 * side) against random — labels from the ground truth, half of each class's pixels held out for testing,
 * several seeds, the model retrained from scratch each round (experiment/activeLearning.ts). Prints overall
 * accuracy per round (mean ± std over the seeds) as a Markdown table, writes the figure (both curves, ± one
 * std bands) and the raw numbers as JSON.
 *
 *   npm run bench:active-learning [-- --seeds 5 --epochs 30 --scenes samson,salinas-a --out docs/images/active-learning.png]
 *   npm run bench:active-learning -- --from-json outputs/active-learning.json   # table and figure again from saved numbers
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { simulateActiveLearning, type ActiveLearningResult } from '../src/experiment/activeLearning.ts';
import { renderMeanCurves, writePng } from '../src/render/index.ts';
import { findDataset } from '../src/scene/registry.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' }, epochs: { type: 'string' }, scenes: { type: 'string' }, out: { type: 'string' }, json: { type: 'string' },
    rounds: { type: 'string' }, 'per-round': { type: 'string' }, initial: { type: 'string' }, 'from-json': { type: 'string' },
  },
});
interface Saved {
  seeds: number[];
  epochs: number;
  rounds: number;
  perRound: number;
  initialPerClass: number;
  results: ActiveLearningResult[];
}
const saved = values['from-json'] === undefined ? undefined : JSON.parse(readFileSync(values['from-json'], 'utf8')) as Saved;
const seeds = saved?.seeds ?? Array.from({ length: Number(values.seeds ?? 5) }, (_, i) => i + 1);
const epochs = saved?.epochs ?? Number(values.epochs ?? 30);
const rounds = saved?.rounds ?? Number(values.rounds ?? 4);
const perRound = saved?.perRound ?? Number(values['per-round'] ?? 10);
const initialPerClass = saved?.initialPerClass ?? Number(values.initial ?? 5);
const scenes = (values.scenes ?? 'samson,salinas-a').split(',');
const out = values.out ?? 'docs/images/active-learning.png';
const jsonOut = values.json ?? 'outputs/active-learning.json';

/** The scene's folder: the shared read-only copy, else data/. */
function dataDir(id: string): string {
  const d = findDataset(id);
  if (!d) throw new Error(`unknown scene ${id}`);
  for (const dir of [join('..', 'shared', 'data', id === 'salinas-a' ? 'salinasA' : id), 'data']) if (existsSync(join(dir, d.cubeFile))) return dir;
  throw new Error(`${d.cubeFile} is neither in ../shared/data nor in data/`);
}

const started = performance.now();
const results: ActiveLearningResult[] = saved?.results ?? [];
for (const id of saved ? [] : scenes) {
  const t0 = performance.now();
  const load = os.loadavg()[0]!.toFixed(1);
  const r = await simulateActiveLearning({
    input: { kind: 'dataset', id, dataDir: dataDir(id) },
    // The paper's network and preprocessing (spinal-cnn, PCA 30 whitened, 15×15 patches, Adam 1e-3, batch 16);
    // more epochs than its 16, since a few dozen labelled pixels make an epoch a handful of batches.
    model: 'spinal-cnn', pca: 30, whiten: true, patch: 15, epochs, batchSize: 16, learningRate: 1e-3, lrDropEpoch: 0, lrDropFactor: 1,
    initialPerClass, rounds, perRound, testFraction: 0.5, seeds,
    log: (line) => console.error(`${id}: ${line}`),
  });
  results.push(r);
  console.error(`${id}: ${((performance.now() - t0) / 1000).toFixed(0)} s (load average ${load} at the start)`);
}

const pct = (m: { mean: number; std: number }) => `${(100 * m.mean).toFixed(1)} ± ${(100 * m.std).toFixed(1)}`;
console.log(`| scene | labelled pixels | suggested: OA % (mean ± std, ${seeds.length} seeds) | random: OA % |`);
console.log('|---|---:|---:|---:|');
for (const r of results) {
  for (let round = 0; round <= rounds; round++) {
    const s = r.summary.find((x) => x.strategy === 'suggest' && x.round === round)!;
    const q = r.summary.find((x) => x.strategy === 'random' && x.round === round)!;
    console.log(`| ${r.scene.name} | ${s.labelled}${s.labelled !== q.labelled ? ` / ${q.labelled}` : ''} | ${pct(s.overallAccuracy)} | ${pct(q.overallAccuracy)} |`);
  }
}
for (const r of results) {
  const margins = (strategy: string) => {
    const ms = r.runs.filter((x) => x.strategy === strategy).flatMap((x) => x.rounds.flatMap((y) => (y.addedMeanMargin === undefined ? [] : [y.addedMeanMargin])));
    return (ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3);
  };
  console.log(`${r.scene.name}: ${r.testPixels} test pixels, pool ${r.poolPixels}, spacing ${r.spacing}; mean margin of the added pixels: suggested ${margins('suggest')}, random ${margins('random')}`);
}

const colors = { suggest: [214, 39, 40] as [number, number, number], random: [31, 119, 180] as [number, number, number] };
const img = renderMeanCurves({
  title: `${initialPerClass} labelled pixels per class, then ${rounds} rounds of ${perRound} more: suggested or random (${seeds.length} seeds)`,
  xLabel: 'labelled pixels', yLabel: 'overall accuracy (%)', clip: [0, 100],
  panels: results.map((r) => ({
    title: `${r.scene.name} (${r.testPixels} test pixels)`,
    curves: (['suggest', 'random'] as const).map((strategy) => {
      const rows = r.summary.filter((x) => x.strategy === strategy);
      return {
        label: strategy === 'suggest' ? 'suggested' : 'random', color: colors[strategy],
        x: rows.map((x) => x.labelled), mean: rows.map((x) => 100 * x.overallAccuracy.mean), std: rows.map((x) => 100 * x.overallAccuracy.std),
      };
    }),
  })),
});
mkdirSync(dirname(out), { recursive: true });
writePng(out, img);
mkdirSync(dirname(jsonOut), { recursive: true });
if (!saved) writeFileSync(jsonOut, `${JSON.stringify({ seeds, epochs, rounds, perRound, initialPerClass, results }, null, 2)}\n`);
console.log(`figure: ${out}; numbers: ${jsonOut}; ${((performance.now() - started) / 1000).toFixed(0)} s in all (load average now ${os.loadavg()[0]!.toFixed(1)})`);
