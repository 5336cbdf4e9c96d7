/**
 * The `polygons` split: a mapper's training polygons kept whole. Each class's polygons are shuffled
 * (seeded) and about `trainFraction` of them train, the rest test, so no polygon is split across the two
 * sets (pixels of one polygon are alike and next to each other: splitting it would test on near-copies
 * of training pixels). A class with one polygon trains on it and is not tested. As under `blocks`, a
 * test pixel whose patch window holds a training pixel is dropped (the guard band).
 */
import type { ClassInfo, LabelMap } from '../core/types.ts';
import { createRng } from '../util/random.ts';
import { classIndexOf, className, emptyRoleGrid, SplitRole, type RoleGrid } from './splitRoles.ts';
import { patchRadius, windowsTouching } from './windowGuard.ts';

export interface PolygonSplitOptions {
  /** H×W row-major: which polygon (feature index + 1) covers each pixel, 0 none. */
  polygonOf: Int32Array;
  trainFraction: number;
  seed: number;
  patch: number;
}

export interface PolygonAssignment {
  grid: RoleGrid;
  warnings: string[];
  dropped: { test: number; validation: number };
  polygons: { train: number; test: number };
}

/** `labels` gives each covered pixel its class value (the polygon's class). */
export function assignPolygons(labels: LabelMap, classes: readonly ClassInfo[], opts: PolygonSplitOptions): PolygonAssignment {
  const indexOf = classIndexOf(classes);
  // Each polygon's class: the class of its pixels (a polygon burns one value).
  const classOfPolygon = new Map<number, number>();
  opts.polygonOf.forEach((id, p) => {
    if (id !== 0 && !classOfPolygon.has(id) && indexOf.has(labels.data[p]!)) classOfPolygon.set(id, indexOf.get(labels.data[p]!)!);
  });
  const byClass: number[][] = classes.map(() => []);
  for (const [id, k] of [...classOfPolygon].sort((a, b) => a[0] - b[0])) byClass[k]!.push(id);
  const trains = new Set<number>();
  const warnings: string[] = [];
  const polygons = { train: 0, test: 0 };
  byClass.forEach((ids, k) => {
    if (ids.length === 0) return;
    createRng(opts.seed, `polygons/${classes[k]!.value}`).shuffle(ids);
    // At least one polygon on each side when there are two or more.
    const nTrain = ids.length === 1 ? 1 : Math.min(ids.length - 1, Math.max(1, Math.round(opts.trainFraction * ids.length)));
    if (ids.length === 1) warnings.push(`${className(classes[k]!)} has one polygon: it trains on it, and the class is not tested`);
    ids.slice(0, nTrain).forEach((id) => trains.add(id));
    polygons.train += nTrain;
    polygons.test += ids.length - nTrain;
  });
  const grid = emptyRoleGrid(labels);
  const trainMask = new Uint8Array(opts.polygonOf.length);
  opts.polygonOf.forEach((id, p) => {
    if (trains.has(id)) trainMask[p] = 1;
  });
  const touched = windowsTouching(trainMask, labels, patchRadius(opts.patch));
  let dropped = 0;
  opts.polygonOf.forEach((id, p) => {
    const k = classOfPolygon.get(id);
    if (k === undefined) return;
    if (trainMask[p]) {
      grid.role[p] = SplitRole.train;
    } else if (touched[p]) {
      dropped++;
      return;
    } else {
      grid.role[p] = SplitRole.test;
    }
    grid.classOf[p] = k;
  });
  return { grid, warnings, dropped: { test: dropped, validation: 0 }, polygons };
}
