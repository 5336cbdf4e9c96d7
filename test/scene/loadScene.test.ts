import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError, MatFormatError } from '../../src/errors.ts';
import { writeMatV5, type MatWriteVariable } from '../../src/io/mat/writer.ts';
import { loadCube, loadLabels, loadScene } from '../../src/scene/loadScene.ts';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-scene-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function mat(...vars: MatWriteVariable[]): string {
  return writeMatV5(join(dir, `s${n++}.mat`), vars).path;
}

/** A column-major H×W×B uint16 cube whose value says where it is: r*100 + c*10 + b. */
function cube(name: string, H: number, W: number, B: number): MatWriteVariable {
  const data = new Uint16Array(H * W * B);
  for (let b = 0; b < B; b++) for (let c = 0; c < W; c++) for (let r = 0; r < H; r++) data[r + c * H + b * H * W] = r * 100 + c * 10 + b;
  return { name, data, dims: [H, W, B] };
}

/** A column-major H×W label map from row-major rows. */
function labels(name: string, rows: number[][], type: 'uint8' | 'double' | 'int16' = 'uint8'): MatWriteVariable {
  const H = rows.length, W = rows[0].length;
  const data = type === 'uint8' ? new Uint8Array(H * W) : type === 'int16' ? new Int16Array(H * W) : new Float64Array(H * W);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) data[r + c * H] = rows[r][c];
  return { name, data, dims: [H, W] };
}

const GT = [[0, 1, 1], [2, 0, 5]]; // 2×3, values 1, 2, 5

function thrown(fn: () => unknown): Error & { fix?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { fix?: string };
  }
  throw new Error('expected an error');
}

describe('loadScene on small files', () => {
  it('finds the cube and labels, converts to BIP and row-major, names classes', () => {
    const cubePath = mat(cube('X', 2, 3, 4), { name: 'wavelengths', data: new Float64Array(4), dims: [4, 1] });
    const gtPath = mat(labels('truth', GT), { name: 'other', data: new Uint8Array(6), dims: [3, 2] });
    const s = loadScene({ cubePath, gtPath, name: 'tiny' });
    expect([s.cube.height, s.cube.width, s.cube.bands]).toEqual([2, 3, 4]);
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) for (let b = 0; b < 4; b++) {
      expect(s.cube.data[(r * 3 + c) * 4 + b]).toBe(r * 100 + c * 10 + b);
    }
    expect(Array.from(s.labels?.data ?? [])).toEqual([0, 1, 1, 2, 0, 5]);
    expect(s.classes).toEqual([{ value: 1, name: 'class 1' }, { value: 2, name: 'class 2' }, { value: 5, name: 'class 5' }]);
    expect(s.rgbBands).toBeUndefined();
    expect(s.source).toMatchObject({ cubeVar: 'X', cubeClass: 'uint16', gtVar: 'truth' });
    expect(s.name).toBe('tiny');
  });

  it('uses given class names and rgbBands, and integral double labels', () => {
    const s = loadScene({
      cubePath: mat(cube('X', 2, 3, 4)),
      gtPath: mat(labels('g', GT, 'double')),
      classes: [{ value: 1, name: 'Water' }, { value: 2, name: 'Trees' }, { value: 5, name: 'Soil' }, { value: 9, name: 'Unused' }],
      rgbBands: [3, 2, 1],
    });
    expect(s.classes.map((c) => c.name)).toEqual(['Water', 'Trees', 'Soil']);
    expect(s.rgbBands).toEqual([3, 2, 1]);
    expect(s.name).toMatch(/^s\d+$/); // the file stem by default
  });

  it('without gtPath: no labels; gtVar alone looks in the cube file', () => {
    const both = mat(cube('X', 2, 3, 4), labels('gt', GT));
    expect(loadScene({ cubePath: both }).labels).toBeUndefined();
    const s = loadScene({ cubePath: both, gtVar: 'gt' });
    expect(Array.from(s.labels?.data ?? [])).toEqual([0, 1, 1, 2, 0, 5]);
  });

  it('names picked explicitly win over discovery', () => {
    const p = mat(cube('A', 2, 3, 4), cube('B', 2, 3, 2));
    expect(loadCube(p, 'B').cube.bands).toBe(2);
    const g = mat(labels('g1', GT), labels('g2', [[3, 3, 3], [0, 0, 0]]));
    expect(Array.from(loadLabels(g, { height: 2, width: 3 }, 'g2').labels.data)).toEqual([3, 3, 3, 0, 0, 0]);
  });
});

