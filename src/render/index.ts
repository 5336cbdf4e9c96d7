/**
 * Rendering: maps, the overview figure, the confusion-matrix heat map and training curves, drawn
 * into RGBA arrays and written as PNG. No canvas library: the few primitives needed live in draw.ts.
 */
export { type RgbaImage, type Rgb, BLACK, WHITE, createImage, pixelAt, upscale, encodePng, decodePng, writePng } from './image.ts';
export { classColors, palette, hsvToRgb, luma } from './palette.ts';
export { renderLabelMap, renderErrorMap, ERROR_COLORS, type LabelGrid, type PixelMask, type LabelMapOptions, type ErrorMapOptions } from './labelMap.ts';
export { falseColor, bandStretch, percentile, type FalseColorOptions, type Stretch } from './falseColor.ts';
export { renderOverview, overviewScale, type OverviewInput, type OverviewOptions, type LegendEntry } from './overview.ts';
export {
  renderConfusionMatrix,
  layoutConfusionMatrix,
  heatColor,
  type ConfusionMatrixOptions,
  type ConfusionMatrixLayout,
} from './confusionMatrix.ts';
export { renderTrainingCurves, CURVE_COLORS, type EpochRecord, type TrainingCurvesInput, type TrainingCurvesOptions } from './trainingCurves.ts';
export { renderMeanCurves, type MeanCurve, type MeanCurvesInput, type MeanCurvesPanel } from './meanCurves.ts';
export { drawText, drawLine, fillRect, strokeRect, blit, setPixel, type TextOptions, type LineOptions } from './draw.ts';
export { toAscii, textWidth, textHeight, fitText } from './font.ts';
