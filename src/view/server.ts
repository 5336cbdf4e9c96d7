/**
 * The `spinalnet view` HTTP server (node:http; a handful of routes needs no framework). It serves the
 * page's own files, uPlot from node_modules, the given run folders' files, and small JSON or binary
 * answers computed from them. It writes nothing, except — when the session was opened with one — to
 * its one label file (--labels) or sample file (--reference), through POSTs that must carry the
 * session's token in the X-Spinalnet-Token header (the printed URL holds it; a page of another site can
 * neither read it nor set that header). No request names a file to write.
 *
 *   GET /                          the page
 *   GET /page/FILE, /vendor/FILE   the page's modules and styles, uPlot
 *   GET /api/runs                  every run: kind, run.json, metrics.json, files present
 *   GET /api/run/I/scene           size, classes with colours and counts, bands, wavelengths, georeference
 *   GET /api/run/I/maps            3·H·W bytes: truth, predicted (class index + 1) and split role per pixel
 *   GET /api/run/I/falsecolor.png  the false-colour view
 *   GET /api/run/I/confidence      H·W float32 (little-endian) from confidence.tif, when the run has one
 *   GET /api/run/I/pixel?row=R&col=C   one pixel: classes, probabilities, spectrum, map coordinates
 *   GET /api/run/I/class/K/spectrum    class K's per-band mean and quartiles
 *   GET /files/I/PATH              a file of run I
 *   GET /api/session               which of labelling (--labels) and reference mode (--reference) are on
 *   GET /api/labels                the label file: classes, features with their pixels, counts per class
 *   GET /api/labels/suggestions    where to label next: `spinalnet suggest`'s list, the label file's pixels excluded
 *   POST /api/labels/label         {shape, code}: label the shape's pixels (code null: erase them)
 *   POST /api/labels/undo          take back the last edit
 *   POST /api/labels/class         {name, color}: a new class
 *   GET /api/reference             the sample points and the classes to pick from
 *   POST /api/reference/point      {fid, reference}: one point's reference class (or "can't tell", or null)
 *   GET /api/reference/assess      accuracy and areas from the points labelled so far (nothing written)
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpinalnetError } from '../core/errors.ts';
import { encodePng, ERROR_COLORS, falseColor } from '../render/index.ts';
import { pcaFromJSON, transformCube } from '../preprocess/pca.ts';
import { sceneFalseColor } from '../pipeline/sceneOutputs.ts';
import type { AccuracyAreaFile } from '../evaluation/accuracyAreaFile.ts';
import type { Metrics } from '../evaluation/metrics.ts';
import { evidenceHtml } from '../report/evidenceHtml.ts';
import { readConfidence } from './confidence.ts';
import { classSpectrum, PixelProbe, type ClassSpectrum } from './pixelProbe.ts';
import { mapCoordinates, pixelSpectrum, type RunView, type SceneMaps } from './runData.ts';
import type { LabelSession, LabelShape } from './labelSession.ts';
import { CANT_TELL, type ReferenceSession } from './referenceSession.ts';
import { resolveInside } from './safePath.ts';
import { WriteQueue } from './writeQueue.ts';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.md': 'text/markdown; charset=utf-8', '.png': 'image/png',
  '.tif': 'image/tiff', '.mat': 'application/octet-stream', '.bin': 'application/octet-stream',
};

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly fix?: string) {
    super(message);
  }
}

/** Per-run caches of what is computed on demand. */
interface RunState {
  view: RunView;
  probe?: PixelProbe;
  spectra: Map<number, ClassSpectrum>;
  falseColor?: Buffer;
  confidence?: Promise<Float32Array | undefined>;
}

/**
 * `loopback`: the server listens on this machine only, so it also refuses requests whose Host header
 * names another host — a web page elsewhere cannot reach it by pointing its own name at 127.0.0.1
 * (DNS rebinding).
 */
export interface ViewServerOptions {
  loopback: boolean;
  /** The session's secret: every POST must send it in X-Spinalnet-Token. */
  token?: string;
  labels?: LabelSession;
  reference?: ReferenceSession;
  /** With labels: computes the "where to label next" list afresh (absent: no such panel). */
  suggestions?: () => Promise<unknown>;
}