describe('loadScene errors', () => {
  it('several or no 3-D arrays: MatFormatError listing candidates, fix names --cube-var', () => {
    const e = thrown(() => loadScene({ cubePath: mat(cube('A', 2, 3, 4), cube('B', 2, 3, 2)) }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("'A' (uint16 2×3×4), 'B' (uint16 2×3×2)");
    expect(e.fix).toContain('--cube-var');
    const none = thrown(() => loadScene({ cubePath: mat(labels('g', GT)) }));
    expect(none).toBeInstanceOf(MatFormatError);
    expect(none.message).toContain("no 3-D numeric array to use as the cube; it holds 'g' (uint8 2×3)");
  });

  it('a named cube that is not 3-D', () => {
    const e = thrown(() => loadScene({ cubePath: mat(labels('g', GT)), cubeVar: 'g' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("'g' is 2×3, not a 3-D cube");
  });

  it('a named cube that is not there lists what is', () => {
    const e = thrown(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), cubeVar: 'Y' }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("'X' (uint16 2×3×4)");
  });

  it('several label candidates: fix names --gt-var', () => {
    const e = thrown(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath: mat(labels('g1', GT), labels('g2', GT)) }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("several 2×3 numeric arrays: 'g1' (uint8 2×3), 'g2' (uint8 2×3)");
    expect(e.fix).toContain('--gt-var');
  });

  it('label map of another size: both sizes in the message', () => {
    const gtPath = mat(labels('g', [[1, 2], [3, 4], [5, 6]]));
    const e = thrown(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath, gtVar: 'g' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("label map 'g' is 3×2 but the cube is 2×3");
    // Found automatically: no candidate of the cube's size, so the file's contents are listed.
    const auto = thrown(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath }));
    expect(auto).toBeInstanceOf(MatFormatError);
    expect(auto.message).toContain("no 2×3 numeric array (the cube's size) to use as labels; it holds 'g' (uint8 3×2)");
  });

  it('non-integral, negative and all-zero labels', () => {
    const cubePath = mat(cube('X', 2, 3, 4));
    const frac = thrown(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 1, 1], [2, 0.5, 5]], 'double')) }));
    expect(frac).toBeInstanceOf(DataError);
    expect(frac.message).toContain('holds 0.5 at row 2, column 2');
    expect(frac.message).toContain('is not an integer');
    const neg = thrown(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 1, -1], [2, 0, 5]], 'int16')) }));
    expect(neg).toBeInstanceOf(DataError);
    expect(neg.message).toContain('holds -1 at row 1, column 3');
    expect(neg.message).toContain('is negative');
    const zero = thrown(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 0, 0], [0, 0, 0]])) }));
    expect(zero).toBeInstanceOf(DataError);
    expect(zero.message).toContain('no labelled pixel');
  });

  it('class names that miss a label value, and rgbBands outside the cube', () => {
    const cubePath = mat(cube('X', 2, 3, 4));
    const gtPath = mat(labels('g', GT));
    expect(thrown(() => loadScene({ cubePath, gtPath, classes: [{ value: 1, name: 'a' }] }))).toBeInstanceOf(ConfigError);
    const rgb = thrown(() => loadScene({ cubePath, rgbBands: [0, 1, 4] }));
    expect(rgb).toBeInstanceOf(ConfigError);
    expect(rgb.message).toContain('three band indices from 0 to 3');
  });

  it('a registry name with a cube of another shape', () => {
    const e = thrown(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), name: 'ksc' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("the cube is 2×3×4 but dataset 'ksc' is 512×614×176");
  });
});

describe.skipIf(!existsSync(DATA))('loadScene on the real scenes', () => {
  if (!existsSync(DATA)) console.log(`skipping real-scene tests: ${DATA} is absent`);

  it('SalinasA: int16-stored cube in BIP, labels, registry classes and bands', () => {
    const s = loadScene({
      cubePath: join(DATA, 'salinasA/SalinasA_corrected.mat'), gtPath: join(DATA, 'salinasA/SalinasA_gt.mat'),
    });
    const { height: H, width: W, bands: B, data } = s.cube;
    expect([H, W, B]).toEqual([83, 86, 204]);
    const px = (r: number, c: number, b: number) => data[(r * W + c) * B + b];
    // Reference values from scipy.io.loadmat: X[10,20,0], X[10,20,203], X[82,85,100], X[0,0,0], X[0,85,5].
    expect([px(10, 20, 0), px(10, 20, 203), px(82, 85, 100), px(0, 0, 0), px(0, 85, 5)]).toEqual([367, -1, 1419, 376, 1601]);
    const lab = (r: number, c: number) => s.labels?.data[r * W + c];
    expect([lab(0, 0), lab(42, 84), lab(0, 44), lab(0, 70), lab(17, 85), lab(29, 84), lab(10, 20)]).toEqual([1, 10, 11, 12, 13, 14, 0]);
    expect(s.labels?.data.filter((v) => v !== 0).length).toBe(5348);
    expect(s.name).toBe('SalinasA_corrected');
    expect(s.classes.map((c) => c.value)).toEqual([1, 10, 11, 12, 13, 14]);
    expect(s.classes[1].name).toBe('Corn_senesced_green_weeds');
    expect(s.rgbBands).toEqual([43, 21, 11]);
  });

  it('Samson: float32 cube and uint8 labels', () => {
    const s = loadScene({ cubePath: join(DATA, 'samson/Samson_cube.mat'), gtPath: join(DATA, 'samson/Samson_gt.mat'), name: 'samson' });
    expect(s.cube.data[(50 * 95 + 60) * 156 + 100]).toBe(Math.fround(0.16690442));
    expect(s.classes.map((c) => c.name)).toEqual(['Rock', 'Tree', 'Water']);
    const counts = [0, 0, 0, 0];
    for (const v of s.labels?.data ?? []) counts[v]++;
    expect(counts).toEqual([1313, 2472, 3109, 2131]);
  });

  it('KSC_gt: the real label map against a KSC-sized shape', () => {
    const { labels: l, variable } = loadLabels(join(DATA, 'ksc/KSC_gt.mat'), { height: 512, width: 614 });
    expect(variable).toBe('KSC_gt');
    expect(l.data[124 * 614 + 195]).toBe(13);
    expect(l.data[345 * 614 + 530]).toBe(7);
  });
});
