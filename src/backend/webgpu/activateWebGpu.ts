/**
 * tfjs's WebGPU backend (@tensorflow/tfjs-backend-webgpu) on a Dawn adapter (dawn.ts).
 *
 * The package registers its own backend factory only when `navigator.gpu` exists at import time, and that
 * factory asks `navigator.gpu` for an adapter itself. We import it before `navigator.gpu` exists (so its
 * factory stays unregistered: tfjs never picks WebGPU on its own) and register a factory that uses the
 * adapter we chose, with the same device limits the package's factory asks for. WebGPUBackend's
 * constructor checks `navigator.gpu`, so we set it (Node 20 has no `navigator`; Node 21+ has one without
 * `gpu`) together with Dawn's WebGPU globals (GPUBufferUsage, …) that the kernels read.
 *
 * Reading tensors: the backend's dataSync() needs OffscreenCanvas, which Node lacks, so code that may run
 * on WebGPU reads with `await tensor.data()` (trainModel, predict).
 */
import * as tf from '@tensorflow/tfjs';
import { type FoundAdapter, findAdapter, formatAdapter, type GpuAdapterDescription } from './dawn.ts';
import { registerWebGpuKernels } from './webgpuKernels.ts';

export interface ActivatedWebGpu {
  detail: string;
  adapter: GpuAdapterDescription;
  /** Set for a software adapter: `--backend webgpu` still runs there, slowly. */
  warning?: string;
}

/** The adapter the registered 'webgpu' factory uses (one per process: tfjs keeps one engine). */
let active: FoundAdapter | undefined;

/**
 * Makes tfjs's 'webgpu' backend active on the best adapter (a software one only when `allowSoftware`),
 * or returns why it cannot be.
 */
export async function activateWebGpu(allowSoftware: boolean): Promise<ActivatedWebGpu | string> {
  if (!active || (active.description.software && !allowSoftware)) {
    const { found, reason } = await findAdapter(allowSoftware);
    if (!found) return reason ?? 'no adapter';
    const registered = await registerFactory(found);
    if (typeof registered === 'string') return registered;
  }
  if (!(await tf.setBackend('webgpu'))) return 'tfjs could not create the WebGPU device (tfjs printed the cause)';
  // spinalnet's WGSL kernels (launch counts: README, "GPUs through WebGPU"); tfjs's own where they cannot run.
  registerWebGpuKernels();
  const adapter = active!.description;
  return {
    detail: `webgpu (Dawn: ${formatAdapter(adapter)})`,
    adapter,
    ...(adapter.software
      ? { warning: `the WebGPU adapter is a software one (${adapter.vendor} ${adapter.architecture}) running on the CPU: expect it to be slower than --backend wasm; use it to test, not for speed` }
      : {}),
  };
}

async function registerFactory(found: FoundAdapter): Promise<void | string> {
  let pkg: typeof import('@tensorflow/tfjs-backend-webgpu');
  try {
    pkg = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    return `@tensorflow/tfjs-backend-webgpu failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  for (const [name, value] of Object.entries(found.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: found.gpu }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: found.gpu, configurable: true, writable: true });

  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  active = found;
  const { adapter } = found;
  tf.registerBackend('webgpu', async () => {
    // The limits tfjs-backend-webgpu's own factory requests (its defaults are too small for big batches).
    const keys = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize',
      'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
    const requiredLimits = Object.fromEntries(keys.map((k) => [k, adapter.limits[k]!]));
    const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    // WebGPUBackend's types come from @webgpu/types, which this project does not load globally.
    return new pkg.WebGPUBackend(device as ConstructorParameters<typeof pkg.WebGPUBackend>[0], adapter.info as unknown as ConstructorParameters<typeof pkg.WebGPUBackend>[1]);
  }, -1 /* lowest priority: never tfjs's own pick */);
}
