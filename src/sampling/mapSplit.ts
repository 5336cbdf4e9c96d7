/**
 * The `maps` split: training and test pixels given as label maps, as published fixed splits are
 * (Pavia University's TRpavia_fixed / TSpavia_fixed; the Indian Pines disjoint training set).
 *
 * Rules, each checked with a DataError that says what to do:
 * - each map has the scene's height × width (a map of another scene, or transposed, is refused);
 * - no pixel is labelled in both maps (a pixel cannot be trained and tested on);
 * - every value a map uses is one of the scene's class values;
 * - a map's numbering agrees with the scene's: where both the map and the scene's label map label a
 *   pixel, most pixels of each map value carry that value in the scene too. A map numbered
 *   differently (the Indian Pines disjoint set is: its 1 is the scene's 2) would otherwise silently
 *   train every class under another class's name. `relabel` translates such a map.
 * The map's label wins where it labels a pixel: published training maps label some pixels the scene's
 * map leaves at 0 (1,147 in TRpavia_fixed) and a few that it labels otherwise; both are counted in
 * the warnings. Without a test map, the test set is every pixel the scene labels and the training map
 * does not (how the Indian Pines disjoint set is used in the literature).
 */
import { DataError } from '../core/errors.ts';
import type { ClassInfo, LabelMap } from '../core/types.ts';
import { classIndexOf, emptyRoleGrid, formatCount, SplitRole, type RoleGrid } from './splitRoles.ts';

/**
 * The Indian Pines disjoint training set (indianpines_disjoint_dset.mat) numbers its classes in
 * another order: its value v is the scene's value INDIAN_PINES_DISJOINT_RELABEL[v]. Found by
 * matching the map against Indian_pines_gt pixel by pixel (each value's majority agrees in 92–100% of
 * its pixels) and the same table is used by the public code that publishes results on this set.
 */
export const INDIAN_PINES_DISJOINT_RELABEL: readonly number[] = [0, 2, 3, 5, 6, 8, 10, 11, 12, 14, 1, 4, 7, 9, 13, 15, 16];

export interface MapSplitOptions {
  readonly trainMap: LabelMap;
  /** Absent: test on every pixel the scene labels that the training map does not. */
  readonly testMap?: LabelMap;
  /** Map value v stands for the scene's value relabel[v] (0 must stay 0); applies to both maps. */
  readonly relabel?: readonly number[];
}

export interface MapAssignment {
  readonly grid: RoleGrid;
  readonly warnings: string[];
  /** Whether the test set came from a test map (else from the scene's labels). */
  readonly testFromMap: boolean;
}

/** Assigns training and test pixels from the maps; see the file comment for the rules. */
export function assignFromMaps(labels: LabelMap, classes: readonly ClassInfo[], opts: MapSplitOptions): MapAssignment {
  const warnings: string[] = [];
  const indexOf = classIndexOf(classes);
  const relabel = opts.relabel;
  if (relabel !== undefined && relabel[0] !== 0) {
    throw new DataError(`the map relabelling table sends 0 (unlabelled) to ${relabel[0]}`, 'give a table whose first entry is 0');
  }
  const train = translate(opts.trainMap, 'training map', labels, relabel);
  const test = opts.testMap === undefined ? undefined : translate(opts.testMap, 'test map', labels, relabel);
  const grid = emptyRoleGrid(labels);

  const maps: [Int32Array, string, number][] = [[train, 'training map', SplitRole.train]];
  if (test) maps.push([test, 'test map', SplitRole.test]);
  for (const [values, what, role] of maps) {
    checkValues(values, what, labels, classes, indexOf);
    warnings.push(...disagreements(values, what, labels));
    values.forEach((v, p) => {
      if (v === 0) return;
      if (grid.role[p] !== SplitRole.unused) {
        const both = countBoth(train, test!);
        throw new DataError(
          `${formatCount(both)} pixel${both === 1 ? ' is' : 's are'} labelled in both the training map and the test map ` +
            `(first at row ${Math.floor(p / labels.width)}, column ${p % labels.width}, 0-based): a pixel cannot be both trained and tested on`,
          'give a training map and a test map that label disjoint pixels (e.g. the two files of one published split)',
        );
      }
      grid.role[p] = role;
      grid.classOf[p] = indexOf.get(v)!;
    });
  }
  if (!test) {
    labels.data.forEach((v, p) => {
      const k = indexOf.get(v);
      if (k === undefined || grid.role[p] !== SplitRole.unused) return;
      grid.role[p] = SplitRole.test;
      grid.classOf[p] = k;
    });
  }
  return { grid, warnings, testFromMap: test !== undefined };
}

