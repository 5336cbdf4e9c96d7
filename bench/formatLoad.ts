/**
 * Scene loading speed against GDAL: a KSC-sized cube (512×614×176 int16, smooth spectra plus noise, like
 * ../shared/tools/make_ksc_shaped.py) written by GDAL as ENVI BIL and as a tiled deflate GeoTIFF, read
 * whole by our reader (openRaster + readRows into BIP float32, what loadScene does before its value
 * checks) and by GDAL's ReadAsArray through Debian's python3-gdal, interleaved rep by rep, each side
 * warmed up first. Targets: ENVI ≤ 1.5× and GeoTIFF ≤ 2× GDAL's time. A benchmark: nothing asserts a time.
 *
 *   node --import tsx bench/formatLoad.ts [--repeats 3] [--dir DIR]     (also the last section of `npm run bench`)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { openRaster } from '../src/io/raster/openRaster.ts';

const PYTHON = '/usr/bin/python3';

const WRITE = String.raw`
import sys, numpy as np
from osgeo import gdal
out = sys.argv[1]
H, W, B = 512, 614, 176
rng = np.random.default_rng(0)
wl = np.linspace(0, 1, B)
spec = np.array([200 + 800 * np.abs(np.sin(3 * wl * (k + 1) / 14 + k)) for k in range(14)])
cls = (np.add.outer(np.arange(H) // 40, np.arange(W) // 50) % 14)
cube = (spec[cls] * (1 + 0.05 * rng.standard_normal((H, W, 1))) + 20 * rng.standard_normal((H, W, B))).astype(np.int16)
for path, drv, opts in ((f'{out}/ksc_bil.img', 'ENVI', ['INTERLEAVE=BIL']), (f'{out}/ksc_tiled_deflate.tif', 'GTiff', ['TILED=YES', 'COMPRESS=DEFLATE'])):
    d = gdal.GetDriverByName(drv).Create(path, W, H, B, gdal.GDT_Int16, opts)
    for b in range(B): d.GetRasterBand(b + 1).WriteArray(cube[:, :, b])
    d = None
`;

/** One GDAL read, timed after one warm-up read in the same process (file cache and GDAL's own setup warm). */
const READ = String.raw`
import sys, time
from osgeo import gdal
gdal.SetCacheMax(0)
def read(): return gdal.Open(sys.argv[1]).ReadAsArray()
read()
t, c = time.perf_counter(), time.process_time(); a = read(); print(time.perf_counter() - t, time.process_time() - c, a.dtype, a.shape)
`;

export interface FormatLoadRow {
  readonly format: string;
  readonly file: string;
  /** Wall-clock and CPU seconds per rep. */
  readonly ours: Timing[];
  readonly gdal: Timing[];
}

interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

export function gdalMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent`;
  const r = spawnSync(PYTHON, ['-c', 'from osgeo import gdal; import numpy'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} lacks GDAL's Python bindings (apt-get install python3-gdal)`;
}

async function ours(path: string): Promise<Timing> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const source = await openRaster(path);
  const d = source.describe();
  await source.readRows(0, d.height, new Float32Array(d.height * d.width * d.bands));
  source.close();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

function gdal(path: string): Timing {
  const r = spawnSync(PYTHON, ['-c', READ, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`GDAL read failed: ${r.stderr}`);
  const [wall, cpu] = r.stdout.split(' ').map(Number);
  return { wall, cpu };
}

export async function benchFormatLoad(repeats = 3, dir = join(tmpdir(), 'spinalnet-bench-formats')): Promise<FormatLoadRow[]> {
  mkdirSync(dir, { recursive: true });
  const files = [['ENVI BIL int16', join(dir, 'ksc_bil.img')], ['GeoTIFF tiled deflate int16', join(dir, 'ksc_tiled_deflate.tif')]] as const;
  if (!files.every(([, f]) => existsSync(f))) {
    const r = spawnSync(PYTHON, ['-c', WRITE, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`writing the bench scene failed: ${r.stderr}`);
  }
  const rows = files.map(([format, file]) => ({ format, file, ours: [] as Timing[], gdal: [] as Timing[] }));
  for (const row of rows) await ours(row.file); // warm-up: file cache, decoders, JIT
  for (let i = 0; i < repeats; i++) {
    for (const row of rows) {
      row.ours.push(await ours(row.file));
      row.gdal.push(gdal(row.file));
    }
  }
  return rows;
}

export function formatLoadTable(rows: readonly FormatLoadRow[]): string[] {
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const target: Record<string, string> = { 'ENVI BIL int16': '≤ 1.5×', 'GeoTIFF tiled deflate int16': '≤ 2×' };
  const out = ['Loading a KSC-sized cube (512×614×176 int16) whole: ours (BIP float32) against GDAL ReadAsArray (band-sequential int16), medians of interleaved reps:'];
  const table = [['file', 'ours wall', 'GDAL wall', 'ratio', 'ours CPU', 'GDAL CPU', 'ratio', 'target'], ...rows.map((r) => {
    const [ow, gw, oc, gc] = [median(r.ours.map((t) => t.wall)), median(r.gdal.map((t) => t.wall)), median(r.ours.map((t) => t.cpu)), median(r.gdal.map((t) => t.cpu))];
    return [r.format, `${ow.toFixed(3)} s`, `${gw.toFixed(3)} s`, `${(ow / gw).toFixed(2)}×`, `${oc.toFixed(3)} s`, `${gc.toFixed(3)} s`, `${(oc / gc).toFixed(2)}×`, target[r.format] ?? ''];
  })];
  const w = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  out.push(...table.map((row) => row.map((cell, c) => cell.padEnd(w[c])).join('  ').trimEnd()));
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repeats: { type: 'string', default: '3' }, dir: { type: 'string' } } });
  const missing = gdalMissing();
  if (missing !== undefined) {
    console.log(`format load bench skipped: ${missing}`);
    return;
  }
  console.log(formatLoadTable(await benchFormatLoad(Number(values.repeats), values.dir)).join('\n'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
