/** experiment.json, experiment.md and experiment.png from an experiment's result. */
import { renderBarChart, } from '../render/barChart.ts';
import { writePng } from '../render/index.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import type { ExperimentResult } from './runExperiment.ts';
import type { MeanStd } from './statistics.ts';

const pm = (m: MeanStd, scale = 100, digits = 2) => `${(scale * m.mean).toFixed(digits)} ± ${(scale * m.std).toFixed(digits)}`;
const signed = (m: MeanStd) => `${m.mean >= 0 ? '+' : ''}${(100 * m.mean).toFixed(2)} ± ${(100 * m.std).toFixed(2)}`;

const SPLIT_PROTOCOL: Record<string, string> = {
  random: 'stratified random pixels or images (for scenes, the protocol the field publishes: test patches overlap training pixels)',
  'per-class': 'a fixed number of random pixels per class (test patches overlap training pixels)',
  blocks: 'spatially disjoint blocks; test pixels whose patch would contain a training pixel are dropped',
  maps: 'given training and test maps',
};

/** `schedule` (sideBySide.ts): how the runs shared the cores, when the experiment says. */
function renderExperimentMarkdown(result: ExperimentResult & { schedule?: string }): string {
  const c = result.config;
  const lines = [
    `# Experiment on ${result.data.name}: ${c.models.join(', ')} × ${c.splits.join(', ')} × ${c.seeds.length} seeds`,
    '',
    `${result.data.description}, ${result.data.classes.length} classes. Seeds ${c.seeds.join(', ')}; ${result.protocol}. ` +
      `Backend ${result.backend.detail}; gradients on ${[...new Set(result.runs.map((x) => x.trainingEngine))].join(', ')}; ` +
      `${result.schedule ? `${result.schedule}; ` : ''}${(result.seconds / 60).toFixed(1)} minutes in all.`,
    '',
    'Which protocol each number comes from:',
    '',
    ...c.splits.map((s) => `- **${s}**: ${SPLIT_PROTOCOL[s] ?? s}`),
    '',
    '## Results (mean ± standard deviation over seeds, %)',
    '',
    `| split | model | weights | runs | test ${result.data.unit} | OA | AA | kappa (×100) | training s |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...result.summaries.map((s) => `| ${s.split} | ${s.model} | ${s.weights.toLocaleString('en-US')} | ${s.runs} | ${Math.round(s.testPixels.mean)} | ${pm(s.overallAccuracy)} | ${pm(s.averageAccuracy)} | ${pm(s.kappa)} | ${s.trainSeconds.mean.toFixed(0)} |`),
    '',
  ];
  if (result.comparisons.length > 0) {
    lines.push(
      '## Paired comparison (same split, same seed)',
      '',
      'Difference A − B in percentage points, mean ± std over seeds, and how many seeds each model won.',
      '',
      '| split | A | B | OA difference | AA difference | kappa difference (×100) | OA wins A / B / ties |',
      '|---|---|---|---:|---:|---:|---|',
      ...result.comparisons.map((p) => `| ${p.split} | ${p.a} | ${p.b} | ${signed(p.overallAccuracy.difference)} | ${signed(p.averageAccuracy.difference)} | ${signed(p.kappa.difference)} | ${p.overallAccuracy.winsA} / ${p.overallAccuracy.winsB} / ${p.overallAccuracy.ties} |`),
      '',
    );
  }
  lines.push(
    '## Mean accuracy per class (%)',
    '',
    `| class | ${result.summaries.map((s) => `${s.model} (${s.split})`).join(' | ')} |`,
    `|---|${result.summaries.map(() => '---:').join('|')}|`,
    ...result.data.classes.map((cl, j) => `| ${cl.value} ${cl.name} | ${result.summaries.map((s) => (100 * (s.perClassRecall[j] ?? NaN)).toFixed(2)).join(' | ')} |`),
    '',
    '## Every run',
    '',
    `| split | model | seed | OA | AA | kappa | train / val / test ${result.data.unit} | dropped test pixels | test pixels whose patch holds a training pixel | training s |`,
    '|---|---|---:|---:|---:|---:|---|---:|---:|---:|',
    ...result.runs.map((x) => `| ${x.split} | ${x.model} | ${x.seed} | ${(100 * x.overallAccuracy).toFixed(2)} | ${(100 * x.averageAccuracy).toFixed(2)} | ${x.kappa.toFixed(4)} | ${x.trainPixels} / ${x.validationPixels} / ${x.testPixels} | ${x.droppedTest} | ${x.exposedTest} | ${x.trainSeconds.toFixed(0)} |`),
    '',
  );
  return lines.join('\n');
}

export function writeExperimentFiles(path: (name: string) => string, r: ExperimentResult & { schedule?: string }): void {
  writeFileAtomic(path('experiment.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileAtomic(path('experiment.md'), renderExperimentMarkdown(r));
  const at = (split: string, model: string) => r.summaries.find((s) => s.split === split && s.model === model)!;
  writePng(
    path('experiment.png'),
    renderBarChart({
      title: `${r.data.name}: overall accuracy over ${r.config.seeds.length} seeds (mean +- std)`,
      valueLabel: 'OA (%)',
      groups: [...r.config.splits],
      series: [...r.config.models],
      mean: r.config.splits.map((s) => r.config.models.map((m) => 100 * at(s, m).overallAccuracy.mean)),
      std: r.config.splits.map((s) => r.config.models.map((m) => 100 * at(s, m).overallAccuracy.std)),
    }),
  );
}
