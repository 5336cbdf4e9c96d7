import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, InputFileError } from '../../src/core/errors.ts';
import { fitPca, pcaFromJSON, pcaToJSON, transformCube } from '../../src/preprocess/pca.ts';
import type { PcaModel } from '../../src/preprocess/pca.ts';
import type { CubeBIP } from '../../src/core/types.ts';
import { Rng } from '../../src/util/random.ts';
import { thrown } from '../helpers.ts';

/*
 * Reference numbers: numpy 2.4, float64, sklearn PCA(whiten=True) semantics (covariance with ddof=1,
 * eigh, descending, each eigenvector's largest-|entry| positive, scores (x - mean) @ V / sqrt(eig)):
 *
 *   H, W, B = 6, 7, 5
 *   r, c, b = np.meshgrid(np.arange(H), np.arange(W), np.arange(B), indexing='ij')
 *   cube = (np.sin(0.9*r + 0.4*c*(b+1))*(b+1) + 0.3*r*b + np.cos(1.7*c - 0.5*b) + 0.05*(r*W + c)).astype(np.float32)
 *   X = cube.reshape(-1, B).astype(np.float64); m = X.mean(0); C = np.cov(X - m, rowvar=False)
 *   w, V = np.linalg.eigh(C); w, V = w[::-1], V[:, ::-1]; V *= np.sign(V[np.abs(V).argmax(0), range(B)])
 *   subset: pixels p with (p // W + p % W) % 3 == 0 (14 of 42)
 */
const H = 6;
const W = 7;
const B = 5;
const REF = {
  mean: [0.9662701394, 1.7418042814, 2.6062228034, 3.2736332952, 4.1713945284],
  eigenvalues: [25.4797384954, 9.2323117201, 4.9082936369, 2.1583623306, 0.4037924686],
  ratio: [0.6040357805, 0.2188659282, 0.1163585324, 0.0511672471, 0.0095725119],
  // bands × 3 components, row-major
  basis: [
    0.0294637827, -0.0812493769, -0.0162766149, 0.219906992, -0.1223357663, -0.5052612432, 0.2503265849,
    -0.5588269143, -0.5955619608, 0.5361151913, -0.5526677104, 0.6176474628, 0.7750418717, 0.6005858646,
    -0.0909049533,
  ],
  // pixels 0, 17, 41 × 3 components
  whitened: [
    -1.1844628211, 0.0896508004, 0.0475123342, 0.1803379261, 1.3671974314, 1.2114546137, 0.7027260674,
    -1.1098347012, 1.7828837362,
  ],
  unwhitened: [
    -5.9788673285, 0.2724014414, 0.1052620044, 0.910300024, 4.1541910295, 2.6839376118, 3.5471826134,
    -3.3722015959, 3.9499199251,
  ],
  subsetEigenvalues: [41.3884782519, 8.8816892939, 4.7086387199],
  subsetRatio: [0.7396437386, 0.1587225757, 0.0841469726],
  // pixels 1, 20, 40 (none of them fitted on) × 3 components
  subsetWhitened: [
    0.4139275864, 0.4320338088, 0.0799565609, 0.1861790355, -1.5496799637, -1.0830122507, 1.678188191,
    -0.6168294101, -0.1951870088,
  ],
};

function formulaCube(): CubeBIP {
  const data = new Float32Array(H * W * B);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      for (let b = 0; b < B; b++) {
        data[(r * W + c) * B + b] =
          Math.sin(0.9 * r + 0.4 * c * (b + 1)) * (b + 1) + 0.3 * r * b + Math.cos(1.7 * c - 0.5 * b) + 0.05 * (r * W + c);
      }
    }
  }
  return { height: H, width: W, bands: B, data };
}

const subsetPixels = Int32Array.from({ length: H * W }, (_, p) => p).filter((p) => (Math.floor(p / W) + (p % W)) % 3 === 0);

/** Values of the given pixels of a cube, pixel-major. */
function pick(cube: CubeBIP, pixels: number[]): number[] {
  return pixels.flatMap((p) => Array.from(cube.data.subarray(p * cube.bands, (p + 1) * cube.bands)));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = atol + rtol * Math.abs(want[i]);
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`entry ${i}: got ${got[i]}, want ${want[i]} (tolerance ${tol})`);
    }
  }
}

