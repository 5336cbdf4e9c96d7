/**
 * What `spinalnet inspect FILE` shows for any scene file: MAT files (v5 and v7.3) as their variables,
 * ENVI and GeoTIFF rasters as what their header says: size, bands, sample type, interleave,
 * compression, byte order, georeference, nodata, wavelength range, bad bands and class names.
 */
import { inspectMatFile, type MatVariableSummary } from '../mat/inspect.ts';
import { listMat73Variables } from '../mat73/mat73Source.ts';
import { detectFormat } from './detect.ts';
import { openRaster } from './openRaster.ts';
import type { RasterDescription } from './types.ts';

export type Inspection =
  | { readonly format: 'mat-v5' | 'mat-v7.3'; readonly variables: readonly MatVariableSummary[] }
  | { readonly format: 'envi' | 'geotiff'; readonly raster: RasterDescription };

export async function inspectFile(path: string): Promise<Inspection> {
  const { format } = detectFormat(path);
  if (format === 'mat-v5') return { format, variables: inspectMatFile(path) };
  if (format === 'mat-v7.3') {
    const vars = await listMat73Variables(path);
    return { format, variables: vars.map(({ name, class: cls, dims, complex }) => ({ name, class: cls, dims: [...dims], ...(complex && { complex: true as const }), note: 'MAT v7.3: min/max not computed' })) };
  }
  const source = await openRaster(path);
  try {
    return { format, raster: source.describe() };
  } finally {
    source.close();
  }
}

/** The description as `inspect` prints it, one fact per line. */
export function formatRaster(d: RasterDescription): string[] {
  const lines: [string, string][] = [
    ['format', d.format === 'envi' ? 'ENVI' : 'GeoTIFF'],
  ];
  if (d.dataPath !== d.path) lines.push(['data file', d.dataPath]);
  lines.push(
    ['size', `${d.height} rows × ${d.width} columns × ${d.bands} band${d.bands === 1 ? '' : 's'}`],
    ['type', d.dataType],
    ['interleave', d.interleave],
    ['compression', d.compression],
  );
  if (d.byteOrder !== undefined) lines.push(['byte order', `${d.byteOrder}-endian`]);
  if (d.georef === undefined) lines.push(['georeference', 'none']);
  else {
    const t = d.georef.geoTransform.map((v) => +v.toPrecision(12));
    lines.push(['georeference', `origin (${t[0]}, ${t[3]}), pixel ${t[1]} × ${t[5]}${t[2] !== 0 || t[4] !== 0 ? `, rotation terms ${t[2]}, ${t[4]}` : ''}`]);
    lines.push(['CRS', d.georef.epsg !== undefined ? `EPSG:${d.georef.epsg}` : d.georef.crsWkt !== undefined ? d.georef.crsWkt.slice(0, 100) : 'unknown']);
  }
  lines.push(['nodata', d.nodata === undefined ? 'none' : String(d.nodata)]);
  const wl = d.bandInfo?.wavelengthsNm;
  if (wl !== undefined && wl.length > 0) lines.push(['wavelengths', `${+Math.min(...wl).toFixed(2)}–${+Math.max(...wl).toFixed(2)} nm (${wl.length} bands)`]);
  if (d.defaultBands !== undefined) lines.push(['default bands', d.defaultBands.map((b) => b + 1).join(', ')]);
  if (d.badBands !== undefined) lines.push(['bad bands (bbl)', `${d.badBands.length}: ${d.badBands.slice(0, 20).map((b) => b + 1).join(', ')}${d.badBands.length > 20 ? ' …' : ''}`]);
  if (d.classes !== undefined) {
    lines.push(['classes', `${d.classes.length}: ${d.classes.slice(0, 30).map((c) => `${c.value} ${c.name}`).join(', ')}${d.classes.length > 30 ? ' …' : ''}`]);
  }
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
}
