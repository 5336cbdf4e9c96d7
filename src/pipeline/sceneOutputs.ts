/**
 * The images and files a mapping run leaves once the map is done: metrics.json, the maps
 * (classification, ground truth, errors) as PNGs, the overview figure, the confusion matrix and the
 * training curves, all at the images' scale (render/preview.ts); the GIS maps and prediction.mat were
 * written window by window as the map was produced (mapOutputs.ts). `run` and `predict` both write through
 * here, so the two commands' outputs read the same.
 */
import { writeFileAtomic } from '../util/atomicWrite.ts';
import type { Metrics } from '../evaluation/metrics.ts';
import {
  falseColor,
  classColors,
  renderConfusionMatrix,
  renderErrorMap,
  renderLabelMap,
  renderOverview,
  renderTrainingCurves,
  writePng,
  type RgbaImage,
} from '../render/index.ts';
import { averageCube, previewNote, type PreviewShape } from '../render/preview.ts';
import type { ClassInfo, CubeBIP, LabelMap } from '../core/types.ts';
import type { EpochStats } from '../training/trainModel.ts';

/** metrics.json: the field names, accuracies as fractions 0..1. */
export interface MetricsFile extends Metrics {
  trainPixels: number;
  testPixels: number;
}

export interface SceneOutputsInput {
  /** Path of a file inside the output folder. */
  path: (name: string) => string;
  sceneName: string;
  modelId: string;
  classes: readonly ClassInfo[];
  /** The images' scale and size; every grid below is at this scale (render/preview.ts samplePixels). */
  preview: PreviewShape;
  /** The prediction, in the scene's own label values (MapOutputs' preview). */
  prediction: LabelMap;
  labels?: LabelMap;
  /** Nonzero at test pixels (for the error map). */
  testMask?: Uint8Array;
  /** 1 = show, 0 = background in the classification PNG (gisMaps.ts backgroundKeep); absent: every pixel. */
  keep?: Uint8Array;
  metrics?: MetricsFile;
  /** The false-colour view (sceneFalseColor). */
  falseColor: RgbaImage;
  epochs?: readonly EpochStats[];
  /** 1-based epoch whose weights were kept (best on validation), marked on the curves. */
  keptEpoch?: number;
  subtitle?: string;
}

/**
 * The false-colour view at the images' scale from a cube whose first three bands are red, green, blue
 * (the scene's chosen bands, or the first PCA components; fewer bands repeat the last), averaged over
 * blocks when the images are scaled.
 */
export function sceneFalseColor(cube: CubeBIP, preview?: PreviewShape): RgbaImage {
  const last = cube.bands - 1;
  const bands: [number, number, number] = [0, Math.min(1, last), Math.min(2, last)];
  if (!preview || preview.scale === 1) return falseColor(cube, bands);
  return falseColor(averageCube(cube, preview, bands), [0, 1, 2]);
}

export function writeSceneOutputs(input: SceneOutputsInput): void {
  const values = input.classes.map((c) => c.value);
  const colors = classColors(input.classes);
  const predictionImg = renderLabelMap(input.prediction, values, colors, { mask: input.keep });
  // The false-colour view on its own, for `spinalnet view` and report.html (the overview has it too, scaled).
  writePng(input.path('false-color.png'), input.falseColor);
  writePng(input.path('classification-map.png'), predictionImg);
  let groundTruth: RgbaImage | undefined;
  let errors: RgbaImage | undefined;
  if (input.labels) {
    groundTruth = renderLabelMap(input.labels, values, colors);
    writePng(input.path('ground-truth.png'), groundTruth);
    if (input.testMask) {
      errors = renderErrorMap(input.labels, input.prediction, input.testMask);
      writePng(input.path('errors.png'), errors);
    }
  }
  const m = input.metrics;
  const title = m
    ? `${input.modelId} on ${input.sceneName} - OA ${pct(m.overallAccuracy)}  AA ${pct(m.averageAccuracy)}  kappa ${m.kappa.toFixed(4)}`
    : `${input.modelId} on ${input.sceneName}`;
  const note = previewNote(input.preview);
  writePng(
    input.path('overview.png'),
    renderOverview({
      falseColor: input.falseColor,
      groundTruth,
      prediction: predictionImg,
      errors,
      classes: input.classes.map((c, k) => ({ name: `${c.value} ${c.name}`, color: colors[k]! })),
      title,
      subtitle: note ? [input.subtitle, note].filter((x) => x !== undefined).join('; ') : input.subtitle,
    }),
  );
  if (m) {
    writePng(
      input.path('confusion-matrix.png'),
      renderConfusionMatrix(m.confusionMatrix, input.classes.map((c) => c.name), { title: `${input.sceneName} - test pixels (rows: true class)` }),
    );
    writeFileAtomic(input.path('metrics.json'), `${JSON.stringify(m, null, 2)}\n`);
  }
  if (input.epochs && input.epochs.length > 0) {
    writePng(input.path('training-curves.png'), renderTrainingCurves({ epochs: input.epochs, keptEpoch: input.keptEpoch, title: `${input.modelId} on ${input.sceneName} - training` }));
  }
}

export const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
