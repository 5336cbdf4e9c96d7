/** The models the WebGPU gradient test compares with cpu: every shipped model, at the smallest input each accepts. */
import { IMAGE_MODELS } from '../../src/models/imageRegistry.ts';
import { MODELS } from '../../src/models/registry.ts';
import type { GradientCase } from '../training/tfjsGradients.ts';

export const CASES: GradientCase[] = [
  ...MODELS.map((spec): GradientCase => {
    const patch = spec.id === 'spinal-mlp' ? 1 : 9;
    return { name: spec.id, build: () => spec.build({ patch, channels: 5, numClasses: 4 }), sample: [patch, patch, 5], classes: 4 };
  }),
  ...IMAGE_MODELS.map((spec): GradientCase => ({
    name: spec.id, build: () => spec.build({ height: 16, width: 16, channels: 1, numClasses: 3 }), sample: [16, 16, 1], classes: 3,
  })),
];
