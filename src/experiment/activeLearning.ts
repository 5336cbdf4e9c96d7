/**
 * The active-learning loop, simulated with the ground truth as the person who labels: start from a few
 * labelled pixels per class, then in each round train, score the held-out test pixels, and add the labels
 * of `perRound` more pixels — chosen by `suggestPixels` (lowest margin, spread out) or at random — until
 * `rounds` rounds have added theirs. Both strategies start from the same labelled pixels and score the
 * same test pixels for a seed, so the curves compare like for like. The model is trained from scratch
 * (the seed's initial weights) every round, so a round's accuracy reflects its labels, not how long the
 * network has trained. Library-level: the pipeline's pieces, no CLI.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../backend/selectBackend.ts';
import { checkInteger, ConfigError, DataError } from '../core/errors.ts';
import { getModelSpec } from '../models/registry.ts';
import type { RunConfig } from '../pipeline/config.ts';
import { inputName, loadInputScene } from '../pipeline/sceneInput.ts';
import { predictPixelsInWindows } from '../pipeline/tiledMap.ts';
import type { InferenceEngine } from '../inference/parallel/parallelPredict.ts';
import { patchSource } from '../sampling/sampleSource.ts';
import { marginsOf, suggestPixels } from '../sampling/suggest.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import { withSeededMathRandom } from '../training/seededRandom.ts';
import { trainModel, type TrainingEngine } from '../training/trainModel.ts';
import { createRng } from '../util/random.ts';
import { meanStd, type MeanStd } from './statistics.ts';

export const STRATEGIES = ['suggest', 'random'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface ActiveLearningConfig {
  readonly input: RunConfig['input'];
  readonly model: string;
  readonly pca: number;
  readonly whiten: boolean;
  readonly patch: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Learning rate divided by lrDropFactor after this many epochs; 0 = never. */
  readonly lrDropEpoch: number;
  readonly lrDropFactor: number;
  /** Labelled pixels per class to start from (fewer where a class's pool has fewer). */
  readonly initialPerClass: number;
  readonly rounds: number;
  readonly perRound: number;
  /** Share of each class's labelled pixels held out as test pixels (never labelled, never suggested). */
  readonly testFraction: number;
  readonly seeds: readonly number[];
  readonly strategies?: readonly Strategy[];
  /** Spacing of suggestions (sampling/suggest.ts); default the patch side. */
  readonly spacing?: number;
  readonly backend?: BackendChoice;
  readonly training?: TrainingEngine;
  readonly inference?: InferenceEngine;
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

export interface ActiveLearningRound {
  /** 0 = the initial labels. */
  readonly round: number;
  readonly labelled: number;
  readonly overallAccuracy: number;
  /** Pixels added after this round (none after the last), chosen with this round's model. */
  readonly added: readonly number[];
  /** Mean margin of the added pixels under this round's model. */
  readonly addedMeanMargin?: number;
}

export interface ActiveLearningRun {
  readonly strategy: Strategy;
  readonly seed: number;
  readonly rounds: readonly ActiveLearningRound[];
}

export interface ActiveLearningResult {
  readonly scene: { name: string; height: number; width: number; classes: { value: number; name: string }[] };
  readonly testPixels: number;
  readonly poolPixels: number;
  readonly spacing: number;
  readonly runs: readonly ActiveLearningRun[];
  /** Overall accuracy per strategy and round over the seeds. */
  readonly summary: readonly { strategy: Strategy; round: number; labelled: number; overallAccuracy: MeanStd }[];
}

