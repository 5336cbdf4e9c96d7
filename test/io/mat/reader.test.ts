import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { read as matForJs } from 'mat-for-js';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/util/random.ts';
import { InputFileError, MatFormatError } from '../../../src/core/errors.ts';
import { listMatVariables, openMatFile, readMatChar, readMatNumeric, readMatStored } from '../../../src/io/mat/reader.ts';
import { writeMatV5 } from '../../../src/io/mat/writer.ts';
import {
  cellMatrix, charMatrix, complexMatrix, compressed, doubleMatrix, element, logicalMatrix, matrix, opaqueMatrix, sparseMatrix,
  structMatrix, v4File, v5Header,
} from './rawMat.ts';
import { thrown } from '../../helpers.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-mat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (bytes: Buffer) => {
  const p = join(dir, `f${n++}.mat`);
  writeFileSync(p, bytes);
  return p;
};


describe.skipIf(!existsSync(DATA))('reading the real scenes in ../shared/data', () => {
  if (!existsSync(DATA)) console.log(`skipping real-data MAT tests: ${DATA} is absent`);

  it('SalinasA: a double cube stored as int16, values at known pixels (from scipy)', () => {
    const path = join(DATA, 'salinasA/SalinasA_corrected.mat');
    expect(listMatVariables(path)).toEqual([{ name: 'salinasA_corrected', class: 'double', dims: [83, 86, 204], complex: false }]);
    const s = readMatStored(path, 'salinasA_corrected');
    expect(s.storedType).toBe('int16');
    expect(s.data).toBeInstanceOf(Int16Array);
    const at = (r: number, c: number, b: number) => s.data[r + c * 83 + b * 83 * 86];
    expect([at(10, 20, 0), at(10, 20, 203), at(82, 85, 100), at(0, 0, 0), at(0, 85, 5)]).toEqual([367, -1, 1419, 376, 1601]);
    // readMatNumeric gives the class's type: double.
    const d = readMatNumeric(path, 'salinasA_corrected');
    expect(d.class).toBe('double');
    expect(d.data).toBeInstanceOf(Float64Array);
    expect(d.data[10 + 20 * 83 + 203 * 83 * 86]).toBe(-1);
  });

  it('SalinasA labels at known pixels', () => {
    const g = readMatNumeric(join(DATA, 'salinasA/SalinasA_gt.mat'), 'salinasA_gt');
    expect(g.dims).toEqual([83, 86]);
    const at = (r: number, c: number) => g.data[r + c * 83];
    expect([at(0, 0), at(42, 84), at(0, 44), at(0, 70), at(17, 85), at(29, 84), at(10, 20)]).toEqual([1, 10, 11, 12, 13, 14, 0]);
    expect(Array.from(g.data as Float64Array).filter((v) => v !== 0).length).toBe(5348);
  });

  it('Samson: a single (float32) cube', () => {
    const s = readMatNumeric(join(DATA, 'samson/Samson_cube.mat'), 'samson');
    expect(s.class).toBe('single');
    expect(s.data).toBeInstanceOf(Float32Array);
    const at = (r: number, c: number, b: number) => s.data[r + c * 95 + b * 95 * 95];
    expect(at(0, 0, 0)).toBe(Math.fround(0.025677603));
    expect(at(50, 60, 100)).toBe(Math.fround(0.16690442));
    expect(at(94, 94, 155)).toBe(Math.fround(0.5363766));
  });

  it('KSC_gt: a double label map stored as uint8, with the documented class counts', () => {
    const s = readMatStored(join(DATA, 'ksc/KSC_gt.mat'), 'KSC_gt');
    expect([s.class, s.storedType, s.dims]).toEqual(['double', 'uint8', [512, 614]]);
    const counts = new Array<number>(14).fill(0);
    for (const v of s.data as Uint8Array) counts[v]++;
    expect(counts.slice(1)).toEqual([761, 243, 256, 252, 161, 229, 105, 431, 520, 404, 419, 503, 927]);
    expect(s.data[124 + 195 * 512]).toBe(13);
  });

  it('agrees with mat-for-js (an independent reader) on small real files', () => {
    for (const [f, v] of [['samson/Samson_gt.mat', 'samson_gt'], ['ksc/KSC_gt.mat', 'KSC_gt']] as const) {
      const bytes = readFileSync(join(DATA, f));
      const theirs = matForJs(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)).data[v] as number[][];
      const ours = readMatNumeric(join(DATA, f), v);
      const [h, w] = ours.dims;
      let same = 0;
      for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) if (theirs[r][c] === Number(ours.data[r + c * h])) same++;
      expect(same).toBe(h * w);
    }
  });

  it('several variables in one file (KSC_spec)', () => {
    const vars = listMatVariables(join(DATA, 'ksc/KSC_spec.mat'));
    expect(vars.map((v) => `${v.name}:${v.dims.join('x')}`)).toEqual([
      'dataset_specBandID:176x1', 'dataset_specBandWL:176x1', 'specBand_removed:1x44',
    ]);
    const wl = readMatNumeric(join(DATA, 'ksc/KSC_spec.mat'), 'dataset_specBandWL').data;
    expect([wl[0], wl[1]]).toEqual([439.25, 449.07]);
  });

  it('refuses the real MAT v7.3 (HDF5) file with the re-save fix', () => {
    const e = thrown(() => listMatVariables(join(DATA, 'hdf5/KSC_gt_v73.mat')));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toMatch(/v7\.3.*HDF5/);
    expect(e.fix).toContain("'-v7'");
    expect(e.fix).toContain('scipy.io.savemat');
  });
});

