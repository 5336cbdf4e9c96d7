/**
 * Registers spinalnet's WGSL kernels for tfjs's 'webgpu' backend, as src/backend/wasmKernels.ts does for
 * wasm: the fused Adam step (adamKernels.ts), batch norm in training (batchNormKernels.ts) and ReLU's
 * gradient (reluGradKernel.ts); and replaces the package's SplitV and Sum by one-dispatch versions where they
 * apply (splitKernel.ts, sumKernel.ts: a split in up to seven parts, a sum over leading axes).
 * Idempotent; called once 'webgpu' is the active backend (the package's kernels are the fallbacks).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { registerBatchNormGradient } from '../fusedBatchNorm.ts';
import { adamKernels } from './adamKernels.ts';
import { batchNormKernels } from './batchNormKernels.ts';
import { internalsUsable } from './dispatch.ts';
import { registerReluGradient, reluGradKernels } from './reluGradKernel.ts';
import { splitKernel } from './splitKernel.ts';
import { sumKernel } from './sumKernel.ts';

const KERNELS: { kernelName: string; kernelFunc: KernelFunc }[] = [...adamKernels, ...batchNormKernels, ...reluGradKernels];

/**
 * Registers them for the active 'webgpu' backend when it has the internals they record into (dispatch.ts);
 * returns whether it did.
 */
export function registerWebGpuKernels(): boolean {
  if (tf.getBackend() !== 'webgpu' || !internalsUsable(tf.backend())) return false;
  for (const { kernelName, kernelFunc } of KERNELS) {
    if (tf.getKernel(kernelName, 'webgpu') === undefined) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
  registerBatchNormGradient();
  registerReluGradient();
  replaceKernel('SplitV', splitKernel);
  replaceKernel('Sum', sumKernel);
  return true;
}

/** Marks our replacements of the package's kernels, so a second registration does not wrap its own. */
const OURS = Symbol.for('spinalnet.webgpuKernels.replacement');

/** Replaces the package's kernel `name` by `make(builtin)`, which falls back to the builtin where it does not apply. */
function replaceKernel(name: string, make: (builtin: KernelFunc) => KernelFunc): void {
  const config = tf.getKernel(name, 'webgpu');
  if (config === undefined || (config.kernelFunc as { [OURS]?: true })[OURS]) return;
  const ours = Object.assign(make(config.kernelFunc), { [OURS]: true as const });
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ ...config, kernelFunc: ours });
}
