/**
 * The ENVI, GeoTIFF (and MAT v7.3) fuzzer shared by test/fuzz/rasterFuzz.test.ts (a fixed-seed run in `npm test`) and
 * `npm run fuzz -- --rasters` (bench/fuzz.ts): seeded mutations of small ENVI scenes (header keys and
 * values, braces, the data file's length) and hand-made TIFFs (IFD entry types, counts and values,
 * bytes, length), plus one case in ten from the real MAT v7.3 label map with flipped bits or cut short
 * (when ../shared is there). Each case is inspected and loaded as a cube and as labels under a 16 MiB bound; it
 * passes when that works or throws one of the project's typed errors naming the file.
 *
 * Case i of seed s is made from `createRng(s, 'raster case i')` alone, so it can be replayed by itself.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpinalnetError } from '../../src/core/errors.ts';
import { inspectFile } from '../../src/io/raster/inspectRaster.ts';
import { loadLabels, loadScene } from '../../src/scene/loadScene.ts';
import { createRng, type Rng } from '../../src/util/random.ts';
import { FUZZ_MAX_BYTES } from './matFuzzSources.ts';
import { makeTiff } from './tiffBytes.ts';

export interface RasterCase {
  readonly index: number;
  readonly source: string;
  readonly mutations: readonly string[];
  /** For ENVI: header text and data bytes; for TIFF: the file. */
  readonly header?: string;
  readonly bytes: Buffer;
}

interface EnviSource { readonly name: string; readonly header: string; readonly data: Buffer }
interface TiffSource { readonly name: string; readonly bytes: Buffer; readonly entries: readonly number[]; readonly le: boolean }

const H = 4, W = 5, B = 3;
const VALUES = Array.from({ length: H * W * B }, (_, i) => (i * 37) % 200);

function enviSources(): EnviSource[] {
  const int16 = Buffer.alloc(H * W * B * 2);
  VALUES.forEach((v, i) => int16.writeInt16LE(v, i * 2));
  const base = ['ENVI', `samples = ${W}`, `lines = ${H}`, `bands = ${B}`, 'header offset = 0', 'data type = 2', 'interleave = bsq', 'byte order = 0'];
  const rich = [...base, 'wavelength units = Micrometers', 'wavelength = {\n 0.46, 0.55,\n 0.64 }', 'fwhm = {0.01, 0.01, 0.01}', 'bbl = {1, 0, 1}',
    'default bands = {3, 2, 1}', 'band names = {a, b, c}', 'data ignore value = 0', 'data gain values = {1, 2, 3}', 'data offset values = {0, 0, 1}',
    'map info = {UTM, 1, 1, 1000, 5000, 30, 30, 33, North, WGS-84, units=Meters, rotation=10}', 'coordinate system string = {PROJCS["x",AUTHORITY["EPSG","32633"]]}'];
  const labels = Buffer.from(Array.from({ length: H * W }, (_, i) => i % 4));
  const classification = ['ENVI', `samples = ${W}`, `lines = ${H}`, 'bands = 1', 'data type = 1', 'interleave = bsq', 'file type = ENVI Classification',
    'classes = 4', 'class names = {Unclassified, a, b, c}', 'class lookup = {0,0,0, 255,0,0, 0,255,0, 0,0,255}'];
  return [
    { name: 'envi:bsq', header: base.join('\n'), data: int16 },
    { name: 'envi:rich', header: rich.join('\n'), data: int16 },
    { name: 'envi:bil-be-float', header: base.join('\n').replace('bsq', 'bil').replace('byte order = 0', 'byte order = 1').replace('data type = 2', 'data type = 4'), data: Buffer.from(Float32Array.from(VALUES).buffer).swap32() },
    { name: 'envi:classification', header: classification.join('\n'), data: labels },
  ];
}

