// The viewer as a labelling tool. Two modes, each on only when the server was started with its file:
// - labels (--labels FILE.gpkg): label a pixel, a dragged rectangle or a drawn polygon with a class, erase,
//   undo, add classes; the file's features are drawn as a map layer and counted per class; on a
//   `spinalnet run` folder a "where to label next" list (`spinalnet suggest`'s pixels, computed by the
//   server with the file's pixels left out) is listed and boxed on the map; a suggestion drops off the list
//   as soon as it is labelled, and *refresh* asks the server for the list again (the next pixels fill in);
// - reference (--reference samples.gpkg): the sample points one by one, zoomed, the map's class hidden,
//   the point's spectrum against the class means; keys 1–9 pick a class, 0 "can't tell"; when every
//   point has an answer the page shows the assessment.
// Every change is a POST the server writes to the file at once; it carries the session token from the
// page's URL in a header (the server refuses writes without it).
import { drawMeans } from './charts.js';

const $ = (id) => document.getElementById(id);
const TOKEN = new URLSearchParams(location.search).get('token') ?? '';

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spinalnet-token': TOKEN }, body: JSON.stringify(body) });
  const answer = await r.json().catch(() => ({ error: `${r.status}` }));
  if (!r.ok) throw new Error(`${answer.error}${answer.fix ? ` (${answer.fix})` : ''}`);
  return answer;
}

// A margin in [0, 1]: three decimals, or two significant digits when it is that small.
const marginText = (m) => (m >= 0.001 || m === 0 ? m.toFixed(3) : m.toExponential(1));

// Keys go to the page unless a text field has them (a checkbox or radio button with focus does not count).
const typing = (e) => (e.target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'range'].includes(e.target.type)) || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;

