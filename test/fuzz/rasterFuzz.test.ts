/**
 * ENVI and GeoTIFF fuzzing with a fixed seed (rasterFuzzCases.ts): mutated headers, IFD entries, bytes
 * and lengths must load or be refused with a typed error naming the file — never crash or hang.
 */
import { describe, expect, it } from 'vitest';
import { runRasterFuzz } from './rasterFuzzCases.ts';

describe('ENVI and GeoTIFF fuzzing (seeded)', () => {
  it('300 mutated files: each reads or is refused with a typed error naming the file', async () => {
    const r = await runRasterFuzz(11, 0, 300);
    for (const f of r.failures.slice(0, 3)) console.error(`case ${f.index} (${f.source}; ${f.mutations.join(', ')}):\n${f.error}`);
    expect(r.failures).toEqual([]);
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(r.read).toBeGreaterThan(10);
    expect(r.refused).toBeGreaterThan(50);
  }, 120_000);
});
