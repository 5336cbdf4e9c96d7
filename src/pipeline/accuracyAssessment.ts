/**
 * The map's accuracy and each class's area the way a mapper reports them (Olofsson et al. 2014):
 * `sampleRun` draws a stratified random sample of a finished run's whole-scene map for a person to
 * label (a GeoPackage point layer QGIS opens, and a CSV); `assessRun` reads the labelled sample back
 * and estimates overall, user's and producer's accuracy and class areas with standard errors and 95 %
 * intervals (Stehman 2014, evaluation/stratifiedEstimator.ts), next to the pixel-counted areas.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isGeographic } from '../core/crs.ts';
import { ConfigError, DataError, InputFileError } from '../core/errors.ts';
import type { ClassInfo, GeoReference } from '../core/types.ts';
import { allocateSample, drawSample, sampleSizeForOverallAccuracy, type StratumFrame } from '../evaluation/sampleDesign.ts';
import type { AccuracyAreaFile } from '../evaluation/accuracyAreaFile.ts';
import { Z95 } from '../evaluation/accuracy.ts';
import { estimateStratifiedAccuracy } from '../evaluation/stratifiedEstimator.ts';
import { invertGeoTransform, layerToPixels } from '../io/vector/crs.ts';
import { writeGeoPackagePoints } from '../io/vector/geopackage.ts';
import { readVectorLayer } from '../io/vector/readVectorLayer.ts';
import type { VectorLayer } from '../io/vector/types.ts';
import { BLACK, classColors, fillRect, renderLabelMap, strokeRect, WHITE, writePng } from '../render/index.ts';
import { writeReportHtml } from '../report/reportHtml.ts';
import { loadLabels } from '../scene/loadScene.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';

/** The file names an assessment leaves (in --out, and a copy of the JSON in the run folder). */
export const ASSESSMENT_FILES = { json: 'accuracy-area.json', markdown: 'accuracy-area.md' } as const;

/** What a finished run's folder says about its map. */
export interface RunMap {
  readonly dir: string;
  readonly height: number;
  readonly width: number;
  readonly georef?: GeoReference;
  readonly classes: readonly ClassInfo[];
  /** H×W row-major map class values; 0 where the scene has no data. */
  readonly map: Int32Array;
  /** H×W: 1 on training (and validation) pixels, which the sample must not use. */
  readonly trained: Uint8Array;
  readonly record: Record<string, unknown>;
}

/** A finished run's whole-scene map and its training pixels (split.mat), read from its folder. */
export async function readRunMap(dir: string): Promise<RunMap> {
  const runJson = join(dir, 'run.json');
  if (!existsSync(runJson)) throw new InputFileError(dir, 'is not a run folder (no run.json)', 'pass the folder a `spinalnet run` or `predict` wrote');
  const record = JSON.parse(readFileSync(runJson, 'utf8')) as Record<string, unknown>;
  if (record.status !== 'done') throw new DataError(`${dir}: the run's status is '${String(record.status)}', not done`, 'finish the run first (spinalnet run --resume)');
  const scene = record.scene as { height: number; width: number; georef?: GeoReference; classes: ClassInfo[] } | undefined;
  const mapPath = join(dir, 'classification-map.tif');
  if (!scene || !existsSync(mapPath)) throw new InputFileError(dir, 'has no classification-map.tif and scene record', 'pass a run folder with its whole-scene map');
  const grid = { height: scene.height, width: scene.width, path: 'the run', ...(scene.georef && { georef: scene.georef }) };
  const map = (await loadLabels(mapPath, grid)).labels.data;
  const trained = new Uint8Array(map.length);
  const splitPath = join(dir, 'split.mat');
  if (existsSync(splitPath)) {
    const roles = (await loadLabels(splitPath, { height: scene.height, width: scene.width }, 'split')).labels.data;
    // split.mat: 1 train, 2 validation, 3 test; both of the first two shaped the model.
    roles.forEach((r, p) => {
      if (r === 1 || r === 2) trained[p] = 1;
    });
  }
  return { dir, height: scene.height, width: scene.width, ...(scene.georef && { georef: scene.georef }), classes: scene.classes, map, trained, record };
}

