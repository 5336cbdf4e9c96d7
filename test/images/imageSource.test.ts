import { describe, expect, it } from 'vitest';
import { drawAffine, warpAffine } from '../../src/images/augment.ts';
import { fitNormalization, imageSource } from '../../src/images/imageSource.ts';
import { splitImages } from '../../src/images/splitImages.ts';
import type { ImageSet, LoadedImageDataset } from '../../src/images/types.ts';
import { createRng } from '../../src/util/random.ts';

/** 3 RGB images of 1×2 pixels: image i, pixel p, channel k = 10i + 3p + k (times 5). */
const rgb: ImageSet = {
  count: 3, height: 1, width: 2, channels: 3,
  pixels: Uint8Array.from({ length: 18 }, (_, j) => 5 * (10 * Math.floor(j / 6) + (j % 6))),
  labels: Int32Array.from([0, 1, 0]),
};

describe('normalisation', () => {
  it('serves (v/255 − mean)/std per channel, in the order asked', () => {
    const norm = { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] };
    const src = imageSource(rgb, norm, { indices: [2, 0] });
    expect(src.count).toBe(2);
    expect(src.sampleShape).toEqual([1, 2, 3]);
    const out = new Float32Array(12);
    src.fill([0, 1], out);
    // out[0] is image 2, pixel 0, channel 0: v = 100.
    expect(out[0]).toBeCloseTo((100 / 255 - 0.1) / 0.5, 5);
    expect(out[5]).toBeCloseTo((125 / 255 - 0.3) / 2, 5); // image 2, pixel 1, channel 2: v = 5·25
    expect(out[6]).toBeCloseTo((0 / 255 - 0.1) / 0.5, 5); // image 0
    expect(() => imageSource(rgb, { mean: [0], std: [1] })).toThrow(/normalisation for 1 channels, images have 3/);
  });

  it('fits mean and standard deviation per channel', () => {
    const grey: ImageSet = { count: 2, height: 1, width: 2, channels: 1, pixels: Uint8Array.from([0, 255, 255, 255]), labels: Int32Array.from([0, 1]) };
    const n = fitNormalization(grey);
    expect(n.mean[0]).toBeCloseTo(0.75, 10);
    expect(n.std[0]).toBeCloseTo(Math.sqrt(0.75 * 0.25), 10);
    expect(fitNormalization(grey, [1])).toEqual({ mean: [1], std: [1] }); // constant: std 1, not 0
    const c = fitNormalization(rgb);
    expect(c.mean.map((m) => m * 255)).toEqual([expect.closeTo(5 * 11.5, 8), expect.closeTo(5 * 12.5, 8), expect.closeTo(5 * 13.5, 8)]);
  });
});

describe('augmentation', () => {
  /** 5×5 grey image with a single bright pixel at (row 2, column 4), right of the centre. */
  const dot = { height: 5, width: 5, channels: 1, data: Uint8Array.from({ length: 25 }, (_, i) => (i === 14 ? 200 : 0)) };

  it('rotates counter-clockwise for a positive angle and shifts by whole pixels exactly', () => {
    const out = new Float32Array(25);
    warpAffine(dot, { dy: 0, dx: 0, angle: Math.PI / 2 }, out);
    expect(out[0 * 5 + 2]).toBeCloseTo(200, 4); // right of the centre moved to the top
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(200, 3);
    warpAffine(dot, { dy: 1, dx: -2, angle: 0 }, out);
    expect(out[3 * 5 + 2]).toBe(200);
    expect(out.reduce((a, b) => a + b, 0)).toBe(200);
    warpAffine(dot, { dy: 0, dx: 1, angle: 0 }, out); // shifted out of the image: black comes in
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('draws within the limits, repeatably from the seed', () => {
    const a = createRng(4, 'aug');
    const b = createRng(4, 'aug');
    for (let i = 0; i < 200; i++) {
      const t = drawAffine(a);
      expect(drawAffine(b)).toEqual(t);
      expect(Math.abs(t.dx)).toBeLessThanOrEqual(2);
      expect(Math.abs(t.dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(t.angle)).toBeLessThanOrEqual((10 * Math.PI) / 180);
    }
    const fill = (seed: number) => {
      const out = new Float32Array(2 * 6);
      imageSource(rgb, { mean: [0, 0, 0], std: [1, 1, 1] }, { augment: { rng: createRng(seed), maxShift: 1, maxRotation: 0 } }).fill([0, 1], out);
      return Array.from(out);
    };
    expect(fill(7)).toEqual(fill(7));
    expect(fill(7)).not.toEqual(fill(8));
  });
});

describe('splitImages', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 30 ? 0 : i < 80 ? 1 : 2));
  const set: ImageSet = { count: 100, height: 1, width: 1, channels: 1, pixels: Uint8Array.from({ length: 100 }, (_, i) => i), labels };
  const classes = [{ value: 0, name: 'a' }, { value: 1, name: 'b' }, { value: 2, name: 'c' }];
  const ds: LoadedImageDataset = { id: 'x', title: 'x', classes, train: set, files: [], warnings: [] };

  it('splits stratified and seeded 80/20 when the dataset has no test set', () => {
    const s = splitImages(ds, { trainFraction: 0.8, seed: 3 });
    expect([s.train.count, s.test.count]).toEqual([80, 20]);
    expect([0, 1, 2].map((k) => s.testClasses.filter((c) => c === k).length)).toEqual([6, 10, 4]);
    // Disjoint and complete: every image once (pixel value = original index).
    expect([...s.train.pixels, ...s.test.pixels].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(splitImages(ds, { trainFraction: 0.8, seed: 3 }).test.pixels).toEqual(s.test.pixels);
    expect(splitImages(ds, { trainFraction: 0.8, seed: 4 }).test.pixels).not.toEqual(s.test.pixels);
    expect(s.protocol).toMatch(/random stratified split, 80.0% of each class/);
  });

  it("keeps a dataset's own test set and cuts stratified subsets", () => {
    const withTest = { ...ds, test: set };
    const s = splitImages(withTest, { trainFraction: 0.8, maxTrain: 10, maxTest: 50, seed: 1 });
    expect(s.train.count).toBe(10);
    expect([0, 1, 2].map((k) => s.trainClasses.filter((c) => c === k).length)).toEqual([3, 5, 2]);
    expect(s.test.count).toBe(50);
    expect(s.protocol).toMatch(/own training and test sets; a stratified subset of 10 training images; a stratified subset of 50 test images/);
    // 7 of 30/50/20: shares 2.1, 3.5, 1.4 → 2, 3, 1 plus the one left to the largest remainder.
    const seven = splitImages(withTest, { trainFraction: 0.8, maxTrain: 7, seed: 1 });
    expect([0, 1, 2].map((k) => seven.trainClasses.filter((c) => c === k).length)).toEqual([2, 4, 1]);
    expect(splitImages(withTest, { trainFraction: 0.8, maxTrain: 7, seed: 2 }).train.pixels).not.toEqual(seven.train.pixels);
  });
});