export async function simulateActiveLearning(config: ActiveLearningConfig): Promise<ActiveLearningResult> {
  const log = config.log ?? (() => {});
  checkInteger('initialPerClass', config.initialPerClass, 1);
  checkInteger('rounds', config.rounds, 0);
  checkInteger('perRound', config.perRound, 1);
  if (!(config.testFraction > 0 && config.testFraction < 1)) throw new ConfigError('testFraction', 'a share between 0 and 1', config.testFraction);
  if (config.seeds.length === 0) throw new ConfigError('seeds', 'at least one seed', '[]');
  const strategies = config.strategies ?? STRATEGIES;
  const spec = getModelSpec(config.model);
  const patch = spec.spectral ? 1 : config.patch;
  const spacing = config.spacing ?? patch;
  await selectBackend(config.backend ?? 'auto');
  const scene = await loadInputScene(config.input, { components: config.pca });
  let reduced: ReducedScene;
  try {
    // PCA on every pixel of the scene, once: it uses no label, so every seed and strategy shares it.
    const pca = await scene.scan.fitPca({ components: config.pca, whiten: config.whiten });
    reduced = (await scene.scan.transform(pca)).reduced;
  } finally {
    scene.scan.close();
  }
  try {
    const labels = scene.labels;
    if (!labels) throw new DataError(`scene ${inputName(config.input)} has no ground truth`, 'the simulation takes its labels from the ground truth: pass a scene with one');
    const k = scene.classes.length;
    const classOf = new Map(scene.classes.map((c, i) => [c.value, i]));
    const byClass: number[][] = scene.classes.map(() => []);
    labels.data.forEach((v, p) => {
      const c = classOf.get(v);
      if (c !== undefined) byClass[c]!.push(p);
    });
    const classIndex = (p: number) => classOf.get(labels.data[p]!)!;
    const { width } = reduced;
    const runs: ActiveLearningRun[] = [];
    let testCount = 0, poolCount = 0;
    for (const seed of config.seeds) {
      // Per class: a seeded shuffle; the first testFraction are test pixels, the first initialPerClass of the rest the initial labels.
      const rng = createRng(seed, 'active-learning');
      const test: number[] = [], pool: number[] = [], initial: number[] = [];
      for (const [c, pixels] of byClass.entries()) {
        const order = rng.fork(`class/${c}`).permutation(pixels.length);
        const nTest = Math.round(config.testFraction * pixels.length);
        order.forEach((o, i) => (i < nTest ? test : pool).push(pixels[o]!));
        for (let i = nTest; i < Math.min(pixels.length, nTest + config.initialPerClass); i++) initial.push(pixels[order[i]!]!);
      }
      testCount = test.length;
      poolCount = pool.length;
      const testPixels = Int32Array.from(test);
      const testClasses = Int32Array.from(test, classIndex);
      for (const strategy of strategies) {
        const labelled = [...initial];
        const have = new Set(labelled);
        const rounds: ActiveLearningRound[] = [];
        for (let round = 0; round <= config.rounds; round++) {
          const model = await withSeededMathRandom(createRng(seed, 'model').fork('init'), () => spec.build({ patch, channels: reduced.bands, numClasses: k }));
          try {
            const pixels = Int32Array.from(labelled);
            await trainModel(model, patchSource(reduced, patch, pixels), Int32Array.from(labelled, classIndex), k, {
              epochs: config.epochs, batchSize: config.batchSize, learningRate: config.learningRate, seed,
              lrDrops: config.lrDropEpoch > 0 ? [{ afterEpoch: config.lrDropEpoch, factor: 1 / config.lrDropFactor }] : [],
              ...(config.training && { engine: config.training }), ...(config.threads !== undefined && { threads: config.threads }),
            });
            const predictOpts = { ...(config.inference && { engine: config.inference }), ...(config.threads !== undefined && { workers: config.threads }) };
            const { classes } = await predictPixelsInWindows(model, reduced, patch, testPixels, predictOpts);
            let hits = 0;
            classes.forEach((c, i) => (hits += c === testClasses[i]! ? 1 : 0));
            const overallAccuracy = hits / test.length;
            let added: number[] = [];
            let addedMeanMargin: number | undefined;
            if (round < config.rounds) {
              const candidates = Int32Array.from(pool.filter((p) => !have.has(p)));
              const { probabilities } = await predictPixelsInWindows(model, reduced, patch, candidates, { ...predictOpts, probabilities: 'all' });
              const margin = marginsOf(probabilities!, k);
              let positions: Int32Array;
              if (strategy === 'suggest') positions = suggestPixels({ width, candidates, margin, size: config.perRound, spacing }).positions;
              else positions = createRng(seed, `random/${round}`).permutation(candidates.length).slice(0, config.perRound);
              added = Array.from(positions, (i) => candidates[i]!);
              addedMeanMargin = positions.reduce((a, i) => a + margin[i]!, 0) / Math.max(1, positions.length);
              for (const p of added) have.add(p);
              labelled.push(...added);
            }
            rounds.push({ round, labelled: pixels.length, overallAccuracy, added, ...(addedMeanMargin !== undefined && { addedMeanMargin }) });
            log(`seed ${seed}, ${strategy}, round ${round}: ${pixels.length} labelled, OA ${(100 * overallAccuracy).toFixed(1)} %`);
          } finally {
            model.dispose();
          }
        }
        runs.push({ strategy, seed, rounds });
      }
    }
    const summary = strategies.flatMap((strategy) => Array.from({ length: config.rounds + 1 }, (_, round) => {
      const rs = runs.filter((r) => r.strategy === strategy).map((r) => r.rounds[round]!);
      return { strategy, round, labelled: rs[0]!.labelled, overallAccuracy: meanStd(rs.map((r) => r.overallAccuracy)) };
    }));
    return {
      scene: { name: inputName(config.input), height: reduced.height, width, classes: scene.classes.map((c) => ({ value: c.value, name: c.name })) },
      testPixels: testCount, poolPixels: poolCount, spacing, runs, summary,
    };
  } finally {
    reduced.close();
    tf.disposeVariables();
  }
}
