/**
 * Burns a vector layer onto a scene grid with gdal_rasterize's default rule (no -at), so the result
 * equals `gdal_rasterize -a FIELD` pixel for pixel: a polygon burns a pixel when the pixel centre is
 * inside it by GDAL's scanline fill (GDALdllImageFilledPolygon in alg/llrasterize.cpp), a point burns
 * the pixel it falls in, and later features overwrite earlier ones.
 */
import { DataError } from '../../core/errors.ts';
import type { GeoReference } from '../../core/types.ts';
import { layerToPixels } from './crs.ts';
import type { Feature, Geometry, VectorLayer } from './types.ts';

export interface SceneGrid {
  readonly height: number;
  readonly width: number;
  /** Absent: the layer's coordinates are pixel coordinates (x = column, y = row). */
  readonly georef?: GeoReference;
}

/** Pixels that features of two different classes both cover (classA < classB). */
export interface ClassConflict {
  readonly classA: number;
  readonly classB: number;
  readonly pixels: number;
}

export interface RasterizeResult {
  /** H×W row-major class values; 0 = not covered. */
  readonly values: Int32Array;
  /** H×W row-major, fid + 1 of the feature that burned the pixel last; 0 = none. */
  readonly featureOf: Int32Array;
  /** Class pairs whose features overlap, with the number of pixels each pair shares. */
  readonly conflicts: readonly ClassConflict[];
  /** Fids of features wholly outside the grid. */
  readonly outside: readonly number[];
  /** Fids of features on the grid that cover no pixel centre (slivers smaller than a pixel). */
  readonly unburned: readonly number[];
  /** Assumptions made about CRSs (see layerToPixels). */
  readonly warnings: readonly string[];
}

/** Calls burn(row, x0, x1) for each covered run of a scanline, as GDALdllImageFilledPolygon does (including its quirks). */
export function fillPolygon(width: number, height: number, rings: readonly Float64Array[], burn: (row: number, x0: number, x1: number) => void): void {
  let dminy = Infinity, dmaxy = -Infinity;
  for (const r of rings) for (let i = 1; i < r.length; i += 2) { dminy = Math.min(dminy, r[i]); dmaxy = Math.max(dmaxy, r[i]); }
  if (!Number.isFinite(dminy) || !Number.isFinite(dmaxy)) return;
  // C's (int) cast truncates toward zero.
  const miny = Math.max(0, Math.trunc(dminy));
  const maxy = Math.min(height - 1, Math.trunc(dmaxy));
  const maxx = width - 1;
  const ints: number[] = [];
  for (let y = miny; y <= maxy; y++) {
    const dy = y + 0.5;
    ints.length = 0;
    for (const r of rings) {
      const n = r.length / 2;
      for (let i = 0; i < n; i++) {
        // Edge from the previous vertex (the ring's last for the first) to this one.
        const ind1 = i === 0 ? n - 1 : i - 1;
        let dy1 = r[2 * ind1 + 1], dy2 = r[2 * i + 1];
        if ((dy1 < dy && dy2 < dy) || (dy1 > dy && dy2 > dy)) continue;
        let dx1: number, dx2: number;
        if (dy1 < dy2) {
          dx1 = r[2 * ind1]; dx2 = r[2 * i];
        } else if (dy1 > dy2) {
          [dy1, dy2] = [dy2, dy1];
          dx2 = r[2 * ind1]; dx1 = r[2 * i];
        } else {
          // A horizontal edge on the scanline: GDAL fills those running right to left itself, and skips the others.
          if (r[2 * ind1] > r[2 * i]) {
            const hx1 = Math.floor(r[2 * i] + 0.5), hx2 = Math.floor(r[2 * ind1] + 0.5);
            if (!(hx1 > maxx || hx2 <= 0)) burn(y, hx1, hx2 - 1);
          }
          continue;
        }
        if (dy < dy2 && dy >= dy1) ints.push(Math.floor((dy - dy1) * (dx2 - dx1) / (dy2 - dy1) + dx1 + 0.5));
      }
    }
    ints.sort((a, b) => a - b);
    for (let i = 0; i + 1 < ints.length; i += 2) {
      if (ints[i] <= maxx && ints[i + 1] > 0) burn(y, ints[i], ints[i + 1] - 1);
    }
  }
}

