/**
 * PCA speed: fit (means, covariance, eigen-decomposition) and transform of a cube, as the pipeline runs
 * them (30 whitened components by default, all pixels). Target: fit + transform ≤ 3 s on a KSC-sized
 * cube (512×614×176) on the 2-core dev machine.
 *
 *   node --import tsx bench/pca.ts [RAW.f32 H W B] [--components 30] [--repeats 3] [--chunk 256]
 *                                  [--reference EIG.f64]
 *
 * Without a file it generates a seeded random KSC-sized cube (a few spectra mixed per pixel plus noise).
 * RAW.f32 is a little-endian float32 BIP dump, e.g. from the KSC-shaped scene:
 *   python3 ../shared/tools/make_ksc_shaped.py /tmp/kscshaped
 *   python3 -c "import scipy.io as s, numpy as n; s.loadmat('/tmp/kscshaped/KSC.mat')['KSC']\
 *     .astype(n.float32).tofile('/tmp/kscshaped/ksc.f32')"
 *   node --import tsx bench/pca.ts /tmp/kscshaped/ksc.f32 512 614 176
 * `--reference` takes float64 eigenvalues (descending, e.g. numpy's `eigvalsh(cov)[::-1].tofile(...)`)
 * and prints the largest relative error of ours. CPU seconds are printed next to wall seconds because
 * on a shared machine wall time also counts other jobs. PCA does not use tfjs, so there is no backend.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { fitPca, transformCube } from '../src/preprocess/pca.ts';
import type { PcaModel } from '../src/preprocess/pca.ts';
import type { CubeBIP } from '../src/core/types.ts';
import { Rng } from '../src/util/random.ts';

export interface PcaBenchRun {
  fitSeconds: number;
  fitCpuSeconds: number;
  transformSeconds: number;
  transformCpuSeconds: number;
}

export interface PcaBench {
  readonly runs: readonly PcaBenchRun[];
  /** The model of the last run. */
  readonly model: PcaModel;
}

/** Fits and transforms `repeats` times; `chunkPixels` (default: the library's) applies to both. */
export function benchPca(cube: CubeBIP, components: number, repeats = 1, chunkPixels?: number): PcaBench {
  const runs: PcaBenchRun[] = [];
  let model: PcaModel | undefined;
  for (let i = 0; i < repeats; i++) {
    let c0 = process.cpuUsage();
    let t0 = performance.now();
    model = fitPca(cube, { components, chunkPixels });
    const fitSeconds = (performance.now() - t0) / 1000;
    const fitCpu = process.cpuUsage(c0);
    c0 = process.cpuUsage();
    t0 = performance.now();
    transformCube(cube, model, { chunkPixels });
    const transformSeconds = (performance.now() - t0) / 1000;
    const transformCpu = process.cpuUsage(c0);
    runs.push({
      fitSeconds,
      fitCpuSeconds: (fitCpu.user + fitCpu.system) / 1e6,
      transformSeconds,
      transformCpuSeconds: (transformCpu.user + transformCpu.system) / 1e6,
    });
  }
  if (model === undefined) throw new RangeError('benchPca: repeats must be ≥ 1');
  return { runs, model };
}

/** A seeded KSC-sized stand-in: each pixel mixes 8 smooth random spectra, plus per-band noise. */
export function randomCube(height = 512, width = 614, bands = 176, seed = 1): CubeBIP {
  const rng = new Rng(seed);
  const sources = 8;
  const spectra = new Float64Array(sources * bands);
  for (let s = 0; s < sources; s++) {
    const f = rng.uniform(1, 6);
    const phase = rng.uniform(0, 6.28);
    const level = rng.uniform(200, 1000);
    for (let b = 0; b < bands; b++) spectra[s * bands + b] = level * (1 + 0.5 * Math.sin((f * b) / bands + phase));
  }
  const data = new Float32Array(height * width * bands);
  const mix = new Float64Array(sources);
  for (let p = 0; p < height * width; p++) {
    for (let s = 0; s < sources; s++) mix[s] = rng.next();
    const o = p * bands;
    for (let b = 0; b < bands; b++) {
      let v = 20 * (rng.next() - 0.5);
      for (let s = 0; s < sources; s++) v += mix[s] * spectra[s * bands + b];
      data[o + b] = v;
    }
  }
  return { height, width, bands, data };
}

function loadRaw(path: string, height: number, width: number, bands: number): CubeBIP {
  const buf = readFileSync(path);
  if (buf.byteLength !== height * width * bands * 4) {
    throw new Error(`${path}: ${buf.byteLength} bytes, expected ${height}×${width}×${bands}×4`);
  }
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const data = new Float32Array(height * width * bands);
  new Uint8Array(data.buffer).set(buf);
  return { height, width, bands, data };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      components: { type: 'string', default: '30' },
      repeats: { type: 'string', default: '3' },
      chunk: { type: 'string' },
      reference: { type: 'string' },
    },
  });
  if (positionals.length !== 0 && positionals.length !== 4) {
    console.error('usage: node --import tsx bench/pca.ts [RAW.f32 H W B] [--components 30] [--repeats 3] [--chunk N] [--reference EIG.f64]');
    process.exitCode = 2;
    return;
  }
  const t0 = performance.now();
  const cube =
    positionals.length === 4
      ? loadRaw(positionals[0], Number(positionals[1]), Number(positionals[2]), Number(positionals[3]))
      : randomCube();
  const source = positionals.length === 4 ? positionals[0] : 'seeded random cube';
  console.log(`cube ${cube.height}×${cube.width}×${cube.bands} (${source}), ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${values.components} components, whiten`);
  const chunk = values.chunk === undefined ? undefined : Number(values.chunk);
  const { runs, model } = benchPca(cube, Number(values.components), Number(values.repeats), chunk);
  for (const [i, r] of runs.entries()) {
    console.log(
      `run ${i + 1}: fit ${r.fitSeconds.toFixed(3)} s (cpu ${r.fitCpuSeconds.toFixed(3)}), ` +
        `transform ${r.transformSeconds.toFixed(3)} s (cpu ${r.transformCpuSeconds.toFixed(3)}), ` +
        `total ${(r.fitSeconds + r.transformSeconds).toFixed(3)} s (cpu ${(r.fitCpuSeconds + r.transformCpuSeconds).toFixed(3)})`,
    );
  }
  const ratio = model.explainedVarianceRatio.reduce((a, b) => a + b, 0);
  console.log(`explained variance of ${model.components} components: ${(100 * ratio).toFixed(3)} %`);
  console.log(`first eigenvalues: ${model.eigenvalues.slice(0, 4).map((v) => v.toPrecision(8)).join(', ')}`);
  if (values.reference !== undefined) {
    const buf = readFileSync(values.reference);
    const ref = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    let worst = 0;
    for (let k = 0; k < model.components; k++) worst = Math.max(worst, Math.abs(model.eigenvalues[k] - ref[k]) / ref[k]);
    console.log(`eigenvalues vs reference: largest relative error ${worst.toExponential(2)}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
