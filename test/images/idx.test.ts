import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/core/errors.ts';
import { encodeIdx, parseIdx, readIdx, readIdxImages, readIdxLabels } from '../../src/images/idx.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-idx-'));
});

const write = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

/** 2 images of 2 rows × 3 columns; pixel value = 100·image + 10·row + column. */
const pixels = Uint8Array.from({ length: 12 }, (_, i) => 100 * Math.floor(i / 6) + 10 * Math.floor((i % 6) / 3) + (i % 3));

describe('parseIdx', () => {
  it('reads the header and big-endian elements', () => {
    // Hand-written bytes: int32 labels [258, -1].
    const bytes = Uint8Array.from([0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xff]);
    const idx = parseIdx(bytes, 'x');
    expect(idx.dims).toEqual([2]);
    expect(Array.from(idx.data)).toEqual([258, -1]);
  });

  it('round-trips encodeIdx for bytes and int32', () => {
    const img = parseIdx(encodeIdx(0x08, [2, 2, 3], pixels), 'x');
    expect(img.dims).toEqual([2, 2, 3]);
    expect(Array.from(img.data)).toEqual(Array.from(pixels));
    expect(Array.from(parseIdx(encodeIdx(0x0c, [3], [7, 70000, -5]), 'x').data)).toEqual([7, 70000, -5]);
  });

  it('refuses a wrong magic, an unknown type, a truncated file and trailing bytes, with the numbers', () => {
    const good = encodeIdx(0x08, [2, 2, 3], pixels);
    const bad = (bytes: Uint8Array) => () => parseIdx(bytes, 'f.idx');
    expect(bad(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0]))).toThrow(/not an IDX file: it starts with bytes 50 4b 03 04/);
    const typed = good.slice();
    typed[2] = 0x07;
    expect(bad(typed)).toThrow(/unknown IDX element type 0x07/);
    expect(bad(good.subarray(0, good.length - 1))).toThrow(/truncated: the header announces 2×2×3 unsigned byte values \(28 bytes\), the file has 27/);
    expect(bad(good.subarray(0, 10))).toThrow(/truncated: the IDX header needs 16 bytes, the file has 10/);
    expect(bad(Uint8Array.from([...good, 0]))).toThrow(/1 bytes more than the header/);
    try {
      parseIdx(good.subarray(0, 20), 'f.idx');
    } catch (e) {
      expect(e).toBeInstanceOf(InputFileError);
      expect((e as InputFileError).fix).toMatch(/download the file again/);
    }
  });
});

describe('readIdx files', () => {
  it('reads plain and gzip files the same, whatever the name', () => {
    const bytes = encodeIdx(0x08, [2, 2, 3], pixels);
    const plain = readIdxImages(write('imgs', bytes));
    const gz = readIdxImages(write('imgs-no-gz-extension', gzipSync(bytes)));
    expect(plain).toEqual({ count: 2, height: 2, width: 3, pixels });
    expect(gz).toEqual(plain);
  });

  it('transposes EMNIST-style images back to rows', () => {
    // Stored column-major: the file's 3×2 "image" (rows 3, cols 2) is the real 2×3 image's columns.
    const real = Uint8Array.from([1, 2, 3, 4, 5, 6]); // 2 rows × 3 columns: [1 2 3; 4 5 6]
    const stored = Uint8Array.from([1, 4, 2, 5, 3, 6]); // its transpose, 3 × 2
    const img = readIdxImages(write('emnist', encodeIdx(0x08, [1, 3, 2], stored)), { transpose: true });
    expect(img.height).toBe(2);
    expect(img.width).toBe(3);
    expect(Array.from(img.pixels)).toEqual(Array.from(real));
  });

  it('reads 1-D byte labels and QMNIST-style 2-D int labels (class in column 0)', () => {
    expect(Array.from(readIdxLabels(write('lab1', encodeIdx(0x08, [3], [5, 0, 9]))))).toEqual([5, 0, 9]);
    const qmnist = encodeIdx(0x0c, [2, 3], [7, 1234, 1, 2, 5678, 2]);
    expect(Array.from(readIdxLabels(write('lab2', gzipSync(qmnist))))).toEqual([7, 2]);
  });

  it('says which file is which when images and labels are swapped', () => {
    const lab = write('swapped-labels', encodeIdx(0x08, [3], [1, 2, 3]));
    const img = write('swapped-images', encodeIdx(0x08, [1, 2, 2], [1, 2, 3, 4]));
    expect(() => readIdxImages(lab)).toThrow(/not an IDX image file: it holds 3 unsigned byte values/);
    expect(() => readIdxLabels(img)).toThrow(/not an IDX label file: it holds 1×2×2/);
  });

  it('refuses a damaged or cut gzip file and a missing file', () => {
    const gz = gzipSync(encodeIdx(0x08, [2, 2, 3], pixels));
    const cut = write('cut.gz', gz.subarray(0, gz.length - 8));
    const corrupt = gz.slice();
    corrupt[12] = corrupt[12]! ^ 0xff;
    expect(() => readIdx(cut)).toThrow(/gzip data is damaged or cut short/);
    expect(() => readIdx(write('corrupt.gz', corrupt))).toThrow(InputFileError);
    expect(() => readIdx(join(dir, 'absent'))).toThrow(/cannot be read \(ENOENT\)/);
  });
});
