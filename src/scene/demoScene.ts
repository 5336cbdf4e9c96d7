/**
 * A deterministic synthetic KSC-like scene, so `npm start` has something real to train on when the user
 * has no data. It is built to be neither trivial nor hopeless: 13 classes with KSC's names and smooth,
 * overlapping spectra (three near-identical hammock classes, two swamp classes, two marsh classes),
 * irregular regions of very different sizes, within-class variability at region, pixel and scene scale,
 * sensor noise, mixed pixels along every border, and most of the scene unlabelled, as in KSC.
 *
 * Everything random comes from one seed through named child streams (src/util/random.ts), so the same
 * options give the same bytes on every machine.
 */
import { ConfigError } from '../core/errors.ts';
import { checkSeed, createRng, type Rng } from '../util/random.ts';
import { findDataset } from './registry.ts';
import type { ClassInfo, CubeBIP, LabelMap, Scene } from '../core/types.ts';

export interface DemoSceneOptions {
  /** Rows; default 96, 64 to 1024. */
  height?: number;
  /** Columns; default 96, 64 to 1024. */
  width?: number;
  /** Spectral bands, evenly spaced over 400–2500 nm; default 48, 8 to 512. */
  bands?: number;
  /** Seed for every random choice; default 1. Any safe integer. */
  seed?: number;
}

export const DEMO_SCENE_DEFAULTS = { height: 96, width: 96, bands: 48, seed: 1 } as const;

/** Every class gets at least this many labelled pixels (the layout is redrawn until it does). */
export const DEMO_MIN_CLASS_PIXELS = 40;

const FIRST_NM = 400;
const LAST_NM = 2500;
/** Average Voronoi cell side in pixels: about 190-pixel cells, enough for a labelled interior. */
const CELL_SIDE = 13.7;
/** Share of cells given to the 13 labelled classes; the rest are unlabelled cover types. */
const LABELLED_CELL_SHARE = 0.66;
const LAYOUT_ATTEMPTS = 5;

// Variability and noise, tuned so a spectral nearest-class-mean classifier lands near 80% OA.
const REGION_GAIN_SD = 0.085; // per-region brightness (lognormal sd)
const REGION_TILT_SD = 0.08; // per-region spectral slope, relative, across 400–2500 nm
const PIXEL_GAIN_SD = 0.05; // per-pixel brightness
const COVER_REGION_MAX = 0.15; // per-region mean share of bare soil showing through
const COVER_PIXEL_SD = 0.05; // per-pixel spread of that share
const DRIFT_GAIN = 0.06; // smooth illumination drift over the scene
const DRIFT_TILT = 0.05; // smooth spectral-slope drift (atmosphere) over the scene
const NOISE_ABS = 0.004; // additive sensor noise, reflectance units
const NOISE_REL = 0.015; // signal-dependent noise, share of the value
const WARP_PX = 5; // amplitude of the smooth warp that makes Voronoi borders irregular

/** Band centres in nm, evenly spaced over 400–2500 nm (AVIRIS' range). */
export function demoWavelengths(bands: number): Float64Array {
  const nm = new Float64Array(bands);
  for (let b = 0; b < bands; b++) nm[b] = FIRST_NM + ((LAST_NM - FIRST_NM) * b) / Math.max(1, bands - 1);
  return nm;
}

/**
 * The demo scene: `name: 'demo'`, a BIP cube of reflectance-like values (about 0–0.6), labels 1..13
 * with KSC's class names (0 = unlabelled), and colour-infrared false-colour bands (≈800, 650, 550 nm).
 */