describe('MAT v5 structure', () => {
  it('reads tags in both the normal and the small (≤ 4 bytes) form, compressed or not', () => {
    const body = Buffer.concat([
      doubleMatrix('abcd', [2, 2], [1, 2, 3, 4]), // name fits a small element in MATLAB; here a normal one
      compressed(doubleMatrix('longername', [1, 3], [5, 6, 7])),
    ]);
    const p = file(Buffer.concat([v5Header(), body]));
    expect(listMatVariables(p).map((v) => [v.name, v.class, v.dims])).toEqual([['abcd', 'double', [2, 2]], ['longername', 'double', [1, 3]]]);
    expect(Array.from(readMatNumeric(p, 'longername').data as Float64Array)).toEqual([5, 6, 7]);
    // The writer uses the small form for names of ≤ 4 bytes.
    const q = join(dir, 'small.mat');
    writeMatV5(q, [{ name: 'x', data: new Uint8Array([9, 8]), dims: [1, 2] }], { compress: false });
    const raw = readFileSync(q);
    expect(raw.readUInt32LE(128 + 8 + 16 + 16)).toBe((1 << 16) | 1); // name tag: 1 byte of miINT8, small form
    expect(Array.from(readMatNumeric(q, 'x').data as Uint8Array)).toEqual([9, 8]);
  });

  it('lists cell and char variables with their class and reads char text', () => {
    const p = file(Buffer.concat([v5Header(), charMatrix('txt', 'hello'), cellMatrix('c', 3), doubleMatrix('d', [1, 1], [2])]));
    expect(listMatVariables(p).map((v) => `${v.name}:${v.class}`)).toEqual(['txt:char', 'c:cell', 'd:double']);
    expect(readMatChar(p, 'txt')).toEqual(['hello']);
    const e = thrown(() => readMatNumeric(p, 'c'));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("'c'");
    expect(e.message).toContain('is a cell array, not a numeric one');
    expect(thrown(() => readMatNumeric(p, 'txt')).message).toContain('is a char array');
  });

  it('a header-only file has no variables', () => {
    expect(listMatVariables(file(v5Header()))).toEqual([]);
  });

  it('lists a compressed variable from its first bytes: damage further on shows only when reading', () => {
    const values = Array.from({ length: 20000 }, (_, i) => Math.sin(i) * 1000);
    const el = compressed(doubleMatrix('big', [100, 200], values));
    expect(el.length).toBeGreaterThan(4096);
    el.fill(0x55, 3000, 3100); // inside the deflate stream, well past the header
    const p = file(Buffer.concat([v5Header(), el]));
    expect(listMatVariables(p)).toEqual([{ name: 'big', class: 'double', dims: [100, 200], complex: false }]);
    const e = thrown(() => readMatNumeric(p, 'big'));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toMatch(/does not inflate|truncated or corrupt/);
  });

  it('reuses one index for several reads', () => {
    const p = file(Buffer.concat([v5Header(), doubleMatrix('a', [1, 2], [1, 2]), doubleMatrix('b', [2, 1], [3, 4])]));
    const index = openMatFile(p);
    expect(index.header.littleEndian).toBe(true);
    expect(Array.from(readMatNumeric(index, 'b').data as Float64Array)).toEqual([3, 4]);
    expect(Array.from(readMatNumeric(index, 'a').data as Float64Array)).toEqual([1, 2]);
  });
});

