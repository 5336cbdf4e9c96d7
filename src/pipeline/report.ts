/** report.md: what a person reads after a run — results per class, the protocol, sizes, timings. */
import type { Interval, Metrics } from '../evaluation/metrics.ts';
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

const opt = (x: number | null): string => (x === null ? '—' : pct(x));
const ci = (i: Interval): string => (i === null ? '' : `(${(100 * i[0]).toFixed(1)}–${(100 * i[1]).toFixed(1)}%)`);

export function renderReport(report: ReportInput): string {
  const lines: string[] = [`# ${report.title}`, ''];
  if (report.results) {
    const { metrics: m, unit } = report.results;
    lines.push(
      `**Overall accuracy (OA)** ${pct(m.overallAccuracy)} ${ci(m.overallAccuracyCI95)} · **average accuracy (AA)** ${pct(m.averageAccuracy)} · **kappa** ${m.kappa.toFixed(4)}`,
      '',
      `**Disagreement** (Pontius & Millones 2011): quantity ${pct(m.quantityDisagreement)}, allocation ${pct(m.allocationDisagreement)} (together 1 − OA).`,
      `Kappa is kept for comparison with published tables; it compares with random chance, which is not a useful baseline for a map (Pontius & Millones 2011; Foody 2020).`,
      '',
      `On ${report.results.test} test ${unit}; the model was trained on ${report.results.train}.${report.results.note ? ` ${report.results.note}` : ''}`,
      '',
      `| label | class | test ${unit} | precision | recall (accuracy) | F1 |`,
      '|---:|---|---:|---:|---:|---:|',
      ...m.perClass.map((c) => `| ${c.label} | ${c.name} | ${c.support} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.f1.toFixed(4)} |`),
      '',
      `Recall is the share of a class's test ${unit} labelled correctly (producer's accuracy); precision is the`,
      `share of ${unit} predicted as the class that are right (user's accuracy). AA is the mean recall.`,
      '',
      `### Accuracy with 95 % intervals`,
      '',
      `| class | producer's accuracy | omission error | user's accuracy | commission error |`,
      '|---|---:|---:|---:|---:|',
      ...m.perClass.map((c) => `| ${c.name} | ${opt(c.producersAccuracy)} ${ci(c.producersAccuracyCI95)} | ${opt(c.omissionError)} | ${opt(c.usersAccuracy)} ${ci(c.usersAccuracyCI95)} | ${opt(c.commissionError)} |`),
      '',
      `Intervals: ${m.intervalMethod}. — means no test ${unit} (producer's) or none predicted (user's).`,
      '',
    );
  }
  if (report.warnings.length > 0) lines.push('## Warnings', '', ...report.warnings.map((w) => `- ${w}`), '');
  lines.push('## Run', '', '| | |', '|---|---|', ...report.facts.map(([k, v]) => `| ${k} | ${v} |`), '');
  lines.push(
    '## Timings (seconds)',
    '',
    `| ${Object.keys(report.timings).join(' | ')} |`,
    `|${Object.keys(report.timings).map(() => '---:').join('|')}|`,
    `| ${Object.values(report.timings).map((t) => t.toFixed(1)).join(' | ')} |`,
    '',
  );
  lines.push('## Configuration', '', '```json', JSON.stringify(report.config, null, 2), '```', '');
  return lines.join('\n');
}
