import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MatFormatError } from '../../../src/core/errors.ts';
import { formatInspection, inspectMatFile, valueRange } from '../../../src/io/mat/inspect.ts';
import { writeMatV5 } from '../../../src/io/mat/writer.ts';
import { charMatrix, complexMatrix, compressed, doubleMatrix, opaqueMatrix, sparseMatrix, structMatrix, v5Header } from './rawMat.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One variable of each numeric class with known extremes, written by our writer. */
function numericFile(): string {
  return writeMatV5(join(dir, 'numeric.mat'), [
    { name: 'd', data: new Float64Array([0.5, -2.25, Number.NaN, 1e300, Infinity, 3]), dims: [2, 3] },
    { name: 'f', data: new Float32Array([0.1, 0.025677603, -7]), dims: [1, 3] },
    { name: 'i8', data: new Int8Array([-128, 5, 127]), dims: [3, 1] },
    { name: 'u16', data: new Uint16Array([7, 65535, 0, 2]), dims: [2, 2] },
    { name: 'i64', data: new BigInt64Array([-(2n ** 62n), 9n]), dims: [1, 2] },
    { name: 'mask', data: new Uint8Array([0, 1, 1]), dims: [1, 3], logical: true },
    { name: 'empty', data: new Float64Array(0), dims: [0, 3] },
    { name: 'nan', data: new Float64Array([Number.NaN, Number.NaN]), dims: [1, 2] },
  ]).path;
}

describe('inspectMatFile', () => {
  it('names, classes, dimensions and min/max of every numeric class (finite values; NaN/Inf counted)', () => {
    const vars = inspectMatFile(numericFile());
    expect(vars).toEqual([
      { name: 'd', class: 'double', dims: [2, 3], min: -2.25, max: 1e300, nonFinite: 2 },
      // float32 values printed as the shortest decimal that reads back as the same single
      { name: 'f', class: 'single', dims: [1, 3], min: -7, max: 0.1 },
      { name: 'i8', class: 'int8', dims: [3, 1], min: -128, max: 127 },
      { name: 'u16', class: 'uint16', dims: [2, 2], min: 0, max: 65535 },
      { name: 'i64', class: 'int64', dims: [1, 2], min: -(2 ** 62), max: 9 },
      { name: 'mask', class: 'logical', dims: [1, 3], min: 0, max: 1 },
      { name: 'empty', class: 'double', dims: [0, 3] },
      { name: 'nan', class: 'double', dims: [1, 2], nonFinite: 2 },
    ]);
    expect(inspectMatFile(numericFile(), { minMax: false })[0]).toEqual({ name: 'd', class: 'double', dims: [2, 3] });
  });

  it('non-numeric variables are listed without min/max; complex ones are flagged', () => {
    const p = join(dir, 'kinds.mat');
    writeFileSync(p, Buffer.concat([
      v5Header(), charMatrix('txt', 'abc'), compressed(structMatrix('s', { a: doubleMatrix('', [1, 1], [1]) })),
      sparseMatrix('sp', 2, 2, [[0, 0, 4]]), complexMatrix('z', [1, 1], [1], [2]), opaqueMatrix('str'), doubleMatrix('x', [1, 2], [-1, 1]),
    ]));
    expect(inspectMatFile(p)).toEqual([
      { name: 'txt', class: 'char', dims: [1, 3] },
      { name: 's', class: 'struct', dims: [1, 1] },
      { name: 'sp', class: 'sparse', dims: [2, 2] },
      { name: 'z', class: 'double', dims: [1, 1], complex: true },
      { name: 'str', class: 'opaque', dims: [] },
      { name: 'x', class: 'double', dims: [1, 2], min: -1, max: 1 },
    ]);
  });

  it('a variable too large to read under maxBytes gets a note instead of min/max', () => {
    const p = writeMatV5(join(dir, 'large.mat'), [
      { name: 'big', data: new Float64Array(5000).fill(1), dims: [50, 100] },
      { name: 'small', data: new Uint8Array([3, 4]), dims: [1, 2] },
    ]).path;
    const [big, small] = inspectMatFile(p, { maxBytes: 20_000 });
    expect(big).toEqual({ name: 'big', class: 'double', dims: [50, 100], note: expect.stringMatching(/^not read for min\/max: needs 39\.\d KiB, more than the 19\.5 KiB allowed$/) });
    expect(small).toMatchObject({ min: 3, max: 4 });
  });

  it('damaged data is the reader\'s typed error', () => {
    const el = compressed(doubleMatrix('x', [100, 100], Array.from({ length: 10_000 }, (_, i) => Math.sqrt(i))));
    el.fill(0x33, 600);
    const p = join(dir, 'damaged.mat');
    writeFileSync(p, Buffer.concat([v5Header(), el]));
    expect(() => inspectMatFile(p)).toThrow(MatFormatError);
    expect(() => inspectMatFile(p)).toThrow(/\(variable 'x'\): compressed \(zlib\) data does not inflate/);
  });

  it('valueRange on edge cases', () => {
    expect(valueRange(new Float32Array([Number.NaN, -Infinity, 2, -3]))).toEqual({ min: -3, max: 2, nonFinite: 2 });
    expect(valueRange(new Int16Array(0))).toEqual({ nonFinite: 0 });
    expect(valueRange(new BigUint64Array([2n ** 64n - 1n, 0n]))).toEqual({ min: 0, max: 2 ** 64, nonFinite: 0 });
  });

  it('formatInspection: an aligned table with a header row', () => {
    expect(formatInspection(inspectMatFile(numericFile()).slice(0, 3))).toEqual([
      'name  class   dims  min    max     ',
      'd     double  2×3   -2.25  1e+300  2 NaN/Inf values',
      'f     single  1×3   -7     0.1',
      'i8    int8    3×1   -128   127',
    ].map((l) => l.trimEnd()));
    expect(formatInspection([])).toEqual(['(no variables)']);
  });
});

