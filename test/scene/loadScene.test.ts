import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError, MatFormatError } from '../../src/core/errors.ts';
import { writeMatV5, type MatWriteVariable } from '../../src/io/mat/writer.ts';
import { fitPca, transformCube } from '../../src/preprocess/pca.ts';
import { loadLabels, loadScene } from '../../src/scene/loadScene.ts';
import { createRng } from '../../src/util/random.ts';
import { readWholeCube, thrown, thrownAsync } from '../helpers.ts';

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
function labels(name: string, rows: readonly (readonly number[])[], type: 'uint8' | 'double' | 'int16' = 'uint8'): MatWriteVariable {
  const H = rows.length, W = rows[0].length;
  const data = type === 'uint8' ? new Uint8Array(H * W) : type === 'int16' ? new Int16Array(H * W) : new Float64Array(H * W);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) data[r + c * H] = rows[r][c];
  return { name, data, dims: [H, W] };
}

const GT = [[0, 1, 1], [2, 0, 5]]; // 2×3, values 1, 2, 5


describe('loadScene on small files', () => {
  it('finds the cube and labels, converts to BIP and row-major, names classes', async () => {
    const cubePath = mat(cube('X', 2, 3, 4), { name: 'wavelengths', data: new Float64Array(4), dims: [4, 1] });
    const gtPath = mat(labels('truth', GT), { name: 'other', data: new Uint8Array(6), dims: [3, 2] });
    const s = await loadScene({ cubePath, gtPath, name: 'tiny' });
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

  it('uses given class names and rgbBands, and integral double labels', async () => {
    const s = await loadScene({
      cubePath: mat(cube('X', 2, 3, 4)),
      gtPath: mat(labels('g', GT, 'double')),
      classes: [{ value: 1, name: 'Water' }, { value: 2, name: 'Trees' }, { value: 5, name: 'Soil' }, { value: 9, name: 'Unused' }],
      rgbBands: [3, 2, 1],
    });
    expect(s.classes.map((c) => c.name)).toEqual(['Water', 'Trees', 'Soil']);
    expect(s.rgbBands).toEqual([3, 2, 1]);
    expect(s.name).toMatch(/^s\d+$/); // the file stem by default
  });

  it('without gtPath: no labels; gtVar alone looks in the cube file', async () => {
    const both = mat(cube('X', 2, 3, 4), labels('gt', GT));
    expect((await loadScene({ cubePath: both })).labels).toBeUndefined();
    const s = await loadScene({ cubePath: both, gtVar: 'gt' });
    expect(Array.from(s.labels?.data ?? [])).toEqual([0, 1, 1, 2, 0, 5]);
  });

  it('names picked explicitly win over discovery', async () => {
    const p = mat(cube('A', 2, 3, 4), cube('B', 2, 3, 2));
    expect((await readWholeCube(p, 'B')).bands).toBe(2);
    const g = mat(labels('g1', GT), labels('g2', [[3, 3, 3], [0, 0, 0]]));
    expect(Array.from((await loadLabels(g, { height: 2, width: 3 }, 'g2')).labels.data)).toEqual([3, 3, 3, 0, 0, 0]);
  });
});

describe('loadScene errors', () => {
  it('several or no 3-D arrays: MatFormatError listing candidates, fix names --cube-var', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: mat(cube('A', 2, 3, 4), cube('B', 2, 3, 2)) }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("'A' (uint16 2×3×4), 'B' (uint16 2×3×2)");
    expect(e.fix).toContain('--cube-var');
    const none = await thrownAsync(() => loadScene({ cubePath: mat(labels('g', GT)) }));
    expect(none).toBeInstanceOf(MatFormatError);
    expect(none.message).toContain("no 3-D numeric array to use as the cube; it holds 'g' (uint8 2×3)");
  });

  it('a named cube that is not 3-D', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: mat(labels('g', GT)), cubeVar: 'g' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("'g' is 2×3, not a 3-D cube");
  });

  it('a named cube that is not there lists what is', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), cubeVar: 'Y' }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("'X' (uint16 2×3×4)");
  });

  it('several label candidates: fix names --gt-var', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath: mat(labels('g1', GT), labels('g2', GT)) }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toContain("several 2×3 numeric arrays: 'g1' (uint8 2×3), 'g2' (uint8 2×3)");
    expect(e.fix).toContain('--gt-var');
  });

  it('label map of another size: both sizes in the message', async () => {
    const gtPath = mat(labels('g', [[1, 2], [3, 4], [5, 6]]));
    const e = await thrownAsync(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath, gtVar: 'g' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("label map 'g' is 3×2 but the cube is 2×3");
    // Found automatically: no candidate of the cube's size, so the file's contents are listed.
    const auto = await thrownAsync(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath }));
    expect(auto).toBeInstanceOf(MatFormatError);
    expect(auto.message).toContain("no 2×3 numeric array (the cube's size) to use as labels; it holds 'g' (uint8 3×2)");
  });

  it('non-integral, negative and all-zero labels', async () => {
    const cubePath = mat(cube('X', 2, 3, 4));
    const frac = await thrownAsync(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 1, 1], [2, 0.5, 5]], 'double')) }));
    expect(frac).toBeInstanceOf(DataError);
    expect(frac.message).toContain('holds 0.5 at row 2, column 2');
    expect(frac.message).toContain('is not an integer');
    const neg = await thrownAsync(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 1, -1], [2, 0, 5]], 'int16')) }));
    expect(neg).toBeInstanceOf(DataError);
    expect(neg.message).toContain('holds -1 at row 1, column 3');
    expect(neg.message).toContain('is negative');
    const zero = await thrownAsync(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 0, 0], [0, 0, 0]])) }));
    expect(zero).toBeInstanceOf(DataError);
    expect(zero.message).toContain('no labelled pixel');
  });

  it('class names that miss a label value, and rgbBands outside the cube', async () => {
    const cubePath = mat(cube('X', 2, 3, 4));
    const gtPath = mat(labels('g', GT));
    expect(await thrownAsync(() => loadScene({ cubePath, gtPath, classes: [{ value: 1, name: 'a' }] }))).toBeInstanceOf(ConfigError);
    const rgb = await thrownAsync(() => loadScene({ cubePath, rgbBands: [0, 1, 4] }));
    expect(rgb).toBeInstanceOf(ConfigError);
    expect(rgb.message).toContain('three band indices from 0 to 3');
  });

  it('a registry name with a cube of another shape', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), name: 'ksc' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("the cube is 2×3×4 but dataset 'ksc' is 512×614×176");
  });
});

