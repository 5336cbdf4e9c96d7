/**
 * `spinalnet view`'s server over real HTTP on real run folders: what it answers agrees with the run's
 * files and the saved model, it refuses paths out of the folders and bad parameters, and it writes
 * nothing. report.html is checked here too (self-contained, the same evidence).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { makeDemoScene } from '../../src/scene/demoScene.ts';
import { startView, type RunningView } from '../../src/view/startView.ts';
import { demoRun, fileSnapshot, hasGdal, imageRun, withView, writeConfidenceTif } from './fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-view-'));
const runDir = join(dir, 'run');
const imageDir = join(dir, 'image');
let view: RunningView;

/** A raw GET: the path is sent exactly as given (no URL normalisation, unlike fetch). */
function get(path: string, method = 'GET', hostHeader?: string): Promise<{ status: number; body: Buffer; type?: string }> {
  const { hostname, port } = new URL(view.url);
  return new Promise((ok, fail) => {
    const req = request({ host: hostname, port, path, method, headers: hostHeader ? { host: hostHeader } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks), type: res.headers['content-type'] }));
    });
    req.on('error', fail);
    req.end();
  });
}
const json = async (path: string) => {
  const r = await get(path);
  expect(r.status, `${path}: ${r.body.toString()}`).toBe(200);
  return JSON.parse(r.body.toString());
};

