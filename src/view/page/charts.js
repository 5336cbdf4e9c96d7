// Charts with uPlot (served from the package's own dist/ folder): the spectra of clicked pixels against
// their classes, and the training curves.
import uPlot from '/vendor/uPlot.esm.js';

const PIN_COLORS = ['#1f77b4', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f'];

/** Fits the chart to its box (uPlot takes a fixed size). */
const chartWidth = (el) => Math.min(720, Math.max(300, el.clientWidth || 420));

const rgb = (c, a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;

/**
 * Replaces the spectrum chart in `el`.
 * @param x band centres (nm) or band numbers
 * @param current {label, spectrum} of the clicked pixel
 * @param classes [{label, color, stats: {mean, q25, q75}}] (its true and predicted classes)
 * @param pins [{label, spectrum}]
 */
export function drawSpectra(el, chart, { x, xLabel, current, classes, pins }) {
  chart?.destroy();
  const series = [{ label: xLabel }];
  const data = [x];
  const bands = [];
  for (const c of classes) {
    const base = data.length;
    data.push(c.stats.q75, c.stats.q25, c.stats.mean);
    series.push(
      { label: `${c.label} 75%`, stroke: rgb(c.color, 0.35), width: 1, points: { show: false } },
      { label: `${c.label} 25%`, stroke: rgb(c.color, 0.35), width: 1, points: { show: false } },
      { label: `${c.label} mean`, stroke: rgb(c.color), width: 2, dash: [6, 3], points: { show: false } },
    );
    bands.push({ series: [base, base + 1], fill: rgb(c.color, 0.15) });
  }
  pins.forEach((p, i) => {
    data.push(p.spectrum);
    series.push({ label: p.label, stroke: PIN_COLORS[i % PIN_COLORS.length], width: 1.5, points: { show: false } });
  });
  if (current) {
    data.push(current.spectrum);
    series.push({ label: current.label, stroke: '#000', width: 2.5, points: { show: false } });
  }
  return new uPlot(
    {
      width: chartWidth(el),
      height: 260,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, { label: 'value' }],
      series,
      bands,
      legend: { live: false },
    },
    data,
    el,
  );
}

/** Training curves: loss and accuracy per epoch (validation too when the run held some out). */
export function drawCurves(el, epochs, title) {
  const x = epochs.map((e) => e.epoch);
  const hasVal = epochs.some((e) => e.valAccuracy !== undefined);
  const series = [
    { label: 'epoch' },
    { label: 'training loss', stroke: '#d62728', scale: 'loss', width: 2 },
    { label: 'training accuracy', stroke: '#1f77b4', scale: 'acc', width: 2 },
  ];
  const data = [x, epochs.map((e) => e.loss), epochs.map((e) => e.accuracy)];
  if (hasVal) {
    series.push({ label: 'validation loss', stroke: '#d62728', dash: [5, 4], scale: 'loss' }, { label: 'validation accuracy', stroke: '#1f77b4', dash: [5, 4], scale: 'acc' });
    data.push(epochs.map((e) => e.valLoss ?? null), epochs.map((e) => e.valAccuracy ?? null));
  }
  return new uPlot(
    {
      title,
      width: chartWidth(el),
      height: 220,
      scales: { x: { time: false }, acc: { range: [0, 1] } },
      axes: [{ label: 'epoch' }, { scale: 'loss', label: 'loss' }, { scale: 'acc', side: 1, label: 'accuracy', grid: { show: false } }],
      series,
    },
    data,
    el,
  );
}

/** One pixel's spectrum (black) against every class's mean (thin, in the class colour). */
export function drawMeans(el, chart, { x, xLabel, point, classes }) {
  chart?.destroy();
  const series = [{ label: xLabel }, ...classes.map((c) => ({ label: `${c.label} mean`, stroke: rgb(c.color, 0.9), width: 1, points: { show: false } })),
    { label: point.label, stroke: '#000', width: 2.5, points: { show: false } }];
  const data = [x, ...classes.map((c) => c.mean), point.spectrum];
  return new uPlot({ width: chartWidth(el), height: 240, scales: { x: { time: false } }, axes: [{ label: xLabel }, { label: 'value' }], series, legend: { live: false } }, data, el);
}
