import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, InputFileError } from '../../src/core/errors.ts';
import { createImage, decodePng, encodePng, pixelAt, upscale, writePng } from '../../src/render/image.ts';

describe('RgbaImage and PNG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-render-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an opaque image filled with the colour', () => {
    const img = createImage(3, 2, [10, 20, 30]);
    expect(img.data.length).toBe(3 * 2 * 4);
    for (let i = 0; i < 6; i++) expect([...img.data.subarray(4 * i, 4 * i + 4)]).toEqual([10, 20, 30, 255]);
    expect(pixelAt(createImage(1, 1), 0, 0)).toEqual([255, 255, 255]);
  });

  it('rejects sizes that are not whole positive numbers', () => {
    expect(() => createImage(0, 5)).toThrow(ConfigError);
    expect(() => createImage(2.5, 5)).toThrow(ConfigError);
    expect(() => createImage(5, 1e9)).toThrow(/image height/);
  });

  it('round-trips through PNG with the same bytes, and pngjs reads what we write', () => {
    const img = createImage(7, 5);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37 + 11) % 256;
    const png = encodePng(img);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    const back = decodePng(png);
    expect(back.width).toBe(7);
    expect(back.height).toBe(5);
    expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
    const viaPngjs = PNG.sync.read(png);
    expect(Buffer.compare(viaPngjs.data, Buffer.from(img.data))).toBe(0);
  });

  it('writes a PNG file atomically, leaving no temporary file', () => {
    const img = createImage(4, 4, [1, 2, 3]);
    const path = join(dir, 'sub', 'x.png');
    writePng(path, img);
    expect(decodePng(readFileSync(path)).data).toEqual(img.data);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['x.png']);
  });

  it('says which file is not a PNG', () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3]), 'map.png')).toThrow(InputFileError);
    expect(() => decodePng(new Uint8Array([1, 2, 3]), 'map.png')).toThrow(/map\.png/);
  });

  it('upscales by an integer factor, nearest neighbour', () => {
    const img = createImage(2, 1, [0, 0, 0]);
    img.data.set([200, 100, 50, 255], 4);
    const big = upscale(img, 3);
    expect([big.width, big.height]).toEqual([6, 3]);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 6; x++) expect(pixelAt(big, x, y)).toEqual(x < 3 ? [0, 0, 0] : [200, 100, 50]);
    }
    expect(upscale(img, 1)).toBe(img);
    expect(() => upscale(img, 0)).toThrow(ConfigError);
    expect(() => upscale(img, 1.5)).toThrow(ConfigError);
  });
});
