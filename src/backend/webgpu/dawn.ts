/**
 * WebGPU adapters in Node through Dawn (the npm package `webgpu`, an optional dependency whose native
 * binary ships inside the package). Dawn reaches GPUs through Vulkan: `libvulkan.so.1` (Debian:
 * libvulkan1) plus the vendor's driver.
 *
 * Hardware and software adapters: with no GPU, Debian's `chromium` package ships SwiftShader, a Vulkan
 * driver that runs on the CPU. The Vulkan loader reads VK_ICD_FILENAMES every time an instance is created,
 * so pointing it at SwiftShader's manifest from inside the process works (no re-exec, no LD_LIBRARY_PATH:
 * the manifest names its library by path). We do that only when asked for a software adapter and the user
 * has not set VK_ICD_FILENAMES. Dawn also sees Mesa's llvmpipe (lavapipe) where installed but refuses it
 * ("shaderUniform*ArrayDynamicIndexing required").
 */
import { existsSync, readdirSync } from 'node:fs';

/** The parts of Dawn's GPUAdapterInfo we record (run.json, report.md, `spinalnet backends`). */
export interface GpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, or an adapter Dawn marks as fallback). */
  software: boolean;
  /** How it was found: the system's Vulkan drivers, or the SwiftShader manifest we pointed Vulkan at. */
  via: string;
}

