// The page of `spinalnet view`: loads the runs' summaries, their evidence (rendered by the server, the
// same HTML as report.html) and, for scene runs, the maps, then wires hover, click, the confusion
// matrix and the spectra together. Everything comes from the server that served this file.
import { drawCurves, drawSpectra } from './charts.js';
import { setupLabels, setupReference } from './label.js';
import { MapViews, rasterCanvas } from './map.js';

const $ = (id) => document.getElementById(id);

async function api(path, kind = 'json') {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  if (kind === 'json') return r.json();
  return r.arrayBuffer();
}

// hideMapClass: reference mode keeps the map's class out of sight until asked (so it does not anchor the label).
// onMapClick / onMapRect: the labelling tools take clicks and dragged rectangles when they are on.
const state = { runs: [], scene: null, maps: [], layers: [], views: null, highlight: null, current: null, pins: [], chart: null, hoverToken: 0, hideMapClass: false, onMapClick: null, onMapRect: null };
window.spinalnetView = {
  state,
  /** Row-major indices of the pixels the selected confusion cell highlights. */
  highlighted: () => (state.highlight ? [...state.highlight.pixels] : []),
  clientPoint: (pane, row, col) => state.views.clientPoint(pane, row, col),
};

const modelOf = (r) => r.run.config?.model ?? r.run.model?.id ?? 'model';
const dataOf = (r) => r.run.scene?.name ?? r.run.dataset?.id ?? r.run.config?.cube?.replace(/^.*[\\/]/, '') ?? '';
const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);

async function main() {
  const runs = await api('/api/runs');
  state.runs = runs;
  $('title').textContent = runs.map((r) => `${modelOf(r)} on ${dataOf(r)}`).join('  vs  ');
  document.title = `spinalnet view: ${$('title').textContent}`;
  $('headline').textContent = runs
    .map((r) => `${r.name}: ${r.metrics ? `OA ${pct(r.metrics.overallAccuracy)}, AA ${pct(r.metrics.averageAccuracy)}, kappa ${r.metrics.kappa.toFixed(4)}` : 'not scored'}`)
    .join('   |   ');
  for (const r of runs) await renderEvidence(r);
  if (runs[0].hasScene) {
    try {
      await setupMaps(runs);
    } catch (err) {
      // The evidence still stands when the scene file has moved; say why the map is missing.
      $('mapsection').hidden = false;
      $('panes').textContent = `The map cannot be shown: ${err.message}`;
    }
  }
  if (state.views) {
    const session = await api('/api/session');
    const ctx = { state, api, renderControls, escape, className, rasterCanvas };
    if (session.labels) await setupLabels(ctx, session.suggestions);
    if (session.reference) await setupReference(ctx, session.cantTell);
  }
  document.body.dataset.ready = '1';
}

