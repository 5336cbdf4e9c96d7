/**
 * A tfjs Sequential model's forward pass in training mode as a small program for the libtorch step
 * (native/libtorch/torch_step.cc), which runs it and lets libtorch's autograd compute the gradients. It
 * writes the layer plan (../layerPlan.ts) that the onnxruntime graph (../onnxruntime/gradientGraph.ts)
 * writes too: the same layers, refusals, dropout masks and batch norms, so that the trainer feeds both
 * alike and a run's numbers agree with tfjs's to float32 rounding (test/training/libtorchGradients.test.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { UnsupportedModelError } from '../../../onnx/layers.ts';
import { type Activation, planLayers, type PlanBatchNorm, type PlanMask, type PlanStep } from '../layerPlan.ts';

/** Opcodes, as torch_step.cc reads them. */
const OP = { conv: 1, maxPool: 2, batchNorm: 3, activation: 4, dropout: 5, flatten: 6, permute: 7, dense: 8, spinal: 9 } as const;
const ACTIVATION: Record<Activation, number> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3 };

export type TorchMask = PlanMask;
export type TorchBatchNorm = PlanBatchNorm;

export interface TorchProgram {
  code: Float64Array;
  /** Every trainable weight, in the order the step takes them and hands out their gradients. */
  weights: tf.LayerVariable[];
  masks: TorchMask[];
  batchNorms: TorchBatchNorm[];
}

/** Writes one step; `weight` gives a weight's index in the program's weights (-1: none). */
function stepCode(code: number[], step: PlanStep, weight: (v?: tf.LayerVariable) => number): void {
  const activation = (name: Activation) => {
    if (ACTIVATION[name] !== 0) code.push(OP.activation, ACTIVATION[name]);
  };
  switch (step.kind) {
    case 'conv': {
      const { strides, pads: [top, left, bottom, right] } = step.settings;
      code.push(OP.conv, weight(step.kernel), weight(step.bias), strides[0], strides[1], top!, left!, bottom!, right!);
      activation(step.activation);
      return;
    }
    case 'maxPool': {
      const { kernel, strides, pads: [top, left, bottom, right] } = step;
      // libtorch pads pooling windows evenly, by at most half a window.
      if (top !== bottom || left !== right || 2 * top > kernel[0] || 2 * left > kernel[1]) {
        throw new UnsupportedModelError(`${step.layer.name}: max pooling with uneven padding`);
      }
      code.push(OP.maxPool, kernel[0], kernel[1], strides[0], strides[1], top, left);
      return;
    }
    case 'batchNorm':
      code.push(OP.batchNorm, weight(step.gamma), weight(step.beta), step.epsilon);
      return;
    case 'activation':
      activation(step.activation);
      return;
    case 'dropout':
      code.push(OP.dropout, step.spatial ? 1 : 0);
      return;
    case 'flatten':
      code.push(OP.flatten);
      return;
    case 'permute':
      code.push(OP.permute, step.perm.length, ...step.perm);
      return;
    case 'dense':
      code.push(OP.dense, weight(step.kernel), weight(step.bias));
      activation(step.activation);
      return;
    case 'spinal':
      code.push(OP.spinal, step.splits, step.stages.length, step.batchNorm ? 1 : 0, ACTIVATION[step.activation], step.rate > 0 ? 1 : 0, step.epsilon);
      for (const s of step.stages) code.push(weight(s.kernel), weight(s.bias), weight(s.norm?.gamma), weight(s.norm?.beta));
      return;
  }
}

/** The program of `model` (a Sequential on NHWC samples of `sampleShape`); throws UnsupportedModelError. */
export function buildTorchProgram(model: tf.LayersModel, sampleShape: readonly [number, number, number], numClasses: number): TorchProgram {
  const plan = planLayers(model, sampleShape, numClasses);
  const index = new Map(plan.weights.map((v, i) => [v, i]));
  const weight = (v?: tf.LayerVariable) => (v === undefined ? -1 : index.get(v)!);
  const code: number[] = [];
  for (const step of plan.steps) stepCode(code, step, weight);
  return { code: Float64Array.from(code), weights: plan.weights, masks: plan.masks, batchNorms: plan.batchNorms };
}
