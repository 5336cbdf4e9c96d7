/** Real run folders for the viewer tests: short seeded runs through the installed command. */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startView } from '../../src/view/startView.ts';
import { writeSolidPng } from '../images/fixtures.ts';

const root = join(__dirname, '..', '..');

async function cli(args: string[]): Promise<void> {
  await promisify(execFile)(process.execPath, [join(root, 'bin', 'spinalnet.js'), ...args], { cwd: root });
}

/** A `spinalnet run` on the built-in 96×96 demo scene: spectral model, 3 epochs, pure-JS backend. */
export async function demoRun(out: string, seed = 1, model = 'spinal-mlp'): Promise<void> {
  await cli(['run', '--demo', '--model', model, '--epochs', '3', '--seed', String(seed), '--backend', 'cpu', '--training', 'tfjs', '--predict-workers', '0', '--out', out]);
}

/** A `spinalnet image` run on a PNG folder of two classes of 16×16 images (dark and bright). */
export async function imageRun(dir: string, out: string): Promise<void> {
  const data = join(dir, 'pngs');
  for (let i = 0; i < 8; i++) {
    writeSolidPng(join(data, 'dark', `${i}.png`), 16, 16, [20 + i, 20, 20]);
    writeSolidPng(join(data, 'bright', `${i}.png`), 16, 16, [220 - i, 220, 220]);
  }
  await cli(['image', '--dataset', 'folder', '--data-dir', data, '--model', 'fc-mnist', '--epochs', '1', '--batch-size', '4', '--seed', '1', '--backend', 'cpu', '--out', out]);
}

/** Whether Debian's python3 with GDAL is there to write GeoTIFFs the way other tools do. */
export const hasGdal = spawnSync('/usr/bin/python3', ['-c', 'from osgeo import gdal'], { encoding: 'utf8' }).status === 0;

/** Writes a 96×96 float32 confidence.tif with GDAL: pixel (r, c) holds (r·96 + c) / 9216, every value distinct. */
export function writeConfidenceTif(path: string): void {
  const script = `from osgeo import gdal\nimport numpy as np\nd = gdal.GetDriverByName('GTiff').Create('${path}', 96, 96, 1, gdal.GDT_Float32)\nd.GetRasterBand(1).WriteArray((np.arange(96 * 96, dtype=np.float32) / 9216).reshape(96, 96))\nd = None`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`GDAL could not write ${path}: ${r.stderr}`);
}

/** Serves `dirs` on a free loopback port for the length of `fn`, then stops. */
export async function withView<T>(dirs: string[], fn: (url: string) => Promise<T>): Promise<T> {
  const view = await startView(dirs, { port: 0, host: '127.0.0.1' });
  try {
    return await fn(view.url);
  } finally {
    await view.close();
  }
}

/** The UTM grid the georeferenced fixture run is placed on: 18 m pixels, top-left corner (440720, 3751320), EPSG:32617. */
export const PLACED_GEOREF = { geoTransform: [440720, 18, 0, 3751320, 0, -18] as [number, number, number, number, number, number], epsg: 32617 };

/**
 * A `spinalnet run` of the 96×96 demo scene placed on PLACED_GEOREF (library only: the CLI has no flag to
 * place the demo), 1 epoch; a few seconds. Call it before any server loads a model in this process: a
 * pipeline ends with tf.disposeVariables().
 */
export async function georeferencedRun(out: string): Promise<void> {
  const { DEFAULTS } = await import('../../src/pipeline/config.ts');
  const { runPipeline } = await import('../../src/pipeline/runPipeline.ts');
  await runPipeline({
    ...DEFAULTS, input: { kind: 'demo', georef: PLACED_GEOREF },
    model: 'spinal-mlp', pca: 6, epochs: 1, trainFraction: 0.1, seed: 3, backend: 'cpu', training: 'tfjs', predictWorkers: 0, out,
  });
}

/** `spinalnet sample` through the installed command: a stratified sample of the run's map as a GeoPackage. */
export async function sampleCli(run: string, out: string, size: number, minPerClass = 1): Promise<void> {
  await cli(['sample', run, '--size', String(size), '--min-per-class', String(minPerClass), '--seed', '1', '--out', out]);
}

/** Reads a GeoPackage layer with GDAL's own Python bindings: per feature its fid, fields and geometry as WKT. */
export function ogrFeatures(path: string, layer: string): { fid: number; fields: Record<string, string | number | null>; wkt: string | null }[] {
  const script = `import json, sys
from osgeo import ogr
ds = ogr.Open(sys.argv[1])
lyr = ds.GetLayerByName(sys.argv[2])
out = []
for f in lyr:
    g = f.GetGeometryRef()
    out.append({'fid': f.GetFID(), 'fields': {k: f.GetField(k) for k in f.keys()}, 'wkt': g.ExportToWkt() if g else None})
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, path, layer], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`GDAL could not read ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Burns a GeoPackage layer onto a grid with GDAL (gdal.Rasterize, the default rule, attribute `field`): row-major values. */
export function gdalBurn(path: string, layer: string, field: string, height: number, width: number, geoTransform: readonly number[]): number[] {
  const script = `import json, sys
from osgeo import gdal
d = gdal.GetDriverByName('MEM').Create('', ${width}, ${height}, 1, gdal.GDT_Int32)
d.SetGeoTransform(${JSON.stringify(geoTransform)})
gdal.Rasterize(d, sys.argv[1], layers=[sys.argv[2]], attribute=sys.argv[3])
print(json.dumps(d.GetRasterBand(1).ReadAsArray().ravel().tolist()))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, path, layer, field], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`GDAL could not burn ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** GDAL's GeoPackage validator (osgeo_utils' validate_gpkg.py), when installed: what it reports, empty when the file conforms. */
export const GPKG_VALIDATOR = ['/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py', '/usr/share/doc/python3-gdal/examples/validate_gpkg.py'].find((f) => existsSync(f));
export function validateGpkg(path: string): { status: number | null; output: string } {
  const r = spawnSync('/usr/bin/python3', [GPKG_VALIDATOR!, path], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** Debian's Chromium, which the browser tests drive through playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** A headless Chromium with a fresh profile, quiet (no network chatter), at the size the screenshots use. */
export function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'spinalnet-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
}

/**
 * A new page at `url`, once the viewer has set body[data-ready] ('1' is required, not 'error'); the page's
 * console errors and uncaught exceptions are pushed onto `errors` for the test to check.
 */
export async function openReadyPage(context: BrowserContext, url: string, errors: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready !== undefined, undefined, { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.ready)).toBe('1');
    return page;
  }

/** The WKT GDAL gives the outline of rows r0..r1, columns c0..c1 of the PLACED_GEOREF grid (a rectangle of whole pixels), counter-clockwise from its top-left corner. */
export function rectWkt(r0: number, c0: number, r1: number, c1: number): string {
  const t = PLACED_GEOREF.geoTransform;
  const x0 = t[0] + c0 * t[1], x1 = t[0] + (c1 + 1) * t[1];
  const y0 = t[3] + r0 * t[5], y1 = t[3] + (r1 + 1) * t[5];
  return `MULTIPOLYGON (((${x0} ${y0},${x0} ${y1},${x1} ${y1},${x1} ${y0},${x0} ${y0})))`;
}

/** Every file under `d` with its size and modification time: what "nothing (else) was written" compares. */
export function fileSnapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    for (const f of readdirSync(p)) {
      const q = join(p, f);
      const s = statSync(q);
      if (s.isDirectory()) walk(q);
      else out[q] = `${s.size}:${s.mtimeMs}`;
    }
  };
  walk(d);
  return out;
}
