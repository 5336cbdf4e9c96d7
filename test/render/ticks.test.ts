import { describe, expect, it } from 'vitest';
import { formatTick, niceTicks } from '../../src/render/ticks.ts';

describe('niceTicks', () => {
  it('covers the range with round steps', () => {
    expect(niceTicks(0, 2.15, 5).values).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(0.21, 0.99, 5).values).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 40, 6, 1).values).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40]);
    expect(niceTicks(1, 200, 6, 1).values).toEqual([0, 50, 100, 150, 200]);
    const t = niceTicks(0.913, 0.987, 5);
    expect(t.step).toBeCloseTo(0.02);
    expect(t.values[0]).toBeCloseTo(0.9);
    expect(t.values[t.values.length - 1]).toBeCloseTo(1);
    expect(t.decimals).toBe(2);
  });

  it('keeps bounds that fall on a step, and a minimum step for epochs', () => {
    expect(niceTicks(0, 1, 5).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 3, 6, 1).values).toEqual([1, 2, 3]);
  });

  it('widens an empty range and survives non-finite input', () => {
    const flat = niceTicks(0.5, 0.5);
    expect(flat.min).toBeLessThan(0.5);
    expect(flat.max).toBeGreaterThan(0.5);
    expect(niceTicks(NaN, Infinity).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 1).values[0]).toBeLessThanOrEqual(1);
  });

  it('prints values without float noise', () => {
    const t = niceTicks(0, 0.3, 4);
    expect(t.values.map((v) => formatTick(v, t.decimals))).toEqual(['0.0', '0.1', '0.2', '0.3']);
  });
});
