/**
 * One entry point for vector reference data: picks the reader by extension after checking the file
 * is there and not empty, so every format reports those two the same way.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InputFileError } from '../../core/errors.ts';
import { readGeoJson } from './geojson.ts';
import { readGeoPackage } from './geopackage.ts';
import { readShapefile } from './shapefile.ts';
import type { ReadVectorOptions, VectorLayer } from './types.ts';

const FORMATS = '.gpkg (GeoPackage), .shp or .zip (ESRI Shapefile), .geojson or .json (GeoJSON)';

/** Reads one layer of a vector file; `layer` is needed when the file holds several. */
export async function readVectorLayer(path: string, options: ReadVectorOptions = {}): Promise<VectorLayer> {
  const ext = extname(path).toLowerCase();
  const reader = ext === '.gpkg' ? readGeoPackage
    : ext === '.shp' || ext === '.zip' ? readShapefile
    : ext === '.geojson' || ext === '.json' ? (p: string) => readGeoJson(p, basename(p, extname(p)))
    : undefined;
  if (reader === undefined) {
    throw new InputFileError(path, `has an extension (${ext || 'none'}) that is not a vector format spinalnet reads`,
      `convert it with ogr2ogr to one of ${FORMATS}`);
  }
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new InputFileError(path, 'is not a file', `pass a vector file: ${FORMATS}`);
    size = s.size;
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(path, 'does not exist or cannot be read', 'check the path (and that the file is readable)');
  }
  if (size === 0) throw new InputFileError(path, 'is empty (0 bytes)', 'write it again: the copy or export that made it did not finish');
  return reader(path, options);
}

/** `path` first, then the files beside it that reading it uses (a shapefile's .shx, .dbf, .prj, .cpg), for moving a layer elsewhere. */
export function vectorFiles(path: string): string[] {
  if (extname(path).toLowerCase() !== '.shp') return [path];
  const stem = path.slice(0, -extname(path).length);
  return [path, ...['.shx', '.dbf', '.prj', '.cpg', '.SHX', '.DBF', '.PRJ', '.CPG'].map((e) => stem + e).filter((f) => existsSync(f))];
}
