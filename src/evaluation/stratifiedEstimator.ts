/**
 * Accuracy and area of a map from a stratified random sample of reference pixels, by the estimators
 * of Stehman (2014), "Estimating area and map accuracy for stratified random sampling when the strata
 * are different from the map classes", Int. J. Remote Sens. 35(13):4923–4939.
 *
 * Every quantity is a ratio R = Y/X of two population totals of per-pixel variables y_u and x_u,
 * estimated stratum by stratum: Ŷ = Σ_h N_h ȳ_h, X̂ = Σ_h N_h x̄_h, R̂ = Ŷ/X̂. Proportions of area
 * take x_u = 1 (X̂ = N). The variables, as Stehman numbers them:
 *   overall accuracy (eq. 12)       y_u = 1 if map = reference
 *   area proportion of k (eq. 14)   y_u = 1 if reference = k
 *   user's accuracy of k (18–19)    y_u = 1 if map = reference = k, x_u = 1 if map = k
 *   producer's accuracy of k (22–23) y_u = 1 if map = reference = k, x_u = 1 if reference = k
 *   cell p_ij of the error matrix   y_u = 1 if map = i and reference = j
 * The variance is the paper's ratio-estimator variance,
 *   V̂(R̂) = (1/X̂²) Σ_h N_h² (1 − n_h/N_h) s²_zh / n_h,  z_u = y_u − R̂ x_u,  s² with n_h − 1,
 * with the factor (1 − n_h/N_h) only when the finite-population correction is asked for. When the
 * strata are the map classes these reduce exactly to the closed forms of Olofsson et al. (2014),
 * Remote Sens. Environ. 148:42–57, eq. 4–10 (the tests check both).
 *
 * Confidence intervals are estimate ± z·SE with z = 1.959963984540054 (95 %, normal approximation).
 * Pure: no I/O.
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { Z95 } from './accuracy.ts';

/** An estimated quantity: the estimate, its standard error, and the 95 % interval estimate ± z·SE. */
export interface Estimate {
  estimate: number;
  se: number;
  ci95: [number, number];
}

/** A stratum of the sampling design: its value in `sample.stratum` and its size N_h in pixels. */
export interface Stratum {
  value: number;
  pixels: number;
}

/** A class to report. `mappedPixels` is the map's own pixel count of the class (echoed, not used). */
export interface ClassSpec {
  value: number;
  name?: string;
  mappedPixels?: number;
}

/** The sample units, one index per unit across the three arrays. */
export interface StratifiedSample {
  stratum: Int32Array;
  mapClass: Int32Array;
  reference: Int32Array;
}

export interface StratifiedOptions {
  /** Multiply each stratum's variance term by 1 − n_h/N_h (default false). */
  finitePopulationCorrection?: boolean;
  /** Map units² per pixel; when given, areas are also reported in map units². */
  pixelArea?: number;
}

export interface ClassResult {
  value: number;
  name: string;
  /** Pixels the map labels with this class, as given; null when not given. */
  mappedPixels: number | null;
  userAccuracy: Estimate;
  producerAccuracy: Estimate;
  areaProportion: Estimate;
  /** Estimated area from the reference labels, in pixels and (with pixelArea) in map units². */
  area: { pixels: Estimate; mapUnits: Estimate | null };
}

export interface StratifiedAccuracy {
  n: number;
  confidence: 0.95;
  z: number;
  finitePopulationCorrection: boolean;
  totalPixels: number;
  pixelArea: number | null;
  overallAccuracy: Estimate;
  classes: ClassResult[];
  /** Rows are map classes, columns reference classes, both in the order of `classes`. */
  errorMatrix: { counts: number[][]; proportions: number[][] };
  strata: { value: number; pixels: number; sampled: number }[];
  /** Why some estimate or standard error is NaN, one sentence each. */
  warnings: string[];
}

/**
 * Estimates overall, user's and producer's accuracy, class area and the area-weighted error matrix
 * from a stratified random sample whose strata may differ from the map classes (Stehman 2014).
 * Throws DataError for a sample the estimators cannot use; undefined ratios (a class never mapped or
 * never seen in the reference) and undefined variances (a stratum of one unit) come back as NaN
 * with a line in `warnings`.
 */
