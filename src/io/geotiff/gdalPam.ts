/**
 * GDAL's "persistent auxiliary metadata" (PAM) file, `<raster>.aux.xml`: what a TIFF has no tag for —
 * class names (CategoryNames), band descriptions — and the CRS as WKT when it has no EPSG code. GDAL
 * and QGIS read it beside the raster; by GDAL's default GDAL_GEOREF_SOURCES (PAM,INTERNAL,…) its SRS
 * is preferred to the GeoKeys.
 */
import type { Rgb } from '../../core/types.ts';

export interface PamBand {
  /** Band description (GDAL's GetDescription; QGIS shows it as the band name). */
  description?: string;
  /** Index = pixel value; GDAL's GetCategoryNames (QGIS's "paletted/unique values" legend). */
  categoryNames?: readonly string[];
  /** Index = pixel value, alpha 255. */
  colorTable?: readonly Rgb[];
}

export interface PamDataset {
  /** CRS as WKT, written as <SRS>. */
  srsWkt?: string;
  bands: readonly PamBand[];
}

/** The XML text of a .aux.xml file. */
export function pamXml(pam: PamDataset): string {
  const lines = ['<PAMDataset>'];
  // Traditional GIS axis order (x = easting / longitude first), as in the GeoTIFF.
  if (pam.srsWkt) lines.push(`  <SRS dataAxisToSRSAxisMapping="${axisMapping(pam.srsWkt)}">${escapeXml(pam.srsWkt)}</SRS>`);
  pam.bands.forEach((b, i) => {
    lines.push(`  <PAMRasterBand band="${i + 1}">`);
    if (b.description !== undefined) lines.push(`    <Description>${escapeXml(b.description)}</Description>`);
    if (b.categoryNames) {
      lines.push('    <CategoryNames>');
      for (const name of b.categoryNames) lines.push(`      <Category>${escapeXml(name)}</Category>`);
      lines.push('    </CategoryNames>');
    }
    if (b.colorTable) {
      lines.push('    <ColorInterp>Palette</ColorInterp>', '    <ColorTable>');
      for (const [r, g, bl] of b.colorTable) lines.push(`      <Entry c1="${r}" c2="${g}" c3="${bl}" c4="255" />`);
      lines.push('    </ColorTable>');
    }
    lines.push('  </PAMRasterBand>');
  });
  lines.push('</PAMDataset>', '');
  return lines.join('\n');
}

/** GDAL's mapping from data axes to the CRS's axes: geographic CRSs list latitude first, the data has longitude first. */
function axisMapping(wkt: string): string {
  return /^\s*(GEOGCS|GEOGCRS|GEOGRAPHICCRS)\b/i.test(wkt) ? '2,1' : '1,2';
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