function tiffSources(): TiffSource[] {
  const specs = [
    { name: 'tiff:contig-int16', planar: 1 as const, type: 'int16' as const },
    { name: 'tiff:planar-deflate-float', planar: 2 as const, type: 'float32' as const, compression: 8 },
    { name: 'tiff:be-uint8', planar: 1 as const, type: 'uint8' as const, bigEndian: true },
  ];
  return specs.map(({ name, ...s }) => {
    const t = makeTiff({ width: W, height: H, bands: B, values: VALUES, ...s });
    return { name, bytes: t.bytes, entries: t.entries, le: !s.bigEndian };
  });
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 12, 13, 15, 16, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 32 - 1];
const ODD_VALUES = ['-1', '0', '1', '2', '3', '6', '9', '99', '2147483647', '4294967296', '1e308', 'NaN', '', 'abc', '{', '}', '{1, 2', '1.5', '-0'];

function mutateEnvi(src: EnviSource, rng: Rng): { header: string; data: Buffer; what: string[] } {
  let lines = src.header.split('\n');
  let data = Buffer.from(src.data);
  const what: string[] = [];
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const op = rng.int(7);
    const i = 1 + rng.int(lines.length - 1);
    if (op === 0) {
      const key = lines[i].split('=')[0];
      const v = rng.pick(ODD_VALUES);
      lines[i] = `${key}= ${v}`;
      what.push(`${key.trim()} = ${v}`);
    } else if (op === 1) {
      what.push(`drop '${lines[i].slice(0, 20)}'`);
      lines = lines.filter((_, j) => j !== i);
    } else if (op === 2) {
      lines[i] = lines[i].toUpperCase();
      what.push(`upper-case line ${i}`);
    } else if (op === 3) {
      const cut = rng.int(data.length + 1);
      data = data.subarray(0, cut);
      what.push(`data cut to ${cut} bytes`);
    } else if (op === 4) {
      lines[i] = lines[i].replace(/[{}]/g, '');
      what.push(`braces removed on line ${i}`);
    } else if (op === 5) {
      const at = rng.int(data.length || 1);
      if (data.length > 0) data[at] = rng.int(256);
      what.push(`data byte ${at} changed`);
    } else {
      const key = rng.pick(['samples', 'lines', 'bands', 'header offset', 'data type', 'byte order', 'interleave', 'classes', 'default bands', 'bbl', 'wavelength']);
      const v = rng.pick(ODD_VALUES);
      lines = lines.filter((l) => l.split('=')[0].trim().toLowerCase() !== key);
      lines.push(`${key} = ${v}`);
      what.push(`${key} := ${v}`);
    }
  }
  return { header: lines.join('\n'), data, what };
}

function mutateTiff(src: TiffSource, rng: Rng): { bytes: Buffer; what: string[] } {
  let b = Buffer.from(src.bytes);
  const what: string[] = [];
  const w16 = (v: number, o: number) => (src.le ? b.writeUInt16LE(v & 0xffff, o) : b.writeUInt16BE(v & 0xffff, o));
  const w32 = (v: number, o: number) => (src.le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const e = rng.pick(src.entries);
    const tag = src.le ? src.bytes.readUInt16LE(e) : src.bytes.readUInt16BE(e);
    const op = rng.int(6);
    if (op === 0) { const t = rng.int(19); w16(t, e + 2); what.push(`tag ${tag} type := ${t}`); }
    else if (op === 1) { const c = rng.pick(INTERESTING); w32(c, e + 4); what.push(`tag ${tag} count := ${c}`); }
    else if (op === 2) { const v = rng.pick(INTERESTING); w32(v, e + 8); what.push(`tag ${tag} value := ${v}`); }
    else if (op === 3) { const v = rng.pick(INTERESTING); w16(v, e + 8); what.push(`tag ${tag} short value := ${v}`); }
    else if (op === 4) { const cut = rng.int(b.length); b = b.subarray(0, cut); what.push(`cut to ${cut} bytes`); }
    else { const at = rng.int(b.length); b[at] ^= 1 << rng.int(8); what.push(`bit flip at ${at}`); }
    if (b.length < src.bytes.length) break; // entries may now lie past the end
  }
  return { bytes: b, what };
}

const ENVI = enviSources();
const TIFF = tiffSources();
/** The real MAT v7.3 label map, when ../shared is there: HDF5 (h5wasm) gets damaged files too. */
const V73_PATH = fileURLToPath(new URL('../../../shared/data/hdf5/KSC_gt_v73.mat', import.meta.url));
const V73 = existsSync(V73_PATH) ? readFileSync(V73_PATH) : undefined;

