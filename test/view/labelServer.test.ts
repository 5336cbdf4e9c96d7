/**
 * `spinalnet view RUN --labels FILE` and `--reference FILE` over real HTTP on a real georeferenced run:
 * what the server writes is read back by GDAL (its Python bindings) and by `--train-vector`'s reader
 * (readVectorReference), with the coordinates of the labelled pixels in the scene's CRS; writes need
 * the session token, no request can name another file, and two tabs writing at once leave a valid file
 * holding both tabs' changes.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readVectorReference } from '../../src/scene/vectorLabels.ts';
import { makeDemoScene } from '../../src/scene/demoScene.ts';
import { startView, type RunningView } from '../../src/view/startView.ts';
import { readRunMap, sampleRun } from '../../src/pipeline/accuracyAssessment.ts';
import { fileSnapshot, gdalBurn, georeferencedRun, GPKG_VALIDATOR, hasGdal, ogrFeatures, PLACED_GEOREF, rectWkt, validateGpkg } from './fixture.ts';

const H = 96;
const W = 96;
const t = PLACED_GEOREF.geoTransform;
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-labels-'));
const run = join(dir, 'run');
const labelsFile = join(dir, 'work', 'labels.gpkg');
const samplesFile = join(dir, 'work', 'samples.gpkg');
let view: RunningView;
let token: string;

function send(path: string, opts: { method?: string; body?: unknown; token?: string | null; raw?: string } = {}): Promise<{ status: number; json: any }> {
  const { hostname, port } = new URL(view.url);
  const body = opts.raw ?? (opts.body === undefined ? '' : JSON.stringify(opts.body));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  const tk = opts.token === undefined ? token : opts.token;
  if (tk !== null) headers['x-spinalnet-token'] = tk;
  return new Promise((ok, fail) => {
    const req = request({ host: hostname, port, path, method: opts.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { json = text; }
        ok({ status: res.statusCode!, json });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

beforeAll(async () => {
  await georeferencedRun(run);
  mkdirSync(join(dir, 'work'));
  await sampleRun(run, { size: 8, minPerClass: 1, seed: 1, out: samplesFile });
  view = await startView([run], { port: 0, host: '127.0.0.1', labels: labelsFile, reference: samplesFile });
  token = new URL(view.url).searchParams.get('token')!;
}, 120_000);
afterAll(async () => {
  await view?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasGdal)('labelling through the view server', () => {
  it('prints a loopback URL with a token, and creates the label file in the scene\'s CRS', () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    expect(existsSync(labelsFile)).toBe(true);
    const info = ogrFeatures(labelsFile, 'labels');
    expect(info).toEqual([]);
  });

  it('refuses writes without the token or with a wrong one (403), and the file stays as it was', async () => {
    const before = readFileSync(labelsFile);
    const shape = { kind: 'pixel', row: 1, col: 1 };
    expect((await send('/api/labels/label', { body: { shape, code: 1 }, token: null })).status).toBe(403);
    expect((await send('/api/labels/label', { body: { shape, code: 1 }, token: `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}` })).status).toBe(403);
    expect((await send('/api/labels/label', { body: { shape, code: 1 }, token: '' })).status).toBe(403);
    expect((await send('/api/reference/point', { body: { fid: 1, reference: 'Scrub' }, token: null })).status).toBe(403);
    // A form post from another site cannot set the header either: text/plain, no token.
    expect((await send('/api/labels/undo', { raw: 'x', token: null })).status).toBe(403);
    expect(readFileSync(labelsFile).equals(before)).toBe(true);
    // Reading needs no token.
    expect((await send('/api/labels', { method: 'GET', token: null })).status).toBe(200);
  });

  it('writes a pixel and a rectangle at their coordinates in the scene\'s CRS; GDAL burns back exactly those pixels', async () => {
    const a = await send('/api/labels/label', { body: { shape: { kind: 'pixel', row: 10, col: 20 }, code: 1 } });
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    const b = await send('/api/labels/label', { body: { shape: { kind: 'rect', row0: 32, col0: 45, row1: 30, col1: 40 }, code: 13 } });
    expect(b.status, JSON.stringify(b.json)).toBe(200);
    expect(b.json.counts).toEqual({ 1: { features: 1, pixels: 1 }, 13: { features: 1, pixels: 18 } });
    const features = ogrFeatures(labelsFile, 'labels');
    expect(features.map((f) => [f.fields.landcover, f.fields.code, f.wkt])).toEqual([
      ['Scrub', 1, rectWkt(10, 20, 10, 20)],
      ['Water', 13, rectWkt(30, 40, 32, 45)],
    ]);
    const burned = gdalBurn(labelsFile, 'labels', 'code', H, W, t);
    const expected = new Array<number>(H * W).fill(0);
    expected[10 * W + 20] = 1;
    for (let r = 30; r <= 32; r++) for (let c = 40; c <= 45; c++) expected[r * W + c] = 13;
    expect(burned).toEqual(expected);
  });

  it('is read back by --train-vector (readVectorReference) with the labelled pixels and classes', async () => {
    // A polygon, a new class, and a relabelled pixel inside the rectangle (which leaves a hole in it).
    const road = await send('/api/labels/class', { body: { name: 'Road', color: '#ff8800' } });
    expect(road.status).toBe(200);
    const code = road.json.classes.find((c: { name: string }) => c.name === 'Road').code;
    expect(code).toBe(14);
    const poly = await send('/api/labels/label', { body: { shape: { kind: 'polygon', points: [[60.2, 60.1], [66.9, 60.4], [60.5, 66.8]] }, code } });
    expect(poly.status, JSON.stringify(poly.json)).toBe(200);
    expect((await send('/api/labels/label', { body: { shape: { kind: 'pixel', row: 31, col: 42 }, code: 2 } })).status).toBe(200);
    const scene = makeDemoScene();
    const ref = await readVectorReference({ trainVector: labelsFile, classField: 'landcover' },
      { height: H, width: W, georef: PLACED_GEOREF, labels: scene.labels, classes: scene.classes });
    const got = new Map<number, number>();
    ref.trainMap.data.forEach((v, p) => { if (v) got.set(p, v); });
    const expected = new Map<number, number>([[10 * W + 20, 1]]);
    for (let r = 30; r <= 32; r++) for (let c = 40; c <= 45; c++) expected.set(r * W + c, 13);
    expected.set(31 * W + 42, 2);
    // The polygon: the pixel centres inside it, as gdal_rasterize decides (GDAL's own burn of the file).
    const burned = gdalBurn(labelsFile, 'labels', 'code', H, W, t);
    const polygonPixels = burned.flatMap((v, p) => (v === 14 ? [p] : []));
    expect(polygonPixels.length).toBeGreaterThan(10);
    for (const p of polygonPixels) {
      const r = Math.floor(p / W), c = p % W;
      // Every burned centre is inside the drawn triangle's bounding box.
      expect(r >= 60 && r <= 66 && c >= 60 && c <= 66).toBe(true);
    }
    const road14 = ref.classes.find((c) => c.name === 'Road')!;
    for (const p of polygonPixels) expected.set(p, road14.value);
    expect([...got].sort((x, y) => x[0] - y[0])).toEqual([...expected].sort((x, y) => x[0] - y[0]));
    expect(ref.warnings.join('\n')).toMatch(/the vectors have classes the label raster does not: 'Road'/);
    // The codes agree with the class values: --class-field code burns the same pixels with the same values.
    const byCode = await readVectorReference({ trainVector: labelsFile, classField: 'code' },
      { height: H, width: W, georef: PLACED_GEOREF, labels: scene.labels, classes: scene.classes });
    const named = new Map(ref.classes.map((c) => [c.value, c.name]));
    byCode.trainMap.data.forEach((v, p) => {
      const wanted = expected.get(p);
      if (wanted === undefined) expect(v).toBe(0);
      else if (named.get(wanted) !== 'Road') expect(v).toBe(wanted);
      else expect(v).toBe(14);
    });
  });

  it('undoes the last change in the file', async () => {
    const before = ogrFeatures(labelsFile, 'labels');
    expect((await send('/api/labels/label', { body: { shape: { kind: 'rect', row0: 0, col0: 0, row1: 2, col1: 2 }, code: 5 } })).status).toBe(200);
    expect(ogrFeatures(labelsFile, 'labels')).toHaveLength(before.length + 1);
    const undone = await send('/api/labels/undo', { body: {} });
    expect(undone.status).toBe(200);
    expect(ogrFeatures(labelsFile, 'labels')).toEqual(before);
  });

  it('lists where to label next (20 by default, no token needed), none on a pixel labelled or trained, and writes nothing', async () => {
    const before = fileSnapshot(dir);
    expect((await send('/api/session', { method: 'GET', token: null })).json.suggestions).toBe(true);
    const r = await send('/api/labels/suggestions', { method: 'GET', token: null });
    expect(r.status).toBe(200);
    expect(r.json.size).toBe(20);
    expect(r.json.suggestions).toHaveLength(20);
    expect(r.json.suggestions.map((s: { rank: number }) => s.rank)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const margins = r.json.suggestions.map((s: { margin: number }) => s.margin);
    expect(margins).toEqual([...margins].sort((a, b) => a - b));
    const labelled = new Set((await send('/api/labels', { method: 'GET', token: null })).json.features.flatMap((f: { pixels: number[] }) => f.pixels));
    expect(labelled.size).toBeGreaterThan(0);
    const { trained } = await readRunMap(run);
    for (const s of r.json.suggestions) {
      expect(labelled.has(s.row * W + s.col)).toBe(false);
      expect(trained[s.row * W + s.col]).toBe(0);
    }
    expect(fileSnapshot(dir)).toEqual(before);
    // A POST to it is not a route.
    expect((await send('/api/labels/suggestions', { body: {} })).status).toBe(404);
  });

  it('says so when every pixel is labelled, and lists nothing with --suggest 0', async () => {
    const full = await startView([run], { port: 0, host: '127.0.0.1', labels: join(dir, 'work', 'all.gpkg'), suggest: 3 });
    const none = await startView([run], { port: 0, host: '127.0.0.1', labels: join(dir, 'work', 'no-list.gpkg'), suggest: 0 });
    try {
      const tk = new URL(full.url).searchParams.get('token')!;
      const all = await fetch(new URL('/api/labels/label', full.url), { method: 'POST', headers: { 'x-spinalnet-token': tk }, body: JSON.stringify({ shape: { kind: 'rect', row0: 0, col0: 0, row1: H - 1, col1: W - 1 }, code: 1 }) });
      expect(all.status).toBe(200);
      const r = await fetch(new URL('/api/labels/suggestions', full.url));
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ error: 'every pixel of the map is already labelled', fix: 'there is nothing left to suggest' });
      expect((await (await fetch(new URL('/api/session', none.url))).json()).suggestions).toBe(false);
      expect((await fetch(new URL('/api/labels/suggestions', none.url))).status).toBe(404);
    } finally {
      await full.close();
      await none.close();
    }
  });

  it('writes only its one label file: a request naming another path changes nothing else', async () => {
    const before = fileSnapshot(dir);
    const other = join(dir, 'work', 'other.gpkg');
    const r = await send('/api/labels/label?file=../other.gpkg', { body: { shape: { kind: 'pixel', row: 5, col: 5 }, code: 1, file: other, path: other } });
    expect(r.status).toBe(200);
    expect((await send(`/api/labels/label/${encodeURIComponent(other)}`, { body: { shape: { kind: 'pixel', row: 6, col: 6 }, code: 1 } })).status).toBe(404);
    expect((await send('/files/0/run.json', { body: {} })).status).toBe(405);
    expect((await send('/api/run/0/scene', { body: {} })).status).toBe(405);
    const after = fileSnapshot(dir);
    expect(existsSync(other)).toBe(false);
    const changed = Object.keys(after).filter((f) => after[f] !== before[f]);
    expect(changed).toEqual([labelsFile]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });

  it('answers a bad shape or class with a 400 that says what to do', async () => {
    const off = await send('/api/labels/label', { body: { shape: { kind: 'pixel', row: 96, col: 0 }, code: 1 } });
    expect(off.status).toBe(400);
    expect(off.json.error).toMatch(/row: expected an integer 0\.\.95/);
    const noClass = await send('/api/labels/label', { body: { shape: { kind: 'pixel', row: 1, col: 1 }, code: 99 } });
    expect(noClass.status).toBe(400);
    expect(noClass.json.fix).toMatch(/add a class/);
    const sliver = await send('/api/labels/label', { body: { shape: { kind: 'polygon', points: [[1.1, 1.1], [1.2, 1.1], [1.1, 1.2]] }, code: 1 } });
    expect(sliver.status).toBe(400);
    expect(sliver.json.error).toMatch(/covers no pixel centre/);
  });

  it('leaves a valid file with both tabs\' changes when two write at once', async () => {
    const before = ogrFeatures(labelsFile, 'labels').length;
    // Two "tabs", ten labels each, sent together; and two sample answers at the same time.
    const tabA = Array.from({ length: 10 }, (_, i) => send('/api/labels/label', { body: { shape: { kind: 'pixel', row: 80, col: i }, code: 3 } }));
    const tabB = Array.from({ length: 10 }, (_, i) => send('/api/labels/label', { body: { shape: { kind: 'pixel', row: 85, col: i }, code: 8 } }));
    const answers = [send('/api/reference/point', { body: { fid: 1, reference: 'Scrub' } }), send('/api/reference/point', { body: { fid: 2, reference: "can't tell" } })];
    const results = await Promise.all([...tabA, ...tabB, ...answers]);
    expect(results.map((r) => r.status)).toEqual(new Array(22).fill(200));
    const features = ogrFeatures(labelsFile, 'labels');
    expect(features).toHaveLength(before + 20);
    for (let i = 0; i < 10; i++) {
      expect(features.some((f) => f.fields.code === 3 && f.wkt === rectWkt(80, i, 80, i))).toBe(true);
      expect(features.some((f) => f.fields.code === 8 && f.wkt === rectWkt(85, i, 85, i))).toBe(true);
    }
    const samples = ogrFeatures(samplesFile, 'samples');
    expect(samples.find((f) => f.fid === 1)!.fields.reference).toBe('Scrub');
    expect(samples.find((f) => f.fid === 2)!.fields.reference).toBe("can't tell");
    expect(samples.slice(2).every((f) => f.fields.reference === null)).toBe(true);
    // No temporary file is left beside the label file.
    expect(readdirSync(join(dir, 'work')).filter((f) => f.startsWith('.'))).toEqual([]);
    // Both files conform to the GeoPackage standard by GDAL's own validator (what QGIS opens).
    if (GPKG_VALIDATOR) for (const f of [labelsFile, samplesFile]) expect(validateGpkg(f), f).toEqual({ status: 0, output: '' });
  });

  it('refuses a label or sample file it cannot use before serving, with exit 2 and a fix', async () => {
    // A `predict` folder (only its run.json is read before the refusal).
    const predicted = join(dir, 'work', 'predicted');
    mkdirSync(predicted);
    writeFileSync(join(predicted, 'run.json'), JSON.stringify({ command: 'predict', status: 'done' }));
    const copy = join(dir, 'work', 'gdal-copy.gpkg');
    // GDAL's own copy has an R-tree spatial index, whose triggers sql.js cannot run.
    execFileSync('ogr2ogr', ['-f', 'GPKG', copy, labelsFile, 'labels']);
    const cases: [string[], RegExp][] = [
      [[run, '--labels', join(dir, 'missing', 'labels.gpkg')], /missing: is not a folder/],
      [[run, '--labels', join(dir, 'work', 'labels.txt')], /--labels: expected a GeoPackage path ending in \.gpkg/],
      [[run, '--labels', samplesFile], /has no layer 'labels' \(its layers: samples\)/],
      [[run, '--labels', copy], /has a spatial index or triggers[\s\S]*SPATIAL_INDEX=NO/],
      [[run, '--reference', labelsFile], /has no layer 'samples' \(its layers: labels\)/],
      [[run, '--reference', join(dir, 'work', 'none.gpkg')], /does not exist[\s\S]*spinalnet sample/],
      [[run, '--labels', labelsFile, '--reference', labelsFile], /--labels: expected a file other than --reference/],
      [[run, run, '--labels', labelsFile], /--labels: expected one scene run folder/],
      [[run, '--suggest', '5'], /--suggest: expected a label file to go with it \(--labels FILE\.gpkg\)/],
      [[run, '--labels', labelsFile, '--suggest=-1'], /--suggest: expected an integer ≥ 0, got -1/],
      [[predicted, '--labels', labelsFile, '--suggest', '5'], /--suggest: expected a `spinalnet run` folder \(its model and training pixels\)[\s\S]*view the run that trained the model/],
    ];
    for (const [args, message] of cases) {
      const err: string[] = [];
      const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => err.push(String(c)) > 0);
      let status: number;
      try {
        status = await main(['view', ...args]);
      } finally {
        e.mockRestore();
      }
      expect(status, args.join(' ')).toBe(2);
      expect(err.join(''), args.join(' ')).toMatch(message);
    }
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect(existsSync(join(dir, 'work', 'labels.txt'))).toBe(false);
  });

  it('opens an existing label file again with its features and classes', async () => {
    const before = (await send('/api/labels', { method: 'GET' })).json;
    const again = await startView([run], { port: 0, host: '127.0.0.1', labels: labelsFile });
    try {
      const r = await fetch(new URL('/api/labels', again.url));
      const state = await r.json();
      expect(state.features).toEqual(before.features);
      expect(state.classes.find((c: { name: string }) => c.name === 'Road')).toEqual({ code: 14, name: 'Road', color: [255, 136, 0] });
      expect(new URL(again.url).searchParams.get('token')).not.toBe(token);
    } finally {
      await again.close();
    }
  });
});
