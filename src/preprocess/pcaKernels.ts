/**
 * The two hot loops of PCA as WebAssembly SIMD kernels, over chunks of pixels copied into wasm memory:
 *
 *  - `gram`: C += Xcᵀ·Xc for a chunk of centred pixels (upper triangle in 4×8 tiles, f32x4 lanes,
 *    flushed into a float64 matrix after every chunk);
 *  - `project`: scores = Xc·W for a chunk (2 pixels × 16 outputs per tile).
 *
 * Why hand-written (measured against the alternatives: docs/performance.md#pca):
 *  - covariance: faster than a register-blocked JS float64 loop and than tfjs `matMul` on the wasm backend
 *    (XNNPACK), which cannot skip the lower triangle, needs an explicit transpose, and repacks its right
 *    operand every chunk; and the same whatever tfjs backend is active.
 *  - projection: faster than tfjs wasm `matMul` in chunks.
 * Accuracy: f32 products summed in f32 lanes over one chunk (≤ a few hundred rows), then in float64:
 * covariance entries within ~1e-7 of a float64 reference (see pcaStats.ts).
 *
 * Memory layout (bytes, one private WebAssembly.Memory per PcaKernels):
 *   [gram: f64 stride×stride][chunk: f32 rows×stride][mean: f32 stride][weights: f32 stride×outStride]
 *   [scores: f32 rows×outStride]
 * `stride` = bands rounded up to 8 (gram tiles are 8 wide); padding lanes stay 0 and add nothing.
 * `outStride` = components rounded up to 16. `rows` = chunk rows rounded up to even (project does pairs).
 */
import { BackendError } from '../core/errors.ts';
import { encodeModule, FunctionBuilder, op } from '../util/wasmEncoder.ts';

/**
 * gram(x, rows, strideBytes, stride, gram): for 0 ≤ i < stride, j in i's 8-wide tile and after,
 * gram[i][j] += Σ_p x[p][i]·x[p][j] over `rows` ≥ 1 rows. Entries left of the diagonal inside a tile are
 * also written; callers read the upper triangle only.
 */
function gramKernel(): FunctionBuilder {
  const acc = Array.from({ length: 8 }, (_, a) => `acc${a}`); // acc[2r + h]: row i0 + r, columns j0 + 4h…+3
  const f = new FunctionBuilder('gram', {
    params: ['x', 'rows', 'strideBytes', 'stride', 'gram'],
    i32: ['i0', 'j0', 'left', 'pi', 'pj', 'cell'],
    v128: [...acc, 'xj0', 'xj1', 's'],
  });
  f.emit(op.i32Const(0), f.set('i0'));
  f.doWhile(
    () => {
      // j0 = i0 rounded down to the 8-wide tile that holds the diagonal.
      f.emit(f.get('i0'), op.i32Const(3), op.i32ShrU, op.i32Const(3), op.i32Shl, f.set('j0'));
      f.doWhile(
        () => {
          for (const a of acc) f.emit(op.v128Zero, f.set(a));
          f.emit(f.get('x'), f.get('i0'), op.i32Const(2), op.i32Shl, op.i32Add, f.set('pi'));
          f.emit(f.get('x'), f.get('j0'), op.i32Const(2), op.i32Shl, op.i32Add, f.set('pj'));
          f.emit(f.get('rows'), f.set('left'));
          f.doWhile(
            () => {
              f.emit(f.get('pj'), op.v128Load(0), f.set('xj0'), f.get('pj'), op.v128Load(16), f.set('xj1'));
              for (let r = 0; r < 4; r++) {
                f.emit(f.get('pi'), op.v128Load32Splat(4 * r), f.set('s'));
                for (let h = 0; h < 2; h++) {
                  const a = acc[2 * r + h];
                  f.emit(f.get(a), f.get('s'), f.get(h === 0 ? 'xj0' : 'xj1'), op.f32x4Mul, op.f32x4Add, f.set(a));
                }
              }
              f.addTo('pi', f.get('strideBytes'));
              f.addTo('pj', f.get('strideBytes'));
            },
            () => f.emit(f.get('left'), op.i32Const(1), op.i32Sub, f.tee('left')),
          );
          // Flush: gram[i0 + r][j0 … j0 + 7] (f64) += the eight lanes of acc[2r], acc[2r + 1].
          for (let r = 0; r < 4; r++) {
            f.emit(f.get('gram'), f.get('i0'), op.i32Const(r), op.i32Add, f.get('stride'), op.i32Mul);
            f.emit(f.get('j0'), op.i32Add, op.i32Const(3), op.i32Shl, op.i32Add, f.set('cell'));
            for (let h = 0; h < 2; h++) {
              const a = acc[2 * r + h];
              const lo = 32 * h;
              f.emit(f.get('cell'), f.get('cell'), op.v128Load(lo), f.get(a), op.f64x2PromoteLowF32x4, op.f64x2Add);
              f.emit(op.v128Store(lo));
              f.emit(f.get('cell'), f.get('cell'), op.v128Load(lo + 16), f.get(a), f.get(a), op.f32x4HighToLow);
              f.emit(op.f64x2PromoteLowF32x4, op.f64x2Add, op.v128Store(lo + 16));
            }
          }
          f.addTo('j0', op.i32Const(8));
        },
        () => f.emit(f.get('j0'), f.get('stride'), op.i32LtU),
      );
      f.addTo('i0', op.i32Const(4));
    },
    () => f.emit(f.get('i0'), f.get('stride'), op.i32LtU),
  );
  return f;
}

