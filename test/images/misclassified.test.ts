/** misclassified.png (src/render/imageGrid.ts): which images are drawn, where, and their captions. */
import { describe, expect, it } from 'vitest';
import { CAPTION_RED, renderImageGrid, renderMisclassified, stackImage } from '../../src/render/imageGrid.ts';
import { pixelAt, type RgbaImage } from '../../src/render/index.ts';

/** 4 grey 2×2 images, image i filled with 50·(i + 1). */
const images = { height: 2, width: 2, channels: 1, pixels: Uint8Array.from({ length: 16 }, (_, j) => 50 * (Math.floor(j / 4) + 1)) };

/** Positions of the pixels of `img` that have exactly `color`. */
function find(img: RgbaImage, color: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    const [r, g, b] = pixelAt(img, x, y);
    if (r === color[0] && g === color[1] && b === color[2]) out.push([x, y]);
  }
  return out;
}

describe('renderImageGrid', () => {
  it('draws each chosen image upscaled, in order, left to right', () => {
    const img = renderImageGrid({ images, indices: [3, 1], captions: [[], []] }, { scale: 3, columns: 2 });
    const four = find(img, [200, 200, 200]);
    const two = find(img, [100, 100, 100]);
    expect(four).toHaveLength(36); // 2×2 pixels, 3× each way
    expect(two).toHaveLength(36);
    expect(Math.max(...four.map((p) => p[0]))).toBeLessThan(Math.min(...two.map((p) => p[0])));
    expect(() => renderImageGrid({ images, indices: [0], captions: [] })).toThrow(/1 images but 0 captions/);
    expect(() => renderImageGrid({ images, indices: [9], captions: [[]] })).toThrow(/image 9 outside 0..3/);
  });

  it('shows RGB images in colour and grey ones in grey', () => {
    const rgb = { height: 1, width: 2, channels: 3, pixels: Uint8Array.from([255, 0, 0, 0, 0, 255]) };
    const img = stackImage(rgb, 0);
    expect(pixelAt(img, 0, 0)).toEqual([255, 0, 0]);
    expect(pixelAt(img, 1, 0)).toEqual([0, 0, 255]);
    expect(pixelAt(stackImage(images, 2), 1, 1)).toEqual([150, 150, 150]);
  });
});

describe('renderMisclassified', () => {
  it('draws only the wrong images, with the predicted class in red', () => {
    const img = renderMisclassified({ images, truth: [0, 1, 2, 3], predicted: [0, 2, 2, 1], classNames: ['zero', 'one', 'two', 'three'] });
    expect(find(img, [100, 100, 100]).length).toBeGreaterThan(0); // image 1: wrong
    expect(find(img, [200, 200, 200]).length).toBeGreaterThan(0); // image 3: wrong
    expect(find(img, [50, 50, 50])).toHaveLength(0); // image 0: right
    expect(find(img, [150, 150, 150])).toHaveLength(0); // image 2: right
    expect(find(img, CAPTION_RED).length).toBeGreaterThan(0);
  });

  it('caps the number drawn and still renders when nothing is wrong', () => {
    const capped = renderMisclassified({ images, truth: [0, 0, 0, 0], predicted: [1, 1, 1, 1], classNames: ['a', 'b'], max: 1 });
    expect(find(capped, [50, 50, 50]).length).toBeGreaterThan(0);
    expect(find(capped, [100, 100, 100])).toHaveLength(0);
    const none = renderMisclassified({ images, truth: [0, 1, 0, 1], predicted: [0, 1, 0, 1], classNames: ['a', 'b'] });
    expect(none.width).toBeGreaterThan(100);
    expect(find(none, CAPTION_RED)).toHaveLength(0);
    expect(() => renderMisclassified({ images, truth: [0], predicted: [0, 1], classNames: ['a'] })).toThrow(/1 true classes but 2 predictions/);
  });
});