describe('MAT errors: every one typed, naming the problem and the fix', () => {
  it('missing file and directory', () => {
    const e = thrown(() => listMatVariables(join(dir, 'nope.mat')));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toContain('does not exist');
    const sub = join(dir, 'a-folder.mat');
    mkdirSync(sub);
    expect(thrown(() => listMatVariables(sub)).message).toContain('is a directory');
  });

  it('garbage and too-short files are not MAT files', () => {
    let seed = 12345;
    const garbage = Buffer.alloc(4000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24 || 1;
    const e = thrown(() => listMatVariables(file(garbage)));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain('is not a MAT v5 file');
    expect(thrown(() => listMatVariables(file(Buffer.from('MATLAB 5.0 MAT-file, cut')))).message).toContain('shorter than the 128-byte header');
    expect(thrown(() => listMatVariables(file(Buffer.alloc(0)))).message).toContain('is 0 bytes long');
  });

  it('MAT v7.3 recognised from the header text or version even without the HDF5 part', () => {
    const byText = file(Buffer.concat([v5Header('MATLAB 7.3 MAT-file, Platform: GLNXA64'), Buffer.alloc(400)]));
    expect(thrown(() => listMatVariables(byText)).message).toMatch(/MAT v7\.3.*HDF5/);
    const byVersion = file(v5Header('MATLAB something', 0x0200));
    expect(thrown(() => listMatVariables(byVersion)).message).toContain('0x0200');
  });

  it('MAT v4 is refused as unsupported, with the re-save fix', () => {
    const e = thrown(() => listMatVariables(file(v4File('x', 2, 2, [1, 2, 3, 4]))));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain('MAT v4');
    expect(e.message).toContain('not supported');
    expect(e.fix).toContain('-v7');
  });

  it('truncated files: a tag whose length runs past the end, plain or compressed', () => {
    for (const compress of [false, true]) {
      const p = join(dir, `cut-${compress}.mat`);
      writeMatV5(p, [{ name: 'cube', data: new Float32Array(3000).map((_, i) => i), dims: [10, 10, 30] }], { compress });
      const whole = readFileSync(p);
      for (const keep of [130, 200, whole.length - 7]) {
        const e = thrown(() => listMatVariables(file(whole.subarray(0, keep))));
        expect(e).toBeInstanceOf(MatFormatError);
        expect(e.message).toContain('truncated');
        expect(e.fix).toMatch(/download it again|copy or download/);
      }
    }
  });

  it('zlib data that does not inflate', () => {
    const el = compressed(doubleMatrix('z', [1, 3], [1, 2, 3]));
    el[8] = 0xff; // the zlib header byte
    el[9] = 0xff;
    const e = thrown(() => listMatVariables(file(Buffer.concat([v5Header(), el]))));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain('does not inflate');
  });

  it('absurd dimensions are refused before anything is allocated from them', () => {
    // 100000×100000×1000 doubles would be 80 TB; the data element holds 8 bytes.
    const absurd = matrix({ classCode: 6, dims: [100000, 100000, 1000], name: 'huge', body: [element(9, Buffer.alloc(8))] });
    for (const el of [absurd, compressed(absurd)]) {
      const p = file(Buffer.concat([v5Header(), el]));
      expect(listMatVariables(p)[0].dims).toEqual([100000, 100000, 1000]);
      const e = thrown(() => readMatNumeric(p, 'huge'));
      expect(e).toBeInstanceOf(MatFormatError);
      expect(e.message).toContain('100000×100000×1000 make 10000000000000 values');
      expect(e.message).toContain('holds 8 bytes');
    }
    // A compressed element whose inner tag claims far more than its few bytes can inflate to.
    const inner = Buffer.concat([doubleMatrix('liar', [1, 1], [1])]);
    inner.writeUInt32LE(0x7ffffff0, 4);
    const p = file(Buffer.concat([v5Header(), compressed(inner)]));
    expect(thrown(() => listMatVariables(p)).message).toContain('impossible from');
  });

  it('a negative dimension is corrupt', () => {
    const el = matrix({ classCode: 6, dims: [2, -1], name: 'neg', body: [element(9, Buffer.alloc(0))] });
    expect(thrown(() => listMatVariables(file(Buffer.concat([v5Header(), el])))).message).toContain('negative dimension');
  });

  it('a variable that is not there: the message lists the names present', () => {
    const p = file(Buffer.concat([v5Header(), doubleMatrix('alpha', [1, 1], [1]), charMatrix('beta', 'x')]));
    const e = thrown(() => readMatNumeric(p, 'gamma'));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("variable 'gamma'");
    expect(e.message).toContain("'alpha' (double 1×1), 'beta' (char 1×1)");
  });
});

describe('MAT structures beyond numeric arrays', () => {
  const parts = () => [
    structMatrix('s', { a: doubleMatrix('', [1, 2], [1, 2]), inner: structMatrix('', { z: cellMatrix('', 4) }) }),
    matrix({ classCode: 1, dims: [2, 1], name: 'cells', body: [cellMatrix('', 1), matrix({ classCode: 1, dims: [1, 1], name: '', body: [charMatrix('', 'in')] })] }),
    sparseMatrix('sp', 3, 4, [[0, 0, 1.5], [2, 1, -2], [1, 3, 7]]),
    complexMatrix('z', [1, 2], [1, 2], [3, -4]),
    logicalMatrix('lg', [2, 2], [1, 0, 0, 1]),
    opaqueMatrix('str'),
    doubleMatrix('after', [2, 2], [1, 2, 3, 4]),
  ];

  it('lists structs, nested cells, sparse, complex, logical and MATLAB objects, plain or compressed, and reads what follows', () => {
    for (const pack of [(b: Buffer) => b, compressed]) {
      const p = file(Buffer.concat([v5Header(), ...parts().map(pack)]));
      expect(listMatVariables(p).map((v) => [v.name, v.class, v.dims.join('x'), v.complex])).toEqual([
        ['s', 'struct', '1x1', false], ['cells', 'cell', '2x1', false], ['sp', 'sparse', '3x4', false],
        ['z', 'double', '1x2', true], ['lg', 'logical', '2x2', false], ['str', 'opaque', '', false], ['after', 'double', '2x2', false],
      ]);
      expect(Array.from(readMatNumeric(p, 'after').data as Float64Array)).toEqual([1, 2, 3, 4]);
      // Complex: the real part, flagged.
      const z = readMatNumeric(p, 'z');
      expect([z.complex, Array.from(z.data as Float64Array)]).toEqual([true, [1, 2]]);
      expect(Array.from(readMatNumeric(p, 'lg').data as Uint8Array)).toEqual([1, 0, 0, 1]);
      for (const [name, what] of [['s', 'a struct'], ['cells', 'a cell'], ['sp', 'a sparse'], ['str', 'an opaque']]) {
        const e = thrown(() => readMatNumeric(p, name));
        expect(e).toBeInstanceOf(MatFormatError);
        expect(e.message).toContain(`(variable '${name}'): is ${what} array, not a numeric one`);
        expect(e.fix).toContain("'str' (opaque)"); // the listing in the fix shows objects without dimensions
      }
    }
  });

  it('big-endian char text, and an odd UTF-16 byte count is a typed error', () => {
    const q = join(dir, 'be-char.mat');
    writeMatV5(q, [{ name: 'x', data: new Float64Array([1, 2]), dims: [1, 2] }], { byteOrder: 'big', compress: false });
    const be = readFileSync(q);
    // Swap a UTF-16 char element in by hand: flags, dims, name, then 3 bytes of miUINT16 text.
    const tag = (type: number, n: number) => {
      const t = Buffer.alloc(8);
      t.writeUInt32BE(type, 0);
      t.writeUInt32BE(n, 4);
      return t;
    };
    const flags = Buffer.concat([tag(6, 8), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0])]);
    const dims = Buffer.concat([tag(5, 8), Buffer.from([0, 0, 0, 1, 0, 0, 0, 2])]);
    const name = Buffer.concat([tag(1, 1), Buffer.from('t'), Buffer.alloc(7)]);
    const good = Buffer.concat([tag(4, 4), Buffer.from([0, 0x68, 0, 0x69]), Buffer.alloc(4)]);
    const odd = Buffer.concat([tag(4, 3), Buffer.from([0, 0x68, 0]), Buffer.alloc(5)]);
    for (const [text, expected] of [[good, 'hi'], [odd, undefined]] as const) {
      const body = Buffer.concat([flags, dims, name, text]);
      const p = file(Buffer.concat([be.subarray(0, 128), tag(14, body.length), body]));
      if (expected !== undefined) expect(readMatChar(p, 't')).toEqual([expected]);
      else {
        const e = thrown(() => readMatChar(p, 't'));
        expect(e).toBeInstanceOf(MatFormatError);
        expect(e.message).toContain('odd byte count (3)');
      }
    }
  });
});

