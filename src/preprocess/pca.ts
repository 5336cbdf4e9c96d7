/**
 * PCA band reduction of a hyperspectral cube, as the SpinalNet KSC script does it:
 * `sklearn.decomposition.PCA(n_components=30, whiten=True).fit_transform(X)` with X = every pixel × bands.
 * Fitting on a subset (e.g. the training pixels) and applying to the whole scene is also supported.
 *
 * Steps: band means and covariance (pcaStats.ts), eigen-decomposition of the bands × bands covariance
 * with ml-pca, then the projection. Both hot loops are WebAssembly SIMD kernels (pcaKernels.ts), so PCA
 * runs the same whatever tfjs backend is active, and faster than through tfjs's matMuls; eigenvalues
 * agree with numpy's float64 ones (bench/pca.ts; numbers: docs/performance.md#pca).
 */
import { Matrix } from 'ml-matrix';
import { PCA } from 'ml-pca';
import { ConfigError, DataError } from '../core/errors.ts';
import type { CubeBIP } from '../core/types.ts';
import { PcaKernels } from './pcaKernels.ts';
import { bandCovariance, bandMeans, findNonFinite, nonFiniteError } from './pcaStats.ts';
import type { PcaModel } from './pcaModel.ts';

export type { PcaModel, PcaModelJSON } from './pcaModel.ts';
export { pcaFromJSON, pcaToJSON, PCA_JSON_KIND, PCA_JSON_VERSION } from './pcaModel.ts';

/** Pixels per covariance chunk: float32 lanes sum at most this many products before going to float64. */
export const DEFAULT_FIT_CHUNK_PIXELS = 256;
/** Pixels per projection chunk (each score is its own dot product, so this only affects speed). */
export const DEFAULT_TRANSFORM_CHUNK_PIXELS = 256;

/**
 * A whitened component whose variance is at most this fraction of the first one's is treated as zero
 * variance (whitening it would blow rounding noise up to unit variance).
 */
const ZERO_VARIANCE_RTOL = 1e-10;

export interface PcaOptions {
  /** Components to keep, an integer from 1 to the cube's bands (the paper uses 30). Required. */
  components: number;
  /** Scale each component to unit variance on the fitted pixels (sklearn's `whiten=True`). Default true. */
  whiten?: boolean;
  /** Row-major pixel indices (r * width + c) to fit on, e.g. the training pixels. Default: every pixel. */
  pixels?: Int32Array;
  /** Pixels per covariance chunk; fewer is more accurate. Default DEFAULT_FIT_CHUNK_PIXELS (256). */
  chunkPixels?: number;
}

export interface TransformOptions {
  /** Pixels projected per chunk. Default DEFAULT_TRANSFORM_CHUNK_PIXELS (256). */
  chunkPixels?: number;
}

/**
 * Fits PCA to the cube's pixels (all, or `opts.pixels`).
 *
 * Throws ConfigError ('--pca') for a component count outside 1…bands, DataError for fewer than 2 pixels,
 * for pixel indices outside the cube, for non-finite values among the fitted pixels, and, with whitening,
 * for components of zero variance (e.g. more components than fitted pixels − 1).
 */
export function fitPca(cube: CubeBIP, opts: PcaOptions): PcaModel {
  const { components, whiten = true, pixels, chunkPixels = DEFAULT_FIT_CHUNK_PIXELS } = opts;
  checkCube(cube);
  checkChunk(chunkPixels);
  const fittedPixels = pixels === undefined ? cube.height * cube.width : pixels.length;
  if (pixels !== undefined) checkPixelIndices(cube, pixels);
  checkPcaFit(cube.bands, components, whiten, fittedPixels);
  const mean = bandMeans(cube, { pixels });
  const cov = bandCovariance(cube, mean, chunkPixels, { pixels });
  return pcaFromStats({ mean, cov, fittedPixels }, components, whiten);
}

