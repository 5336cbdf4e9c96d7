/**
 * The image models by name, as typed entries in the style of registry.ts (the hyperspectral models):
 * adding a model is adding an entry. Each spinal model has its dense twin, the paper's comparison.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.ts';
import { buildMnistNet, type ImageModelOptions } from './mnistNet.ts';
import { buildVgg5 } from './vgg5.ts';

export interface ImageModelSpec {
  readonly id: string;
  readonly description: string;
  /** The head this model is the spinal/dense version of; experiments pair models by `family`. */
  readonly head: 'spinal' | 'dense';
  readonly family: 'mnist-net' | 'vgg5';
  /** Too slow to train on the wasm backend for more than a quick check. */
  readonly heavy: boolean;
  build(opts: ImageModelOptions): tf.LayersModel;
}

export const IMAGE_MODELS: readonly ImageModelSpec[] = [
  {
    id: 'spinal-mnist',
    description: "the paper's small MNIST net (2 convs, 320 features) + spinal head (default)",
    head: 'spinal',
    family: 'mnist-net',
    heavy: false,
    build: (o) => buildMnistNet({ ...o, head: 'spinal' }),
  },
  {
    id: 'fc-mnist',
    description: 'the same net with the dense head 320→50→classes',
    head: 'dense',
    family: 'mnist-net',
    heavy: false,
    build: (o) => buildMnistNet({ ...o, head: 'dense' }),
  },
  {
    id: 'spinal-vgg5',
    description: 'VGG-5 with BN + spinal head (heavy on wasm: use a GPU/tensorflow backend)',
    head: 'spinal',
    family: 'vgg5',
    heavy: true,
    build: (o) => buildVgg5({ ...o, head: 'spinal' }),
  },
  {
    id: 'vgg5',
    description: 'VGG-5 with BN + dense head 512 (heavy on wasm)',
    head: 'dense',
    family: 'vgg5',
    heavy: true,
    build: (o) => buildVgg5({ ...o, head: 'dense' }),
  },
];

export function getImageModelSpec(id: string): ImageModelSpec {
  const spec = IMAGE_MODELS.find((m) => m.id === id);
  if (!spec) throw new ConfigError('--model', `one of ${IMAGE_MODELS.map((m) => m.id).join(', ')}`, id);
  return spec;
}