let before: Record<string, string>;
beforeAll(async () => {
  await Promise.all([demoRun(runDir), imageRun(dir, imageDir)]);
  // A file beside the run folder and a symlink inside pointing at it: must not be served.
  writeFileSync(join(dir, 'secret.txt'), 'not for the page');
  symlinkSync(join(dir, 'secret.txt'), join(runDir, 'link.txt'));
  before = fileSnapshot(dir);
  view = await startView([runDir], { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => view?.close());

describe('spinalnet view server', () => {
  it('listens on loopback on a free port', () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the page, its modules and uPlot from node_modules', async () => {
    for (const [path, type] of [['/', /html/], ['/page/app.js', /javascript/], ['/page/map.js', /javascript/], ['/vendor/uPlot.esm.js', /javascript/], ['/vendor/uPlot.min.css', /css/]] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.type, path).toMatch(type);
    }
  });

  it("answers a pixel with the run's own truth and prediction, and the saved model's probabilities", async () => {
    const scene = makeDemoScene();
    const summary = await json('/api/run/0/scene');
    expect([summary.height, summary.width, summary.bands]).toEqual([96, 96, 48]);
    const values: number[] = summary.classes.map((c: { value: number }) => c.value);
    const prediction = readMatNumeric(join(runDir, 'prediction.mat'), 'prediction');
    // A labelled pixel and an unlabelled one.
    const labelled = scene.labels!.data.findIndex((v) => v !== 0);
    const unlabelled = scene.labels!.data.findIndex((v) => v === 0);
    for (const p of [labelled, unlabelled]) {
      const row = Math.floor(p / 96);
      const col = p % 96;
      const px = await json(`/api/run/0/pixel?row=${row}&col=${col}`);
      expect(px.truth).toBe(scene.labels!.data[p] === 0 ? -1 : values.indexOf(scene.labels!.data[p]!));
      expect(values[px.predicted]).toBe(Number(prediction.data[col * 96 + row]));
      const sum = px.probabilities.reduce((a: number, b: number) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      // The model recomputed for one patch agrees with the map the run wrote.
      expect(px.top[0].class).toBe(px.predicted);
      expect(px.top).toHaveLength(3);
      expect(px.spectrum).toEqual(Array.from(scene.cube.data.subarray(p * 48, p * 48 + 48)));
    }
  });

  it('gives the maps as bytes that match the label map and split.mat', async () => {
    const r = await get('/api/run/0/maps');
    expect(r.body.length).toBe(3 * 96 * 96);
    const split = readMatNumeric(join(runDir, 'split.mat'), 'split');
    const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
    let test = 0;
    let right = 0;
    for (let p = 0; p < 96 * 96; p++) {
      const role = r.body[2 * 96 * 96 + p]!;
      expect(role).toBe(Number(split.data[(p % 96) * 96 + Math.floor(p / 96)]));
      if (role === 3) {
        test++;
        if (r.body[p] === r.body[96 * 96 + p]) right++;
      }
    }
    expect(test).toBe(metrics.testPixels);
    expect(right / test).toBeCloseTo(metrics.overallAccuracy, 12);
  });

  it("computes a class's spectrum statistics from its labelled pixels", async () => {
    const scene = makeDemoScene();
    const s = await json('/api/run/0/class/0/spectrum');
    const value = scene.classes[0]!.value;
    let sum = 0;
    let n = 0;
    scene.labels!.data.forEach((v, p) => {
      if (v === value) {
        sum += scene.cube.data[p * 48 + 5]!;
        n++;
      }
    });
    expect(s.pixels).toBe(n);
    expect(s.mean[5]).toBeCloseTo(sum / n, 5);
    for (let b = 0; b < 48; b++) expect(s.q25[b]).toBeLessThanOrEqual(s.q75[b]);
  });

  it('serves the run folder files and the evidence', async () => {
    const png = await get('/files/0/overview.png');
    expect(png.status).toBe(200);
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    expect((await get('/files/0/model/spinalnet.json')).status).toBe(200);
    const ev = (await get('/api/run/0/evidence.html')).body.toString();
    expect(ev).toMatch(/data-t="0" data-p="0"/);
    expect(ev).toMatch(/Wilson/);
    // The run wrote confidence.tif: the server reads it (geotiff), and it holds the saved model's top probability.
    const conf = new Float32Array(new Uint8Array((await get('/api/run/0/confidence')).body).buffer);
    expect(conf).toHaveLength(96 * 96);
    const scene = makeDemoScene();
    const labelled = scene.labels!.data.findIndex((v) => v !== 0);
    const px = await json(`/api/run/0/pixel?row=${Math.floor(labelled / 96)}&col=${labelled % 96}`);
    expect(conf[labelled]).toBeCloseTo(px.top[0].probability, 4);
    // The maps cover the whole scene: an unlabelled pixel has its confidence too.
    const unlabelled = conf[scene.labels!.data.findIndex((v) => v === 0)]!;
    expect(unlabelled).toBeGreaterThan(0);
    expect(unlabelled).toBeLessThanOrEqual(1);
  });

  it('refuses traversal, absolute paths, encoded variants, dot-files and symlinks out of the folder with 404', async () => {
    const attempts = [
      '/files/0/../secret.txt', '/files/0/..%2fsecret.txt', '/files/0/%2e%2e/secret.txt', '/files/0/%2E%2E%2Fsecret.txt',
      '/files/0/%252e%252e/secret.txt', '/files/0//etc/passwd', '/files/0/%2fetc%2fpasswd', '/files/0/link.txt',
      '/files/0/..\\secret.txt', '/files/0/model/../../secret.txt', '/files/0/.partial', '/files/0/nothing.png',
      '/files/0/%00', '/files/0/%', '/files/1/run.json', '/page/../../../package.json', '/page/%2e%2e/server.ts',
      '/vendor/../package.json', '/api/run/7/scene', '/etc/passwd',
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.toString(), path).not.toMatch(/not for the page|root:/);
    }
  });

  it('answers bad parameters with 400 and keeps serving', async () => {
    for (const q of ['row=-1&col=0', 'row=96&col=0', 'row=0&col=96', 'row=a&col=1', 'row=1.5&col=1', 'row=&col=1', 'col=1', 'row=1e3&col=1', 'row=99999999999&col=0']) {
      expect((await get(`/api/run/0/pixel?${q}`)).status, q).toBe(400);
    }
    expect((await get('/api/run/0/class/99/spectrum')).status).toBe(400);
    expect((await get('/api/run/0/pixel?row=1&col=1', 'POST')).status).toBe(405);
    expect((await get('/api/run/0/pixel?row=1&col=1')).status).toBe(200);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { port } = new URL(view.url);
    expect((await get('/api/runs', 'GET', `evil.example:${port}`)).status).toBe(403);
    expect((await get('/files/0/run.json', 'GET', `127.0.0.1.nip.io:${port}`)).status).toBe(403);
    expect((await get('/api/runs', 'GET', `localhost:${port}`)).status).toBe(200);
  });

  it('has written nothing to disk', () => {
    expect(fileSnapshot(dir)).toEqual(before);
  });
});

describe('spinalnet view: an image-dataset run', () => {
  it('shows its evidence and says it has no scene', async () => {
    await withView([imageDir], async (url) => {
      const runs = await (await fetch(`${url}api/runs`)).json();
      expect(runs[0]).toMatchObject({ kind: 'image', hasScene: false });
      expect(runs[0].files).toEqual(expect.arrayContaining(['misclassified.png', 'confusion-matrix.png', 'report.html']));
      expect((await fetch(`${url}api/run/0/evidence.html`)).status).toBe(200);
      expect((await fetch(`${url}api/run/0/scene`)).status).toBe(404);
    });
  });
});

if (!hasGdal) console.warn('skipping the confidence.tif test: /usr/bin/python3 with GDAL is absent (apt-get install python3-gdal)');

describe('spinalnet view: confidence.tif', () => {
  it('is not offered when the run folder has none', async () => {
    const bare = join(dir, 'without-confidence');
    cpSync(runDir, bare, { recursive: true, verbatimSymlinks: true });
    rmSync(join(bare, 'confidence.tif'));
    await withView([bare], async (url) => {
      const runs = await (await fetch(`${url}api/runs`)).json();
      expect(runs[0].files).not.toContain('confidence.tif');
      expect((await fetch(`${url}api/run/0/confidence`)).status).toBe(404);
    });
  });

  it.skipIf(!hasGdal)('serves the band GDAL wrote, pixel for pixel', async () => {
    const confDir = join(dir, 'with-confidence');
    cpSync(runDir, confDir, { recursive: true, verbatimSymlinks: true });
    writeConfidenceTif(join(confDir, 'confidence.tif'));
    await withView([confDir], async (url) => {
      const runs = await (await fetch(`${url}api/runs`)).json();
      expect(runs[0].files).toContain('confidence.tif');
      const bytes = await (await fetch(`${url}api/run/0/confidence`)).arrayBuffer();
      const conf = new Float32Array(bytes);
      expect(conf).toHaveLength(96 * 96);
      for (const p of [0, 1, 95, 96, 5000, 9215]) expect(conf[p]).toBeCloseTo(p / 9216, 6);
    });
  });
});

describe('report.html', () => {
  it('is in every run folder, self-contained (figures inline, nothing fetched), with the accuracy evidence', () => {
    for (const d of [runDir, imageDir]) {
      const html = readFileSync(join(d, 'report.html'), 'utf8');
      expect(html).toMatch(/<img class="figure" alt="[^"]+" src="data:image\/png;base64,/);
      expect(html).not.toMatch(/(src|href)="(?!data:)/);
      expect(html).not.toMatch(/<script/);
      expect(html).toMatch(/producer&#39;s accuracy|producer's accuracy/);
      expect(html).toMatch(/quantity disagreement/);
    }
    expect(existsSync(join(runDir, 'false-color.png'))).toBe(true);
  });
});

describe('spinalnet view (the command)', () => {
  const bin = join(__dirname, '..', '..', 'bin', 'spinalnet.js');

  it('prints the URL, serves until Ctrl-C, then exits 0', async () => {
    const child = spawn(process.execPath, [bin, 'view', runDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((ok, fail) => {
      let text = '';
      child.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
        if (m) ok(m[0]);
      });
      child.on('exit', (code) => fail(new Error(`exited ${code} before printing a URL`)));
    });
    const runs = await (await fetch(`${url}api/runs`)).json();
    expect(runs[0].kind).toBe('run');
    const code = new Promise<number | null>((ok) => child.on('exit', ok));
    child.kill('SIGINT');
    expect(await code).toBe(0);
  }, 30_000);

  it('refuses what is not a finished run folder, and bad flags, with exit 2 and a fix', async () => {
    // In-process (each spawned command costs seconds of start-up): main() is what bin/spinalnet.js calls.
    const run = async (...args: string[]) => {
      const err: string[] = [];
      const out: string[] = [];
      const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => err.push(String(c)) > 0);
      const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => out.push(String(c)) > 0);
      try {
        return { status: await main(['view', ...args]), stderr: err.join(''), stdout: out.join('') };
      } finally {
        e.mockRestore();
        o.mockRestore();
      }
    };
    const cases: [string[], RegExp][] = [
      [[join(dir, 'nope')], /not a folder/],
      [[dir], /no run.json: not a spinalnet run folder/],
      [[], /one or two run folders/],
      [[runDir, runDir, runDir], /one or two run folders/],
      [[runDir, '--port', 'x'], /--port: expected a number/],
      [[runDir, '--port', '70000'], /--port: expected a port/],
      [[runDir, imageDir], /one run maps a scene and the other an image dataset/],
      [[runDir, '--port', new URL(view.url).port], /--port: expected a free port/],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).toMatch(/fix: /);
    }
    expect((await run('--help')).stdout).toMatch(/usage: spinalnet view RUN_DIR/);
  });

  it('warns when asked to listen beyond this machine', async () => {
    const child = spawn(process.execPath, [bin, 'view', runDir, '--host', '0.0.0.0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((ok) => child.stdout.once('data', () => ok()));
    expect(err).toMatch(/warning: serving on 0\.0\.0\.0/);
    const code = new Promise<number | null>((ok) => child.on('exit', ok));
    child.kill('SIGINT');
    expect(await code).toBe(0);
  }, 30_000);
});