export async function setupLabels(ctx, withSuggestions = false) {
  const { state, api, escape, rasterCanvas } = ctx;
  const { height: H, width: W } = state.scene;
  const box = $('labelling');
  box.hidden = false;
  const ui = { tool: 'pixel', code: null, erase: false, labels: null, busy: Promise.resolve() };
  window.spinalnetView.labels = () => ui.labels;

  const layer = { id: 'labels', label: 'labels', on: true, opacity: 0.85 };
  state.layers.push(layer);
  ctx.renderControls();

  const status = (text, error = false) => {
    $('label-status').textContent = text;
    $('label-status').classList.toggle('error', error);
  };

  function render(labels) {
    ui.labels = labels;
    if (ui.code === null || !labels.classes.some((c) => c.code === ui.code)) ui.code = labels.classes[0]?.code ?? null;
    $('label-file').textContent = `${labels.file}${labels.georeferenced ? '' : ' (no georeference: pixel coordinates)'}`;
    const color = new Map(labels.classes.map((c) => [c.code, c.color]));
    const owner = new Int32Array(H * W).fill(-1);
    for (const f of labels.features) if (f.code !== null) for (const p of f.pixels) owner[p] = f.code;
    const canvas = rasterCanvas(H, W, (p) => (owner[p] >= 0 ? [...(color.get(owner[p]) ?? [128, 128, 128]), 255] : null));
    state.maps.forEach((m) => (m.canvases.labels = canvas));
    $('label-classes').innerHTML = labels.classes.map((c) => {
      const n = labels.counts[c.code];
      return `<button type="button" class="label-class${!ui.erase && c.code === ui.code ? ' chosen' : ''}" data-code="${c.code}"><span class="swatch" style="background:rgb(${c.color.join(',')})"></span>${c.code} ${escape(c.name)} <span class="note">${n ? `${n.features} feature${n.features === 1 ? '' : 's'}, ${n.pixels} px` : ''}</span></button>`;
    }).join('') + `<button type="button" class="label-class${ui.erase ? ' chosen' : ''}" data-code="erase">eraser</button>`;
    $('label-undo').disabled = labels.undoable === 0;
    renderSuggestions();
    state.views.draw();
  }

  // Where to label next: the server's list (sug.all), less the pixels labelled since it came (sug.shown).
  const sug = { all: [], shown: [], note: '', loading: Promise.resolve() };
  window.spinalnetView.suggestions = () => sug.shown;
  window.spinalnetView.suggestionsIdle = () => sug.loading;
  function renderSuggestions() {
    if (!withSuggestions) return;
    const labelled = new Set();
    for (const f of ui.labels?.features ?? []) for (const p of f.pixels) labelled.add(p);
    sug.shown = sug.all.filter((s) => !labelled.has(s.row * W + s.col));
    const dropped = sug.all.length - sug.shown.length;
    $('suggest-note').textContent = sug.note + (dropped ? ` · ${dropped} labelled since (refresh for the next ones)` : '');
    $('suggest-list').innerHTML = sug.shown.map((s) =>
      `<li><button type="button" data-row="${s.row}" data-col="${s.col}">${s.rank}. row ${s.row}, column ${s.col} · margin ${marginText(s.margin)} · map: ${escape(s.mapClass)}</button></li>`).join('');
    state.views.spots = sug.shown.map((s) => ({ row: s.row, col: s.col, label: String(s.rank) }));
  }
  const refreshSuggestions = () => {
    sug.loading = sug.loading.then(async () => {
      $('suggest-refresh').disabled = true;
      $('suggest-note').textContent = 'the model is looking at every unlabelled pixel…';
      $('suggest-note').classList.remove('error');
      try {
        await ui.busy; // the labels being written count
        const answer = await fetch('/api/labels/suggestions');
        const r = await answer.json().catch(() => ({ error: `${answer.status}` }));
        if (!answer.ok) throw new Error(`${r.error}${r.fix ? ` (${r.fix})` : ''}`);
        sug.all = r.suggestions;
        sug.note = `${r.suggestions.length} of ${r.candidates} unlabelled pixels, the model's least certain first (smallest margin between its two best classes)${r.spacing > 1 ? `, at least ${r.spacing} pixels apart` : ''}${r.warnings.length ? `; ${r.warnings.join('; ')}` : ''}`;
      } catch (err) {
        sug.all = [];
        sug.note = `no suggestions: ${err.message}`;
        $('suggest-note').classList.add('error');
      }
      $('suggest-refresh').disabled = false;
      renderSuggestions();
      state.views.draw();
    });
    return sug.loading;
  };
  if (withSuggestions) {
    $('suggest').hidden = false;
    $('suggest-refresh').onclick = refreshSuggestions;
    $('suggest-list').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-row]');
      if (b) state.views.centreOn(Number(b.dataset.row), Number(b.dataset.col), 12);
    });
  }

  // One request at a time from this tab, in order (the server also queues writes across tabs).
  const send = (what, path, body) => {
    ui.busy = ui.busy.then(async () => {
      try {
        render(await post(path, body));
        status(what);
      } catch (err) {
        status(`not written: ${err.message}`, true);
      }
    });
    return ui.busy;
  };
  window.spinalnetView.labelsIdle = () => ui.busy;
  const label = (shape, what) => send(`${ui.erase ? 'erased' : 'labelled'} ${what}`, '/api/labels/label', { shape, code: ui.erase ? null : ui.code });

  $('label-tools').addEventListener('change', (e) => {
    ui.tool = e.target.value;
    state.views.tool = ui.tool === 'rect' ? 'rect' : null;
    state.views.sketch = ui.tool === 'polygon' ? [] : null;
    $('label-polygon').hidden = ui.tool !== 'polygon';
    state.views.draw();
  });
  $('label-classes').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-code]');
    if (!b) return;
    ui.erase = b.dataset.code === 'erase';
    if (!ui.erase) ui.code = Number(b.dataset.code);
    render(ui.labels);
  });
  state.onMapClick = (row, col, at) => {
    if (ui.tool === 'pixel') {
      label({ kind: 'pixel', row, col }, `row ${row}, column ${col}`);
      return true;
    }
    if (ui.tool === 'polygon') {
      state.views.sketch.push([at.x, at.y]);
      state.views.draw();
      return true;
    }
    return false;
  };
  state.onMapRect = (r) => {
    if (ui.tool !== 'rect') return;
    const rows = Math.abs(r.row1 - r.row0) + 1;
    const cols = Math.abs(r.col1 - r.col0) + 1;
    label({ kind: 'rect', ...r }, `${rows}×${cols} pixels`);
  };
  const closePolygon = () => {
    const points = state.views.sketch ?? [];
    state.views.sketch = [];
    state.views.draw();
    if (points.length < 3) {
      status('a polygon needs at least 3 points: click them on the map, then close it', true);
      return ui.busy;
    }
    return label({ kind: 'polygon', points }, `a polygon of ${points.length} points`);
  };
  $('label-close').onclick = closePolygon;
  $('label-cancel').onclick = () => {
    state.views.sketch = [];
    state.views.draw();
  };
  $('label-undo').onclick = () => send('undone', '/api/labels/undo', {});
  $('label-add-class').onclick = async () => {
    const name = $('label-new-name').value;
    await send(`added class ${name}`, '/api/labels/class', { name, color: $('label-new-color').value });
    const added = ui.labels.classes.find((c) => c.name === name.trim());
    if (added) {
      ui.code = added.code;
      ui.erase = false;
      $('label-new-name').value = '';
      render(ui.labels);
    }
  };
  document.addEventListener('keydown', (e) => {
    if (typing(e)) return;
    if ((e.ctrlKey || e.metaKey) && e.key === 'z') {
      e.preventDefault();
      $('label-undo').click();
    } else if (e.key === 'Enter' && ui.tool === 'polygon') closePolygon();
    else if (e.key === 'Escape' && state.views.sketch) $('label-cancel').click();
    else if (/^[1-9]$/.test(e.key) && $('reference').hidden && !e.ctrlKey && !e.metaKey && !e.altKey) {
      // Digits pick the k-th class of the list (the reference panel has them when both are on).
      const c = ui.labels?.classes[Number(e.key) - 1];
      if (c) {
        ui.code = c.code;
        ui.erase = false;
        render(ui.labels);
      }
    } else if (e.key === 'e' && !e.ctrlKey && !e.metaKey) {
      ui.erase = true;
      render(ui.labels);
    }
  });
  render(await api('/api/labels'));
  // Not awaited: the model looks at every unlabelled pixel, and labelling need not wait for it.
  if (withSuggestions) refreshSuggestions();
}

