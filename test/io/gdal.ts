/**
 * GDAL as the independent reader of the files spinalnet writes: `gdalinfo -json` for the metadata and
 * Debian's python3-gdal (ReadAsArray) for the values. Tests that use it skip, with a message, where
 * either is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';

function probe(): string | undefined {
  if (spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' }).status !== 0) return 'gdalinfo is missing (Debian package gdal-bin)';
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'from osgeo import gdal'], { encoding: 'utf8' }).status !== 0) {
    return 'python3 osgeo.gdal is missing (Debian package python3-gdal)';
  }
  return undefined;
}

/** Why GDAL cannot be used here, or undefined when it can. */
export const gdalMissing = probe();
if (gdalMissing) console.warn(`skipping the GDAL read-back tests: ${gdalMissing}`);

/** `gdalinfo -json` of a file (with its .aux.xml, as GDAL reads it). */
// any: gdalinfo's JSON has many optional shapes; tests index it freely.
export function gdalInfo(path: string, ...args: string[]): any {
  return JSON.parse(execFileSync('gdalinfo', ['-json', ...args, path], { encoding: 'utf8' }));
}

const READ = `
import sys, json, base64
from osgeo import gdal
gdal.UseExceptions()
ds = gdal.Open(sys.argv[1])
out = []
for i in range(1, ds.RasterCount + 1):
    b = ds.GetRasterBand(i)
    a = b.ReadAsArray()
    ct = b.GetColorTable()
    out.append({
        'dtype': str(a.dtype), 'shape': list(a.shape), 'data': base64.b64encode(a.tobytes()).decode(),
        'description': b.GetDescription(), 'nodata': None if b.GetNoDataValue() is None else repr(b.GetNoDataValue()),
        'categories': b.GetCategoryNames(),
        'colors': [list(ct.GetColorEntry(k)) for k in range(ct.GetCount())] if ct else None,
    })
print(json.dumps({'driver': ds.GetDriver().ShortName, 'geotransform': list(ds.GetGeoTransform(can_return_null=True) or []) or None,
                  'wkt': ds.GetProjection(), 'bands': out}))
`;

export interface GdalBand {
  dtype: string;
  shape: number[];
  values: Uint8Array | Uint16Array | Float32Array | Int32Array;
  description: string;
  nodata: number | null;
  categories: string[] | null;
  colors: number[][] | null;
}

export interface GdalRaster {
  driver: string;
  geotransform: number[] | null;
  wkt: string;
  bands: GdalBand[];
}

/** Every band of `path` as GDAL reads it (osgeo.gdal ReadAsArray), with names, colours and georeference. */
export function gdalRead(path: string): GdalRaster {
  const r = JSON.parse(execFileSync(PYTHON, ['-c', READ, path], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  return {
    ...r,
    bands: r.bands.map((b: { dtype: string; data: string; nodata: string | null } & Omit<GdalBand, 'values' | 'nodata'>) => {
      const bytes = Buffer.from(b.data, 'base64');
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const values = b.dtype === 'uint8' ? new Uint8Array(buf) : b.dtype === 'uint16' ? new Uint16Array(buf) : b.dtype === 'float32' ? new Float32Array(buf) : new Int32Array(buf);
      // nodata came as Python's repr ('0.0', 'nan'): JSON has no NaN.
      return { ...b, values, nodata: b.nodata === null ? null : Number(b.nodata) };
    }),
  };
}