/** The checks on a fit request that need no data: component count against the bands, enough pixels. */
export function checkPcaFit(bands: number, components: number, whiten: boolean, fittedPixels: number): void {
  if (!Number.isInteger(components) || components < 1 || components > bands) {
    throw new ConfigError(
      '--pca',
      `an integer from 1 to ${bands} (the cube's bands)`,
      components,
      components > bands ? `ask for at most ${bands} components` : `ask for 1 to ${bands} components`,
    );
  }
  if (fittedPixels < 2) {
    throw new DataError(
      `PCA needs at least 2 pixels to fit on, got ${fittedPixels}`,
      'fit on more pixels (e.g. a larger training fraction), or on the whole scene',
    );
  }
  if (whiten && fittedPixels <= components) {
    // n centred pixels span at most n − 1 directions; the rest have zero variance and cannot be whitened.
    throw new DataError(
      `${components} whitened components need at least ${components + 1} fitted pixels, got ${fittedPixels}`,
      `ask for at most ${fittedPixels - 1} components, fit on more pixels, or turn whitening off`,
    );
  }
}

/** The statistics a PCA is fitted on: band means and covariance (ddof = 1) over `fittedPixels` pixels. */
export interface PcaStats {
  readonly mean: Float64Array;
  readonly cov: Float64Array;
  readonly fittedPixels: number;
}

/**
 * The PCA model from its statistics, whether they were summed over a cube in memory (`fitPca`) or over
 * the row windows of a streamed scene (src/scene/sceneScan.ts): the eigen-decomposition and the checks
 * are this one function either way. The caller has checked `components` against the bands.
 */
export function pcaFromStats(stats: PcaStats, components: number, whiten: boolean): PcaModel {
  const { mean, cov, fittedPixels } = stats;
  const bands = mean.length;
  let totalVariance = 0;
  for (let b = 0; b < bands; b++) totalVariance += cov[b * bands + b];

  // ml-pca runs ml-matrix's symmetric EVD and returns eigenvectors as columns, by decreasing eigenvalue.
  const pca = new PCA(Matrix.from1DArray(bands, bands, cov), { isCovarianceMatrix: true });
  const vectors = pca.getEigenvectors();
  const values = pca.getEigenvalues();

  const basis = new Array<number>(bands * components);
  const eigenvalues = new Array<number>(components);
  for (let k = 0; k < components; k++) {
    // Deterministic sign (sklearn's svd_flip convention): the largest-magnitude entry is positive.
    let big = 0;
    for (let b = 1; b < bands; b++) if (Math.abs(vectors.get(b, k)) > Math.abs(vectors.get(big, k))) big = b;
    const sign = vectors.get(big, k) < 0 ? -1 : 1;
    for (let b = 0; b < bands; b++) basis[b * components + k] = sign * vectors.get(b, k);
    // Rounding can leave a zero eigenvalue slightly negative; a variance is never below 0.
    eigenvalues[k] = Math.max(0, values[k]);
  }
  if (whiten) {
    const k = eigenvalues.findIndex((v) => !(v > eigenvalues[0] * ZERO_VARIANCE_RTOL));
    if (k >= 0) {
      throw new DataError(
        `PCA component ${k + 1} of ${components} has zero variance (eigenvalue ${eigenvalues[k]}, ` +
          `largest ${eigenvalues[0]}) on the ${fittedPixels} fitted pixels, so it cannot be whitened`,
        k === 0
          ? 'the fitted pixels all have one spectrum: fit on more varied pixels, or turn whitening off'
          : `ask for at most ${k} components, fit on more varied pixels, or turn whitening off`,
      );
    }
  }
  const explainedVarianceRatio = eigenvalues.map((v) => (totalVariance > 0 ? v / totalVariance : 0));
  return {
    bands,
    components,
    whiten,
    mean: Array.from(mean),
    basis,
    eigenvalues,
    explainedVarianceRatio,
    fittedPixels,
  };
}

/**
 * Projects every pixel of the cube on the model's components: a new BIP cube with `bands = components`,
 * value (x − mean) · basis[:, k], divided by sqrt(eigenvalues[k]) when the model whitens (sklearn's
 * `transform`). Throws DataError when the cube's band count differs from the model's or the cube holds
 * non-finite values.
 */
export function transformCube(cube: CubeBIP, model: PcaModel, opts: TransformOptions = {}): CubeBIP {
  const { chunkPixels = DEFAULT_TRANSFORM_CHUNK_PIXELS } = opts;
  checkCube(cube);
  checkChunk(chunkPixels);
  const n = cube.height * cube.width;
  const out = new Float32Array(n * model.components);
  if (n > 0) pcaProjector(model, cube.bands, Math.min(chunkPixels, n)).project(cube.data, out, 0, cube.width);
  return { height: cube.height, width: cube.width, bands: model.components, data: out };
}

