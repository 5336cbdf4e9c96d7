/**
 * The libtorch training step with the training state kept in libtorch for an epoch: the weights, Adam's
 * moments and running powers, and the batch norms' moving averages live in the addon
 * (native/libtorch/torch_step.cc's trainer) from the first step after a sync to the next sync, and each step
 * runs the forward and backward pass, tfjs's Adam update and tfjs's moving averages there, to the float32 bit
 * of the step that hands its gradients to tfjs (libtorchGradients.ts; test/training/residentStep.test.ts).
 * What crosses per step: the batch, its labels and weights, four numbers per dropout mask (the Alea
 * state each mask starts from: the masks are drawn natively from the stream tfjs's dropout draws), the
 * learning rate, and the logits and loss back.
 *
 * The tfjs model and optimizer are the truth between epochs: sync() writes the state back (the trainer
 * calls it before validation, checkpoints, the end and an interruption), and the next step reads it afresh.
 *
 * Why: with tfjs keeping the state, every step read the weights out of tfjs, ran Adam in WebAssembly and drew
 * the masks in JavaScript (docs/performance.md#the-libtorch-step).
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { FusedAdamOptimizer } from '../../../backend/fusedAdam.ts';
import { SpinalLayer } from '../../../models/spinalLayer.ts';
import { countHits, type GradientStep } from '../gradientStep.ts';
import { createLibtorchGradientStep, loadLibtorch, openmpWait, openTorchProgram } from './libtorchGradients.ts';

/** Where a batch norm's moving averages live in the tfjs model, and how tfjs moves them. */
interface NormSite {
  spinal: boolean;
  momentum: number;
  mean: tf.LayerVariable;
  variance: tf.LayerVariable;
}

/**
 * The step for `model` on `threads` cores, or a string saying why there is none (addon missing, or a
 * layer the program writer does not translate). Its optimizer must be createAdam's.
 */
export function createResidentLibtorchStep(
  model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number, threads: number,
): GradientStep | string {
  const addon = loadLibtorch();
  if (typeof addon === 'string') return addon;
  // An addon built before the trainer existed (npm run build:libtorch rebuilds it): the per-step path, same numbers.
  if (typeof (addon as Partial<typeof addon>).trainer !== 'function') return createLibtorchGradientStep(model, sampleShape, numClasses, threads);
  const opened = openTorchProgram(addon, model, sampleShape, numClasses, threads);
  if (typeof opened === 'string') return opened;
  const { program, handle } = opened;
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const norms: NormSite[] = program.batchNorms.map(({ layer, index }) => {
    if (layer instanceof SpinalLayer) {
      const [mean, variance] = layer.movingAverageVariables(index!);
      return { spinal: true, momentum: layer.batchNormMomentum, mean, variance };
    }
    return { spinal: false, ...layer.movingAverageVariables() };
  });
  const variables = () => program.weights.map((w) => w.read() as tf.Variable);
  let trainer: object | undefined;
  /** Whether the addon holds the state (from the first step after a sync), and its steps since. */
  let loaded = false;
  let steps = 0;

  const adamOf = (optimizer: tf.Optimizer): FusedAdamOptimizer => {
    // Not instanceof: tfjs's optimizers answer it for any optimizer.
    if (typeof (optimizer as Partial<FusedAdamOptimizer>).readState !== 'function') throw new TypeError('the libtorch training step applies Adam as createAdam() does: pass its optimizer');
    return optimizer as FusedAdamOptimizer;
  };

  const load = (adam: FusedAdamOptimizer) => {
    const state = adam.readState(variables());
    trainer ??= addon.trainer(handle, Float64Array.from(program.masks, (m) => m.rate),
      Float64Array.from(norms.flatMap((s, i) => [s.spinal ? 1 : 0, s.momentum, program.batchNorms[i]!.channels])),
      Float64Array.of(state.beta1, state.beta2, state.epsilon));
    addon.load(trainer, program.weights.map((w) => w.read().dataSync() as Float32Array), state.m, state.v, state.powers,
      norms.map((s) => s.mean.read().dataSync() as Float32Array), norms.map((s) => s.variance.read().dataSync() as Float32Array));
    loaded = true;
    steps = 0;
  };

  return {
    description: `libtorch ${addon.version()}, ${threads} thread${threads === 1 ? '' : 's'}${threads > 1 ? `, ${openmpWait()}` : ''}`,
    threads,
    async run(x, n, labels, classWeights, optimizer) {
      const adam = adamOf(optimizer);
      if (!loaded) load(adam);
      const sampleWeights = new Float32Array(n);
      for (let i = 0; i < n; i++) sampleWeights[i] = classWeights[labels[i]!]!;
      // One Math.random() per mask in forward order, as dropoutMultiplier draws them; at least one slot, so
      // the array has memory to hand over when there are no masks.
      const seeds = new Float64Array(Math.max(4, 4 * program.masks.length));
      program.masks.forEach((_, k) => {
        const s = seedrandom.alea(Math.random().toString(), { state: true }).state() as unknown as { s0: number; s1: number; s2: number; c: number };
        seeds.set([s.s0, s.s1, s.s2, s.c], 4 * k);
      });
      const logits = new Float32Array(n * numClasses);
      const loss = new Float32Array(1);
      await addon.trainStep(handle, trainer!, x.subarray(0, n * per), [n, ...sampleShape], labels.subarray(0, n), sampleWeights, seeds,
        adam.currentLearningRate(), logits, loss);
      steps++;
      return [loss[0]!, countHits(logits, n, labels, numClasses)];
    },
    async sync(optimizer) {
      if (!loaded) return;
      const adam = adamOf(optimizer);
      const sizes = program.weights.map((w) => w.read().size);
      const weights = sizes.map((s) => new Float32Array(s));
      const m = sizes.map((s) => new Float32Array(s));
      const v = sizes.map((s) => new Float32Array(s));
      const powers = new Float32Array(2);
      const means = program.batchNorms.map((b) => new Float32Array(b.channels));
      const variances = program.batchNorms.map((b) => new Float32Array(b.channels));
      addon.store(trainer!, weights, m, v, powers, means, variances);
      // Into the variables as the optimizer writes them (LayerVariable.write would also apply a layer's constraint).
      const assign = (v: tf.LayerVariable, values: Float32Array) => (v.read() as tf.Variable).assign(tf.tensor(values, v.read().shape));
      tf.tidy(() => {
        program.weights.forEach((w, i) => assign(w, weights[i]!));
        norms.forEach((s, i) => {
          assign(s.mean, means[i]!);
          assign(s.variance, variances[i]!);
        });
      });
      adam.writeState(variables(), m, v, powers, steps);
      loaded = false;
      steps = 0;
    },
    release: async () => {},
  };
}
