/**
 * `spinalnet experiment` on an image dataset: models × seeds through the image pipeline (its split is
 * stratified and seeded, the same for every model of a seed, so the comparison is paired). Each run's
 * full outputs are kept under runs/ in the experiment folder.
 */
import { join } from 'node:path';
import type { BackendInfo } from '../backend/selectBackend.ts';
import { ConfigError } from '../core/errors.ts';
import type { ImageRunConfig } from '../images/runConfig.ts';
import { findImageDataset } from '../images/registry.ts';
import { runImagePipeline } from '../pipeline/imagePipeline.ts';
import { compare, summarise, type ExperimentResult, type ExperimentRun } from './runExperiment.ts';

export interface ImageExperimentConfig {
  base: ImageRunConfig;
  models: readonly string[];
  seeds: readonly number[];
  /** Folder for each run's own outputs. */
  runsDir: string;
}

export async function runImageExperiment(config: ImageExperimentConfig, log: (line: string) => void = () => {}): Promise<ExperimentResult> {
  const ds = findImageDataset(config.base.dataset);
  if (!ds) throw new ConfigError('--dataset', 'an image dataset id', config.base.dataset);
  const start = performance.now();
  const runs: ExperimentRun[] = [];
  let backend: BackendInfo | undefined;
  let classes: { value: number; name: string }[] = [];
  const grid = config.seeds.flatMap((seed) => config.models.map((model) => ({ seed, model })));
  for (const [i, { seed, model }] of grid.entries()) {
    log(`[${i + 1}/${grid.length}] ${model}, seed ${seed}`);
    const r = await runImagePipeline({ ...config.base, model, seed, out: join(config.runsDir, `${model}-seed${seed}`), force: false });
    backend = r.backend;
    classes = r.metrics.perClass.map((c) => ({ value: c.label, name: c.name }));
    log(`  OA ${(100 * r.metrics.overallAccuracy).toFixed(2)}%  AA ${(100 * r.metrics.averageAccuracy).toFixed(2)}%  (${r.training.seconds.toFixed(0)} s)`);
    runs.push({
      model,
      split: 'random',
      seed,
      overallAccuracy: r.metrics.overallAccuracy,
      averageAccuracy: r.metrics.averageAccuracy,
      kappa: r.metrics.kappa,
      perClassRecall: r.metrics.perClass.map((c) => c.recall),
      weights: r.weights,
      trainSeconds: r.training.seconds,
      trainingEngine: r.training.engine,
      trainPixels: r.metrics.trainImages,
      validationPixels: 0,
      testPixels: r.metrics.testImages,
      droppedTest: 0,
      exposedTest: 0,
    });
  }
  const gridConfig = { models: config.models, splits: ['random' as const], seeds: config.seeds };
  const b = config.base;
  return {
    data: { name: ds.id, description: ds.title, unit: 'images', classes },
    protocol: `stratified ${b.trainFraction} training share${b.maxTrain ? ` (at most ${b.maxTrain})` : ''}; ${b.epochs} epochs, batch ${b.batchSize}, Adam ${b.learningRate}${b.lrDropEpoch > 0 ? ` ÷${b.lrDropFactor} after epoch ${b.lrDropEpoch}` : ''}${b.augment ? ', augmented' : ''}`,
    backend: backend!,
    config: { ...gridConfig, base: config.base },
    runs,
    summaries: summarise(runs, gridConfig),
    comparisons: compare(runs, gridConfig),
    seconds: (performance.now() - start) / 1000,
  };
}
