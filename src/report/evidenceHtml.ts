/**
 * A run's evidence as HTML: accuracy with intervals and disagreements, the per-class table, the
 * confusion matrix (counts, row- and column-normalised), configuration and timings. One renderer for
 * both the interactive page (fetched from the server; its cells carry data-t / data-p for clicks) and
 * the static report.html.
 */
import type { AccuracyAreaFile } from '../evaluation/accuracyAreaFile.ts';
import { Z95 } from '../evaluation/accuracy.ts';
import type { Interval, Metrics } from '../evaluation/metrics.ts';

export interface EvidenceInput {
  /** metrics.json, when the run was scored. */
  metrics?: Metrics;
  /** run.json. */
  record: Record<string, unknown>;
  /** 'pixels' or 'images': what was counted. */
  unit: string;
  /** accuracy-area.json, when `spinalnet assess` has been run on the map's sample. */
  assessment?: AccuracyAreaFile;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(2)}%`);
const ci = (i: Interval | undefined): string => (i ? `<span class="ci">${(100 * i[0]).toFixed(1)}–${(100 * i[1]).toFixed(1)}</span>` : '');

export function evidenceHtml(evidence: EvidenceInput): string {
  const parts: string[] = [];
  if (evidence.assessment) parts.push(assessmentHtml(evidence.assessment));
  const m = evidence.metrics;
  if (m) {
    parts.push(summaryHtml(m, evidence.unit), perClassHtml(m, evidence.unit), confusionHtml(m));
  } else {
    parts.push('<p class="note">This run has no metrics: it was not scored against labels.</p>');
  }
  parts.push(configHtml(evidence.record));
  return parts.join('\n');
}

/** Accuracy and area from the labelled probability sample: what a mapper publishes. */
function assessmentHtml(a: AccuracyAreaFile): string {
  const est = (e: { estimate: number; ci95: [number, number] }) =>
    Number.isFinite(e.estimate) ? `${pct(e.estimate)} <span class="ci">${(100 * e.ci95[0]).toFixed(1)}–${(100 * e.ci95[1]).toFixed(1)}</span>` : '—';
  const ha = a.hectaresPerPixel;
  const area = (pixels: number, se?: number) => (ha !== null
    ? `${(pixels * ha).toFixed(1)}${se !== undefined ? ` ± ${(Z95 * se * ha).toFixed(1)}` : ''} ha`
    : `${Math.round(pixels)}${se !== undefined ? ` ± ${Math.round(Z95 * se)}` : ''} px`);
  const rows = a.classes.map((c) => `<tr><td>${c.value}</td><td class="name">${escapeHtml(c.name)}</td><td>${est(c.userAccuracy)}</td><td>${est(c.producerAccuracy)}</td>
<td>${area(c.mappedPixels ?? 0)}</td><td>${area(c.area.pixels.estimate, c.area.pixels.se)}</td></tr>`);
  return `<h3>Accuracy and area from the sample</h3>
<table class="summary"><tr><th>overall accuracy</th><td>${est(a.overallAccuracy)}</td><td>${a.n} labelled sample points (${a.skipped.unlabelled} unlabelled, ${a.skipped.cantTell} can't tell, skipped)</td></tr></table>
<table class="perclass"><thead><tr><th>value</th><th>class</th><th>user's accuracy</th><th>producer's accuracy</th><th>mapped area (pixel count)</th><th>estimated area ± 95 %</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p class="note">${escapeHtml(a.design)}. The pixel-counted area carries the map's errors; the estimate corrects it from the sample.</p>`;
}

function summaryHtml(m: Metrics, unit: string): string {
  const test = m.confusionMatrix.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  // Runs written before the intervals existed lack the new fields: show what is there.
  const qa = m.quantityDisagreement === undefined ? '' : `<tr><th>quantity disagreement</th><td>${pct(m.quantityDisagreement)}</td><td>class amounts differ (Pontius &amp; Millones 2011)</td></tr>
<tr><th>allocation disagreement</th><td>${pct(m.allocationDisagreement)}</td><td>amounts agree, places differ; quantity + allocation = 1 − OA</td></tr>`;
  return `<h3>Accuracy</h3>
<table class="summary">
<tr><th>overall accuracy (OA)</th><td>${pct(m.overallAccuracy)} ${ci(m.overallAccuracyCI95)}</td><td>${test} test ${unit}</td></tr>
<tr><th>average accuracy (AA)</th><td>${pct(m.averageAccuracy)}</td><td>mean producer's accuracy</td></tr>
${qa}
<tr><th>kappa</th><td>${m.kappa.toFixed(4)}</td><td>kept to compare with published tables; chance agreement is not a useful baseline for a map (Foody 2020)</td></tr>
</table>
${m.intervalMethod ? `<p class="note">Intervals (in %, after each value): ${escapeHtml(m.intervalMethod)}.</p>` : ''}`;
}

