/**
 * Vector reference fuzzing with a fixed seed: GeoPackage, GeoJSON and zipped shapefile bytes flipped,
 * cut short or spliced must read or be refused with a typed error (SpinalnetError) — never another
 * exception, never a hang. Plus the empty and the random-bytes file of each format.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { SpinalnetError } from '../../src/core/errors.ts';
import { writeGeoPackagePoints } from '../../src/io/vector/geopackage.ts';
import { readVectorLayer } from '../../src/io/vector/readVectorLayer.ts';
import { createRng } from '../../src/util/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-vector-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GEOJSON = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { class: 'water' }, geometry: { type: 'Polygon', coordinates: [[[-80.1, 37.9], [-80.0, 37.9], [-80.0, 38.0], [-80.1, 37.9]]] } },
    { type: 'Feature', properties: { class: 'forest' }, geometry: { type: 'Point', coordinates: [-80.05, 37.95] } },
  ],
});

/** A minimal point shapefile (two points) in a zip, written byte by byte from the ESRI specification. */
function shapefileZip(): Uint8Array {
  const header = (fileBytes: number) => {
    const b = Buffer.alloc(100);
    b.writeInt32BE(9994, 0);
    b.writeInt32BE(fileBytes / 2, 24);
    b.writeInt32LE(1000, 28);
    b.writeInt32LE(1, 32); // point
    [0, 0, 10, 10].forEach((v, i) => b.writeDoubleLE(v, 36 + 8 * i));
    return b;
  };
  const recs = [[1, 2], [5, 6]].map(([x, y], i) => {
    const r = Buffer.alloc(28);
    r.writeInt32BE(i + 1, 0);
    r.writeInt32BE(10, 4);
    r.writeInt32LE(1, 8);
    r.writeDoubleLE(x!, 12);
    r.writeDoubleLE(y!, 20);
    return r;
  });
  const shp = Buffer.concat([header(100 + 56), ...recs]);
  const shx = Buffer.concat([header(100 + 16), ...recs.map((_, i) => { const b = Buffer.alloc(8); b.writeInt32BE((100 + 28 * i) / 2, 0); b.writeInt32BE(10, 4); return b; })]);
  const dbfHeader = Buffer.alloc(32 + 32 + 1);
  dbfHeader.writeUInt8(3, 0);
  dbfHeader.writeUInt32LE(2, 4);
  dbfHeader.writeUInt16LE(65, 8);
  dbfHeader.writeUInt16LE(11, 10);
  dbfHeader.write('class', 32, 'ascii');
  dbfHeader.write('C', 43, 'ascii');
  dbfHeader.writeUInt8(10, 48);
  dbfHeader.writeUInt8(0x0d, 64);
  const dbf = Buffer.concat([dbfHeader, Buffer.from(' water     '), Buffer.from(' forest    '), Buffer.from([0x1a])]);
  return zipSync({ 'ref.shp': shp, 'ref.shx': shx, 'ref.dbf': dbf });
}

function mutate(bytes: Uint8Array, seed: number, index: number): Uint8Array {
  const rng = createRng(seed, `vector-fuzz/${index}`);
  let out = Uint8Array.from(bytes);
  const kind = Math.floor(rng.next() * 3);
  if (kind === 0) {
    for (let k = 0; k < 1 + Math.floor(rng.next() * 8); k++) out[Math.floor(rng.next() * out.length)] = Math.floor(rng.next() * 256);
  } else if (kind === 1) {
    out = out.subarray(0, Math.floor(rng.next() * out.length));
  } else {
    const at = Math.floor(rng.next() * out.length);
    const junk = Uint8Array.from({ length: 1 + Math.floor(rng.next() * 64) }, () => Math.floor(rng.next() * 256));
    out = Uint8Array.from([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
  }
  return out;
}

async function outcome(path: string): Promise<'read' | 'refused'> {
  try {
    await readVectorLayer(path);
    return 'read';
  } catch (err) {
    if (err instanceof SpinalnetError) return 'refused';
    throw new Error(`${path}: ${(err as Error).stack ?? String(err)}`);
  }
}

describe('vector reference fuzzing (seeded)', () => {
  it('mutated GeoPackage, GeoJSON and zipped shapefile files read or are refused with a typed error', async () => {
    const gpkg = join(dir, 'base.gpkg');
    await writeGeoPackagePoints(gpkg, {
      layerName: 'samples', crs: { epsg: 32617 }, fields: [{ name: 'reference', type: 'string' }],
      points: { x: Float64Array.from([500000, 500100]), y: Float64Array.from([4200000, 4200100]) }, attributes: { reference: ['water', null] },
    });
    const sources: [string, Uint8Array][] = [['gpkg', readFileSync(gpkg)], ['geojson', Buffer.from(GEOJSON)], ['zip', shapefileZip()]];
    const counts = { read: 0, refused: 0 };
    for (const [ext, bytes] of sources) {
      // The untouched file reads; the empty and the random file are refused.
      writeFileSync(join(dir, `ok.${ext}`), bytes);
      expect(await outcome(join(dir, `ok.${ext}`))).toBe('read');
      writeFileSync(join(dir, `empty.${ext}`), new Uint8Array(0));
      expect(await outcome(join(dir, `empty.${ext}`))).toBe('refused');
      writeFileSync(join(dir, `random.${ext}`), Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251));
      expect(await outcome(join(dir, `random.${ext}`))).toBe('refused');
      for (let i = 0; i < 80; i++) {
        const path = join(dir, `case${i}.${ext}`);
        writeFileSync(path, mutate(bytes, 17, i));
        counts[await outcome(path)]++;
      }
    }
    expect(counts.refused).toBeGreaterThan(20);
  }, 120_000);
});