/** Pixels the map gives each class, and how many of them are not training pixels. */
function framesOf(run: RunMap): StratumFrame[] {
  const pixels = new Map<number, number>();
  const eligible = new Map<number, number>();
  run.map.forEach((v, p) => {
    if (v === 0) return;
    pixels.set(v, (pixels.get(v) ?? 0) + 1);
    if (!run.trained[p]) eligible.set(v, (eligible.get(v) ?? 0) + 1);
  });
  return [...pixels.keys()].sort((a, b) => a - b).map((value) => ({ value, pixels: pixels.get(value)!, eligible: eligible.get(value) ?? 0 }));
}

export interface SampleOptions {
  /** Points to draw; or computed from `targetSe`. */
  readonly size?: number;
  /** Standard error of overall accuracy to aim for (Olofsson eq. 13), instead of `size`. */
  readonly targetSe?: number;
  /** Expected user's accuracy per class value for `targetSe` (default 0.8 for every class). */
  readonly expectedUserAccuracy?: ReadonlyMap<number, number> | number;
  readonly minPerClass: number;
  readonly seed: number;
  /** The GeoPackage to write; the CSV goes beside it (same name, .csv). */
  readonly out: string;
  /** Replace existing files (they may hold a person's labels: refused without it). */
  readonly force?: boolean;
}

export interface SampleResult {
  readonly gpkg: string;
  readonly csv: string;
  /** The map with the sample points marked (FILE.png beside the GeoPackage). */
  readonly png: string;
  readonly size: number;
  readonly rule: string;
  readonly strata: readonly { value: number; name: string; pixels: number; sampled: number }[];
  readonly warnings: readonly string[];
}

export async function sampleRun(runDir: string, opts: SampleOptions): Promise<SampleResult> {
  if (extname(opts.out).toLowerCase() !== '.gpkg') throw new ConfigError('--out', 'a GeoPackage path ending in .gpkg', opts.out);
  const csv = opts.out.replace(/\.gpkg$/i, '.csv');
  const png = opts.out.replace(/\.gpkg$/i, '.png');
  for (const f of [opts.out, csv]) {
    if (existsSync(f) && !opts.force) throw new ConfigError('--out', 'a new file (an existing sample may hold labels)', f, 'choose another --out, or pass --force to replace it');
  }
  const run = await readRunMap(runDir);
  const frames = framesOf(run);
  const warnings: string[] = [];
  let size = opts.size;
  if (size === undefined) {
    if (opts.targetSe === undefined) throw new ConfigError('--size', 'a number of points (or --target-se SE to compute it)', undefined);
    const expected = opts.expectedUserAccuracy ?? 0.8;
    size = sampleSizeForOverallAccuracy(frames, (v) => (typeof expected === 'number' ? expected : expected.get(v) ?? 0.8), opts.targetSe);
  }
  const { counts, rule } = allocateSample(frames, size, opts.minPerClass);
  const pixels = drawSample(run.map, Uint8Array.from(run.trained, (t, p) => (t === 0 && run.map[p] !== 0 ? 1 : 0)), frames, counts, opts.seed);
  const n = pixels.length;
  const values = new Int32Array(n), ids = new Int32Array(n);
  const { x, y, rows, cols, crs, warning } = pixelCentres(pixels, run.width, run.georef);
  if (warning) warnings.push(warning);
  pixels.forEach((p, i) => {
    ids[i] = i + 1;
    values[i] = run.map[p]!;
  });
  const nameOf = new Map(run.classes.map((c) => [c.value, c.name]));
  const mapClass = Array.from(values, (v) => nameOf.get(v) ?? `class ${v}`);
  await writeGeoPackagePoints(opts.out, {
    layerName: 'samples',
    crs,
    fields: [
      { name: 'id', type: 'integer' }, { name: 'map_value', type: 'integer' }, { name: 'map_class', type: 'string' },
      { name: 'row', type: 'integer' }, { name: 'col', type: 'integer' }, { name: 'reference', type: 'string' },
    ],
    points: { x, y },
    attributes: { id: ids, map_value: values, map_class: mapClass, row: rows, col: cols, reference: Array.from({ length: n }, () => null) },
  });
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['id,map_value,map_class,row,col,x,y,reference'];
  for (let i = 0; i < n; i++) lines.push(`${ids[i]},${values[i]},${quote(mapClass[i]!)},${rows[i]},${cols[i]},${x[i]},${y[i]},`);
  writeFileAtomic(csv, `${lines.join('\n')}\n`);
  writePng(png, samplePicture(run, pixels));
  const strata = frames.map((f, i) => ({ value: f.value, name: nameOf.get(f.value) ?? `class ${f.value}`, pixels: f.pixels, sampled: counts[i]! }));
  return { gpkg: opts.out, csv, png, size: n, rule, strata, warnings };
}

