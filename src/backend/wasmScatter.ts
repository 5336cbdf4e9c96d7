/**
 * out[map[i]] = w[i] for i < n, as a hand-assembled WebAssembly function working directly on the tfjs wasm
 * backend's memory (it imports that memory): the training step's per-step blocking of convolution kernels
 * into onnxruntime's NCHWc layout (onnx/nchwc.ts, scatterKernel is the same in JavaScript).
 *
 * Why by hand: the JavaScript loop pays bounds checks on three typed arrays per element, several times this
 * function's time (docs/performance.md#the-onnxruntime-training-step). There is no compiler here (no
 * Emscripten), and the function is 30 bytes.
 *
 * scatter(w, map, out, n): byte offsets of float32 w[n], int32 map[n] and float32 out on the heap.
 */
import { heapFunction, vec } from './heapFunction.ts';
const I32 = 0x7f;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
// Parameters w, map, out, n; local off (a byte offset into w and map).
const P = { w: 0, map: 1, out: 2, n: 3, off: 4 };

function body(): number[] {
  const code = [
    ...get(P.n), 0x41, 2, 0x74, ...set(P.n), // n ← n·4, the end as a byte offset
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(P.off), ...get(P.n), 0x4f, 0x0d, 1, // br_if out of the block when off >= n
    // address out + map[off]·4
    ...get(P.out), ...get(P.map), ...get(P.off), 0x6a, 0x28, 2, 0, 0x41, 2, 0x74, 0x6a,
    ...get(P.w), ...get(P.off), 0x6a, 0x2a, 2, 0, // f32.load w + off
    0x38, 2, 0, // f32.store
    ...get(P.off), 0x41, 4, 0x6a, ...set(P.off),
    0x0c, 0, 0x0b, 0x0b, // br 0 (loop), end loop, end block
    0x0b, // end function
  ];
  return [...vec([[1, I32]]), ...code];
}

export type WasmScatter = (w: number, map: number, out: number, n: number) => void;

/** The scatter function bound to `memory`, or null where the engine refuses the module. */
export function wasmScatterFor(memory: WebAssembly.Memory): WasmScatter | null {
  return heapFunction<WasmScatter>(memory, 'scatter', [I32, I32, I32, I32], body);
}
