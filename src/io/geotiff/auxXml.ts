/**
 * GDAL's side-car `.aux.xml` (PAM dataset): the first band's <CategoryNames> and <ColorTable>, which is
 * where GDAL and QGIS keep a classification's class names (and colours, for formats without a colour
 * map). Hand-written rather than through an XML library: two flat element lists are read, nothing else,
 * and a malformed side-car only loses the names (the raster itself is still read).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

export interface AuxCategories {
  /** Category name per value (index = value); '' where GDAL left it empty. */
  readonly names: readonly string[];
  /** Colour per value (index = value), when a colour table is present. */
  readonly colors?: readonly (readonly [number, number, number])[];
}

/** Side-cars larger than this are not class tables. */
const MAX_AUX_BYTES = 4 * 1024 * 1024;

export function readAuxCategories(rasterPath: string): AuxCategories | undefined {
  const path = `${rasterPath}.aux.xml`;
  if (!existsSync(path) || statSync(path).size > MAX_AUX_BYTES) return undefined;
  const xml = readFileSync(path, 'utf8');
  const band = /<PAMRasterBand\b[^>]*\bband="1"[^>]*>([\s\S]*?)<\/PAMRasterBand>/.exec(xml)?.[1];
  if (band === undefined) return undefined;
  const cats = /<CategoryNames>([\s\S]*?)<\/CategoryNames>/.exec(band)?.[1];
  const names = cats === undefined ? [] : [...cats.matchAll(/<Category\s*\/>|<Category>([\s\S]*?)<\/Category>/g)].map((m) => unescape(m[1] ?? '').trim());
  const table = /<ColorTable>([\s\S]*?)<\/ColorTable>/.exec(band)?.[1];
  const colors = table === undefined ? undefined : [...table.matchAll(/<Entry\b([^>]*)\/?>/g)].map((m) => {
    const attr = (k: string) => Number(new RegExp(`\\b${k}="([^"]*)"`).exec(m[1])?.[1] ?? 0);
    return [attr('c1'), attr('c2'), attr('c3')] as const;
  });
  if (names.length === 0 && colors === undefined) return undefined;
  return { names, ...(colors && { colors }) };
}

function unescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