export async function setupReference(ctx, cantTell) {
  const { state, api, escape } = ctx;
  const box = $('reference');
  box.hidden = false;
  const classes = state.scene.classes;
  const ui = { points: [], at: 0, assessed: null, busy: Promise.resolve(), means: new Map(), chart: null };
  window.spinalnetView.reference = () => ui;

  // The map's class stays hidden until asked: the prediction layer off, the hover without it.
  const showMap = (on) => {
    state.hideMapClass = !on;
    for (const l of state.layers) if (l.id === 'prediction' || l.id === 'errors' || l.id === 'confidence' || l.id === 'disagree') l.on = on && l.id === 'prediction';
    ctx.renderControls();
    showPoint();
  };
  $('ref-show-map').addEventListener('change', (e) => showMap(e.target.checked));

  const keys = classes.map((c, k) => (k < 9 ? String(k + 1) : ''));
  $('ref-classes').innerHTML = classes.map((c, k) => `<button type="button" data-name="${escape(c.name)}">${keys[k] ? `<kbd>${keys[k]}</kbd> ` : ''}<span class="swatch" style="background:rgb(${c.color.join(',')})"></span>${escape(c.name)}</button>`).join('')
    + `<button type="button" data-name="${escape(cantTell)}"><kbd>0</kbd> ${escape(cantTell)}</button>`;
  $('ref-classes').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-name]');
    if (b) answer(b.dataset.name);
  });
  $('ref-prev').onclick = () => go(ui.at - 1);
  $('ref-next').onclick = () => go(ui.at + 1);
  $('ref-assess-now').onclick = () => assess();
  document.addEventListener('keydown', (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^[1-9]$/.test(e.key) && classes[Number(e.key) - 1]) answer(classes[Number(e.key) - 1].name);
    else if (e.key === '0') answer(cantTell);
    else if (e.key === 'ArrowRight') go(ui.at + 1);
    else if (e.key === 'ArrowLeft') go(ui.at - 1);
    else return;
    e.preventDefault();
  });

  function go(i) {
    if (ui.points.length === 0) return;
    ui.at = (i + ui.points.length) % ui.points.length;
    showPoint();
  }

  async function showPoint() {
    const pt = ui.points[ui.at];
    const done = ui.points.filter((p) => p.reference !== null).length;
    $('ref-progress').textContent = `point ${ui.at + 1} of ${ui.points.length} · ${done} of ${ui.points.length} labelled`;
    if (!pt) return;
    const mapClass = state.hideMapClass ? '<span class="note">map class hidden</span>' : `map class <b>${escape(pt.mapClass)}</b>`;
    $('ref-point').innerHTML = `sample point ${pt.id}: row ${pt.row}, column ${pt.col} · ${mapClass} · reference <b id="ref-current">${pt.reference === null ? '—' : escape(pt.reference)}</b>`;
    for (const b of $('ref-classes').querySelectorAll('button')) b.classList.toggle('chosen', b.dataset.name === pt.reference);
    state.views.centreOn(pt.row, pt.col, 12);
    const shown = ui.at;
    const info = await api(`/api/run/0/pixel?row=${pt.row}&col=${pt.col}`);
    await Promise.all(classes.map(async (_, k) => {
      if (!ui.means.has(k)) ui.means.set(k, await api(`/api/run/0/class/${k}/spectrum`));
    }));
    if (shown !== ui.at) return;
    const scene = state.scene;
    const x = scene.wavelengthsNm ?? scene.bandNumbers;
    $('ref-chart').textContent = '';
    ui.chart = drawMeans($('ref-chart'), ui.chart, {
      x, xLabel: scene.wavelengthsNm ? 'wavelength (nm)' : 'band',
      point: { label: `point ${pt.id}`, spectrum: info.spectrum },
      classes: classes.map((c, k) => ({ label: c.name, color: c.color, mean: ui.means.get(k).mean })),
    });
  }

  function answer(name) {
    const pt = ui.points[ui.at];
    if (!pt) return ui.busy;
    const at = ui.at;
    ui.busy = ui.busy.then(async () => {
      try {
        const r = await post('/api/reference/point', { fid: pt.fid, reference: name });
        ui.points = r.points;
        $('ref-status').textContent = `point ${pt.id}: ${name}`;
        $('ref-status').classList.remove('error');
        const next = ui.points.findIndex((p, i) => i > at && p.reference === null);
        const open = next >= 0 ? next : ui.points.findIndex((p) => p.reference === null);
        if (open < 0) {
          ui.at = at;
          await showPoint();
          await assess();
        } else {
          ui.at = open;
          await showPoint();
        }
      } catch (err) {
        $('ref-status').textContent = `not written: ${err.message}`;
        $('ref-status').classList.add('error');
      }
    });
    return ui.busy;
  }
  window.spinalnetView.referenceIdle = () => ui.busy;

  async function assess() {
    const out = $('ref-assess');
    try {
      const r = await api('/api/reference/assess');
      ui.assessed = r;
      out.innerHTML = assessmentHtml(r, escape);
    } catch (err) {
      ui.assessed = null;
      out.innerHTML = `<p class="note error">No assessment yet: ${escape(err.message)}</p>`;
    }
  }

  ui.points = (await api('/api/reference')).points;
  const first = ui.points.findIndex((p) => p.reference === null);
  ui.at = first >= 0 ? first : 0;
  showMap(false);
  if (first < 0 && ui.points.length > 0) await assess();
}