function perClassHtml(m: Metrics, unit: string): string {
  const rows = m.perClass.map(
    (c, k) => `<tr data-k="${k}"><td>${c.label}</td><td class="name">${escapeHtml(c.name)}</td><td>${c.support}</td>
<td>${pct(c.producersAccuracy ?? c.recall)} ${ci(c.producersAccuracyCI95)}</td><td>${pct(c.omissionError)}</td>
<td>${pct(c.usersAccuracy ?? c.precision)} ${ci(c.usersAccuracyCI95)}</td><td>${pct(c.commissionError)}</td><td>${c.f1.toFixed(3)}</td></tr>`,
  );
  return `<h3>Per class</h3>
<table class="perclass"><thead><tr><th>label</th><th>class</th><th>test ${unit}</th><th>producer's accuracy (recall)</th><th>omission</th><th>user's accuracy (precision)</th><th>commission</th><th>F1</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

/** Three versions of the matrix; the page shows one at a time, the static report all three. */
function confusionHtml(m: Metrics): string {
  const mat = m.confusionMatrix;
  const k = mat.length;
  const rows = mat.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = Array.from({ length: k }, (_, j) => mat.reduce((a, r) => a + r[j]!, 0));
  const names = m.perClass.map((c) => escapeHtml(c.name));
  const table = (mode: 'counts' | 'rows' | 'columns', caption: string) => {
    const body = mat.map((r, t) => {
      const cells = r.map((n, p) => {
        const share = mode === 'counts' ? (rows[t]! > 0 ? n / rows[t]! : 0) : mode === 'rows' ? (rows[t]! > 0 ? n / rows[t]! : 0) : cols[p]! > 0 ? n / cols[p]! : 0;
        const text = mode === 'counts' ? String(n) : n === 0 ? '·' : (100 * share).toFixed(1);
        // Shade by share so the diagonal and the big confusions stand out in every mode.
        const shade = n === 0 ? '' : ` style="background:rgba(${t === p ? '40,140,70' : '200,40,40'},${(0.12 + 0.75 * share).toFixed(2)})"`;
        return `<td data-t="${t}" data-p="${p}" class="${t === p ? 'diag' : 'off'}"${shade} title="true ${names[t]}, predicted ${names[p]}: ${n}">${text}</td>`;
      });
      return `<tr><th class="name">${names[t]}</th>${cells.join('')}<td class="sum">${rows[t]}</td></tr>`;
    });
    return `<table class="confusion" data-mode="${mode}"><caption>${caption}</caption>
<thead><tr><th>true \\ predicted</th>${names.map((n, j) => `<th class="col" title="${n}">${j + 1}</th>`).join('')}<th>Σ</th></tr></thead>
<tbody>${body.join('\n')}<tr><th>Σ</th>${cols.map((c) => `<td class="sum">${c}</td>`).join('')}<td class="sum">${rows.reduce((a, b) => a + b, 0)}</td></tr></tbody></table>`;
  };
  return `<h3>Confusion matrix <span class="note">(rows: true class, columns: predicted, numbered as the rows)</span></h3>
${table('counts', 'counts')}
${table('rows', '% of the true class (row-normalised: producer\'s view)')}
${table('columns', '% of the predicted class (column-normalised: user\'s view)')}`;
}

function configHtml(record: Record<string, unknown>): string {
  const timings = record.timings as Record<string, number> | undefined;
  const t = timings
    ? `<h3>Timings (seconds)</h3><table class="timings"><tr>${Object.keys(timings).map((s) => `<th>${escapeHtml(s)}</th>`).join('')}</tr>
<tr>${Object.values(timings).map((s) => `<td>${Number(s).toFixed(1)}</td>`).join('')}</tr></table>`
    : '';
  const facts: [string, unknown][] = [
    ['command', record.command],
    ['finished', record.finishedAt],
    ['backend', (record.backend as { detail?: string } | undefined)?.detail],
    ['inference', record.inference],
    ['split', (record.split as { description?: string; protocol?: string } | undefined)?.description ?? (record.split as { protocol?: string } | undefined)?.protocol],
    ['model weights', record.modelWeights ?? (record.model as { weights?: number } | undefined)?.weights],
    ['peak memory (MB)', record.peakRssMB],
  ];
  const rows = facts.filter(([, v]) => v !== undefined).map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(String(v))}</td></tr>`);
  return `${t}<h3>Run</h3><table class="facts">${rows.join('')}</table>
<details><summary>Configuration</summary><pre>${escapeHtml(JSON.stringify(record.config, null, 2))}</pre></details>`;
}