async function renderEvidence(r) {
  const box = document.createElement('div');
  box.className = 'run-evidence interactive';
  box.innerHTML = `<h2>${state.runs.length > 1 ? `${r.index === 0 ? 'A' : 'B'}: ` : ''}${escape(r.name)}</h2>`;
  const links = r.files.filter((f) => /\.(md|html|png|tif)$/.test(f)).map((f) => `<a href="/files/${r.index}/${encodeURIComponent(f)}" target="_blank">${f}</a>`);
  box.insertAdjacentHTML('beforeend', `<p class="note">${escape(r.dir)} · ${links.join(' · ')}</p>`);
  const evidence = document.createElement('div');
  evidence.innerHTML = await api(`/api/run/${r.index}/evidence.html`, 'bytes').then((b) => new TextDecoder().decode(b));
  box.append(evidence);
  // One matrix at a time, chosen here.
  const tables = [...evidence.querySelectorAll('table.confusion')];
  if (tables.length) {
    const modes = document.createElement('div');
    modes.className = 'modes';
    for (const t of tables) {
      const label = document.createElement('label');
      label.innerHTML = `<input type="radio" name="mode-${r.index}" value="${t.dataset.mode}"> ${t.dataset.mode === 'counts' ? 'counts' : t.dataset.mode === 'rows' ? 'row %' : 'column %'} `;
      label.querySelector('input').addEventListener('change', () => tables.forEach((x) => (x.hidden = x !== t)));
      modes.append(label);
    }
    tables[0].before(modes);
    modes.querySelector('input').checked = true;
    tables.forEach((t, i) => (t.hidden = i !== 0));
    evidence.addEventListener('click', (e) => {
      const td = e.target.closest('td[data-t]');
      if (td && r.hasScene) selectCell(r.index, Number(td.dataset.t), Number(td.dataset.p));
    });
  }
  const epochs = r.run.training?.epochs;
  if (epochs?.length) {
    const h = document.createElement('h3');
    h.textContent = 'Training curves';
    const div = document.createElement('div');
    box.append(h, div);
    requestAnimationFrame(() => drawCurves(div, epochs, ''));
  }
  if (r.files.includes('misclassified.png')) {
    box.insertAdjacentHTML('beforeend', `<h3>Misclassified test images</h3><img class="figure" alt="misclassified test images" src="/files/${r.index}/misclassified.png">`);
  }
  $('evidence').append(box);
}

const LAYERS = [
  { id: 'falsecolor', label: 'false colour', on: true, opacity: 1 },
  { id: 'truth', label: 'ground truth', on: false, opacity: 0.85 },
  { id: 'prediction', label: 'prediction', on: true, opacity: 0.6 },
  { id: 'errors', label: 'errors (test pixels)', on: false, opacity: 0.9 },
  { id: 'confidence', label: 'confidence', on: false, opacity: 0.9 },
  { id: 'disagree', label: 'where A and B disagree', on: false, opacity: 0.9 },
  { id: 'highlight', label: 'selected cell', on: true, opacity: 1 },
];

// Confidence ramp (viridis's ends and middle): dark = unsure, yellow = sure.
const RAMP = [[68, 1, 84], [33, 145, 140], [253, 231, 37]];
function ramp(v) {
  const x = Math.min(1, Math.max(0, v)) * 2;
  const i = Math.min(1, Math.floor(x));
  const f = x - i;
  return RAMP[i].map((a, j) => Math.round(a + (RAMP[i + 1][j] - a) * f));
}

