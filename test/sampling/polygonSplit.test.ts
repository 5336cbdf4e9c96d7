import { describe, expect, it } from 'vitest';
import { makeSplit } from '../../src/sampling/makeSplit.ts';

/** A 40×40 scene: 8 square polygons (5×5) of class 1 on the left, 8 of class 2 on the right, 5 pixels apart. */
function scene() {
  const [height, width] = [40, 40];
  const labels = new Int32Array(height * width);
  const polygonOf = new Int32Array(height * width);
  let id = 0;
  for (let by = 0; by < 4; by++) for (let bx = 0; bx < 4; bx++) {
    id++;
    for (let r = by * 10; r < by * 10 + 5; r++) for (let c = bx * 10; c < bx * 10 + 5; c++) {
      labels[r * width + c] = bx < 2 ? 1 : 2;
      polygonOf[r * width + c] = id;
    }
  }
  return { labels: { height, width, data: labels }, polygonOf };
}
const classes = [{ value: 1, name: 'a' }, { value: 2, name: 'b' }];

describe('makeSplit: polygons', () => {
  it('keeps every polygon whole on one side, about the asked share of each class training, seeded', () => {
    const { labels, polygonOf } = scene();
    const s = makeSplit(labels, classes, { strategy: 'polygons', seed: 4, patch: 1, trainFraction: 0.5, polygonOf });
    const side = new Map<number, Set<string>>();
    for (const [set, pixels] of [['train', s.train], ['test', s.test]] as const) {
      for (const p of pixels) {
        if (!side.has(polygonOf[p]!)) side.set(polygonOf[p]!, new Set());
        side.get(polygonOf[p]!)!.add(set);
      }
    }
    expect([...side.values()].every((sets) => sets.size === 1)).toBe(true);
    expect(s.train.length).toBe(8 * 25);
    expect(s.test.length).toBe(8 * 25);
    const again = makeSplit(labels, classes, { strategy: 'polygons', seed: 4, patch: 1, trainFraction: 0.5, polygonOf });
    expect(Array.from(again.train)).toEqual(Array.from(s.train));
    expect(s.description).toMatch(/Polygon split: whole polygons, 8 for training and 8 for testing/);
  });

  it('drops test pixels whose patch window holds a training pixel (the guard band)', () => {
    const { labels, polygonOf } = scene();
    // A 13×13 patch reaches 6 pixels: across the 5-pixel gaps into the next polygon.
    const s = makeSplit(labels, classes, { strategy: 'polygons', seed: 4, patch: 13, trainFraction: 0.5, polygonOf });
    expect(s.dropped.test).toBeGreaterThan(0);
    expect(s.exposed.test).toBe(0);
  });
});
