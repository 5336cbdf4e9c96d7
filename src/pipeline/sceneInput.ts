/** Turns a run's input choice (registry dataset, explicit files, or the demo) into a loaded scene. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputFileError } from '../core/errors.ts';
import { makeDemoScene } from '../scene/demoScene.ts';
import { memorySource } from '../io/raster/memorySource.ts';
import { openScene, type OpenedScene, type SceneWindowOptions } from '../scene/loadScene.ts';
import { planMemory } from '../scene/memoryPlan.ts';
import { SceneScan, type ScanProgress } from '../scene/sceneScan.ts';
import { DATASETS, findDataset } from '../scene/registry.ts';
import type { Scene } from '../core/types.ts';
import type { RunConfig } from './config.ts';

/**
 * A scene opened for the pipeline, its cube behind `scan` (read in row windows, src/scene/sceneScan.ts),
 * plus what loading did to it: bands dropped (NaN/Inf) and warnings for the report.
 */
export type InputScene = Omit<Scene, 'cube'> & {
  readonly scan: SceneScan;
  /** The cube's shape as the pipeline sees it (after dropped bands). */
  readonly grid: { readonly height: number; readonly width: number; readonly bands: number };
  readonly warnings: readonly string[];
  readonly droppedBands: readonly number[];
  /** Bands of the cube as stored, before any were dropped. */
  readonly fileBands: number;
};

/**
 * How the scene is walked: memory limit, rows per window, components kept, what the model stage holds
 * and whether the reduced scene may go to a temporary file (for the memory plan), progress.
 */
export interface SceneReadOptions {
  readonly memoryLimit?: number;
  readonly tileSize?: number;
  readonly components: number;
  readonly progress?: ScanProgress;
  readonly work?: SceneWindowOptions['work'];
  readonly reducedFile?: SceneWindowOptions['reducedFile'];
}

export async function loadInputScene(input: RunConfig['input'], read: SceneReadOptions = { components: 30 }): Promise<InputScene> {
  const windows: SceneWindowOptions = { tileRows: read.tileSize, components: read.components, progress: read.progress, work: read.work, reducedFile: read.reducedFile };
  const limits = { memoryLimitBytes: read.memoryLimit };
  switch (input.kind) {
    case 'demo': {
      const { cube, ...scene } = makeDemoScene();
      const plan = planMemory({ ...cube, storedBytes: 0, file: 'the demo scene', limit: read.memoryLimit, tileRows: read.tileSize, components: read.components, work: read.work, reducedFile: read.reducedFile });
      const scan = await SceneScan.open(memorySource(cube, 'demo'), { tileRows: plan.tileRows, progress: read.progress, reducedFile: plan.reducedFile });
      return { ...scene, scan, grid: { height: cube.height, width: cube.width, bands: cube.bands }, ...(input.georef ? { georef: input.georef } : {}), warnings: [], droppedBands: [], fileBands: cube.bands };
    }
    case 'files':
      for (const f of [input.cube, input.gt]) {
        if (f !== undefined && !existsSync(f)) throw new InputFileError(f, 'file not found', 'check the path given to --cube / --gt');
      }
      return withFileBands(await openScene({ cubePath: input.cube, gtPath: input.gt, cubeVar: input.cubeVar, gtVar: input.gtVar, ...limits }, windows));
    case 'dataset': {
      const d = findDataset(input.id);
      if (!d) throw new ConfigError('--dataset', `one of ${DATASETS.map((x) => x.id).join(', ')}`, input.id);
      const cube = join(input.dataDir, d.cubeFile);
      const gt = join(input.dataDir, d.gtFile);
      for (const f of [cube, gt]) {
        if (!existsSync(f)) {
          const how = d.remote ? `run \`spinalnet download ${d.id}\`, or` : '';
          throw new InputFileError(f, 'file not found', `${how} put ${d.cubeFile} and ${d.gtFile} in ${input.dataDir} (see data/README.md), or pass --data-dir`);
        }
      }
      return withFileBands(await openScene({ cubePath: cube, gtPath: gt, cubeVar: d.cubeVar, gtVar: d.gtVar, name: d.id, classes: d.classes, rgbBands: d.rgbBands, ...limits }, windows));
    }
  }
}

const withFileBands = (s: OpenedScene): InputScene => ({ ...s, fileBands: s.source.cubeBands });

/** A short name for output folders and titles. */
export function inputName(input: RunConfig['input']): string {
  if (input.kind === 'demo') return 'demo';
  if (input.kind === 'dataset') return findDataset(input.id)?.id ?? input.id;
  return input.cube.replace(/^.*[\\/]/, '').replace(/\.(mat|hdr|tiff?|img|dat|bsq|bil|bip)$/i, '');
}