/** centre(x, rows, strideBytes, mean): x[p][·] -= mean[·], four lanes at a time, for `rows` ≥ 1 rows. */
function centreKernel(): FunctionBuilder {
  const f = new FunctionBuilder('centre', {
    params: ['x', 'rows', 'strideBytes', 'mean'],
    i32: ['p', 'end', 'q'],
    v128: [],
  });
  f.emit(f.get('x'), f.set('p'));
  f.emit(f.get('x'), f.get('rows'), f.get('strideBytes'), op.i32Mul, op.i32Add, f.set('end'));
  f.doWhile(
    () => {
      f.emit(op.i32Const(0), f.set('q'));
      f.doWhile(
        () => {
          f.emit(f.get('p'), f.get('q'), op.i32Add); // store address
          f.emit(f.get('p'), f.get('q'), op.i32Add, op.v128Load(0));
          f.emit(f.get('mean'), f.get('q'), op.i32Add, op.v128Load(0), op.f32x4Sub, op.v128Store(0));
          f.addTo('q', op.i32Const(16));
        },
        () => f.emit(f.get('q'), f.get('strideBytes'), op.i32LtU),
      );
      f.addTo('p', f.get('strideBytes'));
    },
    () => f.emit(f.get('p'), f.get('end'), op.i32LtU),
  );
  return f;
}

/**
 * project(x, pairs, strideBytes, weights, outStrideBytes, bands, out): for rows 2·pairs, out[p][k] =
 * Σ_{b<bands} x[p][b]·weights[b][k], for k in 16-wide groups across outStrideBytes (a multiple of 64).
 */