/** Per-component mean and variance (ddof = 1) of a transformed cube. */
function componentStats(out: CubeBIP): { mean: number[]; variance: number[] } {
  const n = out.height * out.width;
  const mean = new Array<number>(out.bands).fill(0);
  const variance = new Array<number>(out.bands).fill(0);
  for (let p = 0; p < n; p++) for (let k = 0; k < out.bands; k++) mean[k] += out.data[p * out.bands + k] / n;
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < out.bands; k++) variance[k] += (out.data[p * out.bands + k] - mean[k]) ** 2 / (n - 1);
  }
  return { mean, variance };
}


describe('fitPca against numpy', () => {
  const cube = formulaCube();

  it('gives the mean, eigenvalues, variance ratios and sign-fixed basis', () => {
    const model = fitPca(cube, { components: 3 });
    expect(model).toMatchObject({ bands: B, components: 3, whiten: true, fittedPixels: H * W });
    expectClose(model.mean, REF.mean);
    expectClose(model.eigenvalues, REF.eigenvalues.slice(0, 3));
    expectClose(model.explainedVarianceRatio, REF.ratio.slice(0, 3));
    expectClose(model.basis, REF.basis);
  });

  it('transforms like sklearn, whitened and not', () => {
    const whitened = transformCube(cube, fitPca(cube, { components: 3 }));
    expect([whitened.height, whitened.width, whitened.bands]).toEqual([H, W, 3]);
    expectClose(pick(whitened, [0, 17, 41]), REF.whitened);
    const plain = transformCube(cube, fitPca(cube, { components: 3, whiten: false }));
    expectClose(pick(plain, [0, 17, 41]), REF.unwhitened);
  });

  it('whitened components have zero mean and unit variance (ddof = 1) over the fitted pixels', () => {
    const { mean, variance } = componentStats(transformCube(cube, fitPca(cube, { components: 4 })));
    expectClose(mean, [0, 0, 0, 0]);
    expectClose(variance, [1, 1, 1, 1]);
  });

  it('explained variance ratios sum to at most 1, and to 1 with every component', () => {
    const three = fitPca(cube, { components: 3 }).explainedVarianceRatio.reduce((a, b) => a + b, 0);
    expect(three).toBeLessThan(1);
    expect(three).toBeCloseTo(REF.ratio[0] + REF.ratio[1] + REF.ratio[2], 6);
    const all = fitPca(cube, { components: B });
    expectClose(all.eigenvalues, REF.eigenvalues);
    expect(all.explainedVarianceRatio.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('fits on a pixel subset and transforms the whole scene', () => {
    const model = fitPca(cube, { components: 3, pixels: subsetPixels });
    expect(model.fittedPixels).toBe(14);
    expectClose(model.eigenvalues, REF.subsetEigenvalues);
    expectClose(model.explainedVarianceRatio, REF.subsetRatio);
    const out = transformCube(cube, model);
    expectClose(pick(out, [1, 20, 40]), REF.subsetWhitened);
  });

  it('gives the same model whatever the chunk size (several chunks, uneven last one)', () => {
    for (const pixels of [undefined, subsetPixels]) {
      const one = fitPca(cube, { components: 3, pixels });
      const chunked = fitPca(cube, { components: 3, pixels, chunkPixels: 4 });
      expectClose(chunked.eigenvalues, one.eigenvalues, 1e-6);
      expectClose(chunked.basis, one.basis, 1e-5, 1e-6);
      const a = transformCube(cube, one);
      const b = transformCube(cube, one, { chunkPixels: 5 });
      expectClose(b.data, a.data, 1e-6, 1e-6);
    }
  });
});

describe('fitPca on a larger seeded cube', () => {
  // 24×30×12: a few mixed spectra plus noise, so the eigenvalues are distinct.
  const rng = new Rng(7);
  const [h, w, bands] = [24, 30, 12];
  const data = new Float32Array(h * w * bands);
  const spectra = Array.from({ length: 4 }, () => Array.from({ length: bands }, () => rng.uniform(0, 100)));
  for (let p = 0; p < h * w; p++) {
    const mix = spectra.map(() => rng.next());
    for (let b = 0; b < bands; b++) {
      data[p * bands + b] = 500 + mix.reduce((s, m, i) => s + m * spectra[i][b], 0) + rng.uniform(-2, 2);
    }
  }
  const cube: CubeBIP = { height: h, width: w, bands, data };

  it('returns orthonormal eigenvectors of the float64 covariance, largest |entry| positive', () => {
    const k = 6;
    const model = fitPca(cube, { components: k, chunkPixels: 100 });
    // Float64 covariance, computed naively here as the independent check.
    const n = h * w;
    const cov = new Float64Array(bands * bands);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < bands; i++) {
        for (let j = 0; j < bands; j++) {
          cov[i * bands + j] += ((data[p * bands + i] - model.mean[i]) * (data[p * bands + j] - model.mean[j])) / (n - 1);
        }
      }
    }
    const col = (c: number) => Array.from({ length: bands }, (_, b) => model.basis[b * k + c]);
    for (let c = 0; c < k; c++) {
      const v = col(c);
      const cv = Array.from({ length: bands }, (_, i) => v.reduce((s, x, j) => s + cov[i * bands + j] * x, 0));
      expectClose(cv, v.map((x) => x * model.eigenvalues[c]), 1e-4, 1e-4 * model.eigenvalues[0]);
      for (let d = 0; d <= c; d++) {
        expect(v.reduce((s, x, i) => s + x * col(d)[i], 0)).toBeCloseTo(c === d ? 1 : 0, 6);
      }
      const big = v.reduce((best, x, i) => (Math.abs(x) > Math.abs(v[best]) ? i : best), 0);
      expect(v[big]).toBeGreaterThan(0);
    }
    for (let c = 1; c < k; c++) expect(model.eigenvalues[c]).toBeLessThan(model.eigenvalues[c - 1]);
  });

  it('keeps the same basis signs when the data are negated', () => {
    // Negating the data leaves the covariance unchanged; the sign rule must not depend on the solver's mood.
    const negated: CubeBIP = { ...cube, data: data.map((v) => -v) };
    const a = fitPca(cube, { components: 4 });
    const b = fitPca(negated, { components: 4 });
    expectClose(b.basis, a.basis, 1e-4, 1e-6);
  });

  it('transforms every pixel like a float64 projection with the model, for any chunk size', () => {
    const model = fitPca(cube, { components: 5 });
    const n = h * w;
    const want = new Float64Array(n * 5);
    for (let p = 0; p < n; p++) {
      for (let k = 0; k < 5; k++) {
        let s = 0;
        for (let b = 0; b < bands; b++) s += (data[p * bands + b] - model.mean[b]) * model.basis[b * 5 + k];
        want[p * 5 + k] = s / Math.sqrt(model.eigenvalues[k]);
      }
    }
    for (const chunkPixels of [1, 7, 256, n]) {
      expectClose(transformCube(cube, model, { chunkPixels }).data, want, 1e-4, 1e-4);
    }
  });
});

describe('PCA model JSON', () => {
  const cube = formulaCube();
  const model: PcaModel = fitPca(cube, { components: 3, pixels: subsetPixels });

  it('round-trips through JSON text and transforms identically', () => {
    const back = pcaFromJSON(JSON.parse(JSON.stringify(pcaToJSON(model))));
    expect(back).toEqual(model);
    expect(transformCube(cube, back).data).toEqual(transformCube(cube, model).data);
  });

  it('rejects wrong kinds, versions and shapes with an InputFileError naming the file', () => {
    const good = pcaToJSON(model);
    const cases: [unknown, RegExp][] = [
      [[1, 2], /expected a JSON object/],
      [{ ...good, kind: 'PCA' }, /kind is "PCA"/],
      [{ ...good, version: 2 }, /version is 2/],
      [{ ...good, components: 6 }, /components \(6\) exceeds bands \(5\)/],
      [{ ...good, basis: good.basis.slice(1) }, /basis must be an array of 15 numbers, got an array of 14/],
      [{ ...good, mean: [0, 0, null, 0, 0] }, /mean\[2\] is null/],
      [{ ...good, whiten: 'yes' }, /whiten is "yes"/],
      [{ ...good, eigenvalues: [1, 0, 0] }, /eigenvalues\[1\] is 0, whitening needs positive/],
      [{ ...good, fittedPixels: 0 }, /fittedPixels is 0/],
    ];
    for (const [json, message] of cases) {
      const err = thrown(() => pcaFromJSON(json, 'out/pca.json'));
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as InputFileError).message).toMatch(/^out\/pca\.json: not a valid spinalnet PCA model/);
      expect((err as InputFileError).message).toMatch(message);
      expect((err as InputFileError).fix).toMatch(/refit/);
    }
  });
});