export function makeDemoScene(opts: DemoSceneOptions = {}): Scene {
  const height = checkInt('height', opts.height ?? DEMO_SCENE_DEFAULTS.height, 64, 1024);
  const width = checkInt('width', opts.width ?? DEMO_SCENE_DEFAULTS.width, 64, 1024);
  const bands = checkInt('bands', opts.bands ?? DEMO_SCENE_DEFAULTS.bands, 8, 512);
  const seed = opts.seed ?? DEMO_SCENE_DEFAULTS.seed;
  checkSeed(seed, 'seed');

  const ksc = findDataset('ksc');
  if (ksc === undefined) throw new Error('registry has no ksc entry'); // a bug, not a user error
  const classes: ClassInfo[] = ksc.classes.map((c) => ({ value: c.value, name: c.name }));

  const nm = demoWavelengths(bands);
  const endmembers = MATERIALS.map((m) => Float64Array.from(nm, m));
  const soilSpectrum = Float64Array.from(nm, BARE_SOIL);

  const root = createRng(seed, 'demo-scene');
  const layout = drawLayout(root, height, width);
  const cube = paint(root, layout, nm, endmembers, soilSpectrum, height, width);

  const labelsData = new Int32Array(height * width);
  for (let p = 0; p < labelsData.length; p++) {
    const m = layout.material[p];
    if (m < CLASS_COUNT && layout.core[p] === 1) labelsData[p] = m + 1;
  }
  const labels: LabelMap = { height, width, data: labelsData };
  const rgbBands = [nearestBand(nm, 800), nearestBand(nm, 650), nearestBand(nm, 550)] as const;
  return { name: 'demo', cube, labels, classes, rgbBands };
}

// ---------------------------------------------------------------------------------------------------
// Spectra: smooth sums of Gaussians and sigmoids in nm, shaped like vegetation, soil and water.

type Spectrum = (nm: number) => number;
const gauss = (x: number, mu: number, sigma: number): number => Math.exp(-0.5 * ((x - mu) / sigma) ** 2);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Liquid-water absorption (970, 1200, 1450, 1940 nm) as a multiplier; `depth` 0..1. */
const waterAbsorption = (nm: number, depth: number): number =>
  1 - depth * (0.08 * gauss(nm, 970, 35) + 0.15 * gauss(nm, 1200, 45) + 0.55 * gauss(nm, 1450, 60) + 0.75 * gauss(nm, 1940, 70));

interface VegetationShape {
  vis: number; // visible floor
  green: number; // green peak height at 550 nm
  nir: number; // near-infrared plateau
  edge: number; // red-edge position, nm
  swir1: number; // 1650 nm level as a share of the plateau
  swir2: number; // 2200 nm level as a share of the plateau
  wet: number; // leaf-water absorption depth
}
const vegetation = (p: VegetationShape): Spectrum => (nm) => {
  const envelope = 1 - (1 - p.swir1) * sigmoid((nm - 1350) / 60) - (p.swir1 - p.swir2) * sigmoid((nm - 2000) / 60);
  const r = p.vis + p.green * gauss(nm, 550, 35) - 0.5 * p.vis * gauss(nm, 670, 25) +
    (p.nir - p.vis) * sigmoid((nm - p.edge) / 18) * envelope;
  return r * waterAbsorption(nm, p.wet);
};

interface SoilShape { blue: number; red: number; nir: number; swir: number; clay: number; wet: number }
const soil = (p: SoilShape): Spectrum => (nm) => {
  const r = p.blue + (p.red - p.blue) * sigmoid((nm - 560) / 60) + (p.nir - p.red) * sigmoid((nm - 900) / 200) +
    (p.swir - p.nir) * sigmoid((nm - 1600) / 250) - p.clay * gauss(nm, 2200, 40);
  return r * waterAbsorption(nm, p.wet);
};

const water = (level: number, turbidity: number): Spectrum => (nm) =>
  level * Math.exp(-(nm - 400) / 180) + turbidity * gauss(nm, 570, 60) + 0.004;

const mix = (...parts: [Spectrum, number][]): Spectrum => (nm) => parts.reduce((s, [f, w]) => s + w * f(nm), 0);