function mutateBytes(src: Buffer, rng: Rng): { bytes: Buffer; what: string[] } {
  let b = Buffer.from(src);
  const what: string[] = [];
  for (let k = 1 + rng.int(4); k > 0; k--) {
    if (rng.int(5) === 0) {
      const cut = 512 + rng.int(b.length - 512);
      b = b.subarray(0, cut);
      what.push(`cut to ${cut} bytes`);
    } else {
      // Mostly inside the HDF5 metadata near the start, where a flip changes structure rather than pixel values.
      const at = 512 + rng.int(Math.min(b.length - 512, rng.int(2) === 0 ? 4096 : b.length));
      b[at] ^= 1 << rng.int(8);
      what.push(`bit flip at ${at}`);
    }
  }
  return { bytes: b, what };
}

export function makeRasterCase(index: number, seed: number): RasterCase {
  const rng = createRng(seed, `raster case ${index}`);
  if (V73 !== undefined && rng.int(10) === 0) {
    const m = mutateBytes(V73, rng);
    return { index, source: 'mat73:KSC_gt_v73', mutations: m.what, bytes: m.bytes };
  }
  if (rng.int(2) === 0) {
    const src = rng.pick(ENVI);
    const m = mutateEnvi(src, rng);
    return { index, source: src.name, mutations: m.what, header: m.header, bytes: m.data };
  }
  const src = rng.pick(TIFF);
  const m = mutateTiff(src, rng);
  return { index, source: src.name, mutations: m.what, bytes: m.bytes };
}

export type RasterOutcome = { outcome: 'read' | 'refused'; message?: string };

/** Inspects the case and loads it as a cube and as labels; anything but success or a typed error naming the file is thrown. */
export async function exerciseRaster(c: RasterCase, dir: string): Promise<RasterOutcome> {
  const path = join(dir, c.source.startsWith('mat73') ? 'case.mat' : c.header === undefined ? 'case.tif' : 'case.img');
  writeFileSync(path, c.bytes);
  if (c.header !== undefined) writeFileSync(join(dir, 'case.hdr'), c.header);
  try {
    await inspectFile(path);
    if (c.source.startsWith('mat73')) {
      await loadLabels(path, { height: 512, width: 614 }, undefined, { maxBytes: FUZZ_MAX_BYTES });
      return { outcome: 'read' };
    }
    const s = await loadScene({ cubePath: path, memoryLimitBytes: FUZZ_MAX_BYTES });
    if (s.cube.bands === 1) await loadLabels(path, s.cube, undefined, { maxBytes: FUZZ_MAX_BYTES }).catch((e: unknown) => {
      if (!(e instanceof SpinalnetError)) throw e;
    });
    return { outcome: 'read' };
  } catch (e) {
    if (!(e instanceof SpinalnetError)) throw e;
    if (!e.message.includes(dir)) throw new Error(`typed error without the file name: ${e.message}`);
    return { outcome: 'refused', message: e.message.replace(/^[^:]*: /, '') };
  }
}

export interface RasterFuzzReport {
  readonly cases: number;
  readonly read: number;
  readonly refused: number;
  readonly failures: readonly { index: number; source: string; mutations: readonly string[]; error: string }[];
  readonly maxMs: number;
  /** The slowest case's index. */
  readonly slowest: number;
}

export async function runRasterFuzz(seed: number, first: number, cases: number): Promise<RasterFuzzReport> {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-raster-fuzz-'));
  let read = 0, refused = 0, maxMs = 0, slowest = -1;
  const failures: RasterFuzzReport['failures'][number][] = [];
  try {
    for (let i = first; i < first + cases; i++) {
      const c = makeRasterCase(i, seed);
      const t0 = performance.now();
      try {
        const r = await exerciseRaster(c, dir);
        if (r.outcome === 'read') read++;
        else refused++;
      } catch (e) {
        failures.push({ index: i, source: c.source, mutations: c.mutations, error: e instanceof Error ? e.stack ?? e.message : String(e) });
      }
      const ms = performance.now() - t0;
      if (ms > maxMs) [maxMs, slowest] = [ms, i];
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { cases, read, refused, failures, maxMs, slowest };
}
