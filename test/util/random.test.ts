import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { Rng, createRng, deriveSeed } from '../../src/util/random.ts';

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.uint32());

describe('Rng: the stream', () => {
  it('matches an independent Python implementation of splitmix32-seeded sfc32 (golden values)', () => {
    // From a scratch Python transcription of the same algorithm; a change here changes every seeded
    // result in the project, so it must be deliberate.
    expect(draw(new Rng(0), 4)).toEqual([149961046, 4023638125, 3844706065, 162173957]);
    expect(draw(new Rng(42), 4)).toEqual([228685373, 2139104361, 1582825180, 1514161031]);
    expect(draw(new Rng(-1), 4)).toEqual([673894123, 4150376674, 758054389, 2525608782]);
    expect(draw(new Rng(2 ** 40 + 7), 4)).toEqual([2132697860, 1902192629, 1012596125, 944539823]);
  });

  it('is deterministic per seed and differs between seeds, including seeds equal modulo 2^32', () => {
    expect(draw(new Rng(7), 1000)).toEqual(draw(new Rng(7), 1000));
    const first = (s: number) => draw(new Rng(s), 8).join(',');
    const seeds = [0, 1, 2, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    expect(new Set(seeds.map(first)).size).toBe(seeds.length);
  });

  it('next() stays in [0, 1) and is roughly uniform (chi-square over 20 bins)', () => {
    const rng = new Rng(123);
    const bins = new Array<number>(20).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      if (!(x >= 0 && x < 1)) outside++;
      else bins[Math.floor(x * 20)]++;
    }
    expect(outside).toBe(0);
    const expected = n / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: the 99.99th percentile is about 49.
    expect(chi2).toBeLessThan(49);
  });

  it('uniform(lo, hi) stays in [lo, hi)', () => {
    const rng = new Rng(5);
    const xs = Array.from({ length: 10_000 }, () => rng.uniform(-3, 2));
    expect(xs.filter((x) => !(x >= -3 && x < 2))).toEqual([]);
    expect(Math.min(...xs)).toBeLessThan(-2.9);
    expect(Math.max(...xs)).toBeGreaterThan(1.9);
  });
});

describe('Rng.int', () => {
  it('covers [0, n) and nothing else', () => {
    const rng = new Rng(9);
    for (const n of [1, 2, 7, 100]) {
      const seen = new Set<number>();
      for (let i = 0; i < 50 * n; i++) {
        const k = rng.int(n);
        expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
        seen.add(k);
      }
      expect(seen.size).toBe(n);
    }
    expect(rng.int(2 ** 32)).toBeLessThan(2 ** 32);
  });

  it('has no modulo bias for n that does not divide 2^32', () => {
    // With n = 3·2^30, plain `uint32 % n` would land in [0, 2^30) half the time instead of a third.
    const rng = new Rng(11);
    const n = 3 * 2 ** 30;
    let low = 0;
    const draws = 30_000;
    for (let i = 0; i < draws; i++) if (rng.int(n) < 2 ** 30) low++;
    expect(low / draws).toBeGreaterThan(0.31);
    expect(low / draws).toBeLessThan(0.36);
  });

  it('rejects n outside [1, 2^32] as a programming error', () => {
    const rng = new Rng(1);
    for (const n of [0, -1, 2.5, 2 ** 32 + 1, Number.NaN]) expect(() => rng.int(n)).toThrow(RangeError);
  });
});

describe('Rng.normal', () => {
  it('has mean 0, standard deviation 1 and the normal share within one sigma', () => {
    const rng = new Rng(2024);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let within = 0;
    let notFinite = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      if (!Number.isFinite(z)) notFinite++;
      s += z;
      s2 += z * z;
      if (Math.abs(z) < 1) within++;
    }
    const mean = s / n;
    expect(notFinite).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.sqrt(s2 / n - mean * mean)).toBeCloseTo(1, 1);
    expect(within / n).toBeCloseTo(0.6827, 2);
  });

  it('applies mean and std', () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 20_000 }, () => rng.normal(10, 0.5));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(0.5, 1);
  });
});

