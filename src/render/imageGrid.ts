/**
 * A grid of small images with a caption under each, and misclassified.png built on it: the wrongly
 * classified test images, each with its true class (black) and the predicted class (red).
 */
import { ConfigError, DataError } from '../core/errors.ts';
import { blit, drawText, drawWrappedText, fillRect, wrappedTextHeight } from './draw.ts';
import { fitText, textHeight, textWidth } from './font.ts';
import { createImage, upscale, type Rgb, type RgbaImage } from './image.ts';

/** Images of one size, NHWC bytes (grey or RGB), as the image loaders hold them. */
export interface ImageStack {
  readonly height: number;
  readonly width: number;
  /** 1 or 3. */
  readonly channels: number;
  /** Image i, row r, column c, channel k at ((i·height + r)·width + c)·channels + k. */
  readonly pixels: Uint8Array;
}

/** One caption line under a grid cell. */
export interface CaptionLine {
  readonly text: string;
  /** Default black. */
  readonly color?: Rgb;
}

export interface ImageGridInput {
  readonly images: ImageStack;
  /** Which images to draw, in this order. */
  readonly indices: ArrayLike<number>;
  /** The caption lines of each drawn image (same length as indices). */
  readonly captions: readonly (readonly CaptionLine[])[];
  /** Lines above the grid. Default none. */
  readonly title?: readonly string[];
}

export interface ImageGridOptions {
  /** Cells per row. Default 10 (fewer when there are fewer images). */
  columns?: number;
  /** Integer magnification of each image. Default: the smallest making it at least 56 pixels wide. */
  scale?: number;
}

const MARGIN = 16;
const GAP = 10;
const PAD = 4;
/** Width title lines get before they wrap, where the grid itself is narrower. */
const MIN_TEXT_W = 480;
export const CAPTION_RED: Rgb = [200, 30, 30];

/** One stored image as an RGBA image (grey replicated into red, green and blue). */
export function stackImage(stack: ImageStack, i: number): RgbaImage {
  const { height, width, channels, pixels } = stack;
  if (channels !== 1 && channels !== 3) throw new DataError(`images have ${channels} channels`, 'draw grey (1-channel) or RGB (3-channel) images');
  const img = createImage(width, height);
  const base = i * height * width * channels;
  for (let p = 0; p < height * width; p++) {
    for (let k = 0; k < 3; k++) img.data[p * 4 + k] = pixels[base + p * channels + (channels === 1 ? 0 : k)]!;
  }
  return img;
}

export function renderImageGrid(input: ImageGridInput, opts: ImageGridOptions = {}): RgbaImage {
  const { images, indices, captions } = input;
  const n = indices.length;
  if (captions.length !== n) throw new DataError(`${n} images but ${captions.length} captions`, 'pass one caption list per drawn image');
  const count = images.pixels.length / (images.height * images.width * images.channels);
  const scale = opts.scale ?? Math.max(1, Math.ceil(56 / images.width));
  const columns = Math.max(1, Math.min(opts.columns ?? 10, n));
  if (!Number.isInteger(scale) || scale < 1) throw new ConfigError('scale', 'a whole number ≥ 1', scale);
  if (!Number.isInteger(columns)) throw new ConfigError('columns', 'a whole number ≥ 1', opts.columns);
  const lines = Math.max(0, ...captions.map((c) => c.length));
  const lineH = textHeight(1);
  const cellW = images.width * scale;
  const cellH = images.height * scale + (lines > 0 ? PAD + lines * (lineH + 2) : 0);
  const rows = Math.ceil(n / columns);
  const title = input.title ?? [];
  const gridW = columns * cellW + (columns - 1) * GAP;
  // The grid decides the width (at least MIN_TEXT_W where the title needs it, so a grid of two
  // images does not stack its title a word a line); longer title lines wrap.
  const textW = Math.max(gridW, Math.min(MIN_TEXT_W, Math.max(0, ...title.map((t) => textWidth(t, 2)))));
  const titleHs = title.map((t) => wrappedTextHeight(t, textW, 2, PAD));
  const titleH = titleHs.reduce((a, h) => a + h + PAD, 0) + (title.length > 0 ? GAP : 0);
  const width = 2 * MARGIN + textW;
  const height = 2 * MARGIN + titleH + (rows > 0 ? rows * cellH + (rows - 1) * GAP : 0);
  const img = createImage(width, height);
  let ty = MARGIN;
  title.forEach((t, i) => {
    drawWrappedText(img, t, MARGIN, ty, textW, { scale: 2, lineGap: PAD });
    ty += titleHs[i]! + PAD;
  });
  for (let j = 0; j < n; j++) {
    const i = indices[j]!;
    if (!(i >= 0 && i < count)) throw new RangeError(`renderImageGrid: image ${i} outside 0..${count - 1}`);
    const x = MARGIN + (j % columns) * (cellW + GAP);
    const y = MARGIN + titleH + Math.floor(j / columns) * (cellH + GAP);
    fillRect(img, x - 1, y - 1, cellW + 2, images.height * scale + 2, [180, 180, 180]);
    blit(img, upscale(stackImage(images, i), scale), x, y);
    captions[j]!.forEach((line, l) => {
      drawText(img, fitText(line.text, cellW), x, y + images.height * scale + PAD + l * (lineH + 2), { color: line.color });
    });
  }
  return img;
}

export interface MisclassifiedInput {
  readonly images: ImageStack;
  /** True and predicted class index (0..K−1) of each image of `images`. */
  readonly truth: ArrayLike<number>;
  readonly predicted: ArrayLike<number>;
  readonly classNames: readonly string[];
  /** Drawn at most (the first ones in test order). Default 100. */
  readonly max?: number;
  /** A line naming the run, above the counts. Default none. */
  readonly title?: string;
}

/** The wrongly classified images, true class above the predicted one (red), in test order. */
export function renderMisclassified(input: MisclassifiedInput, opts: ImageGridOptions = {}): RgbaImage {
  const { truth, predicted, classNames, max = 100 } = input;
  if (truth.length !== predicted.length) throw new DataError(`${truth.length} true classes but ${predicted.length} predictions`, 'pass one prediction per image');
  const wrong: number[] = [];
  for (let i = 0; i < truth.length; i++) if (truth[i] !== predicted[i]) wrong.push(i);
  const shown = wrong.slice(0, max);
  const name = (k: number) => classNames[k] ?? String(k);
  const summary =
    wrong.length === 0
      ? `No misclassified images: all ${truth.length} right`
      : `${wrong.length} of ${truth.length} test images misclassified${shown.length < wrong.length ? ` (first ${shown.length} shown)` : ''}`;
  return renderImageGrid(
    {
      images: input.images,
      indices: shown,
      captions: shown.map((i) => [{ text: `${name(truth[i]!)}` }, { text: `> ${name(predicted[i]!)}`, color: CAPTION_RED }]),
      title: [...(input.title ? [input.title] : []), summary, ...(wrong.length > 0 ? ['black: true class, red: predicted'] : [])],
    },
    opts,
  );
}
