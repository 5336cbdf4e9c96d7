/**
 * The files one raster consists of: an ENVI scene is a header and a data file, a GeoTIFF may have
 * GDAL's .aux.xml beside it (class names, colours). Whatever moves a scene elsewhere (the job queue)
 * moves all of them, side by side under their own names, so the reader finds them as it does here.
 */
import { existsSync } from 'node:fs';
import { enviDataPath } from '../envi/enviSource.ts';
import { detectFormat } from './detect.ts';

/** `path` first, then the files beside it that reading it needs or uses. */
export function rasterFiles(path: string): string[] {
  const found = detectFormat(path);
  const files = [path];
  if (found.format === 'envi' && found.headerPath !== undefined) {
    files.push(found.headerPath === path ? enviDataPath(path) : found.headerPath);
  }
  for (const f of [...files]) if (existsSync(`${f}.aux.xml`)) files.push(`${f}.aux.xml`);
  return files;
}
