/**
 * The mapper's loop on the real SalinasA scene, with GDAL as the independent writer and reader:
 * polygons digitised from the labels (gdal_polygonize.py, reprojected to EPSG:4326 by ogr2ogr) →
 * `run --train-vector` trains on exactly the pixels gdal_rasterize burns and maps the whole scene →
 * `sample` draws points → the test labels them from the ground truth, as a person would in QGIS (an
 * SQL UPDATE of the GeoPackage's `reference` field) → `assess` gives the numbers of an independent
 * implementation of the estimator (Olofsson et al. 2014's closed forms, written here) → `suggest` points
 * to label next → labelled from the ground truth, they train a run started from the first one's weights.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { gdal, gdalMissing, gdalRasterize, gdalValues } from '../io/vector/vectorFixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHARED = join(ROOT, '..', 'shared');
const missing = gdalMissing ?? (existsSync(join(SHARED, 'data/salinasA/SalinasA_gt.mat')) ? undefined : `${SHARED}/data/salinasA is absent`);
if (missing) console.warn(`skipping the mapper's loop on SalinasA: ${missing}`);

/** The CLI in a child process, awaited (a synchronous spawn would stall the test worker for the whole run). */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/spinalnet.js'), ...args], { encoding: 'utf8', timeout: 600_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(missing)("the mapper's loop on SalinasA: polygons in, sample, labels, accuracy and area out", () => {
  let dir: string;
  let run: string;
  const grid = { height: 83, width: 86 };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-mapper-'));
    execFileSync('/usr/bin/python3', [join(SHARED, 'tools/write_scene_formats.py'), join(SHARED, 'data/salinasA/SalinasA_corrected.mat'), 'salinasA_corrected',
      join(SHARED, 'data/salinasA/SalinasA_gt.mat'), 'salinasA_gt', dir], { stdio: 'pipe' });
    // Training polygons: the labels on a checkerboard of 12-pixel squares (every class keeps some),
    // polygonized by GDAL and reprojected to another CRS than the scene's.
    execFileSync('/usr/bin/python3', ['-c', `
from osgeo import gdal
src = gdal.Open('${join(dir, 'gt.tif')}')
a = src.GetRasterBand(1).ReadAsArray()
for r in range(a.shape[0]):
    for c in range(a.shape[1]):
        if (r // 12 + c // 12) % 2: a[r, c] = 0
out = gdal.GetDriverByName('GTiff').CreateCopy('${join(dir, 'train.tif')}', src)
out.GetRasterBand(1).WriteArray(a)
out = None
`]);
    gdal('/usr/bin/python3', '/usr/bin/gdal_polygonize.py', '-q', join(dir, 'train.tif'), '-f', 'GPKG', join(dir, 'train_native.gpkg'), 'training', 'class');
    gdal('ogr2ogr', '-t_srs', 'EPSG:4326', join(dir, 'train.gpkg'), join(dir, 'train_native.gpkg'));
    run = join(dir, 'run');
    const r = await cli('run', '--cube', join(dir, 'geotiff_tiled_pixel_deflate.tif'), '--train-vector', join(dir, 'train.gpkg'), '--class-field', 'class',
      '--epochs', '3', '--out', run);
    if (r.status !== 0) throw new Error(`run failed: ${r.stderr}`);
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on exactly the pixels gdal_rasterize burns from the reprojected polygons, and maps every pixel', () => {
    const burned = gdalRasterize(join(dir, 'train.gpkg'), 'class', join(dir, 'gt.tif'), dir);
    const split = readMatNumeric(join(run, 'split.mat'), 'split');
    // split.mat is column-major H×W: 1 = training.
    const trained = new Int32Array(grid.height * grid.width);
    for (let c = 0; c < grid.width; c++) for (let r = 0; r < grid.height; r++) trained[r * grid.width + c] = Number(split.data[c * grid.height + r]) === 1 ? 1 : 0;
    const expected = Int32Array.from(burned, (v) => (v !== 0 ? 1 : 0));
    expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(Array.from(trained)).toEqual(Array.from(expected));
    // The GeoTIFF map holds a class for every pixel (SalinasA has no nodata).
    const map = gdalValues(join(run, 'classification-map.tif'), dir);
    expect(map.every((v) => v > 0)).toBe(true);
    const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(record.split.test).toBe(0);
  });

  it('samples the map, and assess from labels filled in the GeoPackage equals an independent estimator to 1e-9', async () => {
    const gpkg = join(dir, 'samples.gpkg');
    const s = await cli('sample', run, '--size', '160', '--min-per-class', '15', '--seed', '3', '--out', gpkg);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/160 points/);
    // ogrinfo sees the layer in the scene's CRS with the fields a person fills.
    const info = gdal('ogrinfo', '-so', gpkg, 'samples');
    expect(info).toMatch(/Feature Count: 160/);
    expect(info).toMatch(/ID\["EPSG",32617\]\]/);
    expect(info).toMatch(/reference: String/);

    // Label every point from the ground truth by its position, as a person would in QGIS.
    const gt = gdalValues(join(dir, 'gt.tif'), dir);
    const rows = readFileSync(join(dir, 'samples.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const t = JSON.parse(gdal('gdalinfo', '-json', join(dir, 'gt.tif'))).geoTransform as number[];
    const labels = rows.map((cells) => {
      const [x, y] = [Number(cells[5]), Number(cells[6])];
      const [col, row] = [Math.floor((x - t[0]!) / t[1]!), Math.floor((y - t[3]!) / t[5]!)];
      const v = gt[row * grid.width + col]!;
      return { id: Number(cells[0]), map: Number(cells[1]), row, col, reference: v === 0 ? "can't tell" : `class ${v}` };
    });
    const sql = labels.map((l) => `UPDATE samples SET reference = '${l.reference.replace(/'/g, "''")}' WHERE id = ${l.id};`).join('\n');
    execFileSync('/usr/bin/python3', ['-c', `import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\ndb.executescript(sys.argv[2])\ndb.commit()`, gpkg, sql]);

    const out = join(dir, 'assessment');
    const a = await cli('assess', run, '--reference', gpkg, '--out', out);
    expect(a.status, a.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'accuracy-area.json'), 'utf8'));

    // Independent: strata sizes from GDAL's read of the map, the labelled points from the CSV and the
    // ground truth, and Olofsson et al. (2014) eq. 4–10 (strata = map classes).
    const map = gdalValues(join(run, 'classification-map.tif'), dir);
    const classes = [...new Set(map)].sort((a, b) => a - b);
    const N = classes.map((k) => map.filter((v) => v === k).length);
    const total = N.reduce((a, b) => a + b, 0);
    const W = N.map((n) => n / total);
    const used = labels.filter((l) => l.reference !== "can't tell");
    const refValue = (l: { reference: string }) => Number(l.reference.replace('class ', ''));
    const refClasses = [...new Set([...classes, ...used.map(refValue)])].sort((a, b) => a - b);
    const n = classes.map((k) => used.filter((l) => l.map === k).length);
    const nij = classes.map((i) => refClasses.map((j) => used.filter((l) => l.map === i && refValue(l) === j).length));
    const p = nij.map((row, i) => row.map((c) => (W[i]! * c) / n[i]!));
    const oa = classes.reduce((acc, k, i) => acc + p[i]![refClasses.indexOf(k)]!, 0);
    const ua = classes.map((k, i) => nij[i]![refClasses.indexOf(k)]! / n[i]!);
    const varOa = classes.reduce((acc, _k, i) => acc + (W[i]! ** 2 * ua[i]! * (1 - ua[i]!)) / (n[i]! - 1), 0);
    expect(result.n).toBe(used.length);
    expect(result.skipped.cantTell).toBe(labels.length - used.length);
    expect(Math.abs(result.overallAccuracy.estimate - oa)).toBeLessThan(1e-9);
    expect(Math.abs(result.overallAccuracy.se - Math.sqrt(varOa))).toBeLessThan(1e-9);
    for (const j of refClasses) {
      const jj = refClasses.indexOf(j);
      const area = classes.reduce((acc, _k, i) => acc + p[i]![jj]!, 0);
      // eq. 10: SE of the estimated area proportion of class j.
      const varArea = classes.reduce((acc, _k, i) => {
        const pij = nij[i]![jj]! / n[i]!;
        return acc + (W[i]! ** 2 * pij * (1 - pij)) / (n[i]! - 1);
      }, 0);
      const c = result.classes.find((x: { value: number }) => x.value === j);
      expect(Math.abs(c.areaProportion.estimate - area), `area of class ${j}`).toBeLessThan(1e-9);
      expect(Math.abs(c.areaProportion.se - Math.sqrt(varArea)), `SE of area of class ${j}`).toBeLessThan(1e-9);
      const i = classes.indexOf(j);
      if (i >= 0) {
        expect(Math.abs(c.userAccuracy.estimate - ua[i]!), `UA of class ${j}`).toBeLessThan(1e-9);
        expect(c.mappedPixels).toBe(N[i]);
        // eq. 6: PA_j = p_jj / p_.j.
        expect(Math.abs(c.producerAccuracy.estimate - p[i]![jj]! / area), `PA of class ${j}`).toBeLessThan(1e-9);
      }
    }
    // The run's report.html now shows the assessment.
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toMatch(/Accuracy and area from the sample/);
    expect(readFileSync(join(out, 'accuracy-area.md'), 'utf8')).toMatch(/Overall accuracy/);
  });

  it('suggests where to label next, and trains again from the run\'s weights on the labelled suggestions', async () => {
    // The uncertain pixels of this map lie where the ground truth has no class (its background): polygons of
    // the background, made by GDAL, are excluded, so every suggestion can be labelled from the ground truth.
    execFileSync('/usr/bin/python3', ['-c', `
from osgeo import gdal
src = gdal.Open('${join(dir, 'gt.tif')}')
a = src.GetRasterBand(1).ReadAsArray()
out = gdal.GetDriverByName('GTiff').CreateCopy('${join(dir, 'background.tif')}', src)
out.GetRasterBand(1).WriteArray((a == 0).astype(a.dtype))
out.GetRasterBand(1).SetNoDataValue(0)
out = None
`]);
    gdal('/usr/bin/python3', '/usr/bin/gdal_polygonize.py', '-q', join(dir, 'background.tif'), '-f', 'GPKG', join(dir, 'background.gpkg'), 'background', 'class');
    const gpkg = join(dir, 'suggest.gpkg');
    const s = await cli('suggest', run, '--size', '30', '--spacing', '9', '--exclude', join(dir, 'background.gpkg'), '--out', gpkg);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/30 pixels of \d+ unlabelled \(spacing 9\)/);
    const info = gdal('ogrinfo', '-so', gpkg, 'suggestions');
    expect(info).toMatch(/Feature Count: 30/);
    expect(info).toMatch(/margin: Real/);
    expect(info).toMatch(/class: String/);
    // Label the points from the ground truth with the run's class names, as a person would in QGIS.
    const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    const gt = gdalValues(join(dir, 'gt.tif'), dir);
    const names = new Map<number, string>(record.scene.classes.map((c: { value: number; name: string }) => [c.value, c.name]));
    const rows = [...s.stdout.matchAll(/row +(\d+) +col +(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(rows.length).toBe(30);
    const known = rows.map(([r, c], i) => [i + 1, gt[r! * grid.width + c!]!] as const).filter(([, v]) => v > 0);
    expect(known.length).toBe(30);
    const sql = known.map(([id, v]) => `UPDATE suggestions SET class = '${names.get(v)}' WHERE id = ${id};`).join('\n');
    execFileSync('/usr/bin/python3', ['-c', `import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\ndb.executescript(sys.argv[2])\ndb.commit()`, gpkg, sql]);
    const again = join(dir, 'again');
    const r = await cli('run', '--cube', join(dir, 'geotiff_tiled_pixel_deflate.tif'), '--train-vector', gpkg, '--init-from', run, '--epochs', '1', '--out', again);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/initial weights from .*run: \d+ classes kept; its PCA reused/);
    const newRecord = JSON.parse(readFileSync(join(again, 'run.json'), 'utf8'));
    expect(newRecord.split.train).toBe(known.length);
    expect(newRecord.initFrom.added).toEqual([]);
    // Another patch size cannot start from these weights: refused, nothing written.
    const refused = join(dir, 'refused');
    const bad = await cli('run', '--cube', join(dir, 'geotiff_tiled_pixel_deflate.tif'), '--train-vector', gpkg, '--init-from', run, '--patch', '9', '--out', refused);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--init-from .*patches are 15×15, this run's 9×9[\s\S]*--patch 15/);
    expect(existsSync(refused)).toBe(false);
  }, 300_000);

  it('refuses bad reference data with one clear message and writes nothing', async () => {
    const other = join(dir, 'bad-run');
    const noField = await cli('run', '--cube', join(dir, 'geotiff_tiled_pixel_deflate.tif'), '--train-vector', join(dir, 'train.gpkg'), '--class-field', 'landcover', '--out', other);
    expect(noField.status).toBe(2);
    expect(noField.stderr).toMatch(/has no field 'landcover' \(its fields: class\)/);
    expect(existsSync(other)).toBe(false);
    const corrupt = join(dir, 'corrupt.gpkg');
    writeFileSync(corrupt, Buffer.from('not a geopackage at all, just bytes'.repeat(40)));
    const bad = await cli('run', '--cube', join(dir, 'geotiff_tiled_pixel_deflate.tif'), '--train-vector', corrupt, '--out', other);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*corrupt\.gpkg/m);
    expect(existsSync(other)).toBe(false);
  });
});
