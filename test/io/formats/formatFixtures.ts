/**
 * Scene fixtures in every format: a small crop of a real scene written as MAT v5 by our own writer, then
 * rewritten by ../shared/tools/write_scene_formats.py with GDAL and h5py (independent writers) as ENVI,
 * GeoTIFF, MAT v7.3 and an ENVI classification. Needs /usr/bin/python3 with GDAL and h5py and the shared
 * data; `formatToolsMissing()` says which is absent so that tests skip with that message.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMatV5 } from '../../../src/io/mat/writer.ts';
import { loadLabels } from '../../../src/scene/loadScene.ts';
import { readWholeCube } from '../../helpers.ts';

export const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
export const PYTHON = '/usr/bin/python3';
const TOOL = join(SHARED, 'tools/write_scene_formats.py');

/** Why the format fixtures cannot be made here, or undefined when they can. */
export function formatToolsMissing(): string | undefined {
  if (!existsSync(TOOL)) return `${TOOL} is absent (../shared not mounted)`;
  if (!existsSync(PYTHON)) return `${PYTHON} is absent`;
  const r = spawnSync(PYTHON, ['-c', 'import h5py, scipy; from osgeo import gdal'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} lacks h5py, scipy or GDAL (apt-get install python3-gdal python3-h5py python3-scipy)`;
  return undefined;
}

export interface CropSpec {
  readonly cube: string;
  readonly gt: string;
  readonly row0: number;
  readonly col0: number;
  readonly size: number;
  /** Bands kept from the first (fewer bands keep the padded GeoTIFF tiles quick to decode). */
  readonly bands: number;
}

/** SalinasA (AVIRIS, 83×86×204, int16-valued doubles): 20×20 pixels from row 30, column 30, its first 48 bands. */
export const SALINAS_A_CROP: CropSpec = {
  cube: join(SHARED, 'data/salinasA/SalinasA_corrected.mat'), gt: join(SHARED, 'data/salinasA/SalinasA_gt.mat'), row0: 30, col0: 30, size: 20, bands: 48,
};

/**
 * Writes the crop as `crop.mat` (variable 'cube', single) and `crop_gt.mat` ('gt', uint8) with our MAT
 * writer, then every format with write_scene_formats.py into `dir`. Returns the two MAT v5 paths.
 */
export async function writeFormatFixtures(spec: CropSpec, dir: string): Promise<{ cube: string; gt: string }> {
  const full = await readWholeCube(spec.cube);
  const labels = (await loadLabels(spec.gt, full)).labels;
  const { size: n, row0, col0 } = spec;
  const B = spec.bands;
  // MATLAB column-major: element (r, c, b) at r + c*n + b*n*n. int16 values, so the writers keep int16.
  const cube = new Int16Array(n * n * B);
  const gt = new Uint8Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const p = (row0 + r) * full.width + (col0 + c);
      for (let b = 0; b < B; b++) cube[r + c * n + b * n * n] = full.data[p * full.bands + b];
      gt[r + c * n] = labels.data[p];
    }
  }
  const cubePath = writeMatV5(join(dir, 'crop.mat'), [{ name: 'cube', data: cube, dims: [n, n, B] }]).path;
  const gtPath = writeMatV5(join(dir, 'crop_gt.mat'), [{ name: 'gt', data: gt, dims: [n, n] }]).path;
  execFileSync(PYTHON, [TOOL, cubePath, 'cube', gtPath, 'gt', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { cube: cubePath, gt: gtPath };
}
