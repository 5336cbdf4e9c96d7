/** Turns a run's input choice (registry dataset, explicit files, or the demo) into a loaded scene. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputFileError } from '../errors.ts';
import { makeDemoScene } from '../scene/demoScene.ts';
import { loadScene, type LoadedScene } from '../scene/loadScene.ts';
import { DATASETS, findDataset } from '../scene/registry.ts';
import type { Scene } from '../scene/types.ts';
import type { RunConfig } from './config.ts';

/** A scene plus what loading did to it: bands dropped (NaN/Inf) and warnings for the report. */
export type InputScene = Scene & {
  readonly warnings: readonly string[];
  readonly droppedBands: readonly number[];
  /** Bands of the cube as stored, before any were dropped. */
  readonly fileBands: number;
};

export function loadInputScene(input: RunConfig['input']): InputScene {
  switch (input.kind) {
    case 'demo': {
      const scene = makeDemoScene();
      return { ...scene, ...(input.georef ? { georef: input.georef } : {}), warnings: [], droppedBands: [], fileBands: scene.cube.bands };
    }
    case 'files':
      for (const f of [input.cube, input.gt]) {
        if (!existsSync(f)) throw new InputFileError(f, 'file not found', 'check the path given to --cube / --gt');
      }
      return withFileBands(loadScene({ cubePath: input.cube, gtPath: input.gt, cubeVar: input.cubeVar, gtVar: input.gtVar }));
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
      return withFileBands(loadScene({ cubePath: cube, gtPath: gt, cubeVar: d.cubeVar, gtVar: d.gtVar, name: d.id, classes: d.classes, rgbBands: d.rgbBands }));
    }
  }
}

const withFileBands = (s: LoadedScene): InputScene => ({ ...s, fileBands: s.source.cubeBands });

/** A short name for output folders and titles. */
export function inputName(input: RunConfig['input']): string {
  if (input.kind === 'demo') return 'demo';
  if (input.kind === 'dataset') return findDataset(input.id)?.id ?? input.id;
  return input.cube.replace(/^.*[\\/]/, '').replace(/\.mat$/i, '');
}