export function createViewServer(runs: readonly RunView[], opts: ViewServerOptions): Server {
  const states: RunState[] = runs.map((view) => ({ view, spectra: new Map() }));
  // One computation of the suggestions at a time: each runs the model over every unlabelled pixel.
  const suggesting = new WriteQueue();
  const server = createServer((req, res) => {
    if (opts.loopback && !isLocalHost(req.headers.host, (server.address() as AddressInfo).port)) {
      sendJson(res, 403, { error: 'this server answers only requests addressed to this machine (127.0.0.1, localhost)' });
      return;
    }
    const answer = req.method === 'POST' ? handlePost(opts, req, res) : handle(states, opts, suggesting, req, res);
    answer.catch((err: unknown) => {
      if (err instanceof HttpError) sendJson(res, err.status, { error: err.message, ...(err.fix !== undefined && { fix: err.fix }) });
      else if (err instanceof SpinalnetError) sendJson(res, 500, { error: err.message, fix: err.fix });
      else sendJson(res, 500, { error: `internal error: ${(err as Error).message}` });
    });
  });
  return server;
}

function isLocalHost(host: string | undefined, port: number): boolean {
  return host !== undefined && [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

/** Whether `given` is the session token, compared in constant time (hashes of equal length). */
function tokenMatches(token: string | undefined, given: string | string[] | undefined): boolean {
  if (token === undefined || typeof given !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(token), digest(given));
}

const MAX_BODY = 1 << 20;

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A user's mistake in a labelling request (bad class, empty polygon…) is a 400 with the fix. */
async function userInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SpinalnetError) throw new HttpError(400, err.message, err.fix);
    throw err;
  }
}

