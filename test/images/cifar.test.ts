import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/core/errors.ts';
import { CIFAR_RECORD, concatImageSets, parseCifarBatch } from '../../src/images/cifar.ts';
import { cifarBytes } from './fixtures.ts';

describe('parseCifarBatch', () => {
  it('turns colour planes into interleaved RGB pixels', () => {
    const set = parseCifarBatch(cifarBytes(3), 'b.bin');
    expect([set.count, set.height, set.width, set.channels]).toEqual([3, 32, 32, 3]);
    expect(Array.from(set.labels)).toEqual([0, 1, 2]);
    // Image 2, row 1, column 5 → plane index j = 37: R = 39, G = 42, B = 45.
    const at = (2 * 1024 + 37) * 3;
    expect(Array.from(set.pixels.subarray(at, at + 3))).toEqual([39, 42, 45]);
  });

  it('refuses a truncated file with the record arithmetic', () => {
    const bytes = cifarBytes(2);
    expect(() => parseCifarBatch(bytes.subarray(0, bytes.length - 100), 'b.bin')).toThrow(
      /6046 bytes is not a whole number of 3073-byte CIFAR-10 records \(1 whole, 2973 bytes left over\)/,
    );
    expect(() => parseCifarBatch(new Uint8Array(0), 'b.bin')).toThrow(InputFileError);
  });

  it('refuses labels above 9 (a CIFAR-100 file, or not CIFAR at all)', () => {
    const bytes = cifarBytes(2);
    bytes[CIFAR_RECORD] = 57;
    expect(() => parseCifarBatch(bytes, 'b.bin')).toThrow(/record 1 has label 57; CIFAR-10 labels are 0–9/);
  });

  it('concatenates batches in order', () => {
    const a = parseCifarBatch(cifarBytes(2), 'a');
    const b = parseCifarBatch(cifarBytes(3), 'b');
    const all = concatImageSets([a, b]);
    expect(all.count).toBe(5);
    expect(Array.from(all.labels)).toEqual([0, 1, 0, 1, 2]);
    expect(all.pixels.subarray(2 * 3072, 3 * 3072)).toEqual(b.pixels.subarray(0, 3072));
  });
});
