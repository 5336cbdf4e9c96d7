/**
 * Fixed-seed MAT fuzzing inside `npm test`: thousands of mutated copies of the real files in
 * ../shared/data (when present) and of small files built here (every class and structure, both byte
 * orders, v4, v7.3, a zip bomb…). Each must read, or fail with a typed error naming the file; none
 * may crash, hang or allocate past the bound it reads under. Longer runs: `npm run fuzz`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MatFormatError } from '../../src/core/errors.ts';
import { openMatFile, readMatStored } from '../../src/io/mat/reader.ts';
import { FUZZ_MAX_BYTES, allSources, exercise, makeCase, runFuzz } from './matFuzzCases.ts';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const SEED = 6;
const CASES = 2000;
/** No case may take this long; a typical one takes a few milliseconds (the max is printed). */
const CASE_LIMIT_MS = 5000;

if (!existsSync(DATA)) console.log(`MAT fuzz: ${DATA} is absent; fuzzing only the files the test builds`);
const { sources, real } = allSources(DATA);

describe('MAT fuzzing (seeded)', () => {
  it('the unmutated sources read, or are refused with the expected typed error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spinalnet-fuzz-plain-'));
    try {
      const outcomes: Record<string, string> = {};
      for (const s of sources) {
        const p = join(dir, 'plain.mat');
        writeFileSync(p, s.bytes);
        const r = await exercise(p, FUZZ_MAX_BYTES);
        outcomes[s.name] = r.outcome === 'read' ? 'read' : (r.message ?? '');
      }
      for (const [name, outcome] of Object.entries(outcomes)) {
        if (name === 'raw:v4') expect(outcome).toContain('MAT v4');
        else if (name === 'raw:v7.3-lookalike' || name === 'real:hdf5/KSC_gt_v73.mat') expect(outcome).toContain('MAT v7.3');
        // inspect lists it without min/max (too large to read); loading it as a cube is refused up front.
        else if (name === 'raw:zip-bomb') expect(outcome).toMatch(/needs 137\.3 MiB of memory to load the 2048×2048×8 uint8 cube .*more than the 16\.0 MiB allowed/);
        else if (name === 'raw:inflated-size-lie') expect(outcome).toContain('impossible from');
        else if (name === 'raw:absurd-dims') expect(outcome).toContain('1000000000×1000000000 make 1000000000000000000 values');
        else expect([name, outcome]).toEqual([name, 'read']);
      }
      if (existsSync(DATA)) expect(real).toBeGreaterThanOrEqual(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a case is a function of (seed, index) alone', () => {
    const a = makeCase(123, SEED, sources), b = makeCase(123, SEED, sources);
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(b.mutations).toEqual(a.mutations);
    expect(makeCase(124, SEED, sources).bytes.equals(a.bytes)).toBe(false);
  });

  it(`${CASES} mutated files: each reads or throws a typed error naming the file, in bounded time`, async () => {
    const report = await runFuzz({ seed: SEED, cases: CASES, sources });
    console.log(
      `MAT fuzz: ${report.cases} mutated cases (seed ${SEED}; ${sources.length} sources, ${real} of them real files): ` +
        `${report.read} read, ${report.refused} refused with a typed error, ${report.failures.length} failures; ` +
        `slowest case ${report.maxMs.toFixed(1)} ms (#${report.slowest.index}, ${report.slowest.source}); ` +
        `peak RSS ${report.maxRssMiB.toFixed(0)} MiB`,
    );
    const shown = report.failures.slice(0, 3).map((f) => `case ${f.index} (${f.source}; ${f.mutations.join(', ')}):\n${f.error}`);
    expect(shown, `replay with: npm run fuzz -- --seed ${SEED} --case N`).toEqual([]);
    expect(report.read + report.refused).toBe(CASES);
    expect(report.maxMs).toBeLessThan(CASE_LIMIT_MS);
    // The mutations reach past the header: some files still read, and the refusals include damage
    // found deep inside (zlib streams, array headers, dimensions, the memory bound).
    expect(report.read).toBeGreaterThan(CASES / 50);
    const kinds = report.messages.map(([m]) => m).join('\n');
    for (const deep of ['does not inflate', 'dimensions', 'needs', 'truncated']) expect(kinds).toContain(deep);
  });

  it('the memory bound stops a zip bomb before inflating it', () => {
    const bomb = sources.find((s) => s.name === 'raw:zip-bomb');
    expect(bomb?.bytes.length).toBeLessThan(100_000);
    const dir = mkdtempSync(join(tmpdir(), 'spinalnet-fuzz-bomb-'));
    try {
      const p = join(dir, 'bomb.mat');
      writeFileSync(p, bomb?.bytes ?? Buffer.alloc(0));
      const index = openMatFile(p, { maxBytes: FUZZ_MAX_BYTES });
      expect(index.variables.map((v) => [v.name, v.dims])).toEqual([['bomb', [2048, 2048, 8]], ['ok', [1, 1]]]);
      const before = process.memoryUsage().arrayBuffers;
      let error: unknown;
      try {
        readMatStored(index, 'bomb');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MatFormatError);
      expect((error as Error).message).toContain("(variable 'bomb'): needs 32.0 MiB of memory to read its 2048×2048×8 uint8 data");
      // Nothing near the 32 MiB the element inflates to was allocated.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(FUZZ_MAX_BYTES / 4);
      expect(Array.from(readMatStored(index, 'ok').data as Float64Array)).toEqual([1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
