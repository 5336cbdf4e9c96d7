/**
 * Opens any scene file spinalnet reads behind one interface: the format comes from the bytes
 * (detect.ts), each format from its own module.
 */
import { ConfigError, InputFileError } from '../../core/errors.ts';
import { openEnvi } from '../envi/enviSource.ts';
import { openGeoTiff } from '../geotiff/tiffSource.ts';
import { openMatV5 } from '../mat/matSource.ts';
import { openMat73 } from '../mat73/mat73Source.ts';
import { detectFormat } from './detect.ts';
import type { OpenRasterOptions, RasterSource } from './types.ts';

export async function openRaster(path: string, opts: OpenRasterOptions = {}): Promise<RasterSource> {
  const found = detectFormat(path);
  if (found.format !== 'mat-v5' && found.format !== 'mat-v7.3' && opts.variable !== undefined) {
    throw new ConfigError(
      opts.role === 'labels' ? '--gt-var' : '--cube-var', 'a variable name only for MAT files', opts.variable,
      `${path} is ${found.format === 'envi' ? 'an ENVI' : 'a GeoTIFF'} file, which holds one raster: leave out ${opts.role === 'labels' ? '--gt-var' : '--cube-var'}`,
    );
  }
  const source = await openByFormat(path, found.format, found.headerPath, opts);
  const d = source.describe();
  if (opts.role === 'labels' && d.bands !== 1) {
    source.close();
    throw new InputFileError(
      path, `has ${d.bands} bands; a label map has one (one class value per pixel)`,
      'pass the single-band ground-truth raster, not the cube',
    );
  }
  return source;
}

async function openByFormat(path: string, format: ReturnType<typeof detectFormat>['format'], headerPath: string | undefined, opts: OpenRasterOptions): Promise<RasterSource> {
  switch (format) {
    case 'mat-v5': return openMatV5(path, opts);
    case 'envi': return openEnvi(headerPath as string, path);
    case 'geotiff': return openGeoTiff(path);
    case 'mat-v7.3': return openMat73(path, opts);
  }
}
