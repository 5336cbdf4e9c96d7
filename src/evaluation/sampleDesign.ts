/**
 * A stratified random sample of a map's pixels for accuracy assessment, as Olofsson et al. (2014)
 * recommend: strata are the map classes; each class gets at least `minPerClass` units (so rare classes
 * get user's accuracies worth reporting), the rest are shared in proportion to class area; units are
 * drawn at random without replacement inside each stratum. Pure: no I/O.
 */
import { ConfigError } from '../core/errors.ts';
import { createRng } from '../util/random.ts';

export interface StratumFrame {
  /** The map class value. */
  readonly value: number;
  /** Pixels the map gives this class (the stratum's size N_h, every mapped pixel). */
  readonly pixels: number;
  /** Of them, pixels that may be drawn (not training pixels). */
  readonly eligible: number;
}

export interface Allocation {
  /** Units per stratum, in `frames` order. */
  readonly counts: Int32Array;
  /** The rule, in one sentence, for the output. */
  readonly rule: string;
}

/**
 * Shares `size` units among the strata: min(minPerClass, eligible) each first, then what is left in
 * proportion to the strata's pixel counts (largest remainders; a stratum never gets more than it has
 * eligible pixels, its excess going to the others).
 */
export function allocateSample(frames: readonly StratumFrame[], size: number, minPerClass: number): Allocation {
  if (!Number.isInteger(size) || size < 1) throw new ConfigError('--size', 'a positive whole number of sample points', size);
  if (!Number.isInteger(minPerClass) || minPerClass < 0) throw new ConfigError('--min-per-class', 'a whole number ≥ 0', minPerClass);
  const eligible = frames.reduce((a, f) => a + f.eligible, 0);
  if (size > eligible) {
    throw new ConfigError('--size', `at most the ${eligible} mapped pixels that are not training pixels`, size, 'ask for a smaller sample');
  }
  const counts = Int32Array.from(frames, (f) => Math.min(minPerClass, f.eligible));
  let left = size - counts.reduce((a, b) => a + b, 0);
  if (left < 0) {
    throw new ConfigError('--size', `at least ${size - left} (${minPerClass} per map class × ${frames.length} classes)`, size, `ask for more points or a smaller --min-per-class`);
  }
  // Proportional shares of what is left, among strata that still have room; repeat while some overflow.
  while (left > 0) {
    const open = frames.map((f, i) => (counts[i]! < f.eligible ? i : -1)).filter((i) => i >= 0);
    const weight = open.reduce((a, i) => a + frames[i]!.pixels, 0);
    const shares = open.map((i) => ({ i, exact: (left * frames[i]!.pixels) / weight }));
    let given = 0;
    for (const s of shares) {
      const room = frames[s.i]!.eligible - counts[s.i]!;
      const add = Math.min(room, Math.floor(s.exact));
      counts[s.i]! += add;
      given += add;
    }
    // Largest remainders take the units the floors left, one each, while there is room.
    for (const s of [...shares].sort((a, b) => (b.exact % 1) - (a.exact % 1) || a.i - b.i)) {
      if (given === left) break;
      if (counts[s.i]! < frames[s.i]!.eligible) {
        counts[s.i]!++;
        given++;
      }
    }
    left -= given;
  }
  const rule = `stratified random sample, strata = map classes (Olofsson et al. 2014): at least ${minPerClass} points per class ` +
    `(fewer only where a class has fewer pixels outside the training set), the rest in proportion to each class's mapped area; ` +
    'points drawn at random without replacement, never on a training pixel';
  return { counts, rule };
}

/**
 * The sample size that gives overall accuracy the standard error `targetSe`, by Olofsson et al. (2014)
 * eq. 13 (Cochran 1977, eq. 5.25, no finite-population correction): n = (Σ W_h S_h / S(Ô))², with
 * W_h the strata's area shares and S_h = √(U_h (1 − U_h)) from each class's expected user's accuracy.
 */
export function sampleSizeForOverallAccuracy(frames: readonly StratumFrame[], expectedUserAccuracy: (value: number) => number, targetSe: number): number {
  if (!(targetSe > 0 && targetSe < 1)) throw new ConfigError('--target-se', 'a standard error between 0 and 1, e.g. 0.01', targetSe);
  const total = frames.reduce((a, f) => a + f.pixels, 0);
  let sum = 0;
  for (const f of frames) {
    const u = expectedUserAccuracy(f.value);
    if (!(u >= 0 && u <= 1)) throw new ConfigError('--expected-ua', 'user\'s accuracies between 0 and 1', u);
    sum += (f.pixels / total) * Math.sqrt(u * (1 - u));
  }
  return Math.max(1, Math.ceil((sum / targetSe) ** 2));
}

/**
 * Draws counts[i] pixels of map value frames[i].value among the pixels with `eligible[p] = 1`, seeded;
 * returns the pixels (row-major indices) stratum by stratum, each stratum's in drawing order.
 */
export function drawSample(map: Int32Array, eligible: Uint8Array, frames: readonly StratumFrame[], counts: Int32Array, seed: number): Int32Array {
  const out: number[] = [];
  frames.forEach((f, i) => {
    const pool: number[] = [];
    map.forEach((v, p) => {
      if (v === f.value && eligible[p] === 1) pool.push(p);
    });
    const rng = createRng(seed, `sample/${f.value}`);
    // A partial Fisher–Yates shuffle: the first counts[i] places are a uniform sample without replacement.
    const k = counts[i]!;
    for (let j = 0; j < k; j++) {
      const r = j + Math.floor(rng.next() * (pool.length - j));
      [pool[j], pool[r]] = [pool[r]!, pool[j]!];
      out.push(pool[j]!);
    }
  });
  return Int32Array.from(out);
}
