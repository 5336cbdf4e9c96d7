/**
 * The Adam update as a hand-assembled WebAssembly SIMD function that works directly on the tfjs wasm
 * backend's memory (it imports that memory), four float32 lanes at a time.
 *
 * Why by hand: the per-element arithmetic of the fused step (fusedAdam.ts) in JavaScript (three divisions
 * and a square root in double precision, then rounded) was no faster than tfjs's 14 separate ops
 * (docs/performance.md#the-onnxruntime-training-step). WebAssembly's f32x4 arithmetic
 * is IEEE single precision lane by lane, exactly what tfjs's ops compute, so the result stays bit-for-bit
 * the same; there is no compiler here (no Emscripten), and the function is 60 instructions.
 *
 * adam(x, m, v, g, x1, m1, v1, n, β1, 1−β1, β2, 1−β2, ε, −lr, 1−β1^t, 1−β2^t): byte offsets of float32
 * arrays on the heap; processes the first ⌊n/4⌋·4 elements (the caller does the rest).
 */
import { uleb } from '../util/wasmEncoder.ts';
import { heapFunction, vec } from './heapFunction.ts';

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const simd = (op: number) => [0xfd, ...uleb(op)];
// memarg: alignment 2^2 (tfjs float buffers are 4-byte aligned), offset 0
const load = [...simd(0x00), 2, 0];
const store = [...simd(0x0b), 2, 0];
const splat = simd(0x13);
const add = simd(0xe4);
const mul = simd(0xe6);
const div = simd(0xe7);
const sqrt = simd(0xe3);

// Parameters 0–7: x, m, v, g, x1, m1, v1 (byte offsets), n; 8–15: the eight scalars (f32).
const P = { x: 0, m: 1, v: 2, g: 3, x1: 4, m1: 5, v1: 6, n: 7, b1: 8, c1: 9, b2: 10, c2: 11, eps: 12, negLr: 13, d1: 14, d2: 15 };
// Locals after the parameters: off, end (i32); eight splats and gi, mi, vi (v128).
const L = { off: 16, end: 17, B1: 18, C1: 19, B2: 20, C2: 21, EPS: 22, NLR: 23, D1: 24, D2: 25, gi: 26, mi: 27, vi: 28 };

/** address = base parameter + off */
const at = (base: number) => [...get(base), ...get(L.off), 0x6a];

function body(): number[] {
  const code: number[] = [];
  // splats of the scalars
  for (const [p, l] of [[P.b1, L.B1], [P.c1, L.C1], [P.b2, L.B2], [P.c2, L.C2], [P.eps, L.EPS], [P.negLr, L.NLR], [P.d1, L.D1], [P.d2, L.D2]] as const) {
    code.push(...get(p), ...splat, ...set(l));
  }
  // end = (n & ~3) * 4
  code.push(...get(P.n), 0x41, ...[0x7c], 0x71, 0x41, 2, 0x74, ...set(L.end));
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop
  code.push(...get(L.off), ...get(L.end), 0x4f, 0x0d, 1); // br_if 1 (out of block) when off >= end
  // gi = g[off]
  code.push(...at(P.g), ...load, ...set(L.gi));
  // mi = m[off]·β1 + gi·(1−β1)
  code.push(...at(P.m), ...load, ...get(L.B1), ...mul, ...get(L.gi), ...get(L.C1), ...mul, ...add, ...set(L.mi));
  // vi = v[off]·β2 + (gi·gi)·(1−β2)
  code.push(...at(P.v), ...load, ...get(L.B2), ...mul, ...get(L.gi), ...get(L.gi), ...mul, ...get(L.C2), ...mul, ...add, ...set(L.vi));
  code.push(...at(P.m1), ...get(L.mi), ...store);
  code.push(...at(P.v1), ...get(L.vi), ...store);
  // x1 = ((mi / d1) / (sqrt(vi / d2) + ε)) · (−lr) + x
  code.push(...at(P.x1));
  code.push(...get(L.mi), ...get(L.D1), ...div);
  code.push(...get(L.vi), ...get(L.D2), ...div, ...sqrt, ...get(L.EPS), ...add);
  code.push(...div, ...get(L.NLR), ...mul, ...at(P.x), ...load, ...add, ...store);
  // off += 16; continue
  code.push(...get(L.off), 0x41, 16, 0x6a, ...tee(L.off), 0x1a); // tee then drop keeps the encoding simple
  code.push(0x0c, 0, 0x0b, 0x0b); // br 0 (loop), end loop, end block
  code.push(0x0b); // end function
  const locals = vec([[2, I32], [11, V128]]);
  return [...locals, ...code];
}

export type SimdAdam = (
  x: number, m: number, v: number, g: number, x1: number, m1: number, v1: number, n: number,
  b1: number, c1: number, b2: number, c2: number, eps: number, negLr: number, d1: number, d2: number,
) => void;

/** The SIMD Adam function bound to `memory`, or null where WebAssembly SIMD is unavailable (the JavaScript loop does the work). */
export function simdAdamFor(memory: WebAssembly.Memory): SimdAdam | null {
  return heapFunction<SimdAdam>(memory, 'adam', [...Array(8).fill(I32), ...Array(8).fill(F32)], body);
}