const BARE_SOIL = soil({ blue: 0.09, red: 0.16, nir: 0.22, swir: 0.26, clay: 0.03, wet: 0.3 });
const WET_SOIL = soil({ blue: 0.05, red: 0.08, nir: 0.11, swir: 0.09, clay: 0.015, wet: 1 });
const SAND = soil({ blue: 0.2, red: 0.3, nir: 0.38, swir: 0.42, clay: 0.02, wet: 0.15 });
const OPEN_WATER = water(0.07, 0.012);
const MARSH_GRASS: VegetationShape = { vis: 0.05, green: 0.035, nir: 0.3, edge: 712, swir1: 0.75, swir2: 0.55, wet: 0.6 };
const HAMMOCK: VegetationShape = { vis: 0.04, green: 0.04, nir: 0.36, edge: 720, swir1: 0.6, swir2: 0.38, wet: 0.8 };
const SWAMP: VegetationShape = { vis: 0.035, green: 0.045, nir: 0.42, edge: 725, swir1: 0.55, swir2: 0.32, wet: 0.9 };

/** Class spectra in KSC label order (value k at index k-1), then three unlabelled cover types. */
const MATERIALS: readonly Spectrum[] = [
  mix([vegetation({ vis: 0.05, green: 0.03, nir: 0.3, edge: 714, swir1: 0.7, swir2: 0.5, wet: 0.5 }), 0.75], [SAND, 0.25]), // Scrub
  vegetation(SWAMP), // Willow swamp
  vegetation(HAMMOCK), // Cabbage palm hammock
  vegetation({ ...HAMMOCK, vis: 0.042, green: 0.037, nir: 0.345, swir1: 0.62, swir2: 0.4 }), // Cabbage palm/oak hammock
  mix([vegetation({ vis: 0.03, green: 0.025, nir: 0.27, edge: 712, swir1: 0.6, swir2: 0.4, wet: 0.7 }), 0.85], [BARE_SOIL, 0.15]), // Slash pine
  vegetation({ ...HAMMOCK, green: 0.043, nir: 0.375, edge: 722, swir1: 0.58, swir2: 0.36 }), // Oak/broadleaf hammock
  vegetation({ ...SWAMP, vis: 0.037, nir: 0.395, edge: 722, swir1: 0.57, swir2: 0.34 }), // Hardwood swamp
  mix([vegetation(MARSH_GRASS), 0.6], [WET_SOIL, 0.4]), // Graminoid marsh
  mix([vegetation({ ...MARSH_GRASS, nir: 0.28, edge: 710, swir1: 0.72 }), 0.55], [WET_SOIL, 0.45]), // Spartina marsh
  mix([vegetation({ ...MARSH_GRASS, nir: 0.32, edge: 716, swir1: 0.65, swir2: 0.45, wet: 0.8 }), 0.6], [OPEN_WATER, 0.4]), // Cattail marsh
  mix([vegetation({ ...MARSH_GRASS, nir: 0.26 }), 0.35], [soil({ blue: 0.08, red: 0.11, nir: 0.14, swir: 0.15, clay: 0.02, wet: 0.8 }), 0.65]), // Salt marsh
  WET_SOIL, // Mud flats
  OPEN_WATER, // Water
  SAND, // unlabelled: beach and dunes
  soil({ blue: 0.1, red: 0.12, nir: 0.14, swir: 0.15, clay: 0, wet: 0.1 }), // unlabelled: roads and buildings
  mix([vegetation(MARSH_GRASS), 0.5], [BARE_SOIL, 0.5]), // unlabelled: fallow and mixed upland
];
const CLASS_COUNT = 13;
/** Relative class frequencies from the real KSC ground truth, so region counts follow KSC. */
const KSC_COUNTS = [761, 243, 256, 252, 161, 229, 105, 431, 520, 404, 419, 503, 927];
const WATER_INDEX = 12;

// ---------------------------------------------------------------------------------------------------
// Layout: a jittered grid of Voronoi sites, cells grouped into class regions, borders warped.

interface Layout {
  /** Material index per pixel (0..12 classes, 13.. unlabelled cover). */
  readonly material: Uint8Array;
  /** Region (Voronoi cell) per pixel, for per-region variability. */
  readonly region: Int32Array;
  readonly regions: number;
  /** 1 where the whole 3×3 neighbourhood has the pixel's material: a pure, unmixed pixel. */
  readonly interior: Uint8Array;
  /**
   * 1 where the whole 5×5 neighbourhood has the pixel's material: labelled if it is a class. Like a
   * field survey's polygons, the ground truth keeps a pixel's distance from every border.
   */
  readonly core: Uint8Array;
}