const pct = (e) => (Number.isFinite(e.estimate) ? `${(100 * e.estimate).toFixed(1)} %` : '—');
const ci = (e) => (Number.isFinite(e.ci95[0]) ? `<span class="ci">${(100 * e.ci95[0]).toFixed(1)}–${(100 * e.ci95[1]).toFixed(1)}</span>` : '');

/** The assessment as `spinalnet assess` reports it: overall accuracy, per class user's and producer's accuracy and area, with 95 % intervals. */
function assessmentHtml(r, escape) {
  const ha = r.hectaresPerPixel;
  const area = (e) => (ha !== null ? `${(e.estimate * ha).toFixed(1)} ± ${(r.z * e.se * ha).toFixed(1)} ha` : `${e.estimate.toFixed(0)} ± ${(r.z * e.se).toFixed(0)} px`);
  const rows = r.classes.map((c) => `<tr><td class="name">${c.value} ${escape(c.name)}</td><td>${pct(c.userAccuracy)} ${ci(c.userAccuracy)}</td><td>${pct(c.producerAccuracy)} ${ci(c.producerAccuracy)}</td><td>${area(c.area.pixels)}</td></tr>`);
  return `<h3>Accuracy and area (${r.n} labelled points; ${r.skipped.cantTell} "can't tell", ${r.skipped.unlabelled} unlabelled)</h3>
<p>Overall accuracy <b id="ref-oa">${pct(r.overallAccuracy)}</b> ${ci(r.overallAccuracy)} (95 % interval)</p>
<table class="perclass"><tr><th>class</th><th>user's accuracy</th><th>producer's accuracy</th><th>estimated area ± 95 %</th></tr>${rows.join('')}</table>
${r.warnings.length ? `<ul class="note">${r.warnings.map((w) => `<li>${escape(w)}</li>`).join('')}</ul>` : ''}
<p class="note">As <code>spinalnet assess</code> computes it (Olofsson et al. 2014); nothing is written until you run it.</p>`;
}
