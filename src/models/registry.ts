/** The hyperspectral models by name, as typed entries: adding a model is adding an entry. */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.ts';
import { buildPatchCnn } from './patchCnn.ts';
import { buildSpinalMlp } from './spinalMlp.ts';

export interface ModelBuildOptions {
  patch: number;
  channels: number;
  numClasses: number;
}

export interface ModelSpec {
  readonly id: string;
  readonly description: string;
  /** Spectrum-only models see 1×1 patches whatever --patch says. */
  readonly spectral: boolean;
  build(opts: ModelBuildOptions): tf.LayersModel;
}

export const MODELS: readonly ModelSpec[] = [
  {
    id: 'spinal-cnn',
    description: "the paper's KSC network: 6-conv trunk + spinal head (default)",
    spectral: false,
    build: (o) => buildPatchCnn({ ...o, head: 'spinal' }),
  },
  {
    id: 'fc-cnn',
    description: 'the same trunk with a plain dense head (the ablation)',
    spectral: false,
    build: (o) => buildPatchCnn({ ...o, head: 'dense' }),
  },
  {
    id: 'spinal-mlp',
    description: 'spectrum only: dense 120 + spinal head, no patches',
    spectral: true,
    build: (o) => buildSpinalMlp(o),
  },
];

export function getModelSpec(id: string): ModelSpec {
  const spec = MODELS.find((m) => m.id === id);
  if (!spec) throw new ConfigError('--model', `one of ${MODELS.map((m) => m.id).join(', ')}`, id);
  return spec;
}