/**
 * Pixel centres as points in the scene's CRS (x = column + 0.5, y = row + 0.5 through the geotransform),
 * or in pixel coordinates with a warning when the scene has no georeference; with their rows and columns.
 */
export function pixelCentres(pixels: Int32Array, width: number, georef: GeoReference | undefined) {
  const n = pixels.length;
  const x = new Float64Array(n), y = new Float64Array(n);
  const rows = new Int32Array(n), cols = new Int32Array(n);
  const t = georef?.geoTransform;
  pixels.forEach((p, i) => {
    const r = Math.floor(p / width), c = p % width;
    rows[i] = r;
    cols[i] = c;
    x[i] = t ? t[0] + (c + 0.5) * t[1] + (r + 0.5) * t[2] : c + 0.5;
    y[i] = t ? t[3] + (c + 0.5) * t[4] + (r + 0.5) * t[5] : r + 0.5;
  });
  const crs = georef ? { ...(georef.epsg !== undefined && { epsg: georef.epsg }), ...(georef.crsWkt !== undefined && { wkt: georef.crsWkt }) } : {};
  const warning = t ? undefined : 'the scene has no georeference: the points are in pixel coordinates (x = column + 0.5, y = row + 0.5), with no CRS';
  return { x, y, rows, cols, crs, warning };
}

/** The map in its class colours, enlarged to at least ~600 px, each sample point a white square ringed in black. */
function samplePicture(run: RunMap, pixels: Int32Array) {
  const scale = Math.max(1, Math.min(8, Math.floor(600 / Math.max(run.height, run.width))));
  const img = renderLabelMap({ height: run.height, width: run.width, data: run.map }, run.classes.map((c) => c.value), classColors(run.classes), { scale });
  const side = Math.max(3, scale + 2);
  for (const p of pixels) {
    const x = (p % run.width) * scale + Math.floor(scale / 2) - Math.floor(side / 2);
    const y = Math.floor(p / run.width) * scale + Math.floor(scale / 2) - Math.floor(side / 2);
    fillRect(img, x, y, side, side, WHITE);
    strokeRect(img, x - 1, y - 1, side + 2, side + 2, BLACK);
  }
  return img;
}

export interface AssessOptions {
  /** The labelled sample: a GeoPackage, shapefile or GeoJSON point layer, or a CSV (row,col or x,y columns). */
  readonly reference: string;
  /** The field holding the reference class, a name or a code (default 'reference'). */
  readonly referenceField?: string;
  readonly layer?: string;
  /** Folder for accuracy-area.json and accuracy-area.md. */
  readonly out: string;
  readonly finitePopulationCorrection?: boolean;
}