/** The class a feature burns, checked: a non-zero 32-bit integer, or null to leave the feature out. */
function checkedClass(f: Feature, c: number | null): number | null {
  if (c === null) return null;
  if (!Number.isInteger(c) || c === 0 || c < -(2 ** 31) || c >= 2 ** 31) {
    throw new DataError(`feature ${f.fid}: class ${c} is not a non-zero 32-bit integer`, 'map every class to a non-zero integer (0 means not covered), or return null to leave the feature out');
  }
  return c;
}

/** Burns every feature of `layer` onto `grid`, with classOf(feature) as its value (null: left out). */
export function rasterizeLayer(layer: VectorLayer, grid: SceneGrid, classOf: (feature: Feature) => number | null): RasterizeResult {
  const { height, width } = grid;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new DataError(`the grid is ${height}×${width}, not a positive whole number of rows and columns`, 'pass the scene height and width');
  }
  const values = new Int32Array(height * width);
  const featureOf = new Int32Array(height * width);
  const shared = new Map<string, Set<number>>();
  const outside: number[] = [];
  const unburned: number[] = [];
  const pixels = layerToPixels(layer, grid.georef);
  for (let k = 0; k < layer.features.length; k++) {
    // classOf sees the feature as read; burning uses its copy in pixel coordinates.
    const f = pixels.layer.features[k];
    const g = f.geometry;
    if (g === null) continue;
    const cls = checkedClass(f, classOf(layer.features[k]));
    if (cls === null) continue;
    let burned = 0;
    const set = (p: number): void => {
      const was = values[p];
      if (was !== 0 && was !== cls) {
        const key = was < cls ? `${was},${cls}` : `${cls},${was}`;
        let s = shared.get(key);
        if (!s) shared.set(key, (s = new Set()));
        s.add(p);
      }
      values[p] = cls;
      featureOf[p] = f.fid + 1;
      burned++;
    };
    burnGeometry(g, width, height, set);
    if (burned === 0) (onGrid(g.type === 'Point' || g.type === 'MultiPoint' ? [g.xy] : g.type === 'Polygon' ? g.rings : g.polygons.flat(), width, height) ? unburned : outside).push(f.fid);
  }
  const conflicts = [...shared].map(([key, s]) => {
    const [classA, classB] = key.split(',').map(Number);
    return { classA, classB, pixels: s.size };
  }).sort((a, b) => b.pixels - a.pixels);
  return { values, featureOf, conflicts, outside, unburned, warnings: pixels.warnings };
}

/** Calls set(p) for each row-major pixel a geometry in pixel space burns (a pixel may come twice). */
function burnGeometry(g: Geometry, width: number, height: number, set: (p: number) => void): void {
  if (g.type === 'Point' || g.type === 'MultiPoint') {
    for (let i = 0; i < g.xy.length; i += 2) {
      const x = Math.floor(g.xy[i]), y = Math.floor(g.xy[i + 1]);
      if (x >= 0 && x < width && y >= 0 && y < height) set(y * width + x);
    }
  } else {
    // A MultiPolygon's rings all go into one even-odd fill, as GDAL collects them.
    const rings = g.type === 'Polygon' ? g.rings : g.polygons.flat();
    fillPolygon(width, height, rings, (row, x0, x1) => {
      for (let x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) set(row * width + x);
    });
  }
}

/** Each feature's pixels on the grid by the same rule as rasterizeLayer (ascending, each once), in the layer's order; empty for no geometry. */
export function featurePixels(layer: VectorLayer, grid: SceneGrid): { pixels: Int32Array[]; warnings: string[] } {
  const { layer: inPixels, warnings } = layerToPixels(layer, grid.georef);
  const pixels = inPixels.features.map((f) => {
    if (f.geometry === null) return new Int32Array(0);
    const seen = new Set<number>();
    burnGeometry(f.geometry, grid.width, grid.height, (p) => seen.add(p));
    return Int32Array.from(seen).sort();
  });
  return { pixels, warnings };
}

/** Whether the bounding box of some coordinates overlaps the grid (0, width) × (0, height); touching its edge is not enough. */
function onGrid(parts: readonly Float64Array[], width: number, height: number): boolean {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const xy of parts) {
    for (let i = 0; i < xy.length; i += 2) {
      x0 = Math.min(x0, xy[i]); x1 = Math.max(x1, xy[i]); y0 = Math.min(y0, xy[i + 1]); y1 = Math.max(y1, xy[i + 1]);
    }
  }
  return x1 > 0 && x0 < width && y1 > 0 && y0 < height;
}