/** Where the Voronoi cells fall: fixed before any cell gets a material. */
interface Geometry {
  readonly rows: number;
  readonly cols: number;
  /** Cell per pixel. */
  readonly region: Int32Array;
  /** For each cell, the cells whose pixels touch its pixels (after warping). */
  readonly touching: readonly Set<number>[];
}

/**
 * Draws cells and gives them materials; then, while some class has fewer than DEMO_MIN_CLASS_PIXELS
 * labelled pixels, turns an unlabelled cell touching that class into it (merged regions have larger
 * cores). Only if no unlabelled cell is left is the whole layout redrawn.
 */
function drawLayout(root: Rng, height: number, width: number): Layout {
  for (let attempt = 0; attempt < LAYOUT_ATTEMPTS; attempt++) {
    const rng = root.fork(`layout-${attempt}`);
    const geometry = drawGeometry(rng, height, width);
    const cellMaterial = assignCells(rng, geometry.rows, geometry.cols);
    for (;;) {
      const layout = applyMaterials(geometry, cellMaterial, height, width);
      const counts = new Array<number>(CLASS_COUNT).fill(0);
      for (let p = 0; p < layout.material.length; p++) {
        if (layout.core[p] === 1 && layout.material[p] < CLASS_COUNT) counts[layout.material[p]]++;
      }
      const worst = counts.indexOf(Math.min(...counts));
      if (counts[worst] >= DEMO_MIN_CLASS_PIXELS) return layout;
      const unlabelled = Array.from(cellMaterial.keys()).filter((i) => cellMaterial[i] >= CLASS_COUNT);
      if (unlabelled.length === 0) break;
      const touching = unlabelled.filter((i) => [...geometry.touching[i]].some((j) => cellMaterial[j] === worst));
      cellMaterial[rng.pick(touching.length > 0 ? touching : unlabelled)] = worst;
    }
  }
  throw new ConfigError('height×width', `a scene large enough for ${DEMO_MIN_CLASS_PIXELS} labelled pixels in each of 13 classes`,
    `${height}×${width}`, 'use the default 96×96 or larger');
}

/** Voronoi cells from a jittered grid of sites, measured in coordinates bent by a smooth warp. */
function drawGeometry(rng: Rng, height: number, width: number): Geometry {
  const rows = Math.max(5, Math.round(height / CELL_SIDE));
  const cols = Math.max(5, Math.round(width / CELL_SIDE));
  const n = rows * cols;
  const cellH = height / rows;
  const cellW = width / cols;
  const siteY = new Float64Array(n);
  const siteX = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      siteY[i * cols + j] = (i + 0.15 + 0.7 * rng.next()) * cellH;
      siteX[i * cols + j] = (j + 0.15 + 0.7 * rng.next()) * cellW;
    }
  }
  const warpY = smoothField(rng, height, width, 18, 50);
  const warpX = smoothField(rng, height, width, 18, 50);
  const region = new Int32Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const y = r + WARP_PX * warpY[p];
      const x = c + WARP_PX * warpX[p];
      // The nearest site is at most two grid cells away (sites sit in the middle 70% of their
      // cells); searching three keeps a margin and makes large scenes linear in size.
      const i0 = Math.min(rows - 1, Math.max(0, Math.floor(y / cellH)));
      const j0 = Math.min(cols - 1, Math.max(0, Math.floor(x / cellW)));
      let best = 0;
      let bestD = Infinity;
      for (let i = Math.max(0, i0 - 3); i <= Math.min(rows - 1, i0 + 3); i++) {
        for (let j = Math.max(0, j0 - 3); j <= Math.min(cols - 1, j0 + 3); j++) {
          const s = i * cols + j;
          const d = (siteY[s] - y) ** 2 + (siteX[s] - x) ** 2;
          if (d < bestD) { bestD = d; best = s; }
        }
      }
      region[p] = best;
    }
  }
  const touching = Array.from({ length: n }, () => new Set<number>());
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const a = region[r * width + c];
      for (const b of [c + 1 < width ? region[r * width + c + 1] : a, r + 1 < height ? region[(r + 1) * width + c] : a]) {
        if (a !== b) { touching[a].add(b); touching[b].add(a); }
      }
    }
  }
  return { rows, cols, region, touching };
}