/** The writing routes: the token first, then the session's own file only. */
async function handlePost(opts: ViewServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').replace(/\?.*$/, '');
  const writable = path.startsWith('/api/labels/') ? opts.labels : path.startsWith('/api/reference/') ? opts.reference : undefined;
  if (!writable) {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (!tokenMatches(opts.token, req.headers['x-spinalnet-token'])) {
    throw new HttpError(403, 'this request writes and needs the session token: open the page from the URL `spinalnet view` printed');
  }
  const body = await readJsonBody(req);
  const { labels, reference } = opts;
  if (labels && path === '/api/labels/label') {
    const code = body.code;
    if (code !== null && typeof code !== 'number') throw new HttpError(400, 'code must be a class code, or null to erase');
    // The shape is the page's JSON: LabelSession checks every field of it before use.
    return sendJson(res, 200, await userInput(() => labels.label(body.shape as LabelShape, code)));
  }
  if (labels && path === '/api/labels/undo') return sendJson(res, 200, await userInput(() => labels.undo()));
  if (labels && path === '/api/labels/class') return sendJson(res, 200, await userInput(() => labels.addClass(String(body.name ?? ''), String(body.color ?? ''))));
  if (reference && path === '/api/reference/point') {
    const value = body.reference;
    if (value !== null && typeof value !== 'string') throw new HttpError(400, 'reference must be a class name, "can\'t tell" or null');
    return sendJson(res, 200, { points: await userInput(() => reference.setReference(Number(body.fid), value)) });
  }
  throw new HttpError(404, 'not found');
}

async function handle(states: RunState[], opts: ViewServerOptions, suggesting: WriteQueue, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: opts.labels || opts.reference ? 'GET, HEAD, POST' : 'GET, HEAD' }).end();
    return;
  }
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  if (path === '/api/session') return sendJson(res, 200, { labels: opts.labels !== undefined, suggestions: opts.suggestions !== undefined, reference: opts.reference !== undefined, cantTell: CANT_TELL });
  if (path === '/api/labels/suggestions') {
    const { suggestions } = opts;
    if (!suggestions) throw new HttpError(404, 'this session lists no suggestions (spinalnet view RUN --labels FILE.gpkg on a `spinalnet run` folder, --suggest N above 0)');
    return sendJson(res, 200, await userInput(() => suggesting.run(suggestions)));
  }
  if (path === '/api/labels') {
    if (!opts.labels) throw new HttpError(404, 'this session has no label file (spinalnet view RUN --labels FILE.gpkg)');
    return sendJson(res, 200, await opts.labels.state());
  }
  if (path === '/api/reference') {
    if (!opts.reference) throw new HttpError(404, 'this session has no sample (spinalnet view RUN --reference samples.gpkg)');
    return sendJson(res, 200, { file: opts.reference.file, points: await opts.reference.points() });
  }
  if (path === '/api/reference/assess') {
    if (!opts.reference) throw new HttpError(404, 'this session has no sample (spinalnet view RUN --reference samples.gpkg)');
    return sendJson(res, 200, await userInput(() => opts.reference!.assess()));
  }
  if (path === '/' || path === '/index.html') return sendFile(res, join(PAGE_DIR, 'index.html'));
  if (path.startsWith('/page/')) return sendFile(res, resolveInside(PAGE_DIR, path.slice(6)));
  if (path === '/vendor/uPlot.esm.js' || path === '/vendor/uPlot.min.css') return sendFile(res, join(UPLOT_DIR, path.slice(8)));
  if (path === '/api/runs') return sendJson(res, 200, states.map(({ view }, i) => runSummary(view, i)));
  let m = /^\/files\/(\d+)\/(.+)$/.exec(path);
  if (m) return sendFile(res, resolveInside(runAt(states, m[1]!).view.dir, m[2]!));
  m = /^\/api\/run\/(\d+)\/(.+)$/.exec(path);
  if (!m) throw new HttpError(404, 'not found');
  const state = runAt(states, m[1]!);
  const what = m[2]!;
  if (what === 'evidence.html') {
    const { view } = state;
    // The latest `spinalnet assess` of the map's sample, read fresh so that a new assessment shows on reload.
    const assessed = join(view.dir, 'accuracy-area.json');
    const assessment = existsSync(assessed) ? (JSON.parse(readFileSync(assessed, 'utf8')) as AccuracyAreaFile) : undefined;
    return sendBytes(res, Buffer.from(evidenceHtml({ metrics: view.metrics as Metrics | undefined, record: view.record, unit: view.hasScene ? 'pixels' : 'images', ...(assessment && { assessment }) })), TYPES['.html']!);
  }
  if (!state.view.hasScene) throw new HttpError(404, 'an image-dataset run has no scene');
  const maps = await state.view.sceneMaps();
  if (what === 'scene') return sendJson(res, 200, sceneSummary(maps));
  if (what === 'maps') return sendBytes(res, Buffer.concat([maps.truthBytes, maps.predictedBytes, maps.roleBytes]), 'application/octet-stream');
  if (what === 'falsecolor.png') {
    state.falseColor ??= falseColorPng(state.view, maps);
    return sendBytes(res, state.falseColor, 'image/png');
  }
  if (what === 'confidence') {
    state.confidence ??= readConfidence(join(state.view.dir, 'confidence.tif'), maps.height, maps.width);
    const conf = await state.confidence;
    if (!conf) throw new HttpError(404, 'this run has no confidence.tif');
    return sendBytes(res, Buffer.from(conf.buffer, conf.byteOffset, conf.byteLength), 'application/octet-stream');
  }
  if (what === 'pixel') {
    const row = intParam(query, 'row', maps.height);
    const col = intParam(query, 'col', maps.width);
    state.probe ??= new PixelProbe(maps);
    const probs = await state.probe.probabilities(row, col);
    const p = row * maps.width + col;
    const ranked = Array.from(probs, (prob, k) => ({ k, prob })).sort((a, b) => b.prob - a.prob);
    return sendJson(res, 200, {
      row,
      col,
      truth: maps.truthBytes[p]! - 1,
      predicted: maps.predictedBytes[p]! - 1,
      role: maps.roleBytes[p],
      probabilities: Array.from(probs),
      top: ranked.slice(0, 3).map(({ k, prob }) => ({ class: k, probability: prob })),
      spectrum: Array.from(pixelSpectrum(maps.scene.cube, row, col)),
      map: mapCoordinates(maps.scene.georef, row, col),
    });
  }
  m = /^class\/(\d+)\/spectrum$/.exec(what);
  if (m) {
    const k = Number(m[1]);
    if (!(k < maps.classes.length)) throw new HttpError(400, `class must be 0..${maps.classes.length - 1}`);
    let s = state.spectra.get(k);
    if (!s) state.spectra.set(k, (s = classSpectrum(maps, k)));
    return sendJson(res, 200, s);
  }
  throw new HttpError(404, 'not found');
}