describe.skipIf(!existsSync(DATA))('inspect on the real files (values from scipy.io.loadmat)', () => {
  if (!existsSync(DATA)) console.log(`skipping real-file inspect tests: ${DATA} is absent`);
  it('SalinasA, Samson, KSC_spec', () => {
    expect(inspectMatFile(join(DATA, 'salinasA/SalinasA_corrected.mat'))).toEqual([
      { name: 'salinasA_corrected', class: 'double', dims: [83, 86, 204], min: -9, max: 8373 },
    ]);
    expect(inspectMatFile(join(DATA, 'samson/Samson_cube.mat'))).toEqual([{ name: 'samson', class: 'single', dims: [95, 95, 156], min: 0, max: 1 }]);
    expect(inspectMatFile(join(DATA, 'ksc/KSC_spec.mat'))[1]).toEqual({ name: 'dataset_specBandWL', class: 'double', dims: [176, 1], min: 439.25, max: 2498.96 });
    expect(inspectMatFile(join(DATA, 'gt-only/paviaC_gt.mat'))).toEqual([{ name: 'pavia_gt', class: 'uint8', dims: [1096, 715], min: 0, max: 9 }]);
  });
});

describe('spinalnet inspect (the command)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/spinalnet.js'), 'inspect', ...args], { cwd: ROOT, encoding: 'utf8' });

  it('prints the table, or with --json the array of {name, class, dims, min?, max?}', () => {
    const p = numericFile();
    const text = run(p);
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^name\s+class\s+dims\s+min\s+max$/);
    expect(text.stdout).toMatch(/\nu16\s+uint16\s+2×2\s+0\s+65535\n/);
    const json = run('--json', p);
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout) as unknown[];
    expect(parsed).toEqual(inspectMatFile(p));
    expect(parsed[2]).toEqual({ name: 'i8', class: 'int8', dims: [3, 1], min: -128, max: 127 });
  });

  it('an unreadable file: the typed error and its fix, exit 2', () => {
    // Marked v7.3 (read through HDF5 now), but with no HDF5 data behind the MATLAB header.
    const p = join(dir, 'v73.mat');
    writeFileSync(p, Buffer.concat([v5Header('MATLAB 7.3 MAT-file'), Buffer.alloc(600)]));
    const r = run(p);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error: ${p}: says it is a MAT v7.3 file, but holds no HDF5 data (no HDF5 signature at byte 512)`);
    expect(r.stderr).toContain('fix: copy the file again, or re-save it in MATLAB');
    expect(r.stdout).toBe('');
  });
});