async function setupMaps(runs) {
  const scene = await api('/api/run/0/scene');
  state.scene = scene;
  const { height: H, width: W, classes } = scene;
  const n = H * W;
  for (const r of runs) {
    if (r.index > 0) {
      const other = await api(`/api/run/${r.index}/scene`);
      if (other.height !== H || other.width !== W) throw new Error(`run B's scene is ${other.height}×${other.width}, run A's ${H}×${W}: they cannot be compared pixel by pixel`);
    }
    const bytes = new Uint8Array(await api(`/api/run/${r.index}/maps`, 'bytes'));
    const m = { truth: bytes.subarray(0, n), predicted: bytes.subarray(n, 2 * n), role: bytes.subarray(2 * n, 3 * n), confidence: null, canvases: {} };
    if (r.files.includes('confidence.tif')) m.confidence = new Float32Array(await api(`/api/run/${r.index}/confidence`, 'bytes'));
    const color = (k) => [...classes[k - 1].color, 255];
    m.canvases.truth = rasterCanvas(H, W, (p) => (m.truth[p] ? color(m.truth[p]) : null));
    m.canvases.prediction = rasterCanvas(H, W, (p) => (m.predicted[p] ? color(m.predicted[p]) : null));
    const { correct, wrong } = scene.errorColors;
    m.canvases.errors = rasterCanvas(H, W, (p) => (m.role[p] === 3 && m.truth[p] ? (m.truth[p] === m.predicted[p] ? correct : wrong) : null));
    // NaN: no data (background) in confidence.tif.
    if (m.confidence) m.canvases.confidence = rasterCanvas(H, W, (p) => (Number.isNaN(m.confidence[p]) ? null : ramp(m.confidence[p])));
    m.canvases.falsecolor = await imageCanvas(`/api/run/${r.index}/falsecolor.png`);
    state.maps.push(m);
  }
  if (state.maps.length === 2) {
    const [a, b] = state.maps;
    const d = rasterCanvas(H, W, (p) => (a.predicted[p] !== b.predicted[p] ? [255, 0, 200, 255] : null));
    a.canvases.disagree = d;
    b.canvases.disagree = d;
  }
  const available = LAYERS.filter((l) => (l.id !== 'confidence' || state.maps[0].confidence) && (l.id !== 'disagree' || state.maps.length === 2) && (l.id !== 'truth' || scene.hasLabels) && (l.id !== 'errors' || scene.hasLabels));
  state.layers = available.map((l) => ({ ...l }));
  renderControls();
  $('mapsection').hidden = false;
  $('spectra').hidden = false;
  state.views = new MapViews(H, W, {
    onHover: showHover,
    onClick: (row, col, run, at) => {
      if (state.onMapClick?.(row, col, at)) return;
      selectPixel(row, col, run).catch((err) => ($('spectrum-info').textContent = `no spectrum: ${err.message}`));
    },
    onRect: (rect) => state.onMapRect?.(rect),
  });
  runs.forEach((r, i) => {
    const pane = document.createElement('div');
    pane.className = 'pane';
    pane.innerHTML = `<h2>${runs.length > 1 ? (i === 0 ? 'A: ' : 'B: ') : ''}${escape(`${modelOf(r)} · ${r.name}`)}</h2><canvas></canvas>`;
    $('panes').append(pane);
    const m = state.maps[i];
    state.views.addPane(pane.querySelector('canvas'), () => state.layers.map((l) => ({ canvas: m.canvases[l.id], on: l.on, opacity: l.opacity })));
  });
  renderLegend();
  state.views.draw();
  $('hl-prev').onclick = () => stepHighlight(-1);
  $('hl-next').onclick = () => stepHighlight(1);
  $('hl-clear').onclick = clearHighlight;
  $('pin').onclick = pinCurrent;
  $('unpin').onclick = () => {
    state.pins = [];
    renderPins();
    redrawSpectra();
  };
}

function imageCanvas(url) {
  return new Promise((ok, fail) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      c.getContext('2d').drawImage(img, 0, 0);
      ok(c);
    };
    img.onerror = () => fail(new Error(`${url} did not load`));
    img.src = url;
  });
}

function renderControls() {
  const box = $('controls');
  box.textContent = '';
  for (const l of state.layers) {
    const label = document.createElement('label');
    label.dataset.layer = l.id;
    label.innerHTML = `<input type="checkbox" ${l.on ? 'checked' : ''}> ${l.label} <input type="range" min="0" max="1" step="0.05" value="${l.opacity}" title="opacity">`;
    const [check, range] = label.querySelectorAll('input');
    check.addEventListener('change', () => {
      l.on = check.checked;
      state.views.draw();
    });
    range.addEventListener('input', () => {
      l.opacity = Number(range.value);
      state.views.draw();
    });
    box.append(label);
  }
}

function renderLegend() {
  const { classes } = state.scene;
  const counts = state.maps.map((m) => {
    const c = new Array(classes.length).fill(0);
    for (const v of m.predicted) if (v) c[v - 1]++;
    return c;
  });
  const rows = classes.map((c, k) => {
    const pred = counts.map((x, i) => `${state.maps.length > 1 ? (i === 0 ? 'A ' : 'B ') : ''}${x[k]}`).join(', ');
    return `<div><span class="swatch" style="background:rgb(${c.color.join(',')})"></span>${c.value} ${escape(c.name)} <span class="note">labelled ${c.truthPixels}, mapped ${pred}</span></div>`;
  });
  const extra = [];
  if (state.scene.hasLabels) {
    const { correct, wrong } = state.scene.errorColors;
    extra.push(`<div><span class="swatch" style="background:rgb(${correct.join(',')})"></span>errors layer: right <span class="swatch" style="background:rgb(${wrong.join(',')})"></span>wrong</div>`);
  }
  if (state.maps[0].confidence) extra.push(`<div>confidence: <span class="swatch" style="background:rgb(${RAMP[0].join(',')})"></span>low … <span class="swatch" style="background:rgb(${RAMP[2].join(',')})"></span>high</div>`);
  $('legend').innerHTML = rows.join('') + extra.join('');
}

