/**
 * The files a mapping run leaves: metrics.json, the maps (classification, ground truth, errors),
 * the overview figure, the confusion matrix, training curves, prediction.mat and the GIS maps
 * (gisMaps.ts). `run` and `predict` both write through here, so the two commands' outputs read the same.
 */
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { writeMatV5 } from '../io/mat/writer.ts';
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
import type { ClassInfo, CubeBIP, GeoReference, LabelMap } from '../scene/types.ts';
import type { EpochStats } from '../training/trainModel.ts';
import { backgroundKeep, type MapFormat, writeGisMaps } from './gisMaps.ts';

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
  /** The whole scene predicted, in the scene's own label values. */
  prediction: LabelMap;
  labels?: LabelMap;
  /** Nonzero at test pixels (for the error map). */
  testMask?: Uint8Array;
  metrics?: MetricsFile;
  /** The false-colour view, rendered while the raw cube was at hand. */
  falseColor: RgbaImage;
  /** Black (PNG) / nodata 0 (GeoTIFF, ENVI) where the ground truth is 0. */
  maskBackground: boolean;
  /** The scene's no-data pixels (1), background in every map whatever maskBackground says. */
  nodata?: Uint8Array;
  /** The scene's grid on the ground, kept by the GeoTIFF and ENVI maps. */
  georef?: GeoReference;
  /** The winning class's softmax probability per pixel (confidence.tif). */
  confidence?: Float32Array;
  /** Every class's probability, pixel-major (probabilities.tif). */
  probabilities?: Float32Array;
  /** Default ['tif']: the GeoTIFF only. */
  mapFormats?: readonly MapFormat[];
  epochs?: readonly EpochStats[];
  /** 1-based epoch whose weights were kept (best on validation), marked on the curves. */
  keptEpoch?: number;
  subtitle?: string;
}

/**
 * The false-colour view: the scene's usual bands (from the registry) of the raw cube when known, else
 * the first three principal components of the reduced cube.
 */
/** The false-colour view: the scene's three chosen bands (an H×W×3 cube gathered while reading), else the first three PCA components. */
export function sceneFalseColor(rgb: CubeBIP | undefined, reduced: CubeBIP): RgbaImage {
  if (rgb) return falseColor(rgb, [0, 1, 2]);
  const last = reduced.bands - 1;
  return falseColor(reduced, [0, Math.min(1, last), Math.min(2, last)]);
}

export function writeSceneOutputs(o: SceneOutputsInput): void {
  const values = o.classes.map((c) => c.value);
  const colors = classColors(o.classes);
  const { height, width } = o.prediction;
  const keep = backgroundKeep(height * width, o.labels?.data, o.maskBackground, o.nodata);
  const predictionImg = renderLabelMap(o.prediction, values, colors, { mask: keep });
  // The false-colour view on its own, for `spinalnet view` and report.html (the overview has it too, scaled).
  writePng(o.path('false-color.png'), o.falseColor);
  writePng(o.path('classification-map.png'), predictionImg);
  writeGisMaps({
    path: o.path,
    prediction: o.prediction,
    classes: o.classes,
    colors,
    keep,
    georef: o.georef,
    confidence: o.confidence,
    probabilities: o.probabilities,
    formats: o.mapFormats ?? ['tif'],
    description: `spinalnet ${o.modelId} classification of ${o.sceneName}`,
  });
  let groundTruth: RgbaImage | undefined;
  let errors: RgbaImage | undefined;
  if (o.labels) {
    groundTruth = renderLabelMap(o.labels, values, colors);
    writePng(o.path('ground-truth.png'), groundTruth);
    if (o.testMask) {
      errors = renderErrorMap(o.labels, o.prediction, o.testMask);
      writePng(o.path('errors.png'), errors);
    }
  }
  const m = o.metrics;
  const title = m
    ? `${o.modelId} on ${o.sceneName} - OA ${pct(m.overallAccuracy)}  AA ${pct(m.averageAccuracy)}  kappa ${m.kappa.toFixed(4)}`
    : `${o.modelId} on ${o.sceneName}`;
  writePng(
    o.path('overview.png'),
    renderOverview({
      falseColor: o.falseColor,
      groundTruth,
      prediction: predictionImg,
      errors,
      classes: o.classes.map((c, k) => ({ name: `${c.value} ${c.name}`, color: colors[k]! })),
      title,
      subtitle: o.subtitle,
    }),
  );
  if (m) {
    writePng(
      o.path('confusion-matrix.png'),
      renderConfusionMatrix(m.confusionMatrix, o.classes.map((c) => c.name), { title: `${o.sceneName} - test pixels (rows: true class)` }),
    );
    writeFileAtomic(o.path('metrics.json'), `${JSON.stringify(m, null, 2)}\n`);
  }
  if (o.epochs && o.epochs.length > 0) {
    writePng(o.path('training-curves.png'), renderTrainingCurves({ epochs: o.epochs, keptEpoch: o.keptEpoch, title: `${o.modelId} on ${o.sceneName} - training` }));
  }
  writePredictionMat(o.path('prediction.mat'), o.prediction);
}

/** prediction.mat: variable `prediction`, H×W, the scene's label values, column-major as MATLAB stores it. */
export function writePredictionMat(path: string, prediction: LabelMap): void {
  const { height, width, data } = prediction;
  let max = 0;
  for (const v of data) if (v > max) max = v;
  const out = max <= 255 ? new Uint8Array(height * width) : max <= 65535 ? new Uint16Array(height * width) : new Int32Array(height * width);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) out[c * height + r] = data[r * width + c]!;
  writeMatV5(path, [{ name: 'prediction', data: out, dims: [height, width] }]);
}

export const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