function projectKernel(): FunctionBuilder {
  const acc = Array.from({ length: 8 }, (_, a) => `acc${a}`); // acc[4·pixel + q]: outputs g + 4q…+3
  const w = ['w0', 'w1', 'w2', 'w3'];
  const f = new FunctionBuilder('project', {
    params: ['x', 'pairs', 'strideBytes', 'weights', 'outStrideBytes', 'bands', 'out'],
    i32: ['p', 'o', 'g', 'wp', 'xp', 'b', 'left'],
    v128: [...acc, ...w, 's0', 's1'],
  });
  f.emit(f.get('x'), f.set('p'), f.get('out'), f.set('o'), f.get('pairs'), f.set('left'));
  f.doWhile(
    () => {
      f.emit(op.i32Const(0), f.set('g'));
      f.doWhile(
        () => {
          for (const a of acc) f.emit(op.v128Zero, f.set(a));
          f.emit(f.get('weights'), f.get('g'), op.i32Add, f.set('wp'), f.get('p'), f.set('xp'));
          f.emit(f.get('bands'), f.set('b'));
          f.doWhile(
            () => {
              w.forEach((name, q) => f.emit(f.get('wp'), op.v128Load(16 * q), f.set(name)));
              f.emit(f.get('xp'), op.v128Load32Splat(0), f.set('s0'));
              f.emit(f.get('xp'), f.get('strideBytes'), op.i32Add, op.v128Load32Splat(0), f.set('s1'));
              for (let q = 0; q < 4; q++) {
                for (let px = 0; px < 2; px++) {
                  const a = acc[4 * px + q];
                  f.emit(f.get(a), f.get(px === 0 ? 's0' : 's1'), f.get(w[q]), op.f32x4Mul, op.f32x4Add, f.set(a));
                }
              }
              f.addTo('xp', op.i32Const(4));
              f.addTo('wp', f.get('outStrideBytes'));
            },
            () => f.emit(f.get('b'), op.i32Const(1), op.i32Sub, f.tee('b')),
          );
          for (let q = 0; q < 4; q++) {
            f.emit(f.get('o'), f.get('g'), op.i32Add, f.get(acc[q]), op.v128Store(16 * q));
            f.emit(f.get('o'), f.get('g'), op.i32Add, f.get('outStrideBytes'), op.i32Add, f.get(acc[4 + q]));
            f.emit(op.v128Store(16 * q));
          }
          f.addTo('g', op.i32Const(64));
        },
        () => f.emit(f.get('g'), f.get('outStrideBytes'), op.i32LtU),
      );
      f.addTo('p', [...f.get('strideBytes'), ...op.i32Const(1), ...op.i32Shl]);
      f.addTo('o', [...f.get('outStrideBytes'), ...op.i32Const(1), ...op.i32Shl]);
    },
    () => f.emit(f.get('left'), op.i32Const(1), op.i32Sub, f.tee('left')),
  );
  return f;
}

interface KernelExports {
  gram(x: number, rows: number, strideBytes: number, stride: number, gram: number): void;
  centre(x: number, rows: number, strideBytes: number, mean: number): void;
  project(x: number, pairs: number, strideBytes: number, w: number, outStrideBytes: number, bands: number, out: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** Compiled once per process, at first use (nothing runs at import). */
function kernelModule(): WebAssembly.Module {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(encodeModule([gramKernel(), centreKernel(), projectKernel()]));
    } catch (err) {
      throw new BackendError(
        `cannot compile the PCA WebAssembly SIMD kernels: ${(err as Error).message}`,
        'run spinalnet on Node.js 20 or newer (WebAssembly SIMD is on by default there)',
      );
    }
  }
  return compiled;
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/**
 * Kernels for one cube shape. Not thread-safe, cheap to make (one small Memory per instance).
 * Typical use: setMean → (loadChunk → addToGram)* → gram(), or setMean, setWeights → (loadChunk → project)*.
 */
export class PcaKernels {
  /** Floats per pixel row in wasm memory (bands rounded up to 8). */
  readonly stride: number;
  /** Floats per score row in wasm memory (components rounded up to 16). */
  readonly outStride: number;
  private readonly fns: KernelExports;
  private readonly gramView: Float64Array;
  private readonly chunkView: Float32Array;
  private readonly meanView: Float32Array;
  private readonly weightsView: Float32Array;
  private readonly scoresView: Float32Array;
  private readonly offsets: { gram: number; chunk: number; mean: number; weights: number; scores: number };