export function estimateStratifiedAccuracy(
  strata: readonly Stratum[],
  sample: StratifiedSample,
  classes: readonly ClassSpec[],
  options: StratifiedOptions = {},
): StratifiedAccuracy {
  const fpc = options.finitePopulationCorrection ?? false;
  const pixelArea = options.pixelArea ?? null;
  if (pixelArea !== null && !(Number.isFinite(pixelArea) && pixelArea > 0)) {
    throw new ConfigError('pixelArea', 'a finite number > 0 (map units² per pixel)', pixelArea);
  }
  const n = sample.stratum.length;
  if (sample.mapClass.length !== n || sample.reference.length !== n) {
    throw new DataError(
      `the sample arrays differ in length (stratum ${n}, mapClass ${sample.mapClass.length}, reference ${sample.reference.length})`,
      'give one stratum, map class and reference class for every sample unit');
  }
  if (n === 0) throw new DataError('the sample has no units', 'pass the labelled sample units');

  const stratumIndex = indexOf(strata.map((s) => s.value), 'stratum');
  const classIndex = indexOf(classes.map((c) => c.value), 'class');
  for (const s of strata) {
    if (!(Number.isFinite(s.pixels) && s.pixels >= 0)) {
      throw new DataError(`stratum ${s.value} has size ${s.pixels}`, 'give every stratum its size N_h as a pixel count ≥ 0');
    }
  }
  for (const c of classes) {
    if (c.mappedPixels !== undefined && !(Number.isFinite(c.mappedPixels) && c.mappedPixels >= 0)) {
      throw new DataError(`class ${label(c)} has mappedPixels ${c.mappedPixels}`, 'give mappedPixels as a pixel count ≥ 0, or leave it out');
    }
  }

  // counts[h][i][j]: units of stratum h mapped as class i with reference class j.
  const H = strata.length;
  const K = classes.length;
  const counts = strata.map(() => classes.map(() => new Array<number>(K).fill(0)));
  const sampled = new Array<number>(H).fill(0);
  const unsized = new Map<number, number>();
  for (let u = 0; u < n; u++) {
    const h = stratumIndex.get(sample.stratum[u]!);
    if (h === undefined) {
      unsized.set(sample.stratum[u]!, (unsized.get(sample.stratum[u]!) ?? 0) + 1);
      continue;
    }
    const i = classIndex.get(sample.mapClass[u]!);
    const j = classIndex.get(sample.reference[u]!);
    if (i === undefined || j === undefined) {
      const [which, v] = i === undefined ? ['map', sample.mapClass[u]!] : ['reference', sample.reference[u]!];
      throw new DataError(`sample unit ${u} has ${which} class ${v}, which is not among the classes`,
        `add class ${v} to the classes (every class in the sample must be reported, or the error matrix would not sum to 1)`);
    }
    counts[h]![i]![j]!++;
    sampled[h]!++;
  }
  if (unsized.size > 0) {
    const list = [...unsized].map(([v, c]) => `${v} (${c} unit${c === 1 ? '' : 's'})`).join(', ');
    throw new DataError(`stratum ${list} has sampled units but no size`, 'give the size N_h in pixels of every stratum the sample was drawn from');
  }
  strata.forEach((s, h) => {
    if (sampled[h]! > s.pixels) {
      throw new DataError(`stratum ${s.value} has ${sampled[h]} sampled units but only ${s.pixels} pixels`, 'check the stratum sizes: N_h counts the pixels of the stratum');
    }
    if (sampled[h] === 0 && s.pixels > 0) {
      throw new DataError(`stratum ${s.value} has ${s.pixels} pixels but no sampled units, so its part of every total is unknown`,
        'sample that stratum, or leave it out of strata and report the estimates for the region the other strata cover');
    }
  });
  const totalPixels = strata.reduce((sum, s) => sum + s.pixels, 0);

  const warnings: string[] = [];
  const single = strata.filter((s, h) => sampled[h] === 1 && !(fpc && s.pixels === 1)).map((s) => s.value);
  if (single.length > 0) {
    warnings.push(`stratum ${single.join(', ')} has a single sample unit, so its within-stratum variance (n_h − 1 = 0) and every standard error are undefined (NaN); sample at least 2 units per stratum`);
  }

  /**
   * R̂ = Ŷ/X̂ and its standard error from per-stratum sums Σy and Σx of indicator variables. For every
   * quantity here y_u = 1 implies x_u = 1, so Σy² = Σxy = Σy and Σx² = Σx; then
   * (n_h − 1) s²_zh = Σy (1 − 2R̂) + R̂² Σx − n_h (ȳ_h − R̂ x̄_h)².
   */
  const ratio = (sumY: (h: number) => number, sumX: (h: number) => number): { estimate: number; se: number } => {
    let Y = 0;
    let X = 0;
    strata.forEach((s, h) => {
      if (sampled[h] === 0) return;
      Y += (s.pixels * sumY(h)) / sampled[h]!;
      X += (s.pixels * sumX(h)) / sampled[h]!;
    });
    if (!(X > 0)) return { estimate: NaN, se: NaN };
    const R = Y / X;
    let V = 0;
    strata.forEach((s, h) => {
      const nh = sampled[h]!;
      if (nh === 0 || (fpc && nh === s.pixels)) return; // unsampled and empty, or a census: no sampling variance
      const sy = sumY(h);
      const sx = sumX(h);
      const zBar = (sy - R * sx) / nh;
      const s2 = nh > 1 ? Math.max(0, (sy * (1 - 2 * R) + R * R * sx - nh * zBar * zBar) / (nh - 1)) : NaN;
      V += (s.pixels * s.pixels * (fpc ? 1 - nh / s.pixels : 1) * s2) / nh;
    });
    return { estimate: R, se: Math.sqrt(V) / X };
  };
  const all = (h: number) => sampled[h]!;
  const diag = (k: number) => (h: number) => counts[h]![k]![k]!;
  const mapped = (k: number) => (h: number) => sum(counts[h]![k]!);
  const referenced = (k: number) => (h: number) => counts[h]!.reduce((t, row) => t + row[k]!, 0);

  const overallAccuracy = withCi(ratio((h) => classes.reduce((t, _, k) => t + counts[h]![k]![k]!, 0), all));
  const classResults = classes.map((c, k): ClassResult => {
    const userAccuracy = withCi(ratio(diag(k), mapped(k)));
    const producerAccuracy = withCi(ratio(diag(k), referenced(k)));
    if (Number.isNaN(userAccuracy.estimate)) {
      warnings.push(`user's accuracy of class ${label(c)} is undefined (NaN): no sample unit is mapped as ${label(c)}`);
    }
    if (Number.isNaN(producerAccuracy.estimate)) {
      warnings.push(`producer's accuracy of class ${label(c)} is undefined (NaN): no sample unit has reference class ${label(c)}`);
    }
    const areaProportion = withCi(ratio(referenced(k), all));
    return {
      value: c.value,
      name: c.name ?? String(c.value),
      mappedPixels: c.mappedPixels ?? null,
      userAccuracy,
      producerAccuracy,
      areaProportion,
      area: {
        pixels: scale(areaProportion, totalPixels),
        mapUnits: pixelArea === null ? null : scale(areaProportion, totalPixels * pixelArea),
      },
    };
  });

  // p̂_ij = (1/N) Σ_h N_h n_hij / n_h: the estimated share of the map's area in cell (i, j).
  const proportions = classes.map((_, i) => classes.map((__, j) =>
    strata.reduce((t, s, h) => (sampled[h] === 0 ? t : t + (s.pixels * counts[h]![i]![j]!) / sampled[h]!), 0) / totalPixels));
  const matrixCounts = classes.map((_, i) => classes.map((__, j) => counts.reduce((t, c) => t + c[i]![j]!, 0)));

  return {
    n,
    confidence: 0.95,
    z: Z95,
    finitePopulationCorrection: fpc,
    totalPixels,
    pixelArea,
    overallAccuracy,
    classes: classResults,
    errorMatrix: { counts: matrixCounts, proportions },
    strata: strata.map((s, h) => ({ value: s.value, pixels: s.pixels, sampled: sampled[h]! })),
    warnings,
  };
}

function withCi({ estimate, se }: { estimate: number; se: number }): Estimate {
  return { estimate, se, ci95: [estimate - Z95 * se, estimate + Z95 * se] };
}

function scale(e: Estimate, factor: number): Estimate {
  return withCi({ estimate: e.estimate * factor, se: e.se * factor });
}

function sum(values: readonly number[]): number {
  return values.reduce((t, v) => t + v, 0);
}

function label(c: ClassSpec): string {
  return c.name === undefined ? String(c.value) : `${c.name} (${c.value})`;
}

/** Value → position, refusing non-integer or repeated values. */
function indexOf(values: readonly number[], what: string): Map<number, number> {
  const index = new Map<number, number>();
  values.forEach((v, i) => {
    if (!Number.isInteger(v)) throw new DataError(`${what} value ${v} is not an integer`, `give ${what} values as the integers used in the sample arrays`);
    if (index.has(v)) throw new DataError(`${what} value ${v} is listed twice`, `list each ${what} once`);
    index.set(v, i);
  });
  return index;
}