/**
 * Projects BIP pixels on a model's components, window by window: `project(data, out, offset)` writes
 * the scores of every pixel of `data` to out[offset …] (pixels × components). `transformCube` is one
 * window; a streamed scene (src/scene/sceneScan.ts) calls it once per row window.
 */
export function pcaProjector(model: PcaModel, cubeBands: number, chunkPixels = DEFAULT_TRANSFORM_CHUNK_PIXELS) {
  checkChunk(chunkPixels);
  const { bands, components } = model;
  if (cubeBands !== bands) {
    throw new DataError(
      `the PCA model was fitted on ${bands} bands but the cube has ${cubeBands}`,
      'apply the model only to cubes from the same sensor and band selection, or refit PCA on this cube',
    );
  }
  const problem =
    model.basis.length !== bands * components || model.mean.length !== bands
      ? `basis has ${model.basis.length} entries for ${bands}×${components}, mean ${model.mean.length} for ${bands}`
      : model.whiten && model.eigenvalues.slice(0, components).some((v) => !(v > 0))
        ? 'it whitens by a non-positive eigenvalue'
        : undefined;
  if (problem !== undefined) {
    throw new DataError(
      `the PCA model is inconsistent: ${problem}`,
      'load the model with pcaFromJSON, which checks it, or refit it',
    );
  }
  // Whitening folds into the basis: ((x − m)·v) / s = (x − m)·(v / s).
  const weights = new Float32Array(bands * components);
  for (let k = 0; k < components; k++) {
    const scale = model.whiten ? 1 / Math.sqrt(model.eigenvalues[k]) : 1;
    for (let b = 0; b < bands; b++) weights[b * components + k] = model.basis[b * components + k] * scale;
  }
  // Centred in the kernel's chunk first: float32 x·v − m·v would cancel badly for small components.
  const kernels = new PcaKernels(bands, chunkPixels, components);
  kernels.setMean(model.mean);
  kernels.setWeights(weights);
  return {
    /** `width`: pixels per row of `data`, for naming where a non-finite value is (rows counted within `data`). */
    project(data: Float32Array, out: Float32Array, outOffset: number, width = data.length / bands): void {
      const n = data.length / bands;
      for (let start = 0; start < n; start += chunkPixels) {
        const rows = Math.min(chunkPixels, n - start);
        kernels.loadChunk(data, start, rows);
        kernels.project(rows, out, outOffset + start * components);
      }
      // NaN/±Infinity in any band reach every score of that pixel, so checking the (smaller) output suffices.
      const end = outOffset + n * components;
      for (let i = outOffset; i < end; i++) {
        if (Number.isFinite(out[i])) continue;
        const window: CubeBIP = { height: n / width, width, bands, data };
        if (findNonFinite(window).count > 0) throw nonFiniteError(window);
        throw new DataError(
          `PCA scores overflow float32 at pixel ${Math.floor(i / components)} (component ${((i - outOffset) % components) + 1})`,
          'check the cube for absurdly large values; scale the data before PCA',
        );
      }
    },
  };
}

function checkCube(cube: CubeBIP): void {
  const { height, width, bands, data } = cube;
  if (data.length !== height * width * bands) {
    throw new DataError(
      `the cube's data holds ${data.length} values, not height×width×bands = ${height}×${width}×${bands}`,
      'build the cube with the scene reader, which sizes the data from the file',
    );
  }
}

function checkChunk(chunkPixels: number): void {
  if (!Number.isInteger(chunkPixels) || chunkPixels < 1) {
    throw new ConfigError('chunkPixels', 'a positive integer', chunkPixels);
  }
}

function checkPixelIndices(cube: CubeBIP, pixels: Int32Array): void {
  const n = cube.height * cube.width;
  for (let i = 0; i < pixels.length; i++) {
    const p = pixels[i];
    if (p < 0 || p >= n) {
      throw new DataError(
        `pixel index ${p} (entry ${i} of the PCA fitting pixels) is outside the ${cube.height}×${cube.width} cube`,
        'pass row-major indices r * width + c of this cube (e.g. from the label map of the same scene)',
      );
    }
  }
}