const className = (k) => (k >= 0 && k < state.scene.classes.length ? `${state.scene.classes[k].value} ${state.scene.classes[k].name}` : '—');

function mapXY(row, col) {
  const t = state.scene.georef?.geoTransform;
  if (!t) return null;
  const c = col + 0.5;
  const r = row + 0.5;
  return [t[0] + c * t[1] + r * t[2], t[3] + c * t[4] + r * t[5]];
}

function showHover(px) {
  const box = $('hover');
  if (!px) return;
  const { row, col } = px;
  const p = row * state.scene.width + col;
  const xy = mapXY(row, col);
  const roles = ['not used', 'training', 'validation', 'test'];
  const lines = [`<tr><th>pixel</th><td>row ${row}, column ${col}${xy ? ` · map x ${xy[0].toFixed(2)}, y ${xy[1].toFixed(2)}` : ''}</td></tr>`];
  lines.push(`<tr><th>true class</th><td class="truth">${className(state.maps[0].truth[p] - 1)}</td></tr>`);
  if (state.hideMapClass) {
    box.innerHTML = `<table>${lines.join('')}</table>`;
    return;
  }
  state.maps.forEach((m, i) => {
    const tag = state.maps.length > 1 ? (i === 0 ? ' A' : ' B') : '';
    const conf = m.confidence && !Number.isNaN(m.confidence[p]) ? ` · confidence ${(100 * m.confidence[p]).toFixed(1)}%` : '';
    // Each run has its own split: the same pixel may have trained one run and tested the other.
    const role = m.truth[p] ? ` <span class="note">(${roles[m.role[p]]} pixel)</span>` : '';
    lines.push(`<tr><th>predicted${tag}</th><td class="predicted">${className(m.predicted[p] - 1)}${conf}${role}</td></tr>`);
    lines.push(`<tr><th>top three${tag}</th><td id="top-${i}" class="note">…</td></tr>`);
  });
  box.innerHTML = `<table>${lines.join('')}</table>`;
  // Probabilities come from the model on the server: ask once the cursor rests.
  const token = ++state.hoverToken;
  setTimeout(() => {
    if (token !== state.hoverToken) return;
    state.maps.forEach(async (_, i) => {
      try {
        const info = await api(`/api/run/${i}/pixel?row=${row}&col=${col}`);
        if (token !== state.hoverToken) return;
        const cell = $(`top-${i}`);
        if (cell) cell.textContent = info.top.map((t) => `${className(t.class)} ${(100 * t.probability).toFixed(1)}%`).join(' · ');
      } catch (err) {
        const cell = $(`top-${i}`);
        if (cell) cell.textContent = `unavailable (${err.message})`;
      }
    });
  }, 120);
}

/** A click in pane `run`: that run's prediction is the one the spectrum is compared with. */
async function selectPixel(row, col, run = 0) {
  const info = await api(`/api/run/${run}/pixel?row=${row}&col=${col}`);
  const wanted = [...new Set([info.truth, info.predicted].filter((k) => k >= 0))];
  const stats = await Promise.all(wanted.map((k) => api(`/api/run/${run}/class/${k}/spectrum`)));
  state.current = {
    row, col, spectrum: info.spectrum, truth: info.truth, predicted: info.predicted,
    classes: wanted.map((k, i) => ({ k, stats: stats[i] })),
  };
  const tag = state.maps.length > 1 ? (run === 0 ? ' by A' : ' by B') : '';
  $('spectrum-info').textContent = `row ${row}, column ${col}: true ${className(info.truth)}, predicted${tag} ${className(info.predicted)}. Shaded: 25–75 % of each class's labelled pixels; dashed: their mean.`;
  $('pin').disabled = false;
  state.views.marker = { row, col };
  state.views.draw();
  redrawSpectra();
}

