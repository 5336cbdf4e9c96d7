/**
 * Label maps to images: one image pixel per scene pixel (or an integer block of them), nothing else
 * drawn, so the PNG lines up with the scene. Used for classification-map.png, ground-truth.png and
 * the error panel.
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { BLACK, createImage, type Rgb, type RgbaImage, upscale } from './image.ts';

/** A row-major label grid: the label of row r, column c is data[r * width + c] (LabelMap fits). */
export interface LabelGrid {
  readonly height: number;
  readonly width: number;
  readonly data: Int32Array;
}

/** A per-pixel mask in the label grid's layout: nonzero keeps the pixel. */
export type PixelMask = Uint8Array | Int32Array;

export interface LabelMapOptions {
  /** Integer magnification, nearest neighbour (each pixel becomes scale × scale). Default 1. */
  scale?: number;
  /** Pixels to draw; where the mask is 0 the pixel is black. Default: every pixel. */
  mask?: PixelMask;
}

/**
 * Colours a label map: a pixel whose label equals classValues[k] gets colors[k]; label 0, a value
 * not in classValues and a masked-out pixel are black.
 */
export function renderLabelMap(
  labels: LabelGrid,
  classValues: readonly number[],
  colors: readonly Rgb[],
  opts: LabelMapOptions = {},
): RgbaImage {
  const { scale = 1, mask } = opts;
  checkGrid('labels', labels);
  checkMask(mask, labels);
  if (colors.length < classValues.length) {
    throw new ConfigError('colors', `one colour per class (${classValues.length})`, `${colors.length} colours`, 'pass palette(classValues.length)');
  }
  const colorOf = new Map<number, Rgb>();
  classValues.forEach((v, k) => {
    if (v !== 0) colorOf.set(v, colors[k]!);
  });
  const img = createImage(labels.width, labels.height, BLACK);
  for (let i = 0; i < labels.data.length; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    const c = colorOf.get(labels.data[i]!);
    if (c === undefined) continue;
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
  }
  return upscale(img, scale);
}

/** The colours of the error map, exported for legends. */
export const ERROR_COLORS = {
  /** Test pixel classified correctly. */
  correct: [40, 185, 70] as Rgb,
  /** Test pixel classified wrongly. */
  wrong: [235, 30, 30] as Rgb,
  /** Labelled pixel that is not a test pixel (used for training or validation): not scored. */
  notScored: [85, 85, 85] as Rgb,
  /** Unlabelled pixel. */
  unlabelled: BLACK,
} as const;

export interface ErrorMapOptions {
  /** Integer magnification, nearest neighbour. Default 1. */
  scale?: number;
  /**
   * Draw labelled pixels that are not test pixels in dim grey, so the scene's labelled regions stay
   * visible and one can see where training pixels sat next to the errors. Default true; false draws
   * them black.
   */
  showNotScored?: boolean;
}

/**
 * Where the classifier is right and wrong: a test pixel (testMask nonzero, label ≠ 0) is green when
 * predicted equals truth and red otherwise; other labelled pixels are dim grey (see showNotScored);
 * unlabelled pixels are black. `truth` and `predicted` hold label values, not class indices.
 */
export function renderErrorMap(
  truth: LabelGrid,
  predicted: LabelGrid,
  testMask: PixelMask,
  opts: ErrorMapOptions = {},
): RgbaImage {
  const { scale = 1, showNotScored = true } = opts;
  checkGrid('truth', truth);
  checkGrid('predicted', predicted);
  if (predicted.height !== truth.height || predicted.width !== truth.width) {
    throw new DataError(
      `predicted map is ${predicted.height}×${predicted.width} but the ground truth is ${truth.height}×${truth.width}`,
      'render the error map from a prediction of the same scene as the ground truth',
    );
  }
  checkMask(testMask, truth);
  const img = createImage(truth.width, truth.height, BLACK);
  for (let i = 0; i < truth.data.length; i++) {
    const t = truth.data[i]!;
    if (t === 0) continue;
    let c: Rgb;
    if (testMask[i] !== 0) c = predicted.data[i] === t ? ERROR_COLORS.correct : ERROR_COLORS.wrong;
    else if (showNotScored) c = ERROR_COLORS.notScored;
    else continue;
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
  }
  return upscale(img, scale);
}

function checkGrid(name: string, grid: LabelGrid): void {
  if (grid.data.length !== grid.height * grid.width) {
    throw new DataError(
      `${name} has ${grid.data.length} values but is declared ${grid.height}×${grid.width}`,
      `build ${name} with data of length height × width`,
    );
  }
}

function checkMask(mask: PixelMask | undefined, grid: LabelGrid): void {
  if (mask !== undefined && mask.length !== grid.data.length) {
    throw new DataError(
      `mask has ${mask.length} values but the map is ${grid.height}×${grid.width} (${grid.data.length} pixels)`,
      'pass a mask with one value per pixel, in the same row-major layout as the labels',
    );
  }
}
