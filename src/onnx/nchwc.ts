/**
 * onnxruntime's NCHWc convolutions (the `com.microsoft.nchwc` operators of its CPU provider: MLAS's
 * direct convolutions on channels blocked by the vector width, 16 floats on AVX-512, 8 on AVX2), called
 * by name from a graph whose weights are inputs.
 *
 * Why: they are onnxruntime's fastest CPU convolutions, but it rewrites a Conv into them only when its
 * weights are a constant of the graph, and a training step feeds its weights. The operators themselves
 * take the (pre-blocked) weights as an ordinary input, so the training graph names them directly and the
 * trainer blocks the kernels (docs/performance.md#the-onnxruntime-training-step).
 *
 * Layouts (MLAS's, onnxruntime/core/mlas/lib/snchwc.cpp): an activation [N, C, H, W] with C a multiple of
 * the block B is stored [N, C/B, H, W, B]; a kernel with at least B input channels is OIHWBiBo, one with
 * fewer (whose input stays plain NCHW) is OIHWBo; channels are zero-padded up to a multiple of B.
 */
import type { OrtModule } from './onnxRuntime.ts';
import { OnnxGraph } from './onnxGraph.ts';

export const NCHWC = 'com.microsoft.nchwc';

export const roundUp = (c: number, block: number): number => Math.ceil(c / block) * block;

let probed: Promise<number | undefined> | undefined;

/**
 * The runtime's NCHWc block size, read from the shape ReorderInput gives 4 channels; undefined when the
 * runtime has no NCHWc operators (a build without contrib operators, or a CPU MLAS has no blocked kernels for).
 */
export function nchwcBlockSize(ort: OrtModule): Promise<number | undefined> {
  probed ??= (async () => {
    try {
      const g = new OnnxGraph([], 'spinalnet-nchwc-probe');
      const x = g.input('x', [1, 4, 1, 1]);
      const y = g.opD('ReorderInput', [x], NCHWC);
      const session = await ort.InferenceSession.create(g.serialize([{ name: y, type: 'float32', shape: [1, 'C', 1, 1] }]), {
        intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', logSeverityLevel: 3,
      });
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) }, [y]);
      await session.release();
      const block = out[y]!.dims[1]!;
      return block >= 4 && block % 4 === 0 ? block : undefined;
    } catch {
      return undefined;
    }
  })();
  return probed;
}

/**
 * Where each element of tfjs's conv kernel [kh, kw, Cin, Cout] goes in the blocked kernel of an NCHWc
 * convolution (an index into it per element, in tfjs's order); entries no element reaches are padding.
 * The trainer scatters every step's kernel through it (scatterKernel): one pass of plain reads and
 * writes, where computing the blocked offsets each step cost several times more.
 *
 * `transposed` false: the forward kernel (Cout outputs from Cin inputs). `transposed` true: the kernel
 * whose convolution of the output gradient is the input gradient of a stride-1 convolution (Cin
 * outputs from Cout inputs, taps reversed).
 */
export function nchwcKernelMap(shape: readonly number[], block: number, transposed: boolean): Int32Array {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const taps = kh * kw;
  const outs = transposed ? cin : cout;
  const ins = transposed ? cout : cin;
  const blockedIn = ins >= block;
  const inPadded = blockedIn ? roundUp(ins, block) : ins;
  // Offset of element (o, i, tap) = offset(o) + offset(i) + tap·tapStride.
  const tapStride = blockedIn ? block * block : block;
  const perOutBlock = inPadded * taps * block;
  const oOffsets = Int32Array.from({ length: outs }, (_, o) => Math.floor(o / block) * perOutBlock + (o % block));
  const iOffsets = Int32Array.from({ length: ins }, (_, i) =>
    blockedIn ? Math.floor(i / block) * taps * block * block + (i % block) * block : i * taps * block);
  const map = new Int32Array(taps * cin * cout);
  let from = 0;
  for (let t = 0; t < taps; t++) {
    // The input gradient's kernel reads the taps in reverse order.
    const tapBase = (transposed ? taps - 1 - t : t) * tapStride;
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        map[from++] = tapBase + (transposed ? oOffsets[ci]! + iOffsets[co]! : iOffsets[ci]! + oOffsets[co]!);
      }
    }
  }
  return map;
}

/** out[map[i]] = w[i]: a kernel into its blocked layout (nchwcKernelMap); `out` starts zeroed and keeps its padding. */
export function scatterKernel(w: Float32Array, map: Int32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < map.length; i++) out[map[i]!] = w[i]!;
  return out;
}
