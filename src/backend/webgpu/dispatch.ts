/**
 * Our own WGSL compute shaders, recorded into tfjs-backend-webgpu's command stream.
 *
 * Why not the package's `runWebGPUProgram`: its programs have exactly one output buffer, and the kernels
 * that save launches here (Adam: new value, m and v; batch norm: y, mean and variance) write three. So we
 * bind the tensors' GPU buffers ourselves and dispatch in the backend's open compute pass, doing what its
 * private `recordAndSubmit` does (private API of tfjs-backend-webgpu 4.22, the version package-lock.json
 * installs; `internalsUsable` checks for it, and without it tfjs's own kernels run):
 * inputs uploaded first, every bound tensor marked as owned by the pending command buffer (so a tensor
 * disposed before the submit keeps its buffer until then), the uniform buffer released after the submit,
 * and a submit after WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches like the package's own.
 *
 * Types: the project does not load @webgpu/types globally, so the few GPU objects used are typed here.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, TensorInfo } from '@tensorflow/tfjs';

interface GpuBuffer {
  readonly size: number;
}
interface GpuPipeline {
  getBindGroupLayout(index: number): unknown;
}
interface GpuPass {
  setPipeline(p: GpuPipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y: number, z: number): void;
}
interface GpuDevice {
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): GpuPipeline;
  createBindGroup(d: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBuffer; offset?: number; size?: number } }[] }): unknown;
}

/** The parts of WebGPUBackend (tfjs-backend-webgpu 4.22) this module uses; most are private there. */
export interface WebGpuBackendInternals {
  device: GpuDevice;
  queue: { writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBuffer, dataOffset: number, size: number): void };
  tensorMap: { get(dataId: DataId): { resource?: unknown } };
  bufferManager: { acquireBuffer(size: number, usage: number): GpuBuffer };
  commandEncoder: { beginComputePass(d: object): GpuPass } | null;
  computePassEncoder: GpuPass | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<DataId>;
  uniformPendingDisposal: GpuBuffer[];
  activeTimers: unknown[] | null | undefined;
  makeTensorInfo(shape: number[], dtype: tf.DataType): TensorInfo;
  uploadToGPU(dataId: DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** True when `backend` has the members this module uses (a later tfjs-backend-webgpu may rename them). */
export function internalsUsable(backend: unknown): boolean {
  const b = backend as Partial<Record<keyof WebGpuBackendInternals, unknown>>;
  const methods = ['makeTensorInfo', 'uploadToGPU', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue'] as const;
  return methods.every((m) => typeof b[m] === 'function') &&
    b.commandQueueOwnedIds instanceof WeakSet && Array.isArray(b.uniformPendingDisposal) && typeof b.dispatchCountInPass === 'number' &&
    'computePassEncoder' in b && 'commandEncoder' in b && b.device != null && b.queue != null && b.tensorMap != null && b.bufferManager != null;
}

/** A compute shader: bindings 0…k−1 are the storage buffers in the order passed, binding k the uniforms. */
export interface Shader {
  /** Cache key (one pipeline per device and key). */
  key: string;
  code: string;
  /** @workgroup_size of the shader's x dimension. */
  workgroupSize: number;
}

const pipelines = new WeakMap<GpuDevice, Map<string, GpuPipeline>>();
let dispatches = 0;

/** Dispatches recorded by this module since the process started (bench/gpuCounts.ts adds them to tfjs's). */
export const customDispatchCount = (): number => dispatches;

function pipelineFor(device: GpuDevice, shader: Shader): GpuPipeline {
  let cache = pipelines.get(device);
  if (cache === undefined) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(shader.key);
  if (pipeline === undefined) {
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: shader.code }), entryPoint: 'main' } });
    cache.set(shader.key, pipeline);
  }
  return pipeline;
}

/** Workgroups for `threads` invocations: x capped at WebGPU's guaranteed 65535 per dimension, the rest in y. */
export function workgroupsFor(threads: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

/** float32 output tensor of `shape` on the backend (its GPU buffer is allocated when dispatched). */
export const makeOutput = (backend: WebGpuBackendInternals, shape: number[]): TensorInfo => backend.makeTensorInfo(shape, 'float32');

/**
 * Records one dispatch of `shader` with `buffers` bound in order (inputs uploaded when still on the host;
 * outputs made with makeOutput) and `uniforms` (a little-endian struct, WGSL layout) after them.
 */
export function dispatch(
  backendArg: unknown, shader: Shader, buffers: TensorInfo[], uniforms: ArrayBuffer, workgroups: [number, number, number],
): void {
  const backend = backendArg as WebGpuBackendInternals;
  const usage = (globalThis as unknown as { GPUBufferUsage: { UNIFORM: number; COPY_DST: number } }).GPUBufferUsage;
  for (const t of buffers) backend.uploadToGPU(t.dataId);
  const size = Math.max(16, Math.ceil(uniforms.byteLength / 16) * 16);
  const uniformBuffer = backend.bufferManager.acquireBuffer(size, usage.UNIFORM | usage.COPY_DST);
  const padded = new Uint8Array(size);
  padded.set(new Uint8Array(uniforms));
  backend.queue.writeBuffer(uniformBuffer, 0, padded.buffer, 0, size);
  backend.uniformPendingDisposal.push(uniformBuffer);
  const pipeline = pipelineFor(backend.device, shader);
  const entries = buffers.map((t, i) => ({ binding: i, resource: { buffer: backend.tensorMap.get(t.dataId).resource as GpuBuffer } }));
  entries.push({ binding: buffers.length, resource: { buffer: uniformBuffer } });
  for (const t of buffers) backend.commandQueueOwnedIds.add(t.dataId);
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass({});
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(...workgroups);
  backend.dispatchCountInPass++;
  dispatches++;
  // tf.time() opens its own timed passes around the package's programs; ours simply end the pass there.
  const timing = backend.activeTimers != null;
  if (timing || tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    if (!timing) backend.submitQueue();
  }
}

/** A uniform struct of u32 and f32 fields, in order (every field 4 bytes, so offsets are 4·index). */
export function uniformStruct(fields: ({ u32: number } | { f32: number })[]): ArrayBuffer {
  const buffer = new ArrayBuffer(fields.length * 4);
  const view = new DataView(buffer);
  fields.forEach((f, i) => {
    if ('u32' in f) view.setUint32(i * 4, f.u32, true);
    else view.setFloat32(i * 4, f.f32, true);
  });
  return buffer;
}
