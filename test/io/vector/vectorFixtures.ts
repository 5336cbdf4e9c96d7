/**
 * GDAL as the independent writer and reader of vector fixtures: gdal_translate, gdal_polygonize.py,
 * ogr2ogr and gdal_rasterize make the files and the reference rasters in a temporary folder. Tests
 * that use it skip, with a message, where GDAL (or the python3-gdal that gdal_polygonize.py needs) is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { GeoReference } from '../../../src/core/types.ts';

function probe(): string | undefined {
  for (const tool of ['gdalinfo', 'gdal_translate', 'gdal_rasterize', 'ogr2ogr', 'ogrinfo']) {
    if (spawnSync(tool, ['--version'], { encoding: 'utf8' }).status !== 0) return `${tool} is missing (Debian package gdal-bin)`;
  }
  if (spawnSync('/usr/bin/python3', ['-c', 'from osgeo import gdal'], { encoding: 'utf8' }).status !== 0) {
    return 'python3 osgeo.gdal is missing (Debian package python3-gdal), which gdal_polygonize.py needs';
  }
  return undefined;
}

/** Why GDAL cannot be used here, or undefined when it can. */
export const gdalMissing = probe();
if (gdalMissing) console.warn(`skipping the vector tests that need GDAL: ${gdalMissing}`);

/** Runs a GDAL tool; its output, or an error carrying its stderr. */
export function gdal(tool: string, ...args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The scene grid of a raster as gdalinfo reports it. */
export function gridOf(raster: string): { height: number; width: number; georef: GeoReference } {
  const info = JSON.parse(gdal('gdalinfo', '-json', raster));
  const wkt: string = info.coordinateSystem.wkt;
  const epsg = /ID\["EPSG",(\d+)\]\]\s*$/.exec(wkt);
  const [width, height] = info.size;
  return { height, width, georef: { geoTransform: info.geoTransform, crsWkt: wkt, ...(epsg && { epsg: Number(epsg[1]) }) } };
}

/**
 * gdal_rasterize -a FIELD of a vector file onto an Int32 copy (all 0) of a template raster, as an
 * Int32Array (H×W row-major). Burning into an existing raster is what makes gdal_rasterize reproject
 * the layer to the raster's CRS; a template of { height, width } gives a raster with no geotransform.
 */
export function gdalRasterize(vector: string, field: string, template: string | { height: number; width: number }, dir: string): Int32Array {
  const out = join(dir, `ref_${Math.random().toString(36).slice(2)}.img`);
  const like = typeof template === 'string' ? ['-if', template] : ['-outsize', String(template.width), String(template.height)];
  gdal('gdal_create', '-q', '-of', 'ENVI', '-ot', 'Int32', '-bands', '1', '-burn', '0', ...like, out);
  gdal('gdal_rasterize', '-q', '-a', field, vector, out);
  const bytes = readFileSync(out);
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
}

/** A raster's first band as Int32 (through a raw ENVI copy). */
export function gdalValues(raster: string, dir: string): Int32Array {
  const out = join(dir, `values_${Math.random().toString(36).slice(2)}.img`);
  gdal('gdal_translate', '-q', '-of', 'ENVI', '-ot', 'Int32', '-b', '1', raster, out);
  const bytes = readFileSync(out);
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
}

/** Smooth noise in [0, 1) from a seed (sum of a few random waves), for irregular blobs. */
function noise(seed: number): (r: number, c: number) => number {
  let s = seed;
  const rand = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const waves = Array.from({ length: 6 }, () => ({ a: rand() * 0.5 + 0.05, b: rand() * 0.5 + 0.05, p: rand() * 6.3 }));
  return (r, c) => waves.reduce((acc, w) => acc + Math.sin(r * w.a + c * w.b + w.p), 0) / 12 + 0.5;
}

/**
 * A 60×50 label raster, EPSG:32617 with 30 m pixels: five classes in irregular blobs, a background
 * of 0 (nodata, so not polygonized) between them and inside some (holes). Written as an ESRI ASCII
 * grid, then GeoTIFF by gdal_translate. Returns the .tif path and the labels it holds.
 */
export function writeLabelRaster(dir: string): { tif: string; labels: Int32Array; height: number; width: number } {
  const [height, width] = [50, 60];
  const classOf = noise(11), hole = noise(29);
  const labels = new Int32Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      labels[r * width + c] = hole(r, c) < 0.3 ? 0 : 1 + Math.min(4, Math.floor(classOf(r, c) * 5));
    }
  }
  const rows: string[] = [];
  for (let r = 0; r < height; r++) rows.push(Array.from(labels.subarray(r * width, (r + 1) * width)).join(' '));
  const asc = join(dir, 'labels.asc');
  writeFileSync(asc, `ncols ${width}\nnrows ${height}\nxllcorner 500660\nyllcorner ${4200030 - height * 30}\ncellsize 30\nNODATA_value 0\n${rows.join('\n')}\n`);
  const tif = join(dir, 'labels.tif');
  gdal('gdal_translate', '-q', '-a_srs', 'EPSG:32617', '-ot', 'Int32', asc, tif);
  return { tif, labels, height, width };
}

/** Polygonizes a label raster into a GeoPackage (layer 'labels', field 'class') with gdal_polygonize.py. */
export function polygonize(raster: string, dir: string): string {
  const out = join(dir, 'labels_native.gpkg');
  gdal('/usr/bin/python3', '/usr/bin/gdal_polygonize.py', '-q', raster, '-f', 'GPKG', out, 'labels', 'class');
  return out;
}

/** The same layer in EPSG:4326 as GeoPackage, shapefile, zipped shapefile and GeoJSON, by ogr2ogr. */
export function reprojectedCopies(gpkg: string, dir: string): Record<'gpkg' | 'shp' | 'zip' | 'geojson', string> {
  const out = { gpkg: join(dir, 'labels_4326.gpkg'), shp: join(dir, 'shp', 'labels.shp'), zip: join(dir, 'labels.zip'), geojson: join(dir, 'labels.geojson') };
  gdal('ogr2ogr', '-t_srs', 'EPSG:4326', out.gpkg, gpkg);
  mkdirSync(join(dir, 'shp'), { recursive: true });
  gdal('ogr2ogr', '-t_srs', 'EPSG:4326', '-f', 'ESRI Shapefile', out.shp, gpkg);
  gdal('ogr2ogr', '-t_srs', 'EPSG:4326', '-f', 'GeoJSON', out.geojson, gpkg);
  const members = ['shp', 'shx', 'dbf', 'prj', 'cpg'].filter((e) => existsSync(join(dir, 'shp', `labels.${e}`)));
  writeFileSync(out.zip, zipSync(Object.fromEntries(members.map((e) => [`labels.${e}`, readFileSync(join(dir, 'shp', `labels.${e}`))]))));
  return out;
}
