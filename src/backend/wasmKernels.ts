/**
 * Every kernel spinalnet registers for the tfjs wasm backend, in one call (selectBackend makes it).
 * Each one is checked against the cpu backend in test/backend/.
 */
import { registerWasmAdam } from './fusedAdam.ts';
import { registerWasmBatchNorm } from './fusedBatchNorm.ts';
import { registerWasmConvGradients } from './wasmConvGradients.ts';
import { registerWasmDataKernels } from './wasmDataKernels.ts';

/** Registers the conv gradients, the faster data kernels, fused batch norm and the fused Adam step. Idempotent. */
export function registerWasmKernels(): void {
  registerWasmConvGradients();
  registerWasmDataKernels();
  registerWasmAdam();
  registerWasmBatchNorm();
}
