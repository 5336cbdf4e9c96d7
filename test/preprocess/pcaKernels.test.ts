import { describe, expect, it } from 'vitest';
import { PcaKernels } from '../../src/preprocess/pcaKernels.ts';
import { sleb, uleb } from '../../src/util/wasmEncoder.ts';
import { Rng } from '../../src/util/random.ts';

describe('wasm encoder', () => {
  it('writes LEB128 as the spec examples do', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

/** Random BIP data (pixels × bands) with an offset, as float32. */
function randomData(rng: Rng, pixels: number, bands: number): Float32Array {
  return Float32Array.from({ length: pixels * bands }, (_, i) => 100 + (i % bands) + 10 * (rng.next() - 0.5));
}

function means(data: Float32Array, bands: number, pixels: ArrayLike<number>): number[] {
  const m = new Array<number>(bands).fill(0);
  for (let i = 0; i < pixels.length; i++) for (let b = 0; b < bands; b++) m[b] += data[pixels[i] * bands + b] / pixels.length;
  return m;
}

describe('PcaKernels', () => {
  const rng = new Rng(11);

  // Band counts around the 4-row and 8-column tiles (padding lanes), row counts around chunk edges.
  for (const bands of [1, 3, 8, 9, 17, 33]) {
    it(`sums centred products like float64 for ${bands} bands, over chunks and pixel subsets`, () => {
      const n = 23;
      const data = randomData(rng, n, bands);
      const subset = Int32Array.of(22, 0, 5, 5, 17, 3, 9);
      for (const [pixels, chunkRows] of [
        [undefined, 1],
        [undefined, 6],
        [undefined, 64],
        [subset, 3],
      ] as const) {
        const list = pixels ?? Int32Array.from({ length: n }, (_, i) => i);
        const mean = means(data, bands, list);
        const kernels = new PcaKernels(bands, Math.min(chunkRows, list.length));
        kernels.setMean(mean);
        for (let start = 0; start < list.length; start += chunkRows) {
          const rows = Math.min(chunkRows, list.length - start);
          kernels.loadChunk(data, start, rows, pixels);
          kernels.addToGram(rows);
        }
        const got = kernels.gram();
        for (let i = 0; i < bands; i++) {
          for (let j = 0; j < bands; j++) {
            let want = 0;
            for (const p of list) {
              want += (data[p * bands + i] - Math.fround(mean[i])) * (data[p * bands + j] - Math.fround(mean[j]));
            }
            expect(Math.abs(got[i * bands + j] - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
          }
        }
      }
    });
  }

  for (const [bands, components] of [
    [1, 1],
    [5, 3],
    [8, 16],
    [17, 17],
    [33, 30],
  ]) {
    it(`projects centred pixels like float64 for ${bands} bands → ${components} scores, odd chunks too`, () => {
      const n = 13;
      const data = randomData(rng, n, bands);
      const mean = means(data, bands, Int32Array.from({ length: n }, (_, i) => i));
      const weights = Array.from({ length: bands * components }, () => rng.next() - 0.5);
      for (const chunkRows of [1, 4, 5, 13]) {
        const kernels = new PcaKernels(bands, chunkRows, components);
        kernels.setMean(mean);
        kernels.setWeights(weights);
        const out = new Float32Array(n * components).fill(Number.NaN);
        for (let start = 0; start < n; start += chunkRows) {
          const rows = Math.min(chunkRows, n - start);
          kernels.loadChunk(data, start, rows);
          kernels.project(rows, out, start * components);
        }
        for (let p = 0; p < n; p++) {
          for (let k = 0; k < components; k++) {
            let want = 0;
            for (let b = 0; b < bands; b++) {
              want += (data[p * bands + b] - Math.fround(mean[b])) * Math.fround(weights[b * components + k]);
            }
            expect(Math.abs(out[p * components + k] - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
          }
        }
      }
    });
  }
});
