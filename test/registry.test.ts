import { describe, expect, it } from 'vitest';
import { DATASETS, findDataset } from '../src/scene/registry.ts';

describe('dataset registry', () => {
  it('finds scenes by id and by file-stem spelling', () => {
    expect(findDataset('KSC')?.id).toBe('ksc');
    expect(findDataset('PaviaU')?.id).toBe('pavia-u');
    expect(findDataset('salinasA')?.id).toBe('salinas-a');
    expect(findDataset('Samson_cube')?.id).toBe('samson');
    expect(findDataset('nope')).toBeUndefined();
  });
  it("keeps SalinasA's non-contiguous label values", () => {
    expect(findDataset('salinas-a')?.classes.map((c) => c.value)).toEqual([1, 10, 11, 12, 13, 14]);
  });
  it('has unique ids and false-colour bands inside the cube', () => {
    expect(new Set(DATASETS.map((d) => d.id)).size).toBe(DATASETS.length);
    for (const d of DATASETS) for (const b of d.rgbBands) expect(b).toBeLessThan(d.shape[2]);
  });
});
