/**
 * int8 maps: the ONNX graph of exportOnnx in QDQ form, calibrated on sample patches.
 *
 * Two passes over the same model: the calibration pass exports the float32 graph (batch norm folded into
 * the convolutions) with every tensor the int8 graph will quantize as an extra output, runs it on the
 * calibration patches in onnxruntime and keeps each tensor's range; the int8 pass writes
 * QuantizeLinear → DequantizeLinear (uint8, per tensor) on those tensors, per-channel symmetric int8
 * weights and int32 biases, which onnxruntime's CPU provider fuses into QLinearConv (VNNI kernels where
 * the CPU has them). Tensors are matched between the passes by the order the exporter meets them.
 */
import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { OnnxGraph } from '../../onnx/onnxGraph.ts';
import { createSession, type OrtModule } from '../../onnx/onnxRuntime.ts';
import type { SampleSource } from '../../sampling/sampleSource.ts';
import { createRng } from '../../util/random.ts';
import { exportOnnx, type OnnxExport } from './exportOnnx.ts';

/** Each quantized tensor's [min, max] over the calibration patches, in the order the exporter quantizes them. */
export interface Int8Calibration {
  readonly ranges: readonly (readonly [number, number])[];
  /** Patches the ranges were taken over. */
  readonly samples: number;
}

/** What the exporter asks of a quantizer; one object per pass. */
export interface Quantizer {
  /** `x` quantized and dequantized (int8 pass) or `x` itself, recorded as an output (calibration pass). */
  quantize(g: OnnxGraph, x: string): string;
  /** `y` takes `x`'s range (max pooling). */
  sameRange(y: string, x: string): void;
  /** Observed tensors as float outputs (calibration pass only). */
  extraOutputs(): { name: string; type: 'float32'; shape: string[] }[];
  /** The weights and bias of a convolution on `x` (its input already quantized), as Conv inputs. */
  convInputs(g: OnnxGraph, x: string, kernel: Float32Array, bias: Float32Array, dims: [number, number, number, number]): string[];
}

/** Counts tensors in the order they are met and follows sameRange links to the tensor that owns a range. */
abstract class RangeOrder {
  private readonly index = new Map<string, number>();
  private readonly links = new Map<string, string>();
  protected count = 0;

  sameRange(y: string, x: string): void {
    this.links.set(y, x);
  }

  /** The index of `x`'s range and whether `x` (or the tensor it links to) was met before. */
  protected indexOf(x: string): { k: number; root: string; seen: boolean } {
    let root = x;
    while (this.links.has(root)) root = this.links.get(root)!;
    const known = this.index.get(root);
    if (known !== undefined) return { k: known, root, seen: true };
    this.index.set(root, this.count);
    return { k: this.count++, root, seen: false };
  }
}

class CalibrationPass extends RangeOrder implements Quantizer {
  readonly observed: string[] = [];

  quantize(_g: OnnxGraph, x: string): string {
    const { root, seen } = this.indexOf(x);
    if (!seen) this.observed.push(root);
    return x;
  }

  extraOutputs() {
    // Every quantized tensor is an NCHW activation; its sizes are left free (onnxruntime infers them).
    return this.observed.map((name, k) => ({ name, type: 'float32' as const, shape: ['N', `c${k}`, `h${k}`, `w${k}`] }));
  }

  convInputs(g: OnnxGraph, x: string, kernel: Float32Array, bias: Float32Array, dims: [number, number, number, number]): string[] {
    return [x, g.constant('W', kernel, dims), g.constant('B', bias, [dims[0]])];
  }
}