/** A column-major H×W×B float cube holding r*100 + c*10 + b, with some values replaced. */
function floatCube(
  name: string, H: number, W: number, B: number, set: [number, number, number, number][] = [], type: 'single' | 'double' = 'single',
): MatWriteVariable {
  const data = type === 'single' ? new Float32Array(H * W * B) : new Float64Array(H * W * B);
  for (let b = 0; b < B; b++) for (let c = 0; c < W; c++) for (let r = 0; r < H; r++) data[r + c * H + b * H * W] = r * 100 + c * 10 + b;
  for (const [r, c, b, v] of set) data[r + c * H + b * H * W] = v;
  return { name, data, dims: [H, W, B] };
}

/** Band values of the loaded (BIP) cube at pixel (r, c). */
const pixel = (s: { cube: { width: number; bands: number; data: Float32Array } }, r: number, c: number) =>
  Array.from(s.cube.data.subarray((r * s.cube.width + c) * s.cube.bands, (r * s.cube.width + c + 1) * s.cube.bands));

describe('value policies', () => {
  it('bands holding NaN or ±Inf are dropped with a warning naming them; the other bands keep their values', async () => {
    const cubePath = mat(floatCube('X', 2, 3, 5, [[0, 1, 1, Number.NaN], [1, 2, 3, Infinity], [1, 0, 3, -Infinity]]));
    const s = await loadScene({ cubePath, gtPath: mat(labels('g', GT)) });
    expect(s.droppedBands).toEqual([1, 3]);
    expect([s.cube.bands, s.source.cubeBands, s.cube.data.length]).toEqual([3, 5, 18]);
    expect(pixel(s, 1, 2)).toEqual([120, 122, 124]);
    expect(pixel(s, 0, 1)).toEqual([10, 12, 14]);
    expect(s.warnings).toEqual([
      `${cubePath}: cube 'X': dropped bands 2, 4 (3 NaN or infinite values in 2 of its 5 bands; the first is NaN at row 1, column 2, band 2); 3 bands are left.`,
    ]);
    expect(s.classes.map((c) => c.value)).toEqual([1, 2, 5]);
  });

  it('a double beyond float32 range becomes Inf in the float32 cube, so its band is dropped too', async () => {
    const s = await loadScene({ cubePath: mat(floatCube('X', 2, 3, 3, [[1, 1, 0, 1e39]], 'double')) });
    expect(s.droppedBands).toEqual([0]);
    expect(s.warnings[0]).toContain('the first is Infinity at row 2, column 2, band 1');
  });

  it('NaN in every band, or nonFinite: error, is a DataError naming the bands and how to clean them', async () => {
    const all = floatCube('X', 2, 2, 3, [[0, 0, 0, Number.NaN], [1, 1, 1, Number.NaN], [0, 1, 2, -Infinity]]);
    const e = await thrownAsync(() => loadScene({ cubePath: mat(all) }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain("cube 'X' holds 3 NaN or infinite values in 3 of its 3 bands");
    expect(e.message).toContain('every band has some, so none is left to use');
    expect(e.fix).toContain('X(~isfinite(X)) = 0');
    const one = mat(floatCube('X', 2, 2, 3, [[1, 0, 2, Number.NaN]]));
    const strict = await thrownAsync(() => loadScene({ cubePath: one, nonFinite: 'error' }));
    expect(strict).toBeInstanceOf(DataError);
    expect(strict.message).toContain('holds 1 NaN or infinite value in 1 of its 3 bands; the first is NaN at row 2, column 1, band 3 (counting from 1)');
  });

  it('dropBands fixes the band set (as a saved model needs): NaN elsewhere is an error, bad indices a ConfigError', async () => {
    const cubePath = mat(floatCube('X', 2, 3, 5, [[0, 1, 1, Number.NaN]]));
    const s = await loadScene({ cubePath, dropBands: [4, 1] });
    expect([s.droppedBands, s.cube.bands, s.warnings]).toEqual([[1, 4], 3, []]);
    expect(pixel(s, 0, 2)).toEqual([20, 22, 23]);
    const e = await thrownAsync(() => loadScene({ cubePath, dropBands: [0] }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain('holds NaN or infinite values in band 2, which the band selection given keeps');
    expect(await thrownAsync(() => loadScene({ cubePath, dropBands: [5] }))).toBeInstanceOf(ConfigError);
    expect(await thrownAsync(() => loadScene({ cubePath: mat(floatCube('X', 2, 3, 2)), dropBands: [0, 1] }))).toBeInstanceOf(ConfigError);
  });

  it('rgbBands follow the kept bands; a dropped one is replaced by its nearest kept band', async () => {
    const s = await loadScene({ cubePath: mat(floatCube('X', 2, 2, 6, [[0, 0, 2, Number.NaN]])), rgbBands: [5, 2, 0] });
    expect(s.droppedBands).toEqual([2]);
    expect(s.rgbBands).toEqual([4, 1, 0]); // band 5 → 4th kept; band 2 → nearest kept (1) → index 1; band 0 → 0
    expect(s.warnings[1]).toBe('false-colour band 3 was dropped; band 2 is shown instead (counting from 1).');
  });

  it('constant bands are kept, with a warning saying how many whitened components PCA can keep', async () => {
    const H = 2, W = 3;
    const c = floatCube('X', H, W, 4);
    for (let i = 0; i < H * W; i++) {
      c.data[i + 1 * H * W] = 7; // band 2 constant
      c.data[i + 3 * H * W] = 0; // band 4 constant (zero)
    }
    const s = await loadScene({ cubePath: mat(c) });
    expect(s.cube.bands).toBe(4);
    expect(s.warnings).toEqual([
      expect.stringMatching(/cube 'X' has 2 constant bands \(the same value at every pixel\): bands 2, 4\. They are kept but carry no information: PCA gives them zero variance, so whitened PCA can keep at most 2 components\.$/),
    ]);
  });

  it('constant bands through PCA: fine unwhitened; whitening more components than varying bands is a clear DataError', async () => {
    const H = 6, W = 7, B = 5;
    const rng = createRng(11);
    const c = floatCube('X', H, W, B);
    for (let i = 0; i < H * W * B; i++) c.data[i] = rng.uniform(0, 100);
    for (let i = 0; i < H * W; i++) {
      c.data[i + 1 * H * W] = 7;
      c.data[i + 3 * H * W] = 0;
    }
    const s = await loadScene({ cubePath: mat(c) });
    expect(s.warnings[0]).toContain('bands 2, 4. They are kept but carry no information: PCA gives them zero variance, so whitened PCA can keep at most 3 components.');
    const all = fitPca(s.cube, { components: 5, whiten: false });
    expect(transformCube(s.cube, all).data.every(Number.isFinite)).toBe(true);
    expect(fitPca(s.cube, { components: 3, whiten: true }).components).toBe(3);
    const e = thrown(() => fitPca(s.cube, { components: 4, whiten: true }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain('PCA component 4 of 4 has zero variance');
    expect(e.fix).toContain('ask for at most 3 components');
  });

  it('pixels that are 0 in every band are kept, with a warning counting them and the labelled ones', async () => {
    const c = floatCube('X', 2, 3, 3);
    for (const [r, col] of [[0, 0], [1, 1]]) for (let b = 0; b < 3; b++) c.data[r + col * 2 + b * 6] = 0;
    const s = await loadScene({ cubePath: mat(c), gtPath: mat(labels('g', [[1, 1, 1], [2, 0, 5]])) });
    expect(pixel(s, 1, 1)).toEqual([0, 0, 0]);
    expect(s.warnings).toEqual([
      expect.stringMatching(/cube 'X' has 2 pixels \(33\.3%\) that are 0 in every band \(no-data fill\?\); they are kept and classified like any other pixel; 1 of them is labelled\.$/),
    ]);
    expect((await loadScene({ cubePath: mat(floatCube("X", 2, 3, 3)) })).warnings).toEqual([]);
  });

  it('labels outside a registry scene\'s classes are a DataError naming them; elsewhere every value is a class', async () => {
    const samsonShaped = { name: 'X', data: new Uint8Array(95 * 95 * 156).map((_, i) => i % 251), dims: [95, 95, 156] };
    const cubePath = mat(samsonShaped);
    const rows = Array.from({ length: 95 }, (_, r) => Array.from({ length: 95 }, (_, c) => (r === 3 && c === 4 ? 7 : r === 5 ? 9 : (r + c) % 4)));
    const e = await thrownAsync(() => loadScene({ cubePath, gtPath: mat(labels('g', rows)), name: 'samson' }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/s\d+\.mat: label map 'g' holds label values 7, 9, which are not classes of dataset 'samson' \(its values are 1, 2, 3\)$/);
    const s = await loadScene({ cubePath, gtPath: mat(labels('g', rows)), name: 'mine' });
    expect(s.classes.map((c) => c.value)).toEqual([1, 2, 3, 7, 9]);
  });

  it('labels stored as double: whole numbers are fine, 2.5 and NaN are DataErrors', async () => {
    const cubePath = mat(floatCube('X', 2, 3, 2));
    const ok = await loadScene({ cubePath, gtPath: mat(labels('g', [[0, 3, 3], [1, 0, 2]], 'double')) });
    expect(Array.from(ok.labels?.data ?? [])).toEqual([0, 3, 3, 1, 0, 2]);
    for (const [bad, shown] of [[2.5, '2.5'], [Number.NaN, 'NaN']] as const) {
      const e = await thrownAsync(() => loadScene({ cubePath, gtPath: mat(labels('g', [[0, 3, 3], [1, bad, 2]], 'double')) }));
      expect(e).toBeInstanceOf(DataError);
      expect(e.message).toContain(`holds ${shown} at row 2, column 2 (counting from 1, as MATLAB does), which is not an integer`);
    }
  });

  it('explicit classes that miss a label value: ConfigError naming the value', async () => {
    const e = await thrownAsync(() => loadScene({ cubePath: mat(cube('X', 2, 3, 4)), gtPath: mat(labels('g', GT)), classes: [{ value: 1, name: 'a' }, { value: 2, name: 'b' }] }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain("got 'names for 1, 2 only (none for 5)'");
    expect(e.fix).toContain('class names for 5 too');
  });

  it('a cube larger than memoryLimitBytes is refused from its header, before any of it is read', async () => {
    // uint16: 48,000 bytes stored, 96,000 as float32; the reader holds its 48,000-byte read buffer, a
    // 96,000-byte float32 block and the inflate stream's buffers (at most compressed + inflated bytes).
    const path = mat(cube('X', 20, 30, 40));
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(3000);
    bytes.fill(0x42, 2000); // damage the zlib stream past the header: reading it would fail differently
    writeFileSync(path, bytes);
    const e = await thrownAsync(() => loadScene({ cubePath: path, memoryLimitBytes: 100_000 }));
    expect(e).toBeInstanceOf(MatFormatError);
    expect(e.message).toMatch(/\(variable 'X'\): needs 285\.\d KiB of memory to load the 20×30×40 uint16 cube \(192\.\d KiB held by the reader, 93\.8 KiB as float32\), more than the 97\.7 KiB allowed$/);
    expect((await thrownAsync(() => loadScene({ cubePath: path }))).message).toMatch(/does not inflate|inflates to more than the 48064 bytes its element declares|its compressed data (stops|ends) after/);
  });
});

describe.skipIf(!existsSync(DATA))('loadScene on the real scenes', () => {
  if (!existsSync(DATA)) console.log(`skipping real-scene tests: ${DATA} is absent`);

  it('SalinasA: int16-stored cube in BIP, labels, registry classes and bands', async () => {
    const s = await loadScene({
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
    expect([s.warnings, s.droppedBands]).toEqual([[], []]);
  });

  it('Samson: float32 cube and uint8 labels', async () => {
    const s = await loadScene({ cubePath: join(DATA, 'samson/Samson_cube.mat'), gtPath: join(DATA, 'samson/Samson_gt.mat'), name: 'samson' });
    expect(s.cube.data[(50 * 95 + 60) * 156 + 100]).toBe(Math.fround(0.16690442));
    expect(s.classes.map((c) => c.name)).toEqual(['Rock', 'Tree', 'Water']);
    const counts = [0, 0, 0, 0];
    for (const v of s.labels?.data ?? []) counts[v]++;
    expect(counts).toEqual([1313, 2472, 3109, 2131]);
  });

  it('KSC_gt: the real label map against a KSC-sized shape', async () => {
    const { labels: l, variable } = await loadLabels(join(DATA, 'ksc/KSC_gt.mat'), { height: 512, width: 614 });
    expect(variable).toBe('KSC_gt');
    expect(l.data[124 * 614 + 195]).toBe(13);
    expect(l.data[345 * 614 + 530]).toBe(7);
  });
});