/** The map's values after relabelling, shape-checked against the scene's label map. */
function translate(map: LabelMap, what: string, labels: LabelMap, relabel: readonly number[] | undefined): Int32Array {
  if (map.height !== labels.height || map.width !== labels.width) {
    const transposed = map.height === labels.width && map.width === labels.height;
    throw new DataError(
      `the ${what} is ${map.height}×${map.width} but the scene's label map is ${labels.height}×${labels.width}` +
        (transposed ? ' (transposed?)' : ''),
      `give a ${what} made for this scene: the same height and width as its label map`,
    );
  }
  if (relabel === undefined) return map.data;
  return Int32Array.from(map.data, (v, p) => {
    const to = relabel[v];
    if (to === undefined) {
      throw new DataError(
        `the ${what} uses value ${v} (row ${Math.floor(p / map.width)}, column ${p % map.width}) but the relabelling table only covers 0..${relabel.length - 1}`,
        'give a relabelling table with an entry for every value the map uses',
      );
    }
    return to;
  });
}

/** Every nonzero value must be a scene class. */
function checkValues(values: Int32Array, what: string, labels: LabelMap, classes: readonly ClassInfo[], indexOf: Map<number, number>): void {
  const p = values.findIndex((v) => v !== 0 && !indexOf.has(v));
  if (p < 0) return;
  throw new DataError(
    `the ${what} labels row ${Math.floor(p / labels.width)}, column ${p % labels.width} (0-based) with ${values[p]}, ` +
      `which is not one of the scene's classes (${classes.map((c) => c.value).join(', ')})`,
    `give a ${what} numbered like the scene's label map, with 0 for unlabelled pixels`,
  );
}

/**
 * Where the map and the scene both label a pixel: an error when a map value mostly sits on another
 * scene value (another numbering), otherwise warnings counting the pixels that disagree and those the
 * scene leaves unlabelled.
 */
function disagreements(values: Int32Array, what: string, labels: LabelMap): string[] {
  // For each map value: how often each scene value lies under it.
  const under = new Map<number, Map<number, number>>();
  let unlabelledInScene = 0;
  let differing = 0;
  values.forEach((v, p) => {
    if (v === 0) return;
    const s = labels.data[p]!;
    if (s === 0) {
      unlabelledInScene++;
      return;
    }
    if (s !== v) differing++;
    const row = under.get(v) ?? new Map<number, number>();
    row.set(s, (row.get(s) ?? 0) + 1);
    under.set(v, row);
  });
  const renamed: string[] = [];
  for (const [v, row] of [...under].sort((a, b) => a[0] - b[0])) {
    const same = row.get(v) ?? 0;
    const [top, topCount] = [...row].reduce((a, b) => (b[1] > a[1] ? b : a));
    if (top !== v && topCount > same) renamed.push(`${v} lies on ${top} in ${formatCount(topCount)} of ${formatCount([...row.values()].reduce((a, b) => a + b))} pixels`);
  }
  if (renamed.length > 0) {
    throw new DataError(
      `the ${what} seems numbered differently from the scene's label map: map value ${renamed.slice(0, 4).join('; ')}` +
        (renamed.length > 4 ? ` (and ${renamed.length - 4} more values)` : ''),
      `renumber the ${what} to the scene's label values (for the Indian Pines disjoint set, map value v is scene value ` +
        `[${INDIAN_PINES_DISJOINT_RELABEL.join(', ')}][v])`,
    );
  }
  const warnings: string[] = [];
  if (unlabelledInScene > 0) {
    warnings.push(`${formatCount(unlabelledInScene)} ${what} pixels are unlabelled in the scene's label map; the map's labels are used`);
  }
  if (differing > 0) {
    warnings.push(`${formatCount(differing)} ${what} pixels carry another class in the scene's label map; the map's labels are used`);
  }
  return warnings;
}

function countBoth(a: Int32Array, b: Int32Array): number {
  let n = 0;
  a.forEach((v, p) => {
    if (v !== 0 && b[p] !== 0) n++;
  });
  return n;
}