/** Dawn's GPUAdapter, as far as we use it (typed here so the project type-checks without `webgpu`). */
export interface DawnAdapter {
  readonly info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly limits: Record<string, number>;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Where distributions put SwiftShader's Vulkan manifest (Debian/Ubuntu chromium, Fedora chromium). */
const SWIFTSHADER_MANIFESTS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium-browser/vk_swiftshader_icd.json'];

export interface FoundAdapter {
  adapter: DawnAdapter;
  description: GpuAdapterDescription;
  /** The GPU object that made the adapter (tfjs-backend-webgpu wants it as navigator.gpu). */
  gpu: unknown;
  /** Dawn's WebGPU globals (GPUBufferUsage, GPUMapMode, …) that tfjs-backend-webgpu reads. */
  globals: Record<string, unknown>;
}

let loading: Promise<DawnModule | string> | undefined;

/** The `webgpu` package, or why it cannot be loaded. */
export function loadDawn(): Promise<DawnModule | string> {
  loading ??= (async () => {
    try {
      // A variable specifier: the package is optional, so nothing may resolve it at type-check time.
      const specifier = 'webgpu';
      return (await import(specifier)) as DawnModule;
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      const code = (err as { code?: unknown } | null)?.code;
      return code === 'ERR_MODULE_NOT_FOUND' && message!.includes("'webgpu'")
        ? 'the npm package webgpu (Dawn) is not installed'
        : `the npm package webgpu (Dawn) failed to load: ${message}`;
    }
  })();
  return loading;
}

/** True for CPU implementations of Vulkan/WebGPU. */
function isSoftwareAdapter(info: DawnAdapter['info']): boolean {
  if (info.isFallbackAdapter === true) return true;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|warp/.test(text);
}

/** The SwiftShader manifest on this machine: SPINALNET_SWIFTSHADER_ICD when set, else a known path. */
export function swiftShaderManifest(): string | undefined {
  const fromEnv = process.env.SPINALNET_SWIFTSHADER_ICD;
  if (fromEnv) return fromEnv;
  return SWIFTSHADER_MANIFESTS.find((p) => existsSync(p));
}

async function requestOne(dawn: DawnModule, via: string): Promise<FoundAdapter | undefined> {
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const { vendor, architecture, device, description } = adapter.info;
  return {
    adapter, gpu, globals: dawn.globals,
    description: { vendor, architecture, device, description, software: isSoftwareAdapter(adapter.info), via },
  };
}

export interface FindAdapterResult {
  /** The hardware adapter, else (when allowed) a software one. */
  found?: FoundAdapter;
  /** Why no (hardware) adapter was found, for people. */
  reason?: string;
}

/**
 * The best adapter Dawn offers. A hardware adapter from the system's Vulkan drivers first; when there is
 * none and `allowSoftware`, SwiftShader (VK_ICD_FILENAMES is set for this process if the user had not).
 */
export async function findAdapter(allowSoftware: boolean): Promise<FindAdapterResult> {
  // Without a GPU device node no Vulkan driver can offer a hardware adapter; asking Dawn anyway costs a
  // second and makes Mesa's drivers print errors on every run of a headless machine, so 'auto' skips it.
  const devices = gpuDeviceNodes();
  if (!allowSoftware && devices !== undefined && devices.length === 0 && !process.env.VK_ICD_FILENAMES) {
    return { reason: 'this machine has no GPU device (no /dev/dri render node, /dev/nvidia* or /dev/dxg)' };
  }
  const dawn = await loadDawn();
  if (typeof dawn === 'string') return { reason: dawn };
  const userIcd = process.env.VK_ICD_FILENAMES;
  const system = await requestOne(dawn, userIcd ? `VK_ICD_FILENAMES=${userIcd}` : 'the system Vulkan drivers');
  if (system && (!system.description.software || allowSoftware)) return { found: system };
  const none = system
    ? `Dawn found only a software adapter (${system.description.vendor} ${system.description.architecture})`
    : 'Dawn found no GPU adapter (no Vulkan driver for a GPU: install the vendor driver, e.g. mesa-vulkan-drivers or the NVIDIA driver, and libvulkan1)';
  if (!allowSoftware || userIcd) return { reason: none };
  const manifest = swiftShaderManifest();
  if (!manifest) return { reason: `${none}; no SwiftShader either (install Debian's chromium, or set SPINALNET_SWIFTSHADER_ICD to a vk_swiftshader_icd.json)` };
  process.env.VK_ICD_FILENAMES = manifest;
  const software = await requestOne(dawn, `SwiftShader (VK_ICD_FILENAMES=${manifest})`);
  if (software) return { found: software, reason: none };
  delete process.env.VK_ICD_FILENAMES;
  return { reason: `${none}; SwiftShader at ${manifest} gave no adapter either (is libvulkan1 installed?)` };
}

/** This module's URL: `spinalnet backends` imports it in a child process to probe Dawn there (engines.ts). */
export const DAWN_MODULE_URL = import.meta.url;

/** What `spinalnet backends` asks Dawn: the hardware adapter (or why none), and the software one. */
export interface AdapterProbe {
  hardware?: GpuAdapterDescription;
  hardwareReason?: string;
  software?: GpuAdapterDescription;
}

/**
 * Both probes of `spinalnet backends` as plain data. Dawn and the Vulkan loader write their complaints
 * ("vkCreateInstance: Found no drivers!") straight to file descriptor 2, so engines.ts runs this in a
 * child process whose stderr it reads.
 */
export async function probeAdapters(): Promise<AdapterProbe> {
  const hardware = await findAdapter(false);
  // The software adapter is looked for even when a GPU exists, so the listing is complete.
  const software = await findAdapter(true);
  return {
    ...(hardware.found ? { hardware: hardware.found.description } : {}),
    ...(hardware.reason ? { hardwareReason: hardware.reason } : {}),
    ...(software.found?.description.software ? { software: software.found.description } : {}),
  };
}

/** One line for people: "google swiftshader (SwiftShader driver 5.0.0), software". */
export function formatAdapter(d: GpuAdapterDescription): string {
  const name = [d.vendor, d.architecture, d.device].filter((s) => s !== '').join(' ');
  return `${name || 'unnamed adapter'}${d.description ? ` (${d.description})` : ''}, ${d.software ? 'software' : 'hardware'}`;
}

/** GPU device nodes on Linux (DRM render nodes, NVIDIA's, WSL's /dev/dxg); undefined elsewhere (not knowable this way). */
function gpuDeviceNodes(): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const nodes: string[] = [];
  try {
    for (const f of readdirSync('/dev/dri')) if (f.startsWith('renderD')) nodes.push(`/dev/dri/${f}`);
  } catch {
    // No /dev/dri: no DRM driver loaded.
  }
  try {
    for (const f of readdirSync('/dev')) if (/^nvidia\d+$/.test(f) || f === 'dxg') nodes.push(`/dev/${f}`);
  } catch {
    // /dev unreadable: say nothing is known.
    return undefined;
  }
  return nodes;
}
