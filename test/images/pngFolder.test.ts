import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DataError, InputFileError } from '../../src/core/errors.ts';
import { readPngFolder } from '../../src/images/pngFolder.ts';
import { resizeBilinear } from '../../src/images/resample.ts';
import { writeSolidPng } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-png-'));
});

describe('readPngFolder', () => {
  it('reads class folders in sorted order as grey images when R = G = B', () => {
    writeSolidPng(join(dir, 'zebra', 'a.png'), 4, 3, [200, 200, 200]);
    writeSolidPng(join(dir, 'apple', 'b.png'), 4, 3, [10, 10, 10], { x: 3, y: 2, color: [99, 99, 99] });
    writeSolidPng(join(dir, 'apple', 'a.png'), 4, 3, [20, 20, 20]);
    writeFileSync(join(dir, 'apple', 'notes.txt'), 'not an image');
    const r = readPngFolder(dir);
    expect(r.classes).toEqual([{ value: 0, name: 'apple' }, { value: 1, name: 'zebra' }]);
    expect(r.test).toBeUndefined();
    expect([r.train.count, r.train.height, r.train.width, r.train.channels]).toEqual([3, 3, 4, 1]);
    // apple/a.png, apple/b.png, zebra/a.png: file order within a class is sorted too.
    expect(Array.from(r.train.labels)).toEqual([0, 0, 1]);
    expect(r.train.pixels[0]).toBe(20);
    expect(r.train.pixels[12 + 11]).toBe(99); // image 1, row 2, column 3
    expect(r.train.pixels[24]).toBe(200);
    expect(r.warnings).toEqual([expect.stringMatching(/apple: 1 file not ending in .png skipped/)]);
  });

  it('keeps RGB when any pixel is coloured, and reads train/ and test/ as the split', () => {
    writeSolidPng(join(dir, 'train', 'cat', '1.png'), 2, 2, [255, 0, 0]);
    writeSolidPng(join(dir, 'train', 'dog', '1.png'), 2, 2, [0, 0, 255]);
    writeSolidPng(join(dir, 'test', 'dog', '1.png'), 2, 2, [0, 255, 0]);
    const r = readPngFolder(dir);
    expect(r.classes.map((c) => c.name)).toEqual(['cat', 'dog']);
    expect(r.train.channels).toBe(3);
    expect(r.train.count).toBe(2);
    expect(r.test!.count).toBe(1);
    expect(Array.from(r.test!.labels)).toEqual([1]);
    expect(Array.from(r.test!.pixels.subarray(0, 3))).toEqual([0, 255, 0]);
  });

  it('refuses mixed sizes naming both files, unless asked to resize', () => {
    writeSolidPng(join(dir, 'a', '1.png'), 4, 4, [50, 50, 50]);
    writeSolidPng(join(dir, 'b', '1.png'), 6, 5, [80, 80, 80]);
    expect(() => readPngFolder(dir)).toThrow(DataError);
    expect(() => readPngFolder(dir)).toThrow(/a\/1.png is 4×4 but .*b\/1.png is 6×5/);
    const r = readPngFolder(dir, { size: [2, 3] });
    expect([r.train.height, r.train.width]).toEqual([2, 3]);
    expect(Array.from(r.train.pixels)).toEqual([50, 50, 50, 50, 50, 50, 80, 80, 80, 80, 80, 80]);
  });

  it('refuses a damaged PNG, an empty class folder, a single class and a missing folder', () => {
    writeSolidPng(join(dir, 'a', '1.png'), 2, 2, [1, 1, 1]);
    mkdirSync(join(dir, 'b'));
    expect(() => readPngFolder(dir)).toThrow(/class folder .*b has no .png images/);
    writeFileSync(join(dir, 'b', 'bad.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    expect(() => readPngFolder(dir)).toThrow(InputFileError);
    expect(() => readPngFolder(dir)).toThrow(/bad.png: not a readable PNG/);
    const one = mkdtempSync(join(tmpdir(), 'spinalnet-png1-'));
    writeSolidPng(join(one, 'only', '1.png'), 2, 2, [1, 1, 1]);
    expect(() => readPngFolder(one)).toThrow(/has 1 class subfolder; a classifier needs at least 2/);
    expect(() => readPngFolder(join(dir, 'nope'))).toThrow(/folder not found/);
  });

  it('refuses a truncated PNG', () => {
    writeSolidPng(join(dir, 'a', '1.png'), 8, 8, [1, 2, 3]);
    writeSolidPng(join(dir, 'b', '1.png'), 8, 8, [3, 2, 1]);
    const bytes = readFileSync(join(dir, 'b', '1.png'));
    writeFileSync(join(dir, 'b', '1.png'), bytes.subarray(0, bytes.length - 20));
    expect(() => readPngFolder(dir)).toThrow(/1.png: not a readable PNG/);
  });
});

describe('resizeBilinear', () => {
  it('interpolates between pixel centres and repeats the border', () => {
    // 1×2 grey image [0, 100] → 1×4: centres at −0.25, 0.25, 0.75, 1.25 of the source.
    const out = resizeBilinear({ height: 1, width: 2, channels: 1, data: [0, 100] }, 1, 4);
    expect(Array.from(out)).toEqual([0, 25, 75, 100]);
    // Halving a 2×2 RGB image averages its four pixels.
    const rgb = [0, 0, 0, 40, 80, 120, 80, 40, 0, 120, 120, 120];
    expect(Array.from(resizeBilinear({ height: 2, width: 2, channels: 3, data: rgb }, 1, 1))).toEqual([60, 60, 60]);
  });
});