/** Per-pixel materials from per-cell ones, and which pixels are pure (3×3) and labelled (5×5). */
function applyMaterials(geometry: Geometry, cellMaterial: Uint8Array, height: number, width: number): Layout {
  const { region } = geometry;
  const material = Uint8Array.from(region, (g) => cellMaterial[g]);
  const interior = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      interior[r * width + c] = differentNeighbours(material, height, width, r, c).length === 0 ? 1 : 0;
    }
  }
  // Eroding `interior` once more gives the 5×5 test (a 3×3 of pixels whose own 3×3 are pure).
  const core = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      let pure = interior[r * width + c];
      for (let dr = -1; dr <= 1 && pure; dr++) {
        for (let dc = -1; dc <= 1 && pure; dc++) {
          const rr = r + dr;
          const cc = c + dc;
          if (rr >= 0 && rr < height && cc >= 0 && cc < width && interior[rr * width + cc] === 0) pure = 0;
        }
      }
      core[r * width + c] = pure;
    }
  }
  return { material, region, regions: cellMaterial.length, interior, core };
}

/**
 * Gives each grid cell a material: each class gets cells in proportion to KSC's class counts (at
 * least one), grown as one or two clusters of neighbouring cells so big classes form big irregular
 * regions and rare ones a single small one; the remaining cells are unlabelled cover.
 */
function assignCells(rng: Rng, rows: number, cols: number): Uint8Array {
  const n = rows * cols;
  const labelled = Math.round(LABELLED_CELL_SHARE * n);
  const total = KSC_COUNTS.reduce((a, b) => a + b, 0);
  const plan = KSC_COUNTS.map((k) => Math.max(1, Math.round((k / total) * labelled)));
  const cell = new Uint8Array(n).fill(255);
  const free = (i: number): boolean => cell[i] === 255;
  const neighbours = (i: number): number[] => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const out: number[] = [];
    if (r > 0) out.push(i - cols);
    if (r < rows - 1) out.push(i + cols);
    if (c > 0) out.push(i - 1);
    if (c < cols - 1) out.push(i + 1);
    return out;
  };
  const order = Array.from(plan.keys()).sort((a, b) => plan[b] - plan[a] || a - b);
  for (const m of order) {
    const k = plan[m];
    // Water is one big body, like the lagoon in KSC; other large classes come in two patches.
    const clusters = k >= 3 && m !== WATER_INDEX ? [Math.ceil(k / 2), Math.floor(k / 2)] : [k];
    for (const size of clusters) {
      const starts = Array.from(cell.keys()).filter(free);
      if (starts.length === 0) break;
      const cluster = [rng.pick(starts)];
      cell[cluster[0]] = m;
      while (cluster.length < size) {
        const frontier = [...new Set(cluster.flatMap(neighbours))].filter(free);
        if (frontier.length === 0) break;
        const next = rng.pick(frontier);
        cell[next] = m;
        cluster.push(next);
      }
    }
  }
  const background = MATERIALS.length - CLASS_COUNT;
  for (let i = 0; i < n; i++) if (free(i)) cell[i] = CLASS_COUNT + rng.int(background);
  return cell;
}

/** Pixel indices of the 8-neighbours of (r, c) whose material differs from its own. */
function differentNeighbours(material: Uint8Array, height: number, width: number, r: number, c: number): number[] {
  const own = material[r * width + c];
  const out: number[] = [];
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr < 0 || rr >= height || cc < 0 || cc >= width) continue;
      if (material[rr * width + cc] !== own) out.push(rr * width + cc);
    }
  }
  return out;
}