function runAt(states: RunState[], index: string): RunState {
  const s = states[Number(index)];
  if (!s) throw new HttpError(404, `no run ${index}`);
  return s;
}

/** A query parameter that must be an integer in 0..limit−1; anything else is a 400. */
function intParam(query: URLSearchParams, name: string, limit: number): number {
  const v = query.get(name);
  if (v === null || !/^\d{1,9}$/.test(v)) throw new HttpError(400, `${name} must be an integer`);
  const n = Number(v);
  if (n >= limit) throw new HttpError(400, `${name} must be 0..${limit - 1}`);
  return n;
}

function runSummary(view: RunView, index: number) {
  const files = ['overview.png', 'confusion-matrix.png', 'training-curves.png', 'misclassified.png', 'split.png', 'report.md', 'report.html', 'confidence.tif', 'probabilities.tif', 'classification-map.tif']
    .filter((f) => existsSync(join(view.dir, f)));
  return { index, dir: view.dir, name: view.dir.replace(/^.*[\\/]/, ''), kind: view.kind, hasScene: view.hasScene, run: view.record, metrics: view.metrics, files };
}

function sceneSummary(maps: SceneMaps) {
  const k = maps.classes.length;
  const truthCounts = new Array<number>(k).fill(0);
  const predictedCounts = new Array<number>(k).fill(0);
  for (let p = 0; p < maps.truthBytes.length; p++) {
    const t = maps.truthBytes[p]!;
    const q = maps.predictedBytes[p]!;
    if (t > 0) truthCounts[t - 1]!++;
    if (q > 0) predictedCounts[q - 1]!++;
  }
  const { scene } = maps;
  return {
    height: maps.height,
    width: maps.width,
    bands: scene.cube.bands,
    bandNumbers: maps.bandNumbers,
    wavelengthsNm: scene.bandInfo?.wavelengthsNm ? Array.from(scene.bandInfo.wavelengthsNm) : undefined,
    georef: scene.georef,
    hasLabels: scene.labels !== undefined,
    errorColors: { correct: ERROR_COLORS.correct, wrong: ERROR_COLORS.wrong },
    classes: maps.classes.map((c, i) => ({ ...c, truthPixels: truthCounts[i], predictedPixels: predictedCounts[i] })),
  };
}

/** The run's own false-colour PNG when it wrote one at the scene's size, else the pipeline's false colour of the scene. */
function falseColorPng(view: RunView, maps: SceneMaps): Buffer {
  const file = join(view.dir, 'false-color.png');
  const { cube, rgbBands } = maps.scene;
  if (existsSync(file)) {
    // A big scene's PNG is scaled down (render/preview.ts); the viewer lays the maps over scene pixels.
    const png = readFileSync(file);
    if (png.readUInt32BE(16) === cube.width && png.readUInt32BE(20) === cube.height) return png;
  }
  const usable = rgbBands && rgbBands.every((b) => b < cube.bands);
  // The principal-component fallback needs the projected cube; skip projecting when the bands are known.
  if (usable) return encodePng(falseColor(cube, [rgbBands[0], rgbBands[1], rgbBands[2]]));
  return encodePng(sceneFalseColor(transformCube(cube, pcaFromJSON(maps.meta.preprocessing))));
}

function sendFile(res: ServerResponse, file: string | undefined): void {
  if (!file || !existsSync(file)) throw new HttpError(404, 'not found');
  sendBytes(res, readFileSync(file), TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
}

function sendBytes(res: ServerResponse, body: Buffer, type: string): void {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
