/**
 * What the viewer computes on demand for one pixel or one class: the model's class probabilities at a
 * pixel (the saved model, the saved PCA, the same zero-padded patch as training and mapping), and the
 * per-band mean and quartiles of each class's labelled pixels for the spectra plot.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/selectBackend.ts';
import { loadModel } from '../models/modelFiles.ts';
import { pcaFromJSON, transformCube } from '../preprocess/pca.ts';
import { percentile } from '../render/index.ts';
import type { CubeBIP } from '../core/types.ts';
import { predictRange } from '../inference/predict.ts';
import { patchSource } from '../sampling/sampleSource.ts';
import type { SceneMaps } from './runData.ts';

/** Loads the run's model once and answers probability queries for single pixels. */
export class PixelProbe {
  private loaded?: Promise<{ model: tf.LayersModel; pca: ReturnType<typeof pcaFromJSON> }>;

  constructor(private readonly maps: SceneMaps) {}

  /** Softmax probabilities of every class at (row, col), in the model's class order. */
  async probabilities(row: number, col: number): Promise<Float32Array> {
    this.loaded ??= (async () => {
      // The pure-JS backend: one patch per request needs no threads, and it is always there.
      await selectBackend('cpu');
      const { model } = await loadModel(this.maps.modelDir);
      return { model, pca: pcaFromJSON(this.maps.meta.preprocessing) };
    })();
    const { model, pca } = await this.loaded;
    const patch = this.maps.meta.patch;
    // Only the window the patch sees is projected: PCA works pixel by pixel, and the window is clipped at
    // the scene's edges exactly where extractPatches zero-pads, so the patch equals the mapping run's.
    const window = cropWindow(this.maps.scene.cube, row, col, (patch - 1) >> 1);
    const reduced = transformCube(window.cube, pca);
    const centre = Int32Array.of(window.row * window.cube.width + window.col);
    const probabilities = new Float32Array(this.maps.meta.classes.length);
    // The map's own prediction path and softmax (writeSoftmax), for one sample.
    await predictRange(model, patchSource(reduced, patch, centre), 0, 1, { probabilities: { at: 0, probabilities } });
    return probabilities;
  }
}

/** The pixels within `radius` of (row, col), clipped to the cube, and where (row, col) lies in them. */
function cropWindow(cube: CubeBIP, row: number, col: number, radius: number): { cube: CubeBIP; row: number; col: number } {
  const r0 = Math.max(0, row - radius);
  const r1 = Math.min(cube.height - 1, row + radius);
  const c0 = Math.max(0, col - radius);
  const c1 = Math.min(cube.width - 1, col + radius);
  const height = r1 - r0 + 1;
  const width = c1 - c0 + 1;
  const { bands } = cube;
  const data = new Float32Array(height * width * bands);
  for (let r = 0; r < height; r++) {
    const from = ((r0 + r) * cube.width + c0) * bands;
    data.set(cube.data.subarray(from, from + width * bands), r * width * bands);
  }
  return { cube: { height, width, bands, data }, row: row - r0, col: col - c0 };
}

export interface ClassSpectrum {
  /** Labelled pixels of the class the statistics are over. */
  pixels: number;
  mean: number[];
  q25: number[];
  q75: number[];
}

/** Per-band mean and 25th/75th percentiles of the raw cube over the labelled pixels of class `index` (0-based). */
export function classSpectrum(maps: SceneMaps, index: number): ClassSpectrum {
  const { cube } = maps.scene;
  const pixels: number[] = [];
  for (let p = 0; p < maps.truthBytes.length; p++) if (maps.truthBytes[p] === index + 1) pixels.push(p);
  const { bands } = cube;
  const values = new Float64Array(pixels.length);
  const mean: number[] = [];
  const q25: number[] = [];
  const q75: number[] = [];
  for (let b = 0; b < bands; b++) {
    let sum = 0;
    pixels.forEach((p, i) => {
      const v = cube.data[p * bands + b]!;
      values[i] = v;
      sum += v;
    });
    values.sort();
    mean.push(pixels.length ? sum / pixels.length : NaN);
    q25.push(pixels.length ? percentile(values, 25) : NaN);
    q75.push(pixels.length ? percentile(values, 75) : NaN);
  }
  return { pixels: pixels.length, mean, q25, q75 };
}
