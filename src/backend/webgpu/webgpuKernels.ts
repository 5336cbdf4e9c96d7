/**
 * Registers spinalnet's WGSL kernels for tfjs's 'webgpu' backend, as src/backend/wasmKernels.ts does for
 * wasm: the fused Adam step (adamKernels.ts), batch norm in training (batchNormKernels.ts) and ReLU's
 * gradient (reluGradKernel.ts). Idempotent.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { registerBatchNormGradient } from '../fusedBatchNorm.ts';
import { adamKernels } from './adamKernels.ts';
import { batchNormKernels } from './batchNormKernels.ts';
import { registerReluGradient, reluGradKernels } from './reluGradKernel.ts';

const KERNELS: { kernelName: string; kernelFunc: KernelFunc }[] = [...adamKernels, ...batchNormKernels, ...reluGradKernels];

export function registerWebGpuKernels(): void {
  for (const { kernelName, kernelFunc } of KERNELS) {
    if (tf.getKernel(kernelName, 'webgpu') === undefined) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
  registerBatchNormGradient();
  registerReluGradient();
}
