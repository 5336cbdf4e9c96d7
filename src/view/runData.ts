/**
 * What the viewer knows about one run folder: its run.json and metrics.json at once, and — for scene
 * runs, lazily, on the first request that needs it — the scene, the maps and the saved model, loaded
 * with the same readers and preprocessing the pipeline used (loadInputScene / loadScene, pcaFromJSON).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { DataError, InputFileError } from '../core/errors.ts';
import { readMatNumeric } from '../io/mat/reader.ts';
import type { ModelMetadata } from '../models/modelFiles.ts';
import type { RunConfig } from '../pipeline/config.ts';
import { loadInputScene } from '../pipeline/sceneInput.ts';
import type { PredictConfig } from '../pipeline/predictPipeline.ts';
import { classColors } from '../render/index.ts';
import { loadScene } from '../scene/loadScene.ts';
import type { CubeBIP, GeoReference, Scene } from '../core/types.ts';

export type RunKind = 'run' | 'predict' | 'image';

export interface ViewClass {
  value: number;
  name: string;
  color: readonly [number, number, number];
}

/** The maps of a scene run, row-major H×W, one byte per pixel (class index + 1; 0 = none). */
export interface SceneMaps {
  height: number;
  width: number;
  classes: ViewClass[];
  /** Ground-truth class index + 1, 0 where unlabelled (or no labels were given). */
  truthBytes: Uint8Array;
  /** Predicted class index + 1. */
  predictedBytes: Uint8Array;
  /** Split role per pixel: 0 unused, 1 train, 2 validation, 3 test (scored). */
  roleBytes: Uint8Array;
  scene: Scene;
  /** 1-based band numbers of the file for each band of the loaded cube (dropped bands skipped). */
  bandNumbers: number[];
  modelDir: string;
  meta: ModelMetadata;
}

export class RunView {
  readonly dir: string;
  readonly kind: RunKind;
  readonly record: Record<string, unknown>;
  readonly metrics?: Record<string, unknown>;
  private maps?: Promise<SceneMaps>;

  constructor(dir: string) {
    const fix = 'pass `spinalnet view` the output folder of a finished `spinalnet run`, `predict` or `image`';
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputFileError(dir, 'not a folder', fix);
    // Real path: the file server compares every request against it, so a symlinked run folder still works.
    this.dir = realpathSync(resolve(dir));
    const runJson = join(this.dir, 'run.json');
    if (!existsSync(runJson)) throw new InputFileError(dir, 'no run.json: not a spinalnet run folder', fix);
    this.record = readJson(runJson, fix);
    const command = this.record.command;
    if (command !== 'run' && command !== 'predict' && command !== 'image') {
      throw new InputFileError(runJson, `command ${String(command)} is not one the viewer shows (run, predict, image)`, fix);
    }
    if (this.record.status !== 'done') {
      throw new InputFileError(runJson, `the run is ${String(this.record.status)}, not done`, 'finish or resume the run first (spinalnet run --resume DIR)');
    }
    this.kind = command;
    const metricsJson = join(this.dir, 'metrics.json');
    if (existsSync(metricsJson)) this.metrics = readJson(metricsJson, fix);
  }

  get hasScene(): boolean {
    return this.kind !== 'image';
  }

  /** The scene and maps, loaded once (the first caller waits; later ones share the result). */
  sceneMaps(): Promise<SceneMaps> {
    if (!this.hasScene) return Promise.reject(new DataError(`${this.dir} is an image-dataset run: it has no scene`, 'open a scene run to see maps'));
    this.maps ??= this.loadMaps();
    return this.maps;
  }

