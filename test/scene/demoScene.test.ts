import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { DEMO_MIN_CLASS_PIXELS, DEMO_SCENE_DEFAULTS, demoWavelengths, makeDemoScene } from '../../src/scene/demoScene.ts';
import { findDataset } from '../../src/scene/registry.ts';

const scene = makeDemoScene();
const { cube } = scene;
const labels = scene.labels!;
const B = cube.bands;

const bytes = (a: Float32Array | Int32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function classCounts(data: Int32Array): number[] {
  const counts = new Array<number>(14).fill(0);
  for (const v of data) counts[v]++;
  return counts;
}

describe('makeDemoScene: shape and classes', () => {
  it('has the default size, BIP layout and name', () => {
    expect(scene.name).toBe('demo');
    expect([cube.height, cube.width, cube.bands]).toEqual([96, 96, 48]);
    expect(DEMO_SCENE_DEFAULTS).toEqual({ height: 96, width: 96, bands: 48, seed: 1 });
    expect(cube.data).toBeInstanceOf(Float32Array);
    expect(cube.data.length).toBe(96 * 96 * 48);
    expect(labels.data).toBeInstanceOf(Int32Array);
    expect([labels.height, labels.width, labels.data.length]).toEqual([96, 96, 96 * 96]);
  });

  it("uses KSC's 13 class names and values, and every one of them appears in the labels", () => {
    expect(scene.classes).toEqual(findDataset('ksc')!.classes.map((c) => ({ value: c.value, name: c.name })));
    expect(scene.classes.map((c) => c.value)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect([...new Set(labels.data)].sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => i));
  });

  it('labels a KSC-like minority of pixels, with enough of every class', () => {
    const counts = classCounts(labels.data);
    const labelled = labels.data.length - counts[0];
    expect(labelled).toBeGreaterThanOrEqual(2500);
    expect(labelled).toBeLessThanOrEqual(4000);
    expect(counts[0] / labels.data.length).toBeGreaterThan(0.5);
    for (let k = 1; k <= 13; k++) expect(counts[k], `class ${k}`).toBeGreaterThanOrEqual(DEMO_MIN_CLASS_PIXELS);
    // Sizes vary as in KSC: the largest class has several times the pixels of the smallest.
    const sizes = counts.slice(1);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeGreaterThan(4);
  });

  it('picks colour-infrared false-colour bands (about 800, 650, 550 nm)', () => {
    const nm = demoWavelengths(B);
    expect(nm[0]).toBe(400);
    expect(nm[B - 1]).toBe(2500);
    const [r, g, b] = scene.rgbBands!;
    expect(Math.abs(nm[r] - 800)).toBeLessThan(25);
    expect(Math.abs(nm[g] - 650)).toBeLessThan(25);
    expect(Math.abs(nm[b] - 550)).toBeLessThan(25);
  });
});

describe('makeDemoScene: determinism', () => {
  it('gives identical bytes for the same seed and different ones for another seed', () => {
    const again = makeDemoScene({ seed: 1 });
    expect(bytes(again.cube.data).equals(bytes(cube.data))).toBe(true);
    expect(bytes(again.labels!.data).equals(bytes(labels.data))).toBe(true);
    const other = makeDemoScene({ seed: 2 });
    expect(bytes(other.cube.data).equals(bytes(cube.data))).toBe(false);
    expect(bytes(other.labels!.data).equals(bytes(labels.data))).toBe(false);
  });
});

describe('makeDemoScene: realism', () => {
  it('holds finite reflectance-like values', () => {
    let min = Infinity;
    let max = -Infinity;
    let finite = true;
    for (const v of cube.data) {
      if (!Number.isFinite(v)) finite = false;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(finite).toBe(true);
    expect(min).toBeGreaterThan(-0.1);
    expect(max).toBeLessThan(1);
    expect(max).toBeGreaterThan(0.3);
  });

  it('has noise: no two labelled pixels have the same spectrum', () => {
    const seen = new Set<string>();
    let labelled = 0;
    for (let p = 0; p < labels.data.length; p++) {
      if (labels.data[p] === 0) continue;
      labelled++;
      seen.add(bytes(cube.data.subarray(p * B, (p + 1) * B)).toString('base64'));
    }
    expect(seen.size).toBe(labelled);
  });

  it('labels region interiors: no labelled pixel has another class within two pixels', () => {
    const { height: H, width: W, data } = labels;
    let clashes = 0;
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const k = data[r * W + c];
        if (k === 0) continue;
        for (let dr = -2; dr <= 2; dr++) {
          for (let dc = -2; dc <= 2; dc++) {
            const rr = r + dr;
            const cc = c + dc;
            if (rr < 0 || rr >= H || cc < 0 || cc >= W) continue;
            const o = data[rr * W + cc];
            if (o !== 0 && o !== k) clashes++;
          }
        }
      }
    }
    expect(clashes).toBe(0);
  });

  it('forms spatially coherent regions, not salt and pepper', () => {
    const { height: H, width: W, data } = labels;
    const seen = new Uint8Array(H * W);
    let components = 0;
    for (let start = 0; start < H * W; start++) {
      if (data[start] === 0 || seen[start]) continue;
      components++;
      const stack = [start];
      seen[start] = 1;
      while (stack.length > 0) {
        const p = stack.pop()!;
        const r = Math.floor(p / W);
        const c = p % W;
        for (const [rr, cc] of [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]]) {
          const q = rr * W + cc;
          if (rr >= 0 && rr < H && cc >= 0 && cc < W && !seen[q] && data[q] === data[p]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    expect(components).toBeGreaterThanOrEqual(13);
    expect(components).toBeLessThan(80);
  });

  it('is learnable but not trivial: a nearest-class-mean classifier gets between 65% and 95%', () => {
    const means = Array.from({ length: 14 }, () => new Float64Array(B));
    const counts = classCounts(labels.data);
    for (let p = 0; p < labels.data.length; p++) {
      const k = labels.data[p];
      if (k > 0) for (let b = 0; b < B; b++) means[k][b] += cube.data[p * B + b] / counts[k];
    }
    let correct = 0;
    let total = 0;
    for (let p = 0; p < labels.data.length; p++) {
      if (labels.data[p] === 0) continue;
      let best = 0;
      let bestD = Infinity;
      for (let k = 1; k <= 13; k++) {
        let d = 0;
        for (let b = 0; b < B; b++) d += (cube.data[p * B + b] - means[k][b]) ** 2;
        if (d < bestD) { bestD = d; best = k; }
      }
      total++;
      if (best === labels.data[p]) correct++;
    }
    expect(correct / total).toBeGreaterThan(0.65);
    expect(correct / total).toBeLessThan(0.95);
  });
});

describe('makeDemoScene: options', () => {
  it('honours height, width and bands', () => {
    const s = makeDemoScene({ height: 64, width: 80, bands: 16, seed: 3 });
    expect([s.cube.height, s.cube.width, s.cube.bands, s.cube.data.length]).toEqual([64, 80, 16, 64 * 80 * 16]);
    expect([s.labels!.height, s.labels!.width]).toEqual([64, 80]);
    for (const b of s.rgbBands!) expect(b).toBeLessThan(16);
    const counts = classCounts(s.labels!.data);
    for (let k = 1; k <= 13; k++) expect(counts[k]).toBeGreaterThanOrEqual(DEMO_MIN_CLASS_PIXELS);
  });

  it('rejects out-of-range options with a ConfigError naming the option', () => {
    expect(() => makeDemoScene({ height: 32 })).toThrow(ConfigError);
    expect(() => makeDemoScene({ width: 2000 })).toThrow(/width/);
    expect(() => makeDemoScene({ bands: 4 })).toThrow(/bands/);
    expect(() => makeDemoScene({ bands: 12.5 })).toThrow(ConfigError);
    expect(() => makeDemoScene({ seed: 0.5 })).toThrow(/seed/);
  });
});