/** uint8 scale and zero point of a range widened to hold 0 (so ReLU's 0 and zero padding are exact). */
export function activationParams([lo, hi]: readonly [number, number]): { scale: number; zeroPoint: number } {
  const min = Math.min(0, lo);
  const max = Math.max(0, hi);
  const scale = Math.fround(max > min ? (max - min) / 255 : 1);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

class Int8Pass extends RangeOrder implements Quantizer {
  /** Per quantized tensor: its scale (for the bias scales of the convolutions it feeds). */
  private readonly scales = new Map<string, number>();

  constructor(private readonly calibration: Int8Calibration) {
    super();
  }

  quantize(g: OnnxGraph, x: string): string {
    const { k } = this.indexOf(x);
    const range = this.calibration.ranges[k];
    if (!range) throw new Error(`int8 export: no calibrated range for tensor ${k} (the calibration came from another model)`);
    const { scale, zeroPoint } = activationParams(range);
    const s = g.constant('scale', new Float32Array([scale]), []);
    const zp = g.integers('zp', new Uint8Array([zeroPoint]), []);
    const dq = g.op('DequantizeLinear', [g.op('QuantizeLinear', [x, s, zp]), s, zp]);
    this.scales.set(dq, scale);
    return dq;
  }

  extraOutputs() {
    return [];
  }

  convInputs(g: OnnxGraph, x: string, kernel: Float32Array, bias: Float32Array, dims: [number, number, number, number]): string[] {
    const xScale = this.scales.get(x);
    if (xScale === undefined) throw new Error('int8 export: a convolution input was not quantized'); // a bug in the exporter
    const [cout] = dims;
    const per = kernel.length / cout;
    const wq = new Int8Array(kernel.length);
    const wScale = new Float32Array(cout);
    const bq = new Int32Array(cout);
    const bScale = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      let absMax = 0;
      for (let i = o * per; i < (o + 1) * per; i++) absMax = Math.max(absMax, Math.abs(kernel[i]!));
      // Symmetric: zero point 0, ±127 (not −128, so that w and −w round alike).
      const s = Math.fround(absMax > 0 ? absMax / 127 : 1);
      wScale[o] = s;
      for (let i = o * per; i < (o + 1) * per; i++) wq[i] = Math.max(-127, Math.min(127, Math.round(kernel[i]! / s)));
      bScale[o] = Math.fround(xScale * s);
      bq[o] = Math.round(bias[o]! / bScale[o]!);
    }
    const axis0 = { axis: 0 };
    const w = g.op('DequantizeLinear', [g.integers('Wq', wq, dims), g.constant('Ws', wScale, [cout]), g.integers('Wz', new Int8Array(cout), [cout])], axis0);
    const b = g.op('DequantizeLinear', [g.integers('Bq', bq, [cout]), g.constant('Bs', bScale, [cout]), g.integers('Bz', new Int32Array(cout), [cout])], axis0);
    return [x, w, b];
  }
}

/** The Conv inputs for `x` under quantizer `q`, the input itself quantized first. */
export function quantizedConvInputs(
  g: OnnxGraph, q: Quantizer, x: string, kernel: Float32Array, bias: Float32Array, dims: [number, number, number, number],
): string[] {
  return q.convInputs(g, q.quantize(g, x), kernel, bias, dims);
}

/** ONNX [Cout, …] kernel and bias with the inference-mode batch norm that follows them folded in. */
export function foldBatchNorm(
  kernel: Float32Array, bias: Float32Array,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array }, epsilon: number,
): { kernel: Float32Array; bias: Float32Array } {
  const cout = bias.length;
  const per = kernel.length / cout;
  const k = new Float32Array(kernel.length);
  const b = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    const f = bn.gamma[o]! / Math.sqrt(bn.variance[o]! + epsilon);
    for (let i = o * per; i < (o + 1) * per; i++) k[i] = kernel[i]! * f;
    b[o] = (bias[o]! - bn.mean[o]!) * f + bn.beta[o]!;
  }
  return { kernel: k, bias: b };
}

/**
 * The ranges of every tensor the int8 graph quantizes, over `patches` (NHWC float32, whole samples of
 * `sampleShape`), run through onnxruntime on `threads` threads. Throws UnsupportedModelError as exportOnnx does.
 */
