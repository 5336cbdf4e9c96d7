/**
 * report.html: one self-contained file per run folder for sharing by e-mail — the evidence tables of
 * the interactive page (the same renderer) and the run's figures inlined as data URLs, no scripts, no
 * server, nothing fetched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccuracyAreaFile } from '../evaluation/accuracyAreaFile.ts';
import type { Metrics } from '../evaluation/metrics.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { escapeHtml, evidenceHtml } from './evidenceHtml.ts';

// The viewer's stylesheet, so report.html and the page look alike.
const STYLE = join(dirname(fileURLToPath(import.meta.url)), '..', 'view', 'page', 'style.css');

/** Figures shown when the run wrote them, in this order. */
const FIGURES: [string, string][] = [
  ['overview.png', 'Scene, ground truth, prediction and errors'],
  ['false-color.png', 'False colour'],
  ['confusion-matrix.png', 'Confusion matrix'],
  ['training-curves.png', 'Training curves'],
  ['misclassified.png', 'Misclassified test images'],
  ['split.png', 'Split: training blue, validation amber, test green'],
];

export interface ReportHtmlInput {
  title: string;
  metrics?: Metrics;
  /** What run.json holds (command, config, timings…). */
  record: Record<string, unknown>;
  unit: 'pixels' | 'images';
  /** accuracy-area.json, when the map's sample has been assessed. */
  assessment?: AccuracyAreaFile;
  /** The scale of the scene's images when not 1:1 (render/preview.ts previewNote), added to their captions. */
  imageNote?: string;
}

/** Figures drawn from the scene's grid (scaled together for big scenes). */
const SCENE_FIGURES = new Set(['overview.png', 'false-color.png', 'split.png']);

/** Writes report.html at `path('report.html')`, inlining the figures found at `path(name)`. */
export function writeReportHtml(path: (name: string) => string, r: ReportHtmlInput): void {
  const figures = FIGURES.filter(([f]) => existsSync(path(f))).map(([f, caption]) => {
    const png = readFileSync(path(f));
    // Scene-sized rasters (one PNG pixel per scene pixel) are enlarged with exact pixels, up to 4×.
    const width = png.readUInt32BE(16);
    const style = f === 'false-color.png' || f === 'split.png' ? ` style="image-rendering:pixelated;width:${Math.min(4 * width, 900)}px"` : '';
    const note = r.imageNote && SCENE_FIGURES.has(f) ? `; ${r.imageNote}` : '';
    return `<figure><img class="figure" alt="${escapeHtml(caption)}"${style} src="data:image/png;base64,${png.toString('base64')}"><figcaption>${escapeHtml(caption)} (${f})${escapeHtml(note)}</figcaption></figure>`;
  });
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>${readFileSync(STYLE, 'utf8')}
main { display: block; max-width: 1100px; } figure { margin: 12px 0; } figcaption { font-size: 12px; color: #555; }</style></head>
<body><header><h1>${escapeHtml(r.title)}</h1><div>spinalnet run report — for the interactive version run <code>spinalnet view</code> on this folder</div></header>
<main>
${evidenceHtml({ metrics: r.metrics, record: r.record, unit: r.unit, ...(r.assessment && { assessment: r.assessment }) })}
<h3>Figures</h3>
${figures.join('\n')}
</main></body></html>
`;
  writeFileAtomic(path('report.html'), html);
}
