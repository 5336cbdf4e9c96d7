import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import { listMatVariables, readMatNumeric } from '../../../src/io/mat/reader.ts';
import type { MatTypedArray } from '../../../src/io/mat/types.ts';
import { writeMatV5, type MatWriteVariable } from '../../../src/io/mat/writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-matw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One variable of every writable class, values chosen to hit each type's edges. */
function allClasses(): MatWriteVariable[] {
  return [
    { name: 'd', data: new Float64Array([0.1, -2.5e300, Number.NaN, -0, Infinity, 7]), dims: [2, 3] },
    { name: 'single_cube', data: new Float32Array(24).map((_, i) => i / 3), dims: [2, 3, 4] },
    { name: 'i8', data: new Int8Array([-128, 0, 127]), dims: [3] },
    { name: 'u8', data: new Uint8Array([0, 1, 255, 42]), dims: [2, 2] },
    { name: 'i16', data: new Int16Array([-32768, -1, 32767]), dims: [1, 3] },
    { name: 'u16', data: new Uint16Array([0, 65535, 1234, 5, 6, 7]), dims: [3, 2] },
    { name: 'i32', data: new Int32Array([-2147483648, 2147483647]), dims: [2, 1] },
    { name: 'u32', data: new Uint32Array([4294967295, 0]), dims: [1, 2] },
    { name: 'i64', data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 1n]), dims: [2, 1] },
    { name: 'u64', data: new BigUint64Array([2n ** 64n - 1n, 3n]), dims: [1, 2] },
    { name: 'mask', data: new Uint8Array([1, 0, 0, 1]), dims: [2, 2], logical: true },
    { name: 'empty', data: new Float64Array(0), dims: [0, 0] },
  ];
}

const CLASS: Record<string, string> = {
  d: 'double', single_cube: 'single', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32',
  u32: 'uint32', i64: 'int64', u64: 'uint64', mask: 'logical', empty: 'double',
};

const plain = (a: MatTypedArray) => Array.from(a as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x));

describe('writeMatV5 → readMatNumeric round trip', () => {
  for (const compress of [true, false]) {
    for (const byteOrder of ['little', 'big'] as const) {
      it(`every class, compress=${compress}, ${byteOrder}-endian`, () => {
        const p = join(dir, `all-${compress}-${byteOrder}.mat`);
        const vars = allClasses();
        writeMatV5(p, vars, { compress, byteOrder });
        const listed = listMatVariables(p);
        expect(listed.map((v) => v.name)).toEqual(vars.map((v) => v.name));
        for (const v of vars) {
          const back = readMatNumeric(p, v.name);
          expect(back.class).toBe(CLASS[v.name]);
          expect(back.dims).toEqual(v.dims.length === 1 ? [v.dims[0], 1] : v.dims);
          expect(back.data.constructor).toBe(v.data.constructor);
          expect(plain(back.data)).toEqual(plain(v.data));
        }
      });
    }
  }

  it('compresses when asked (default) and leaves no temporary file behind', () => {
    const data = new Uint16Array(100000).fill(7);
    const a = writeMatV5(join(dir, 'packed.mat'), [{ name: 'x', data, dims: [100, 1000] }]);
    const b = writeMatV5(join(dir, 'plain.mat'), [{ name: 'x', data, dims: [100, 1000] }], { compress: false });
    expect(b.bytes).toBeGreaterThan(200000);
    expect(a.bytes).toBeLessThan(b.bytes / 50);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(a.path).toString('latin1', 0, 19)).toBe('MATLAB 5.0 MAT-file');
  });
});

describe('writeMatV5 argument errors', () => {
  const p = join(dir, 'bad.mat');
  it.each([
    ['a name MATLAB cannot use', [{ name: '2x', data: new Uint8Array(1), dims: [1, 1] }], /variable name/],
    ['dims that do not match the data', [{ name: 'x', data: new Uint8Array(6), dims: [2, 2] }], /product is data.length \(6\)/],
    ['a fractional dimension', [{ name: 'x', data: new Uint8Array(6), dims: [1.5, 4] }], /non-negative integers/],
    ['the same name twice', [{ name: 'x', data: new Uint8Array(1), dims: [1, 1] }, { name: 'x', data: new Uint8Array(1), dims: [1, 1] }], /unique/],
    ['logical data that is not Uint8Array', [{ name: 'x', data: new Float32Array(1), dims: [1, 1], logical: true }], /Uint8Array/],
  ] as [string, MatWriteVariable[], RegExp][])('%s', (_what, vars, message) => {
    let err: unknown;
    try {
      writeMatV5(p, vars);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });
});

const scipy = spawnSync('python3', ['-c', 'import scipy.io, numpy'], { encoding: 'utf8' }).status === 0;

/** Loads each file with scipy.io.loadmat (and its classes with whosmat) in one python3 run. */
function scipyLoad(paths: string[]): Record<string, { dtype: string; class: string; shape: number[]; values: (number | string)[] }>[] {
  const script = [
    'import json, sys, scipy.io',
    'res = []',
    'for f in sys.argv[1:]:',
    '    out = {}',
    '    for k, v in scipy.io.loadmat(f).items():',
    "        if k.startswith('__'): continue",
    "        vals = [str(x) if v.dtype.kind in 'iu' and v.dtype.itemsize == 8 else x for x in v.ravel(order='F').tolist()]",
    "        out[k] = {'dtype': v.dtype.name, 'shape': list(v.shape), 'values': vals}",
    "    for k, shape, cls in scipy.io.whosmat(f): out[k]['class'] = cls",
    '    res.append(out)',
    'print(json.dumps(res))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, ...paths], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe.skipIf(!scipy)('scipy.io.loadmat reads what we write', () => {
  if (!scipy) console.log('skipping the scipy cross-check: python3 with scipy and numpy is not available');

  it('compressed or not, little- and big-endian: classes, shapes and values', () => {
    const vars = allClasses().filter((v) => v.name !== 'd'); // NaN/-0 do not survive JSON; doubles are checked below
    vars.push({ name: 'd', data: new Float64Array([0.1, -2.5e300, 1e-310, 7, 8, 9]), dims: [2, 3] });
    const cases = [[true, 'little'], [false, 'big'], [true, 'big']] as const;
    const paths = cases.map(([compress, byteOrder]) => writeMatV5(join(dir, `scipy-${compress}-${byteOrder}.mat`), vars, { compress, byteOrder }).path);
    const dtype: Record<string, string> = {
      d: 'float64', single_cube: 'float32', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32',
      u32: 'uint32', i64: 'int64', u64: 'uint64', mask: 'uint8', empty: 'float64',
    };
    const loaded = scipyLoad(paths);
    expect(loaded.length).toBe(cases.length);
    for (const got of loaded) {
      expect(Object.keys(got).sort()).toEqual(vars.map((v) => v.name).sort());
      for (const v of vars) {
        expect(got[v.name].dtype, v.name).toBe(dtype[v.name]);
        expect(got[v.name].class, v.name).toBe(CLASS[v.name]); // whosmat reports 'logical' from the flag
        expect(got[v.name].shape, v.name).toEqual(v.dims.length === 1 ? [v.dims[0], 1] : v.dims);
        expect(got[v.name].values, v.name).toEqual(plain(v.data));
      }
    }
  });
});