  /**
   * `chunkRows`: most pixels per loadChunk. `components`: scores per pixel for `project` (0 if unused).
   */
  constructor(
    readonly bands: number,
    readonly chunkRows: number,
    readonly components = 0,
  ) {
    this.stride = roundUp(bands, 8);
    this.outStride = roundUp(Math.max(components, 1), 16);
    const rows = roundUp(chunkRows, 2);
    const gram = 0;
    const chunk = gram + this.stride * this.stride * 8;
    const mean = chunk + rows * this.stride * 4;
    const weights = mean + this.stride * 4;
    const scores = weights + this.stride * this.outStride * 4;
    const bytes = scores + rows * this.outStride * 4;
    this.offsets = { gram, chunk, mean, weights, scores };
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
    this.fns = instance.exports as unknown as KernelExports;
    // The memory never grows, so these views stay valid.
    this.gramView = new Float64Array(memory.buffer, gram, this.stride * this.stride);
    this.chunkView = new Float32Array(memory.buffer, chunk, rows * this.stride);
    this.meanView = new Float32Array(memory.buffer, mean, this.stride);
    this.weightsView = new Float32Array(memory.buffer, weights, this.stride * this.outStride);
    this.scoresView = new Float32Array(memory.buffer, scores, rows * this.outStride);
  }

  /** The mean subtracted from every loaded pixel (rounded to float32, like the data). */
  setMean(mean: ArrayLike<number>): void {
    for (let b = 0; b < this.bands; b++) this.meanView[b] = mean[b];
  }

  /**
   * Copies `rows` pixels into the chunk from its row `at` on (at + rows ≤ chunkRows) and centres them:
   * pixels start…start+rows−1 of the cube, or the cube pixels listed at those positions of `pixels`.
   * `data` is the cube's BIP data. A chunk filled over several calls (`at` > 0) lets a streamed scene
   * cut chunks where the whole cube would (pcaStats.ts CovarianceAccumulator).
   */
  loadChunk(data: Float32Array, start: number, rows: number, pixels?: Int32Array, at = 0): void {
    const { bands, stride, chunkView } = this;
    if (pixels === undefined && stride === bands) {
      chunkView.set(data.subarray(start * bands, (start + rows) * bands), at * stride);
    } else {
      for (let i = 0; i < rows; i++) {
        const o = (pixels === undefined ? start + i : pixels[start + i]) * bands;
        chunkView.set(data.subarray(o, o + bands), (at + i) * stride);
      }
    }
    this.fns.centre(this.offsets.chunk + at * stride * 4, rows, stride * 4, this.offsets.mean);
  }

  /** Adds the products of the first `rows` loaded pixels to the float64 sum of products. */
  addToGram(rows: number): void {
    this.fns.gram(this.offsets.chunk, rows, this.stride * 4, this.stride, this.offsets.gram);
  }

  /** The summed products so far, bands × bands row-major, upper triangle mirrored to the lower. */
  gram(): Float64Array {
    const { bands, stride, gramView } = this;
    const out = new Float64Array(bands * bands);
    for (let i = 0; i < bands; i++) {
      for (let j = i; j < bands; j++) {
        const v = gramView[i * stride + j];
        out[i * bands + j] = v;
        out[j * bands + i] = v;
      }
    }
    return out;
  }

  /** Projection weights, bands × components row-major (converted to float32). */
  setWeights(weights: ArrayLike<number>): void {
    const { bands, components, outStride, weightsView } = this;
    for (let b = 0; b < bands; b++) {
      for (let k = 0; k < components; k++) weightsView[b * outStride + k] = weights[b * components + k];
    }
  }

  /** Scores of the first `rows` loaded pixels, written to out[outOffset …] as rows × components. */
  project(rows: number, out: Float32Array, outOffset: number): void {
    const { bands, components, stride, outStride, scoresView, offsets } = this;
    // An odd last row is paired with whatever the chunk holds after it; that score is not copied out.
    this.fns.project(offsets.chunk, Math.ceil(rows / 2), stride * 4, offsets.weights, outStride * 4, bands, offsets.scores);
    if (outStride === components) {
      out.set(scoresView.subarray(0, rows * components), outOffset);
    } else {
      for (let i = 0; i < rows; i++) {
        out.set(scoresView.subarray(i * outStride, i * outStride + components), outOffset + i * components);
      }
    }
  }
}
