/**
 * A fitted PCA as plain data, and its JSON form. The model is saved next to a trained network so a scene
 * can be reduced later exactly as the training scene was; `pcaFromJSON` checks a kind tag and every shape
 * so a wrong or damaged file fails here with a clear message rather than as NaNs downstream.
 */
import { InputFileError } from '../core/errors.ts';

/** Tag written into every saved model; bump `PCA_JSON_VERSION` when the layout changes. */
export const PCA_JSON_KIND = 'spinalnet-pca';
export const PCA_JSON_VERSION = 1;

/**
 * A fitted PCA, sklearn-compatible: `mean` is `mean_`, `basis` holds `components_` transposed,
 * `eigenvalues` is `explained_variance_` (divided by n − 1), `explainedVarianceRatio` is
 * `explained_variance_ratio_` (eigenvalue / total variance of all bands).
 */
export interface PcaModel {
  /** Bands of the cubes this model applies to. */
  readonly bands: number;
  /** Components kept (bands of the transformed cube). */
  readonly components: number;
  /** Whether `transformCube` divides each score by sqrt(eigenvalue) (unit variance on the fitted pixels). */
  readonly whiten: boolean;
  /** Per-band mean of the fitted pixels, length `bands`. */
  readonly mean: number[];
  /**
   * Unit eigenvectors, row-major bands × components: entry (b, k) = basis[b * components + k] is the
   * weight of band b in component k. Columns are in decreasing eigenvalue order; each column's entry of
   * largest magnitude is positive (the first such entry on ties), so refits give the same signs.
   */
  readonly basis: number[];
  /** Variance of each component over the fitted pixels (ddof = 1), decreasing, length `components`. */
  readonly eigenvalues: number[];
  /** eigenvalue / (sum of all band variances), length `components`; sums to ≤ 1. */
  readonly explainedVarianceRatio: number[];
  /** How many pixels the model was fitted on. */
  readonly fittedPixels: number;
}

/** The saved form: the model plus a kind tag and version. */
export interface PcaModelJSON extends PcaModel {
  readonly kind: typeof PCA_JSON_KIND;
  readonly version: typeof PCA_JSON_VERSION;
}

/** The model as a JSON-ready object (`JSON.stringify` it to save). */
export function pcaToJSON(model: PcaModel): PcaModelJSON {
  return {
    kind: PCA_JSON_KIND,
    version: PCA_JSON_VERSION,
    bands: model.bands,
    components: model.components,
    whiten: model.whiten,
    mean: [...model.mean],
    basis: [...model.basis],
    eigenvalues: [...model.eigenvalues],
    explainedVarianceRatio: [...model.explainedVarianceRatio],
    fittedPixels: model.fittedPixels,
  };
}

/**
 * Checks a parsed JSON value and returns the model. `source` names the file in error messages.
 * Throws InputFileError when the kind tag, version, a field's type or an array's length is wrong.
 */
export function pcaFromJSON(json: unknown, source = 'PCA model'): PcaModel {
  const fail = (problem: string): InputFileError =>
    new InputFileError(
      source,
      `not a valid spinalnet PCA model: ${problem}`,
      'point to the pca.json written with the trained model, or refit PCA on the scene',
    );
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('expected a JSON object');
  const o = json as Record<string, unknown>;
  if (o.kind !== PCA_JSON_KIND) throw fail(`kind is ${JSON.stringify(o.kind)}, expected "${PCA_JSON_KIND}"`);
  if (o.version !== PCA_JSON_VERSION) {
    throw fail(`version is ${JSON.stringify(o.version)}, this program reads version ${PCA_JSON_VERSION}`);
  }
  const positiveInt = (name: string): number => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw fail(`${name} is ${JSON.stringify(v)}, expected a positive integer`);
    }
    return v;
  };
  const bands = positiveInt('bands');
  const components = positiveInt('components');
  const fittedPixels = positiveInt('fittedPixels');
  if (components > bands) throw fail(`components (${components}) exceeds bands (${bands})`);
  if (typeof o.whiten !== 'boolean') throw fail(`whiten is ${JSON.stringify(o.whiten)}, expected true or false`);
  const numbers = (name: string, length: number): number[] => {
    const v = o[name];
    if (!Array.isArray(v) || v.length !== length) {
      const got = Array.isArray(v) ? `an array of ${v.length}` : JSON.stringify(v)?.slice(0, 40);
      throw fail(`${name} must be an array of ${length} numbers, got ${got}`);
    }
    const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) throw fail(`${name}[${bad}] is ${JSON.stringify(v[bad])}, expected a finite number`);
    return v as number[];
  };
  const model: PcaModel = {
    bands,
    components,
    whiten: o.whiten,
    mean: numbers('mean', bands),
    basis: numbers('basis', bands * components),
    eigenvalues: numbers('eigenvalues', components),
    explainedVarianceRatio: numbers('explainedVarianceRatio', components),
    fittedPixels,
  };
  if (model.whiten) {
    const k = model.eigenvalues.findIndex((v) => !(v > 0));
    if (k >= 0) throw fail(`eigenvalues[${k}] is ${model.eigenvalues[k]}, whitening needs positive eigenvalues`);
  }
  return model;
}