export async function calibrateInt8(
  ort: OrtModule, model: tf.LayersModel, sampleShape: readonly [number, number, number], patches: Float32Array, threads: number,
): Promise<Int8Calibration> {
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const n = Math.floor(patches.length / per);
  if (n < 1) throw new ConfigError('int8 calibration', 'at least one patch', n, 'calibrate on training patches, or use --precision float32');
  const pass = new CalibrationPass();
  const graph = exportOnnx(model, sampleShape, { quantizer: pass });
  if (pass.observed.length === 0) return { ranges: [], samples: n }; // no convolutions: nothing to quantize
  const session = await createSession(ort, graph.bytes, threads, false);
  if (typeof session === 'string') throw new Error(`int8 calibration: ${session}`); // the float graph of the same model loads
  const ranges = pass.observed.map((): [number, number] => [Infinity, -Infinity]);
  try {
    const batch = 256;
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      const out = await session.run({ [graph.input]: new ort.Tensor('float32', patches.subarray(i * per, (i + size) * per), [size, ...sampleShape]) }, pass.observed);
      pass.observed.forEach((name, k) => {
        const data = out[name]!.data as Float32Array;
        let [lo, hi] = ranges[k]!;
        for (let j = 0; j < data.length; j++) {
          const v = data[j]!;
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
        }
        ranges[k] = [lo, hi];
      });
    }
  } finally {
    await session.release();
  }
  return { ranges, samples: n };
}

/** The int8 QDQ graph of `model` under `calibration` (from calibrateInt8 on the same model). */
export function exportOnnxInt8(model: tf.LayersModel, sampleShape: readonly [number, number, number], calibration: Int8Calibration): OnnxExport {
  return exportOnnx(model, sampleShape, { quantizer: new Int8Pass(calibration) });
}

/** Whether this CPU has VNNI (AVX-512 or AVX) int8 dot products, from /proc/cpuinfo; false where unknown. */
export function cpuHasVnni(): boolean {
  try {
    const flags = /^flags\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    return flags.includes('avx512_vnni') || flags.includes('avx_vnni');
  } catch {
    return false;
  }
}

/** Patches a map calibrates on at most: enough for stable ranges, about a second of float32 inference. */
export const CALIBRATION_PATCHES = 1024;

/**
 * Calibrates once per map (every window of a windowed map reuses the ranges): on a seeded subset of
 * `source` (the run's training patches) or, without one, of the first patches the map is asked for.
 */
export class Int8Calibrator {
  private result?: Promise<Int8Calibration>;

  constructor(private readonly source?: SampleSource, private readonly seed = 0) {}

  /** A calibrator that hands out ranges taken before (a saved model's, so predict maps as its run did). */
  static given(calibration: Int8Calibration): Int8Calibrator {
    const c = new Int8Calibrator();
    c.result = Promise.resolve(calibration);
    return c;
  }

  /** The ranges, once a map has calibrated (undefined when no int8 map ran). */
  taken(): Promise<Int8Calibration> | undefined {
    return this.result;
  }

  calibrate(ort: OrtModule, model: tf.LayersModel, fallback: SampleSource, threads: number): Promise<Int8Calibration> {
    this.result ??= (async () => {
      const source = this.source ?? fallback;
      const patches = seededPatches(source, CALIBRATION_PATCHES, this.seed);
      return calibrateInt8(ort, model, source.sampleShape, patches, threads);
    })();
    return this.result;
  }
}

/** Up to `count` samples of `source`, drawn without replacement under `seed` (all of them when it has fewer). */
export function seededPatches(source: SampleSource, count: number, seed: number): Float32Array {
  const order = new Int32Array(source.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const n = Math.min(count, source.count);
  const rng = createRng(seed, 'int8-calibration');
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(source.count - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const picked = order.subarray(0, n).sort();
  const [h, w, c] = source.sampleShape;
  const out = new Float32Array(n * h * w * c);
  source.fill(picked, out);
  return out;
}
