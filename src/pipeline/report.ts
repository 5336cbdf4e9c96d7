/** report.md: what a person reads after a run — results per class, the protocol, sizes, timings. */
import type { Metrics } from '../evaluation/metrics.ts';
import { pct } from './sceneOutputs.ts';

/** The scores and what they were counted on: scene pixels or images. */
export interface ReportResults {
  metrics: Metrics;
  train: number;
  test: number;
  unit: 'pixels' | 'images';
  /** An extra sentence after the sizes (e.g. where the wrong images are shown). */
  note?: string;
}

export interface ReportInput {
  title: string;
  results?: ReportResults;
  /** Facts about the run, shown as a two-column table (split, model, backend…). */
  facts: readonly [string, string][];
  timings: Readonly<Record<string, number>>;
  warnings: readonly string[];
  /** The configuration as given, shown as JSON. */
  config: unknown;
}

export function renderReport(r: ReportInput): string {
  const lines: string[] = [`# ${r.title}`, ''];
  if (r.results) {
    const { metrics: m, unit } = r.results;
    lines.push(
      `**Overall accuracy (OA)** ${pct(m.overallAccuracy)} · **average accuracy (AA)** ${pct(m.averageAccuracy)} · **kappa** ${m.kappa.toFixed(4)}`,
      '',
      `On ${r.results.test} test ${unit}; the model was trained on ${r.results.train}.${r.results.note ? ` ${r.results.note}` : ''}`,
      '',
      `| label | class | test ${unit} | precision | recall (accuracy) | F1 |`,
      '|---:|---|---:|---:|---:|---:|',
      ...m.perClass.map((c) => `| ${c.label} | ${c.name} | ${c.support} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.f1.toFixed(4)} |`),
      '',
      `Recall is the share of a class's test ${unit} labelled correctly (producer's accuracy); precision is the`,
      `share of ${unit} predicted as the class that are right (user's accuracy). AA is the mean recall.`,
      '',
    );
  }
  if (r.warnings.length > 0) lines.push('## Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  lines.push('## Run', '', '| | |', '|---|---|', ...r.facts.map(([k, v]) => `| ${k} | ${v} |`), '');
  lines.push(
    '## Timings (seconds)',
    '',
    `| ${Object.keys(r.timings).join(' | ')} |`,
    `|${Object.keys(r.timings).map(() => '---:').join('|')}|`,
    `| ${Object.values(r.timings).map((t) => t.toFixed(1)).join(' | ')} |`,
    '',
  );
  lines.push('## Configuration', '', '```json', JSON.stringify(r.config, null, 2), '```', '');
  return lines.join('\n');
}
