/** Versions, backend and memory of this process, for run.json: what a later reader needs to compare runs. */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import type { BackendInfo } from '../backend/selectBackend.ts';
import type { GpuAdapterDescription } from '../backend/webgpu/dawn.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export interface RunEnvironment {
  versions: { spinalnet: string; tfjs: string; node: string };
  /** adapter: the GPU adapter of the 'webgpu' backend (vendor, architecture, device, driver description). */
  backend: { name: string; detail: string; adapter?: GpuAdapterDescription };
  /** Peak resident memory of the process so far, in MB. */
  peakRssMB: number;
}

export function runEnvironment(backend: BackendInfo): RunEnvironment {
  return {
    versions: { spinalnet: pkg.version, tfjs: tf.version.tfjs, node: process.versions.node },
    backend: { name: backend.name, detail: backend.detail, ...(backend.adapter ? { adapter: backend.adapter } : {}) },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
