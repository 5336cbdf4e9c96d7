/**
 * A minimal WebAssembly binary encoder: just enough to write the PCA kernels (preprocess/pcaKernels.ts)
 * as readable code — named locals, named instructions — instead of an opaque byte blob; the Adam
 * kernel (backend/simdAdam.ts) shares its LEB128 encoding.
 *
 * Why not a toolchain (wabt, AssemblyScript, emscripten): they would be build-time or runtime packages
 * for ~1.5 KB of code; the module is tiny and built in well under a millisecond at first use.
 * Opcodes follow the WebAssembly 2.0 core spec (§5.4) and the fixed-width SIMD proposal (0xFD prefix).
 */

/** Encoded bytes of an instruction or section. */
export type Bytes = readonly number[];

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const simd = (opcode: number, ...immediates: number[]): Bytes => [0xfd, ...uleb(opcode), ...immediates];
/** memarg: alignment hint (log2 bytes) and a constant byte offset added to the address operand. */
const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];

/** The instructions the kernels use. Stack effects are the spec's. */
export const op = {
  end: [0x0b] as Bytes,
  /** `loop` with no result; `br_if 0` inside jumps back to its start. */
  loop: [0x03, 0x40] as Bytes,
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
  i32Const: (v: number): Bytes => [0x41, ...sleb(v)],
  i32Add: [0x6a] as Bytes,
  i32Sub: [0x6b] as Bytes,
  i32Mul: [0x6c] as Bytes,
  i32LtU: [0x49] as Bytes,
  i32Shl: [0x74] as Bytes,
  i32ShrU: [0x76] as Bytes,
  /** Loads 16 bytes from (address + offset). */
  v128Load: (offset = 0): Bytes => simd(0x00, ...memarg(4, offset)),
  /** Stores a v128 at (address + offset); stack: address, value. */
  v128Store: (offset = 0): Bytes => simd(0x0b, ...memarg(4, offset)),
  /** Loads one f32 from (address + offset) into all four lanes. */
  v128Load32Splat: (offset = 0): Bytes => simd(0x09, ...memarg(2, offset)),
  v128Zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  /** Lanes 2 and 3 of an f32x4 moved to lanes 0 and 1 (for the second f64x2 promotion). */
  f32x4HighToLow: simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f64x2Add: simd(0xf0),
  /** f32 lanes 0 and 1 widened to an f64x2. */
  f64x2PromoteLowF32x4: simd(0x5f),
};

const I32 = 0x7f;
const V128 = 0x7b;

export interface FunctionShape {
  /** Parameter names, all i32 (addresses in bytes, counts). */
  params: readonly string[];
  /** i32 locals. */
  i32: readonly string[];
  /** v128 locals. */
  v128: readonly string[];
}

/** One exported function `() => void` over i32 parameters, with named locals. */
export class FunctionBuilder {
  private readonly code: number[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly shape: FunctionShape,
  ) {
    // Local indices: parameters, then the i32 locals, then the v128 locals (declaration groups).
    [...shape.params, ...shape.i32, ...shape.v128].forEach((n, i) => {
      if (this.index.has(n)) throw new RangeError(`${name}: local '${n}' declared twice`);
      this.index.set(n, i);
    });
  }

  get(local: string): Bytes {
    return [0x20, ...uleb(this.local(local))];
  }
  set(local: string): Bytes {
    return [0x21, ...uleb(this.local(local))];
  }
  tee(local: string): Bytes {
    return [0x22, ...uleb(this.local(local))];
  }

  emit(...instructions: Bytes[]): void {
    for (const ins of instructions) this.code.push(...ins);
  }

  /** local += amount (i32). */
  addTo(local: string, amount: Bytes): void {
    this.emit(this.get(local), amount, op.i32Add, this.set(local));
  }

  /** do { body() } while (condition() leaves non-zero). */
  doWhile(body: () => void, condition: () => void): void {
    this.emit(op.loop);
    body();
    condition();
    this.emit(op.brIf(0), op.end);
  }

  get paramCount(): number {
    return this.shape.params.length;
  }

  /** Code-section entry: size, locals, body, end. */
  encode(): number[] {
    // Two local groups: (count, i32), (count, v128).
    const locals = [...uleb(2), ...uleb(this.shape.i32.length), I32, ...uleb(this.shape.v128.length), V128];
    const body = [...locals, ...this.code, ...op.end];
    return [...uleb(body.length), ...body];
  }

  private local(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new RangeError(`${this.name}: no local '${name}'`);
    return i;
  }
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

/**
 * A module importing one memory as env.memory and exporting `functions` by name. Each function gets its
 * own type (i32 params, no results).
 */
export function encodeModule(functions: readonly FunctionBuilder[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(new Array(f.paramCount).fill([I32])), 0x00]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])), // memory, min 1 page
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(functions.map((f) => f.encode()))),
  ];
  return new Uint8Array(bytes);
}
