/** Small assertions shared by several test files. */
import { expect } from 'vitest';
import type { CubeBIP } from '../src/core/types.ts';
import { openRaster } from '../src/io/raster/openRaster.ts';

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

/** A whole cube read as BIP float32 through the raster drivers the product uses (fixtures and comparisons). */
export async function readWholeCube(path: string, variable?: string): Promise<CubeBIP> {
  const source = await openRaster(path, { variable, role: 'cube', maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    const d = source.describe();
    const data = await source.readRows(0, d.height, new Float32Array(d.height * d.width * d.bands));
    return { height: d.height, width: d.width, bands: d.bands, data };
  } finally {
    source.close();
  }
}