/**
 * A smooth random field over the image with values roughly in [-1, 1]: a sum of six plane waves with
 * random directions, wavelengths in [minPeriod, maxPeriod] pixels and phases.
 */
function smoothField(rng: Rng, height: number, width: number, minPeriod: number, maxPeriod: number): Float32Array {
  const waves = 6;
  const out = new Float32Array(height * width);
  const scale = 1 / Math.sqrt(waves / 2); // unit variance for a sum of unit sinusoids
  for (let k = 0; k < waves; k++) {
    const angle = rng.uniform(0, Math.PI);
    const freq = (2 * Math.PI) / rng.uniform(minPeriod, maxPeriod);
    const fy = freq * Math.sin(angle);
    const fx = freq * Math.cos(angle);
    const phase = rng.uniform(0, 2 * Math.PI);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) out[r * width + c] += scale * Math.sin(fy * r + fx * c + phase);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Painting: pure spectra with variability, then mixing along borders, then noise.

function paint(root: Rng, layout: Layout, nm: Float64Array, endmembers: Float64Array[], soilSpectrum: Float64Array,
  height: number, width: number): CubeBIP {
  const bands = nm.length;
  const pixels = height * width;
  const rng = root.fork('variability');
  const regionGain = Float64Array.from({ length: layout.regions }, () => Math.exp(rng.normal(0, REGION_GAIN_SD)));
  const regionTilt = Float64Array.from({ length: layout.regions }, () => rng.normal(0, REGION_TILT_SD));
  const regionCover = Float64Array.from({ length: layout.regions }, () => rng.uniform(0, COVER_REGION_MAX));
  const driftGain = smoothField(rng, height, width, 40, 120);
  const driftTilt = smoothField(rng, height, width, 40, 120);
  const t = Float64Array.from(nm, (x) => (x - FIRST_NM) / (LAST_NM - FIRST_NM) - 0.5); // -0.5..0.5

  const pure = new Float32Array(pixels * bands);
  for (let p = 0; p < pixels; p++) {
    const m = layout.material[p];
    const g = layout.region[p];
    const e = endmembers[m];
    // Water has no soil showing through; everything else has a region- and pixel-varying share.
    const cover = m === WATER_INDEX ? 0 : Math.min(0.5, Math.max(0, regionCover[g] + rng.normal(0, COVER_PIXEL_SD)));
    const gain = regionGain[g] * Math.exp(rng.normal(0, PIXEL_GAIN_SD)) * (1 + DRIFT_GAIN * driftGain[p]);
    const tilt = regionTilt[g] + DRIFT_TILT * driftTilt[p];
    for (let b = 0; b < bands; b++) {
      pure[p * bands + b] = gain * (1 + 2 * tilt * t[b]) * ((1 - cover) * e[b] + cover * soilSpectrum[b]);
    }
  }

  // Border pixels see part of the next region: mix in 15–50% of their differing neighbours' mean.
  const noise = root.fork('noise');
  const data = new Float32Array(pixels * bands);
  const other = new Float64Array(bands);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const nb = layout.interior[p] === 1 ? [] : differentNeighbours(layout.material, height, width, r, c);
      const alpha = nb.length === 0 ? 0 : noise.uniform(0.15, 0.5);
      other.fill(0);
      for (const q of nb) for (let b = 0; b < bands; b++) other[b] += pure[q * bands + b] / nb.length;
      for (let b = 0; b < bands; b++) {
        const v = (1 - alpha) * pure[p * bands + b] + alpha * other[b];
        data[p * bands + b] = v + noise.normal(0, NOISE_ABS + NOISE_REL * Math.abs(v));
      }
    }
  }
  return { height, width, bands, data };
}

function nearestBand(nm: Float64Array, target: number): number {
  let best = 0;
  for (let b = 1; b < nm.length; b++) if (Math.abs(nm[b] - target) < Math.abs(nm[best] - target)) best = b;
  return best;
}

function checkInt(parameter: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(parameter, `an integer from ${min} to ${max}`, value);
  }
  return value;
}