describe('Rng.shuffle and permutation', () => {
  it('shuffles in place into a permutation, for plain and typed arrays', () => {
    const rng = new Rng(77);
    const plain = Array.from({ length: 100 }, (_, i) => `x${i}`);
    const out = rng.shuffle(plain);
    expect(out).toBe(plain);
    expect([...plain].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `x${i}`).sort());
    expect(plain).not.toEqual(Array.from({ length: 100 }, (_, i) => `x${i}`));

    const typed = Float32Array.from({ length: 257 }, (_, i) => i);
    rng.shuffle(typed);
    expect(Array.from(typed).sort((a, b) => a - b)).toEqual(Array.from({ length: 257 }, (_, i) => i));

    expect(rng.shuffle([])).toEqual([]);
    expect(rng.shuffle([5])).toEqual([5]);
  });

  it('makes every ordering of three items about equally often', () => {
    const rng = new Rng(4);
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const key = rng.shuffle([0, 1, 2]).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.01);
  });

  it('permutation(n) holds each of 0..n-1 once', () => {
    const p = new Rng(8).permutation(1000);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('pick returns an element', () => {
    const rng = new Rng(6);
    const items = ['a', 'b', 'c'];
    const seen = new Set(Array.from({ length: 100 }, () => rng.pick(items)));
    expect([...seen].sort()).toEqual(items);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});

describe('child streams', () => {
  it('derive from seed and label only, not from how much the parent has drawn', () => {
    const parent = new Rng(42);
    const before = draw(parent.fork('split'), 5);
    draw(parent, 100);
    expect(draw(parent.fork('split'), 5)).toEqual(before);
    expect(draw(createRng(42, 'split'), 5)).toEqual(before);
    // Golden value from the same Python transcription (cyrb53 keyed by the seed).
    expect(deriveSeed(42, 'split')).toBe(8718190984050365);
    expect(draw(new Rng(8718190984050365), 3)).toEqual(draw(createRng(42, 'split'), 3));
  });

  it('uses cyrb53 unchanged for seed 0 (published reference values)', () => {
    expect(deriveSeed(0, 'a')).toBe(7929297801672961);
    expect(deriveSeed(0, 'b')).toBe(8684336938537663);
    expect(deriveSeed(0, 'revenge')).toBe(4051478007546757);
  });

  it('differ between labels and between seeds, and chain', () => {
    const labels = ['split', 'splits', 'shuffle', '', 'a', 'b', 'ab'];
    const firsts = labels.map((l) => draw(createRng(1, l), 4).join(','));
    expect(new Set(firsts).size).toBe(labels.length);
    expect(deriveSeed(1, 'x')).not.toBe(deriveSeed(2, 'x'));
    expect(deriveSeed(2 ** 32 + 1, 'x')).not.toBe(deriveSeed(1, 'x'));
    const chained = draw(new Rng(1).fork('a').fork('b'), 4);
    expect(chained).not.toEqual(draw(new Rng(1).fork('ab'), 4));
    expect(chained).toEqual(draw(createRng(deriveSeed(1, 'a'), 'b'), 4));
  });

  it('deriveSeed gives safe non-negative integers usable as seeds', () => {
    for (let s = -5; s < 50; s++) {
      const d = deriveSeed(s, `label${s}`);
      expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
    }
  });
});

describe('seed validation', () => {
  it('rejects seeds that are not safe integers with a ConfigError naming the seed', () => {
    for (const bad of [1.5, Number.NaN, Infinity, 2 ** 53]) {
      expect(() => new Rng(bad)).toThrow(ConfigError);
      expect(() => createRng(bad, 'x')).toThrow(/seed/);
    }
    // A string from an untyped caller (e.g. a CLI flag not converted) must not be silently accepted.
    expect(() => new Rng('42' as unknown as number)).toThrow(ConfigError);
  });
});