const CANT_TELL = /^(can'?t tell|cannot tell|unknown|unsure|\?)$/i;

interface SamplePoint {
  row: number;
  col: number;
  reference: string | number | null;
}

export async function assessRun(runDir: string, opts: AssessOptions): Promise<AccuracyAreaFile> {
  const run = await readRunMap(runDir);
  const result = await estimateAccuracyArea(run, runDir, opts);
  writeFileAtomic(join(opts.out, ASSESSMENT_FILES.json), `${JSON.stringify(result, null, 2)}\n`);
  writeFileAtomic(join(opts.out, ASSESSMENT_FILES.markdown), assessmentMarkdown(result));
  // The run folder keeps the latest assessment, and its report shows it.
  writeFileAtomic(join(runDir, ASSESSMENT_FILES.json), `${JSON.stringify(result, null, 2)}\n`);
  refreshReport(run, result);
  return result;
}

/** What assessRun computes, without writing anything (the viewer shows it as the sample is labelled). */
export async function estimateRunAccuracy(runDir: string, opts: Omit<AssessOptions, 'out'>): Promise<AccuracyAreaFile> {
  return estimateAccuracyArea(await readRunMap(runDir), runDir, opts);
}

async function estimateAccuracyArea(run: RunMap, runDir: string, opts: Omit<AssessOptions, 'out'>): Promise<AccuracyAreaFile> {
  const field = opts.referenceField ?? 'reference';
  const { points, ours, warnings } = await readSamplePoints(opts.reference, field, opts.layer, run);
  const skipped = { unlabelled: 0, cantTell: 0, offMap: 0 };
  const byName = new Map(run.classes.map((c) => [c.name.trim().toLowerCase(), c.value]));
  const byValue = new Set(run.classes.map((c) => c.value));
  const unknown = new Map<string, number>();
  const units: { stratum: number; reference: number }[] = [];
  for (const pt of points) {
    const ref = typeof pt.reference === 'string' ? pt.reference.trim() : pt.reference;
    if (ref === null || ref === '') {
      skipped.unlabelled++;
      continue;
    }
    if (typeof ref === 'string' && CANT_TELL.test(ref)) {
      skipped.cantTell++;
      continue;
    }
    const value = typeof ref === 'number' || /^\d+$/.test(ref) ? (byValue.has(Number(ref)) ? Number(ref) : undefined) : byName.get(ref.toLowerCase());
    if (value === undefined) {
      unknown.set(String(ref), (unknown.get(String(ref)) ?? 0) + 1);
      continue;
    }
    const stratum = run.map[pt.row * run.width + pt.col]!;
    if (stratum === 0) {
      skipped.offMap++;
      continue;
    }
    units.push({ stratum, reference: value });
  }
  if (unknown.size > 0) {
    throw new DataError(
      `${opts.reference}: reference values that are not classes of the run: ${[...unknown].map(([k, n]) => `'${k}' (${n})`).join(', ')}`,
      `label with the run's class names or values (${run.classes.map((c) => `${c.value} ${c.name}`).join(', ')}), or "can't tell"`,
    );
  }
  if (units.length === 0) throw new DataError(`${opts.reference}: no point has a reference label in field '${field}'`, 'label the sample points (in QGIS: edit the layer, fill the field), then run assess again');
  if (skipped.offMap > 0) warnings.push(`${skipped.offMap} point(s) lie where the scene has no data and were skipped`);
  if (!ours) warnings.push(`${opts.reference} is not a sample spinalnet drew: each point is taken as one unit of a stratified random sample in its map class (the estimator assumes that design)`);
  const frames = framesOf(run);
  const sampled = new Set(units.map((u) => u.stratum));
  // Strata with no labelled point cannot be estimated: say which, rather than let the estimator refuse.
  const empty = frames.filter((f) => !sampled.has(f.value));
  if (empty.length > 0) {
    throw new DataError(
      `no labelled sample point lies in map class ${empty.map((f) => `${f.value} (${run.classes.find((c) => c.value === f.value)?.name ?? ''}, ${f.pixels} pixels)`).join(', ')}`,
      'every map class needs labelled points: draw the sample with spinalnet sample (--min-per-class), and label its points',
    );
  }
  const t = run.georef?.geoTransform;
  const pixelArea = t ? Math.abs(t[1] * t[5] - t[2] * t[4]) : undefined;
  const metres = run.georef !== undefined && !isGeographic(run.georef) && (run.georef.crsWkt === undefined ? run.georef.epsg !== undefined : /UNIT\["metre"|LENGTHUNIT\["metre"|UNIT\["meter"/i.test(run.georef.crsWkt));
  const referenceClasses = run.classes.map((c) => ({ value: c.value, name: c.name, mappedPixels: frames.find((f) => f.value === c.value)?.pixels ?? 0 }));
  const estimate = estimateStratifiedAccuracy(
    frames.map((f) => ({ value: f.value, pixels: f.pixels })),
    { stratum: Int32Array.from(units, (u) => u.stratum), mapClass: Int32Array.from(units, (u) => u.stratum), reference: Int32Array.from(units, (u) => u.reference) },
    referenceClasses,
    { finitePopulationCorrection: opts.finitePopulationCorrection ?? false, ...(pixelArea !== undefined && { pixelArea }) },
  );
  const outsideFrame = run.trained.reduce((a, v, p) => a + (v && run.map[p] !== 0 ? 1 : 0), 0);
  const result: AccuracyAreaFile = {
    run: runDir, reference: opts.reference, referenceField: field,
    areaUnit: pixelArea === undefined ? 'pixels' : metres ? 'm²' : 'map units²',
    hectaresPerPixel: pixelArea !== undefined && metres ? pixelArea / 10_000 : null,
    skipped, outsideFrame,
    design: 'strata = the map classes, stratum sizes = every mapped pixel of the class (training pixels included); estimator of Stehman (2014), which is Olofsson et al. (2014) when strata are the map classes; 95 % intervals = estimate ± 1.96 SE',
    ...estimate,
    warnings: [...warnings, ...estimate.warnings],
  };
  return result;
}

/** Sample points as pixels of the run's grid, with their reference values. */
async function readSamplePoints(path: string, field: string, layerName: string | undefined, run: RunMap): Promise<{ points: SamplePoint[]; ours: boolean; warnings: string[] }> {
  if (!existsSync(path)) throw new InputFileError(path, 'file not found', 'pass the labelled sample (the .gpkg or .csv spinalnet sample wrote)');
  if (extname(path).toLowerCase() === '.csv') return readSampleCsv(path, field, run);
  const layer: VectorLayer = await readVectorLayer(path, { layer: layerName });
  if (!layer.fields.some((f) => f.name === field)) {
    throw new DataError(`${path}: layer '${layer.name}' has no field '${field}' (its fields: ${layer.fields.map((f) => f.name).join(', ')})`, 'name the field holding the reference class with --reference-field');
  }
  const { layer: inPixels, warnings } = layerToPixels(layer, run.georef);
  const points: SamplePoint[] = [];
  inPixels.features.forEach((f, i) => {
    const g = f.geometry;
    if (g === null) return;
    if (g.type !== 'Point') throw new DataError(`${path}: feature ${layer.features[i]!.fid} is a ${g.type}, not a point`, 'assess from a point layer: one point per sample unit');
    points.push({ ...pixelOf(g.xy[0]!, g.xy[1]!, run, `${path}: point ${layer.features[i]!.fid}`), reference: f.properties[field] ?? null });
  });
  const ours = layer.name === 'samples' && ['map_value', 'row', 'col'].every((n) => layer.fields.some((f) => f.name === n));
  return { points, ours, warnings };
}

function pixelOf(x: number, y: number, run: RunMap, what: string): { row: number; col: number } {
  const row = Math.floor(y), col = Math.floor(x);
  if (!(row >= 0 && row < run.height && col >= 0 && col < run.width)) {
    throw new DataError(`${what} lies outside the scene (pixel row ${row}, column ${col} of ${run.height}×${run.width})`, 'check the layer belongs to this run\'s scene (CRS and extent), or remove the point');
  }
  return { row, col };
}

/** A CSV with a header: row,col (0-based pixels) or x,y (the scene's CRS), and the reference field. */
function readSampleCsv(path: string, field: string, run: RunMap): { points: SamplePoint[]; ours: boolean; warnings: string[] } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsv(lines[0] ?? '');
  const at = (name: string) => header.indexOf(name);
  if (at(field) < 0) throw new DataError(`${path}: no column '${field}' (its columns: ${header.join(', ')})`, 'name the column holding the reference class with --reference-field');
  const byCell = at('row') >= 0 && at('col') >= 0;
  if (!byCell && !(at('x') >= 0 && at('y') >= 0)) throw new DataError(`${path}: no row,col or x,y columns`, 'give each point as row,col (pixels) or x,y (the scene\'s CRS)');
  const inv = run.georef ? invertGeoTransform(run.georef.geoTransform) : undefined;
  const points = lines.slice(1).map((line, i) => {
    const cells = splitCsv(line);
    const what = `${path}: line ${i + 2}`;
    let pos: { row: number; col: number };
    if (byCell) pos = pixelOf(Number(cells[at('col')]) + 0.5, Number(cells[at('row')]) + 0.5, run, what);
    else {
      const x = Number(cells[at('x')]), y = Number(cells[at('y')]);
      pos = inv ? pixelOf(inv[0] + x * inv[1] + y * inv[2], inv[3] + x * inv[4] + y * inv[5], run, what) : pixelOf(x, y, run, what);
    }
    return { ...pos, reference: cells[at(field)] ?? null };
  });
  return { points, ours: ['id', 'map_value', 'row', 'col'].every((n) => at(n) >= 0), warnings: [] };
}

/** One CSV line's cells (RFC 4180 quotes). */
function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
  }
  cells.push(cur);
  return cells.map((c) => c.trim());
}

const pct = (e: { estimate: number; ci95: [number, number] }) =>
  Number.isFinite(e.estimate) ? `${(100 * e.estimate).toFixed(1)} % (${(100 * e.ci95[0]).toFixed(1)}–${(100 * e.ci95[1]).toFixed(1)})` : '—';

/** accuracy-area.md: the numbers a mapper publishes, with the design stated. */
export function assessmentMarkdown(r: AccuracyAreaFile): string {
  const ha = r.hectaresPerPixel;
  const area = (pixels: number) => (ha !== null ? `${(pixels * ha).toFixed(1)} ha` : `${pixels} px`);
  const areaEstimate = (e: { estimate: number; se: number }) => (ha !== null ? `${(e.estimate * ha).toFixed(1)} ± ${(Z95 * e.se * ha).toFixed(1)} ha` : `${e.estimate.toFixed(0)} ± ${(Z95 * e.se).toFixed(0)} px`);
  const rows = r.classes.map((c) => `| ${c.value} | ${c.name} | ${pct(c.userAccuracy)} | ${pct(c.producerAccuracy)} | ${area(c.mappedPixels ?? 0)} | ${areaEstimate(c.area.pixels)} |`);
  return `# Accuracy and area of the map

${r.n} labelled sample points (${r.skipped.unlabelled} unlabelled, ${r.skipped.cantTell} "can't tell"${r.skipped.offMap ? `, ${r.skipped.offMap} off the map` : ''} skipped) from ${r.reference}, field \`${r.referenceField}\`.

**Overall accuracy ${pct(r.overallAccuracy)}** (95 % interval in brackets).

| value | class | user's accuracy | producer's accuracy | mapped area (pixel count) | estimated area ± 95 % |
|---|---|---|---|---|---|
${rows.join('\n')}

The pixel-counted area is biased by the map's errors; the estimated area corrects it from the sample.
Design: ${r.design}.${r.outsideFrame > 0 ? ` ${r.outsideFrame} mapped training pixels were outside the sampling frame (counted in the strata, never sampled).` : ''}
${r.warnings.length > 0 ? `\nWarnings:\n${r.warnings.map((w) => `- ${w}`).join('\n')}\n` : ''}`;
}

/** report.html of the run again, now with the assessment section. */
function refreshReport(run: RunMap, assessment: AccuracyAreaFile): void {
  const metricsPath = join(run.dir, 'metrics.json');
  const metrics = existsSync(metricsPath) ? JSON.parse(readFileSync(metricsPath, 'utf8')) : undefined;
  const model = (run.record.config as { model?: string } | undefined)?.model ?? 'model';
  const scene = (run.record.scene as { name?: string } | undefined)?.name ?? 'scene';
  writeReportHtml((f) => join(run.dir, f), { title: `${model} on ${scene}`, metrics, record: run.record, unit: 'pixels', assessment });
}
