/** report.md: what a person reads after a run — results per class, the protocol, sizes, timings. */
import type { MetricsFile } from './sceneOutputs.ts';
import { pct } from './sceneOutputs.ts';

export interface ReportInput {
  title: string;
  metrics?: MetricsFile;
  /** Facts about the run, shown as a two-column table (split, model, backend…). */
  facts: readonly [string, string][];
  timings: Readonly<Record<string, number>>;
  warnings: readonly string[];
  /** The configuration as given, shown as JSON. */
  config: unknown;
}

export function renderReport(r: ReportInput): string {
  const lines: string[] = [`# ${r.title}`, ''];
  const m = r.metrics;
  if (m) {
    lines.push(
      `**Overall accuracy (OA)** ${pct(m.overallAccuracy)} · **average accuracy (AA)** ${pct(m.averageAccuracy)} · **kappa** ${m.kappa.toFixed(4)}`,
      '',
      `On ${m.testPixels} test pixels; the model was trained on ${m.trainPixels}.`,
      '',
      '| label | class | test pixels | precision | recall (accuracy) | F1 |',
      '|---:|---|---:|---:|---:|---:|',
      ...m.perClass.map((c) => `| ${c.label} | ${c.name} | ${c.support} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.f1.toFixed(4)} |`),
      '',
      'Recall is the share of a class\'s test pixels labelled correctly (producer\'s accuracy); precision is the',
      'share of pixels predicted as the class that are right (user\'s accuracy). AA is the mean recall.',
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
