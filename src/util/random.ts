/**
 * Seeded pseudo-random numbers for every random choice in the project (splits, shuffles, synthetic
 * scenes, weight initialisation seeds), so that a run is repeatable from one `--seed`.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's "small fast chaotic" generator from PractRand; 128-bit state,
 * passes PractRand and BigCrush, minimum period 2^32 thanks to its counter word), seeded through
 * splitmix32. Hand-written rather than a package because it is ~10 lines and we need exact control
 * over how seeds and child streams are derived; Math.random cannot be seeded.
 *
 * Child streams: `rng.fork('split')` or `createRng(seed, 'split')` derive a stream from the *seed and
 * a label*, never from how many numbers the parent has drawn, so adding a draw in one stage does not
 * change the numbers another stage sees. The label is hashed with cyrb53 (bryc's public-domain
 * 53-bit string hash; the seed's low and high words key its two lanes, so seed 0 gives cyrb53 exactly).
 */
import { ConfigError } from '../core/errors.ts';

const TWO_POW_32 = 4_294_967_296;

/** Anything with a length and writable numeric indices: plain arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/** A seeded stream of random numbers. Not cryptographic. */
export class Rng {
  /** The seed this stream was made from (a safe integer); `fork` derives children from it. */
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box–Muller makes normals in pairs; the second waits here. */
  private spare: number | undefined;

  /** `seed`: any safe integer (negative allowed); equal seeds give equal streams. */
  constructor(seed: number) {
    checkSeed(seed, 'seed');
    this.seed = seed;
    const [lo, hi] = splitSeed(seed);
    // splitmix32 is a bijection of its state, so distinct (lo, hi) give distinct (a, b): no two seeds
    // start sfc32 in the same place.
    this.a = splitmix32(lo);
    this.b = splitmix32(hi ^ 0x6a09e667);
    this.c = splitmix32((lo + 0x9e3779b9) >>> 0);
    this.d = 1; // sfc32's counter: guarantees no short cycle whatever a, b, c are.
    // Warm-up as PractRand does, so nearby seeds have decorrelated first outputs.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** A uniform number in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * A uniform integer in [0, n), without modulo bias (rejection sampling).
   * `n`: an integer in [1, 2^32]; anything else is a programming error (RangeError).
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int(n): n must be an integer in [1, 2^32], got ${n}`);
    }
    // Accept only draws below the largest multiple of n that fits in 2^32, so every residue is
    // equally likely; at worst (n just over 2^31) half the draws are rejected.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return x % n;
  }

  /** A normal deviate (Box–Muller), mean `mean` (default 0) and standard deviation `std` (default 1). */
  normal(mean = 0, std = 1): number {
    let z: number;
    if (this.spare !== undefined) {
      z = this.spare;
      this.spare = undefined;
    } else {
      const u1 = 1 - this.next(); // (0, 1]: log(0) never happens
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      z = r * Math.cos(2 * Math.PI * u2);
      this.spare = r * Math.sin(2 * Math.PI * u2);
    }
    return mean + std * z;
  }

  /** Shuffles `array` in place (Fisher–Yates, every permutation equally likely) and returns it. */
  shuffle<A extends MutableArrayLike<unknown>>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Rng.permutation(n): n must be a non-negative integer, got ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(array: ArrayLike<T>): T {
    if (array.length === 0) throw new RangeError('Rng.pick: the array is empty');
    return array[this.int(array.length)];
  }

  /**
   * A child stream named `label`, derived from this stream's seed and the label only (not from its
   * state): `rng.fork('x')` is the same stream however many numbers `rng` has drawn, and equals
   * `createRng(rng.seed, 'x')`. Forks chain: `rng.fork('a').fork('b')`.
   */
  fork(label: string): Rng {
    return new Rng(deriveSeed(this.seed, label));
  }
}

/**
 * A stream from `seed`, or, with `label`, the child stream `label` of that seed
 * (`createRng(s, 'x')` equals `createRng(s).fork('x')`).
 */
export function createRng(seed: number, label?: string): Rng {
  return label === undefined ? new Rng(seed) : new Rng(deriveSeed(seed, label));
}

/**
 * A seed (a non-negative integer below 2^53) for the stream named `label` under `seed`: for libraries
 * that take a numeric seed (tfjs initialisers, `tf.randomNormal`), and for `fork`.
 */
export function deriveSeed(seed: number, label: string): number {
  checkSeed(seed, 'seed');
  const [lo, hi] = splitSeed(seed);
  // cyrb53 with the seed's two words folded into its two lanes.
  let h1 = 0xdeadbeef ^ lo;
  let h2 = 0x41c6ce57 ^ hi;
  for (let i = 0; i < label.length; i++) {
    const ch = label.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return TWO_POW_32 * (0x1fffff & h2) + (h1 >>> 0);
}

/** Throws a ConfigError naming `parameter` unless `seed` is a safe integer. */
export function checkSeed(seed: number, parameter = 'seed'): void {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new ConfigError(parameter, `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`, seed);
  }
}

/** The low and high 32-bit words of a safe integer (two's complement for negatives). */
function splitSeed(seed: number): [number, number] {
  const lo = seed >>> 0; // ToUint32 is exact modulo 2^32 for safe integers, negatives included
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return [lo, hi];
}

/** One splitmix32 output for `state`: the splitmix finaliser with Chris Wellons' 32-bit hash-prospector constants. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}