describe('PCA errors', () => {
  const cube = formulaCube();

  it('rejects component counts outside 1…bands as a ConfigError on --pca', () => {
    for (const components of [0, 6, 2.5, Number.NaN]) {
      const err = thrown(() => fitPca(cube, { components }));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).parameter).toBe('--pca');
      expect((err as ConfigError).message).toContain('expected an integer from 1 to 5');
    }
    expect((thrown(() => fitPca(cube, { components: 6 })) as ConfigError).fix).toBe('ask for at most 5 components');
  });

  it('needs at least 2 pixels, indices inside the cube, and enough pixels to whiten', () => {
    const one = thrown(() => fitPca(cube, { components: 1, pixels: Int32Array.of(3) }));
    expect(one).toBeInstanceOf(DataError);
    expect((one as DataError).message).toContain('at least 2 pixels');
    const outside = thrown(() => fitPca(cube, { components: 1, pixels: Int32Array.of(3, 42) }));
    expect(outside).toBeInstanceOf(DataError);
    expect((outside as DataError).message).toContain('pixel index 42 (entry 1');
    const few = thrown(() => fitPca(cube, { components: 3, pixels: Int32Array.of(0, 9, 20) }));
    expect(few).toBeInstanceOf(DataError);
    expect((few as DataError).fix).toContain('ask for at most 2 components');
    // Without whitening, 3 pixels may still give 3 components (the third has zero variance).
    expect(fitPca(cube, { components: 3, whiten: false, pixels: Int32Array.of(0, 9, 20) }).eigenvalues[2]).toBeCloseTo(0, 3);
  });

  it('names how many non-finite values there are and where the first is', () => {
    const data = cube.data.slice();
    data[(2 * W + 3) * B + 4] = Number.NaN;
    data[(5 * W + 6) * B + 0] = Number.POSITIVE_INFINITY;
    const bad: CubeBIP = { ...cube, data };
    const err = thrown(() => fitPca(bad, { components: 2 }));
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain('2 non-finite values');
    expect((err as DataError).message).toContain('NaN at band 4, row 2, col 3');
    expect((err as DataError).fix).toMatch(/clean the cube/);
    // Fitted on pixels that avoid both, the fit works and the transform reports them.
    const model = fitPca(bad, { components: 2, pixels: Int32Array.of(0, 1, 2, 3, 4, 5, 6) });
    const late = thrown(() => transformCube(bad, model));
    expect(late).toBeInstanceOf(DataError);
    expect((late as DataError).message).toContain('NaN at band 4, row 2, col 3');
    // A subset that includes one of them fails at fit time, counting only the fitted pixels.
    const sub = thrown(() => fitPca(bad, { components: 1, pixels: Int32Array.of(0, 41) }));
    expect((sub as DataError).message).toMatch(/holds 1 non-finite value .* among the pixels PCA is fitted on/);
    expect((sub as DataError).message).toContain('Infinity at band 0, row 5, col 6');
  });

  it('refuses to whiten a zero-variance component but reports it unwhitened', () => {
    const flat: CubeBIP = { ...cube, data: new Float32Array(cube.data.length).fill(3) };
    const err = thrown(() => fitPca(flat, { components: 2 }));
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain('component 1 of 2 has zero variance');
    const model = fitPca(flat, { components: 2, whiten: false });
    expect(model.eigenvalues).toEqual([0, 0]);
    expect(model.explainedVarianceRatio).toEqual([0, 0]);
    expect(Array.from(transformCube(flat, model).data).every((v) => v === 0)).toBe(true);
  });

  it('rejects a cube whose bands differ from the model, and inconsistent cube data', () => {
    const model = fitPca(cube, { components: 2 });
    const other: CubeBIP = { height: 2, width: 2, bands: 4, data: new Float32Array(16) };
    const err = thrown(() => transformCube(other, model));
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain('fitted on 5 bands but the cube has 4');
    const zero = thrown(() => transformCube(cube, { ...model, eigenvalues: [1, 0] }));
    expect((zero as DataError).message).toContain('whitens by a non-positive eigenvalue');
    const cut = thrown(() => transformCube(cube, { ...model, basis: model.basis.slice(1) }));
    expect((cut as DataError).message).toContain('basis has 9 entries for 5×2');
    const short = thrown(() => fitPca({ ...cube, data: cube.data.subarray(1) }, { components: 2 }));
    expect(short).toBeInstanceOf(DataError);
    expect(thrown(() => fitPca(cube, { components: 2, chunkPixels: 0 }))).toBeInstanceOf(ConfigError);
  });
});