  private async loadMaps(): Promise<SceneMaps> {
    const modelDir = this.kind === 'run' ? join(this.dir, 'model') : resolvePath(String((this.record.config as PredictConfig).modelDir));
    const metaFile = join(modelDir, 'spinalnet.json');
    if (!existsSync(metaFile)) throw new InputFileError(metaFile, 'not found: the run\'s model is needed for its classes', 'keep the model folder next to the run');
    const meta = readJson(metaFile, 'keep the model folder of the run intact') as unknown as ModelMetadata;
    let scene: Scene;
    let fileBands: number;
    let dropped: readonly number[];
    if (this.kind === 'run') {
      const input = (this.record.config as RunConfig).input;
      const s = await loadInputScene(input.kind === 'files' ? { ...input, cube: resolvePath(input.cube), ...(input.gt !== undefined && { gt: resolvePath(input.gt) }) } : input.kind === 'dataset' ? { ...input, dataDir: resolvePath(input.dataDir) } : input);
      // The viewer probes pixels of the raw cube, so it holds it whole (one window, read once).
      const { scan, grid: _grid, ...rest } = s;
      try {
        scene = { ...rest, cube: await scan.readAll() };
      } finally {
        scan.close();
      }
      fileBands = s.fileBands;
      dropped = s.droppedBands;
    } else {
      const c = this.record.config as PredictConfig;
      const s = await loadScene({
        cubePath: resolvePath(c.cube), gtPath: c.gt === undefined ? undefined : resolvePath(c.gt), cubeVar: c.cubeVar, gtVar: c.gtVar,
        classes: meta.classes, rgbBands: meta.rgbBands, dropBands: meta.droppedBands ?? [],
      });
      scene = s;
      fileBands = s.source.cubeBands;
      dropped = s.droppedBands;
    }
    const { height, width } = scene.cube;
    if (meta.classes.length > 254) throw new DataError(`${meta.classes.length} classes`, 'the viewer shows at most 254 classes');
    // The model keeps the colours of the label file it was trained on; the scene's own win where it has them.
    const sceneColors = new Map(scene.classes.map((c) => [c.value, c.color]));
    const colors = classColors(meta.classes.map((c) => ({ ...c, color: sceneColors.get(c.value) ?? c.color })));
    const classes: ViewClass[] = meta.classes.map((c, k) => ({ value: c.value, name: c.name, color: colors[k]! }));
    const index = new Map(meta.classes.map((c, k) => [c.value, k + 1]));
    const n = height * width;
    const truthBytes = new Uint8Array(n);
    if (scene.labels) for (let p = 0; p < n; p++) truthBytes[p] = index.get(scene.labels.data[p]!) ?? 0;
    const predictedBytes = toRowMajorBytes(this.matrix('prediction.mat', 'prediction', height, width), height, width, (v) => index.get(v) ?? 0);
    let roleBytes: Uint8Array;
    if (this.kind === 'run' && existsSync(join(this.dir, 'split.mat'))) {
      roleBytes = toRowMajorBytes(this.matrix('split.mat', 'split', height, width), height, width, (v) => v);
    } else {
      // predict scores every labelled pixel of a known class.
      roleBytes = Uint8Array.from(truthBytes, (t) => (t > 0 ? 3 : 0));
    }
    const droppedSet = new Set(dropped);
    const bandNumbers: number[] = [];
    for (let b = 0; b < fileBands; b++) if (!droppedSet.has(b)) bandNumbers.push(b + 1);
    return { height, width, classes, truthBytes, predictedBytes, roleBytes, scene, bandNumbers, modelDir, meta };
  }

  private matrix(file: string, name: string, height: number, width: number): ArrayLike<number> {
    const path = join(this.dir, file);
    if (!existsSync(path)) throw new InputFileError(path, 'not found', 'the run folder is incomplete: run it again');
    const m = readMatNumeric(path, name);
    if (m.dims[0] !== height || m.dims[1] !== width) {
      throw new DataError(`${path} is ${m.dims.join('×')} but the scene is ${height}×${width}`, 'the scene file changed since the run: point the run at the original scene');
    }
    return m.data as ArrayLike<number>;
  }
}

/** The cube's raw values at one pixel, all bands (BIP: one contiguous run). */
export function pixelSpectrum(cube: CubeBIP, row: number, col: number): Float32Array {
  const start = (row * cube.width + col) * cube.bands;
  return cube.data.slice(start, start + cube.bands);
}

/** Map coordinates of a pixel's centre under a GDAL-order geotransform. */
export function mapCoordinates(georef: GeoReference | undefined, row: number, col: number): { x: number; y: number } | undefined {
  if (!georef) return undefined;
  const t = georef.geoTransform;
  const c = col + 0.5;
  const r = row + 0.5;
  return { x: t[0] + c * t[1] + r * t[2], y: t[3] + c * t[4] + r * t[5] };
}

function toRowMajorBytes(columnMajor: ArrayLike<number>, height: number, width: number, map: (v: number) => number): Uint8Array {
  const out = new Uint8Array(height * width);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) out[r * width + c] = map(Number(columnMajor[c * height + r]));
  return out;
}

function readJson(path: string, fix: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InputFileError(path, `not valid JSON (${(err as Error).message})`, fix);
  }
}

/** Paths in run.json are as the user typed them, relative to where the run was started (usually here). */
const resolvePath = (p: string): string => (isAbsolute(p) ? p : resolve(p));
