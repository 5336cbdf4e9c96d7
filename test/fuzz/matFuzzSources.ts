/**
 * The files the MAT fuzzer mutates: the real ones in ../shared/data (when present) and small ones built
 * here to reach what the real ones lack (both byte orders, every class and structure, v4, v7.3, a zip
 * bomb, a size lie, absurd dimensions). Used by matFuzzCases.ts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeMatV5, type MatWriteVariable } from '../../src/io/mat/writer.ts';
import {
  cellMatrix, charMatrix, complexMatrix, compressed, doubleMatrix, element, logicalMatrix, matrix, opaqueMatrix,
  sparseMatrix, structMatrix, v4File, v5Header,
} from '../io/mat/rawMat.ts';
/** A file to mutate; `weight` sets how often it is picked (big files less, as each case costs more). */
export interface FuzzSource {
  readonly name: string;
  readonly bytes: Buffer;
  readonly weight: number;
}

/** Memory bound the fuzzer reads under: the zip bomb source inflates to twice this. */
export const FUZZ_MAX_BYTES = 16 * 1024 * 1024;

/** Every .mat file under `dir` (recursively), lighter weight for the large ones. */
export function realSources(dir: string): FuzzSource[] {
  if (!existsSync(dir)) return [];
  const out: FuzzSource[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.mat')) {
        const size = statSync(p).size;
        out.push({ name: `real:${relative(dir, p)}`, bytes: readFileSync(p), weight: size > 200_000 ? 0.25 : 1 });
      }
    }
  };
  walk(dir);
  return out;
}

/** A small cube, labels and one of every numeric class, for the writer-made sources. */
function numericVariables(): MatWriteVariable[] {
  const cube = new Float32Array(4 * 5 * 6).map((_, i) => Math.sin(i) * 100);
  cube[7] = Number.NaN;
  const gt = new Uint8Array(20).map((_, i) => i % 4);
  return [
    { name: 'cube', data: cube, dims: [4, 5, 6] },
    { name: 'gt', data: gt, dims: [4, 5] },
    { name: 'd', data: new Float64Array([0.5, -2, Infinity, 1e300, 3, 4]), dims: [2, 3] },
    { name: 'i16', data: new Int16Array([-32768, 0, 32767]), dims: [1, 3] },
    { name: 'u32', data: new Uint32Array([1, 2, 4294967295, 0]), dims: [2, 2] },
    { name: 'i64', data: new BigInt64Array([-(2n ** 62n), 5n]), dims: [2, 1] },
    { name: 'mask', data: new Uint8Array([1, 0, 1, 1]), dims: [2, 2], logical: true },
    { name: 'empty', data: new Float64Array(0), dims: [0, 0] },
  ];
}

/** Cells, structs, sparse, complex, char, logical and a MATLAB object, with a double after them. */
function structures(): Buffer[] {
  return [
    charMatrix('txt', 'hyperspectral'),
    matrix({ classCode: 1, dims: [1, 2], name: 'nested', body: [cellMatrix('', 1), matrix({ classCode: 1, dims: [1, 1], name: '', body: [charMatrix('', 'in')] })] }),
    structMatrix('s', { a: doubleMatrix('', [1, 2], [1, 2]), b: charMatrix('', 'x'), c: structMatrix('', { z: doubleMatrix('', [1, 1], [9]) }) }),
    sparseMatrix('sp', 3, 4, [[0, 0, 1.5], [2, 1, -2], [1, 3, 7]]),
    complexMatrix('z', [1, 2], [1, 2], [3, -4]),
    logicalMatrix('lg', [2, 2], [1, 0, 0, 1]),
    opaqueMatrix('str'),
    doubleMatrix('after', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]),
  ];
}

/**
 * Small files made here: writer output in both byte orders, compressed or not; hand-built cells,
 * structs, sparse, complex and objects; MAT v4; a v7.3 look-alike; a zip bomb (a compressed element
 * inflating to 2 × FUZZ_MAX_BYTES); a compressed element lying about its inflated size; absurd
 * dimensions. `dir` is a scratch folder for the writer.
 */
export function syntheticSources(dir: string): FuzzSource[] {
  const out: FuzzSource[] = [];
  for (const byteOrder of ['little', 'big'] as const) {
    for (const compress of [true, false]) {
      const p = join(dir, `w-${byteOrder}-${compress}.mat`);
      writeMatV5(p, numericVariables(), { byteOrder, compress });
      out.push({ name: `writer:${byteOrder}${compress ? ':compressed' : ''}`, bytes: readFileSync(p), weight: 2 });
    }
  }
  const parts = structures();
  out.push({ name: 'raw:structures', bytes: Buffer.concat([v5Header(), ...parts]), weight: 2 });
  out.push({ name: 'raw:structures:compressed', bytes: Buffer.concat([v5Header(), ...parts.map(compressed)]), weight: 2 });
  out.push({ name: 'raw:v4', bytes: v4File('x', 2, 3, [1, 2, 3, 4, 5, 6]), weight: 0.5 });
  const v73 = Buffer.concat([v5Header('MATLAB 7.3 MAT-file, Platform: GLNXA64', 0x0200), Buffer.alloc(384),
    Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)]);
  out.push({ name: 'raw:v7.3-lookalike', bytes: v73, weight: 0.5 });
  // 2 × FUZZ_MAX_BYTES of zeros as a uint8 H×W×B cube: a legal file that must be refused, not inflated.
  const side = 2048, bands = (2 * FUZZ_MAX_BYTES) / (side * side);
  const bomb = matrix({ classCode: 9, dims: [side, side, bands], name: 'bomb', body: [element(2, Buffer.alloc(side * side * bands))] });
  out.push({ name: 'raw:zip-bomb', bytes: Buffer.concat([v5Header(), compressed(bomb), compressed(doubleMatrix('ok', [1, 1], [1]))]), weight: 1 });
  const liar = doubleMatrix('liar', [1, 1], [1]);
  liar.writeUInt32LE(0x7ffffff0, 4);
  out.push({ name: 'raw:inflated-size-lie', bytes: Buffer.concat([v5Header(), compressed(liar)]), weight: 0.5 });
  const absurd = matrix({ classCode: 6, dims: [1e9, 1e9], name: 'absurd', body: [element(9, Buffer.alloc(8))] });
  out.push({ name: 'raw:absurd-dims', bytes: Buffer.concat([v5Header(), absurd, compressed(absurd)]), weight: 0.5 });
  return out;
}

/** Builds every source: the real files under `dataDir` (if present) and the synthetic ones. */
export function allSources(dataDir: string): { sources: FuzzSource[]; real: number } {
  const scratch = mkdtempSync(join(tmpdir(), 'spinalnet-fuzz-src-'));
  try {
    const real = realSources(dataDir);
    return { sources: [...real, ...syntheticSources(scratch)], real: real.length };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
