/** The same seed gives the same split and the same metrics, run after run, on wasm and on cpu. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-repro-'));

async function run(backend: 'wasm' | 'cpu', seed: number, tag: string) {
  const config: RunConfig = {
    ...DEFAULTS, input: { kind: 'demo' }, model: 'spinal-mlp', pca: 6, epochs: 1, trainFraction: 0.1, valFraction: 0.2,
    split: 'blocks', blockSize: 16, seed, backend, out: join(dir, `${backend}-${seed}-${tag}`),
  };
  const result = await runPipeline(config);
  const mat = (f: string, v: string) => Array.from(readMatNumeric(join(result.outDir, f), v).data, Number);
  return {
    metrics: JSON.parse(readFileSync(join(result.outDir, 'metrics.json'), 'utf8')),
    split: mat('split.mat', 'split'),
    prediction: mat('prediction.mat', 'prediction'),
  };
}

describe('reproducibility', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`repeats split, prediction and metrics exactly on ${backend}`, async () => {
      const a = await run(backend, 4, 'a');
      const b = await run(backend, 4, 'b');
      expect(b.split).toEqual(a.split);
      expect(b.prediction).toEqual(a.prediction);
      expect(b.metrics).toEqual(a.metrics);
      if (backend === 'wasm') {
        const c = await run(backend, 5, 'c');
        expect(c.split).not.toEqual(a.split);
      }
    });
  }
});
