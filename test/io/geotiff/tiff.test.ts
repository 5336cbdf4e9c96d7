/**
 * GeoTIFF reading on hand-made TIFFs (test/fuzz/tiffBytes.ts, no GDAL needed): sample types, both
 * interleaves, byte orders, deflate; refusals for a compression geotiff.js lacks, a truncated file and
 * the big-endian offset lists geotiff.js 3.0.5 misreads (which would otherwise load as zeros).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFileError } from '../../../src/core/errors.ts';
import { loadScene } from '../../../src/scene/loadScene.ts';
import { makeTiff, type TiffSpec } from '../../fuzz/tiffBytes.ts';
import { thrownAsync } from '../../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-tiff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const values = Array.from({ length: 4 * 5 * 3 }, (_, i) => (i * 3) % 250);
function tiff(spec: Partial<TiffSpec>, cut?: number): string {
  const p = join(dir, `t${n++}.tif`);
  const { bytes } = makeTiff({ width: 5, height: 4, bands: 3, values, type: 'int16', ...spec });
  writeFileSync(p, cut === undefined ? bytes : bytes.subarray(0, cut));
  return p;
}

describe('GeoTIFF sample layouts', () => {
  it('uint8, int16, uint16 and float32; pixel- and band-interleaved; deflate; both byte orders for one strip', async () => {
    for (const type of ['uint8', 'int16', 'uint16', 'float32'] as const) {
      for (const spec of [{ planar: 1 as const }, { planar: 2 as const, compression: 8 }, { planar: 1 as const, bigEndian: true }]) {
        const s = await loadScene({ cubePath: tiff({ type, ...spec }) });
        expect(Array.from(s.cube.data), `${type} ${JSON.stringify(spec)}`).toEqual(values);
        expect(s.georef).toEqual({ geoTransform: [1000, 30, 0, 5000, 0, -30], epsg: 32633 });
      }
    }
  });
});

describe('GeoTIFF refusals', () => {
  it('a compression geotiff.js does not decode (LZMA, JPEG 2000) names it', async () => {
    for (const [code, name] of [[34925, 'LZMA'], [34712, 'JPEG 2000'], [4, 'CCITT fax 4']] as const) {
      const e = await thrownAsync(() => loadScene({ cubePath: tiff({ compression: code, fakeCompression: true }) }));
      expect(e).toBeInstanceOf(InputFileError);
      expect(e.message).toContain(`is compressed with ${name} (TIFF Compression ${code}), which the GeoTIFF reader (geotiff.js) cannot decode`);
    }
  });

  it('a truncated file: strips past the end, or no IFD at all', async () => {
    const full = makeTiff({ width: 5, height: 4, bands: 3, values, type: 'int16', planar: 1 }).bytes;
    const p = join(dir, 'moved.tif');
    // One strip, so its offset sits in the IFD entry itself: move it beyond the end of the file.
    const b = Buffer.from(full);
    b.writeUInt32LE(b.length + 100, b.indexOf(Buffer.from([0x11, 0x01, 0x04, 0x00])) + 8);
    writeFileSync(p, b);
    const e = await thrownAsync(() => loadScene({ cubePath: p }));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toMatch(/strip 1 of 1 lies at bytes \d+-\d+, past the end of the \d+-byte file/);
    const cut = await thrownAsync(() => loadScene({ cubePath: tiff({}, 20) }));
    expect(cut).toBeInstanceOf(InputFileError);
    expect(cut.message).toMatch(/is a TIFF whose first image directory .* lies past the end of the 20-byte file: it is truncated/);
  });

  it('big-endian with several strips (offsets geotiff.js misreads) is refused, not read as zeros', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: tiff({ planar: 2, bigEndian: true }) }));
    expect(e).toBeInstanceOf(InputFileError);
    expect(e.message).toContain('big-endian (MM) TIFF, whose offset lists geotiff.js 3.0.5 misreads');
    expect(e.fix).toContain('ENDIANNESS=LITTLE');
  });
});
