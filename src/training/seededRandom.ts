/**
 * tfjs draws dropout masks and weight initialisations from Math.random whenever no seed is passed
 * (tfjs-core rand_util: `seed ? seed : Math.random()`), and tfjs-layers passes none. Routing
 * Math.random through the run's seeded generator while a model is built or trained makes the whole run
 * repeatable from `--seed`, without forking tfjs.
 */
import type { Rng } from '../util/random.ts';

export async function withSeededMathRandom<T>(rng: Rng, fn: () => Promise<T> | T): Promise<T> {
  const original = Math.random;
  Math.random = () => rng.next();
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