function redrawSpectra() {
  const c = state.current;
  if (!c) return;
  const wl = state.scene.wavelengthsNm;
  const x = wl ?? state.scene.bandNumbers;
  state.chart = drawSpectra($('spectrum-chart'), state.chart, {
    x,
    xLabel: wl ? 'wavelength (nm)' : 'band',
    current: { label: `pixel ${c.row},${c.col}`, spectrum: c.spectrum },
    classes: c.classes.map(({ k, stats }) => ({ label: state.scene.classes[k].name, color: state.scene.classes[k].color, stats })),
    pins: state.pins.map((p) => ({ label: `pin ${p.row},${p.col}`, spectrum: p.spectrum })),
  });
}

function pinCurrent() {
  const c = state.current;
  if (!c || state.pins.some((p) => p.row === c.row && p.col === c.col)) return;
  state.pins.push({ row: c.row, col: c.col, spectrum: c.spectrum, truth: c.truth, predicted: c.predicted });
  renderPins();
  redrawSpectra();
}

function renderPins() {
  $('pins').innerHTML = state.pins.map((p) => `<li>row ${p.row}, column ${p.col}: true ${escape(className(p.truth))}, predicted ${escape(className(p.predicted))}</li>`).join('');
  $('unpin').disabled = state.pins.length === 0;
}

function selectCell(runIndex, t, p) {
  const m = state.maps[runIndex];
  if (!m) return;
  const pixels = [];
  for (let i = 0; i < m.role.length; i++) if (m.role[i] === 3 && m.truth[i] === t + 1 && m.predicted[i] === p + 1) pixels.push(i);
  const { height: H, width: W } = state.scene;
  const set = new Set(pixels);
  const canvas = rasterCanvas(H, W, (q) => (set.has(q) ? [255, 0, 255, 255] : null));
  state.maps.forEach((x) => (x.canvases.highlight = canvas));
  state.highlight = { runIndex, t, p, pixels, at: -1 };
  document.querySelectorAll('td.selected').forEach((td) => td.classList.remove('selected'));
  document.querySelectorAll(`.run-evidence:nth-child(${runIndex + 1}) td[data-t="${t}"][data-p="${p}"]`).forEach((td) => td.classList.add('selected'));
  $('highlight').hidden = false;
  updateHighlightText();
  state.views.draw();
}

function stepHighlight(delta) {
  const h = state.highlight;
  if (!h || h.pixels.length === 0) return;
  h.at = (h.at + delta + h.pixels.length) % h.pixels.length;
  const q = h.pixels[h.at];
  state.views.centreOn(Math.floor(q / state.scene.width), q % state.scene.width);
  updateHighlightText();
}

function updateHighlightText() {
  const h = state.highlight;
  const where = h.at >= 0 ? ` — pixel ${h.at + 1} of ${h.pixels.length}` : '';
  const tag = state.maps.length > 1 ? (h.runIndex === 0 ? 'A: ' : 'B: ') : '';
  $('highlight-text').textContent = `${tag}true ${className(h.t)}, predicted ${className(h.p)}: ${h.pixels.length} test pixels${where}`;
}

function clearHighlight() {
  state.highlight = null;
  state.maps.forEach((x) => (x.canvases.highlight = null));
  document.querySelectorAll('td.selected').forEach((td) => td.classList.remove('selected'));
  $('highlight').hidden = true;
  state.views.marker = null;
  state.views.draw();
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

main().catch((err) => {
  document.body.dataset.ready = 'error';
  $('headline').textContent = `error: ${err.message}`;
  console.error(err);
});