describe('MAT reading within bounds', () => {
  it('refuses a variable larger than maxBytes before reading or inflating it', () => {
    const values = Array.from({ length: 4000 }, (_, i) => i);
    const el = compressed(doubleMatrix('big', [40, 100], values));
    el.fill(0x55, 400); // the stream is damaged past its header: inflating it would fail differently
    const p = file(Buffer.concat([v5Header(), el]));
    const e = thrown(() => readMatNumeric(openMatFile(p, { maxBytes: 16_000 }), 'big'));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toMatch(/\(variable 'big'\): needs 36\.\d KiB of memory to read its 40×100 double data \(\d+ compressed bytes inflating to 32064\), more than the 15\.6 KiB allowed/);
    expect(e.fix).toContain('crop or subsample');
    // Within the bound, the damage is what is reported.
    expect(thrown(() => readMatNumeric(p, 'big')).message).toContain('does not inflate');
    // Plain (uncompressed) variables are bounded the same way.
    const plain = file(Buffer.concat([v5Header(), doubleMatrix('big', [40, 100], values)]));
    expect(thrown(() => readMatNumeric(openMatFile(plain, { maxBytes: 16_000 }), 'big')).message).toContain('needs 31.3 KiB of memory to read its 40×100 double data, more than the 15.6 KiB allowed');
    expect(openMatFile(plain).maxBytes).toBeGreaterThan(1 << 30); // the default: 75% of this machine's memory
  });

  it('an array header that does not end within its bound is corrupt (plain: 64 KiB; compressed: 4096 bytes)', () => {
    const longName = matrix({ classCode: 6, dims: [1, 1], name: 'n'.repeat(70_000), body: [element(9, Buffer.alloc(8))] });
    const e = thrown(() => listMatVariables(file(Buffer.concat([v5Header(), longName]))));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain('the array header of the element at byte 128 does not end within its first 65536 bytes');
    // Random (incompressible) name bytes: the header needs more than 4096 compressed bytes.
    const rng = createRng(3);
    const noise = Buffer.from(Array.from({ length: 10_000 }, () => 97 + rng.int(26)));
    const el = matrix({ classCode: 6, dims: [1, 1], name: noise.toString('latin1'), body: [element(9, Buffer.alloc(8))] });
    const c = thrown(() => listMatVariables(file(Buffer.concat([v5Header(), compressed(el)]))));
    expect(c.message).toContain('does not end within its first 4096 compressed bytes');
    // A long but compressible name is fine.
    const fine = matrix({ classCode: 6, dims: [1, 1], name: 'n'.repeat(20_000), body: [element(9, Buffer.from(new Float64Array([5]).buffer))] });
    const p = file(Buffer.concat([v5Header(), compressed(fine)]));
    expect(Array.from(readMatNumeric(p, 'n'.repeat(20_000)).data as Float64Array)).toEqual([5]);
  });

  it('positions in messages are file offsets, or offsets in the inflated variable', () => {
    const bad = Buffer.concat([v5Header(), doubleMatrix('a', [1, 1], [1]), Buffer.from([1, 0, 9, 0, 0, 0, 0, 0])]);
    expect(thrown(() => listMatVariables(file(bad))).message).toContain('corrupt small data element at byte 200: it claims 9 bytes');
    const inner = doubleMatrix('b', [1, 1], [1]);
    inner.writeUInt32LE(0x00090001, 8); // the flags tag becomes a small element claiming 9 bytes
    expect(thrown(() => listMatVariables(file(Buffer.concat([v5Header(), compressed(inner)])))).message)
      .toContain('corrupt small data element at byte 8 of the inflated variable');
  });
});
