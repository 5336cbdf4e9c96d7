/** Small assertions shared by several test files. */
import { expect } from 'vitest';

/** Runs fn and returns what it threw, so a test can check class, message and fix together. */
export function thrown(fn: () => unknown): Error & { fix?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { fix?: string };
  }
  throw new Error('expected an error');
}

/** Awaits fn and returns what it rejected with (the async form of `thrown`). */
export async function thrownAsync(fn: () => Promise<unknown>): Promise<Error & { fix?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { fix?: string };
  }
  throw new Error('expected an error');
}

/** max |a − b| / max |a| over the whole tensor: one scale, so near-zero entries do not blow it up. */
export function relativeError(reference: ArrayLike<number>, actual: ArrayLike<number>): number {
  expect(actual.length).toBe(reference.length);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(reference[i]! - actual[i]!));
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}
