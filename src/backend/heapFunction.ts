/**
 * One hand-assembled WebAssembly function that imports the tfjs wasm backend's memory (so it works on
 * the tensors' heap directly), built once per memory: the module wrapper of simdAdam.ts, which writes only
 * the function body.
 */
import { uleb } from '../util/wasmEncoder.ts';

export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

function moduleBytes(exportName: string, params: number[], body: number[], shared: boolean): Uint8Array<ArrayBuffer> {
  const types = section(1, vec([[0x60, ...vec(params.map((t) => [t])), 0]]));
  // Memory import: shared memories must declare a maximum (and match the threaded build's 4 GiB).
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]]));
  const funcs = section(3, vec([[0]]));
  const exports = section(7, vec([[...name(exportName), 0x00, 0]]));
  const code = section(10, vec([[...uleb(body.length), ...body]]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}

const cache = new WeakMap<WebAssembly.Memory, Map<string, unknown>>();

/**
 * The function `exportName` (parameter types `params`, no results, `body` = locals and code) bound to
 * `memory`, or null where the engine refuses the module (e.g. no SIMD); cached per memory and name.
 */
export function heapFunction<F>(memory: WebAssembly.Memory, exportName: string, params: number[], body: () => number[]): F | null {
  let known = cache.get(memory);
  if (known === undefined) cache.set(memory, (known = new Map()));
  if (known.has(exportName)) return known.get(exportName) as F | null;
  let fn: F | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(exportName, params, body(), shared)), { env: { memory } });
    fn = instance.exports[exportName] as F;
  } catch {
    fn = null;
  }
  known.set(exportName, fn);
  return fn;
}
