/**
 * The map's outputs written as its windows finish (tiledMap.ts's mapInWindows): the GIS rasters strip by
 * strip (gisMaps.ts), prediction.mat by positioned writes of each column's segment, the classification
 * gathered at the images' scale (render/preview.ts) and the predicted classes of the scored pixels. So
 * what the map holds at once is one window, not the scene; sceneOutputs.ts then draws the images.
 */
import { openMatV5Variable, type MatVariableWriter } from '../io/mat/writer.ts';
import { LabelPreview, type PreviewShape } from '../render/preview.ts';
import type { Rgb } from '../core/types.ts';
import type { ClassInfo, GeoReference, LabelMap } from '../core/types.ts';
import { openGisMaps, type GisMapsWriter, type MapFormat } from './gisMaps.ts';
import type * as tf from '@tensorflow/tfjs';
import type { ReducedScene } from '../scene/reducedScene.ts';
import type { ParallelPredictOptions } from '../inference/parallel/parallelPredict.ts';
import type { MapCheckpoint } from './mapCheckpoint.ts';
import type { Precision } from '../inference/onnx/exportOnnx.ts';
import { mapWindowRows, mapInWindows, readableWindowRows, type MapWindow } from './tiledMap.ts';

export interface MapOutputsInput {
  /** Path of a file inside the (staged) output folder. */
  path: (name: string) => string;
  height: number;
  width: number;
  classes: readonly ClassInfo[];
  colors: readonly Rgb[];
  /** 1 = show, 0 = background (gisMaps.ts backgroundKeep); absent: every pixel. */
  keep?: Uint8Array;
  georef?: GeoReference;
  /** Write confidence.tif / probabilities.tif (the windows then carry them). */
  confidence: boolean;
  probabilities: boolean;
  formats: readonly MapFormat[];
  description: string;
  /** The images' scale and size. */
  preview: PreviewShape;
  /** Pixels (row-major indices, any order) whose predicted class is returned, for the metrics. */
  scored?: Int32Array;
}

export interface MapOutputsResult {
  /** The prediction in the scene's label values at the images' scale (the whole map at 1:1). */
  preview: LabelMap;
  /** The predicted class index of each scored pixel, in the order given. */
  scoredClasses?: Int32Array;
}

export class MapOutputs {
  private readonly o: MapOutputsInput;
  private readonly gis: GisMapsWriter;
  private readonly mat: MatVariableWriter<Uint8Array | Uint16Array | Int32Array>;
  private readonly labelPreview: LabelPreview;
  private readonly values: Int32Array;
  /** Scored pixels ascending, with their place in `scored`: windows come in row order, so one cursor walks them. */
  private readonly scoredOrder?: { pixels: Int32Array; at: Int32Array; classes: Int32Array; next: number };
  private rowsDone = 0;

  constructor(o: MapOutputsInput) {
    this.o = o;
    this.values = Int32Array.from(o.classes, (c) => c.value);
    this.gis = openGisMaps({ ...o });
    const max = Math.max(0, ...this.values);
    try {
      // prediction.mat: the scene's label values, H×W, in the narrowest type that holds them.
      const kind = max <= 255 ? new Uint8Array(0) : max <= 65535 ? new Uint16Array(0) : new Int32Array(0);
      this.mat = openMatV5Variable(o.path('prediction.mat'), 'prediction', [o.height, o.width], kind);
    } catch (err) {
      this.gis.abort();
      throw err;
    }
    this.labelPreview = new LabelPreview(o.height, o.width, o.preview);
    if (o.scored) {
      const at = Int32Array.from(o.scored.keys()).sort((a, b) => o.scored![a]! - o.scored![b]!);
      this.scoredOrder = { pixels: Int32Array.from(at, (j) => o.scored![j]!), at, classes: new Int32Array(o.scored.length), next: 0 };
    }
  }

  /** Writes one window; windows come in row order, each starting where the last ended. */
  write(window: MapWindow): void {
    const { width, height } = this.o;
    if (window.row0 !== this.rowsDone) throw new Error(`map window at row ${window.row0}, expected ${this.rowsDone}`); // a bug in the caller
    try {
      const labels = Int32Array.from(window.classes, (k) => this.values[k]!);
      this.gis.writeRows(window.row0, window.rows, labels, window.confidence, window.probabilities);
      // Column-major: the window is one segment of `rows` values in each column.
      const column = new (this.mat.kind())(window.rows);
      for (let c = 0; c < width; c++) {
        for (let r = 0; r < window.rows; r++) column[r] = labels[r * width + c]!;
        this.mat.writeAt(c * height + window.row0, column);
      }
      this.labelPreview.addRows(window.row0, window.rows, labels);
      const s = this.scoredOrder;
      if (s) {
        const end = (window.row0 + window.rows) * width;
        for (; s.next < s.pixels.length && s.pixels[s.next]! < end; s.next++) s.classes[s.at[s.next]!] = window.classes[s.pixels[s.next]! - window.row0 * width]!;
      }
      this.rowsDone += window.rows;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Closes every file (each renamed into place in the staged folder) once all rows are written. */
  finish(): MapOutputsResult {
    if (this.rowsDone !== this.o.height) throw new Error(`map outputs finished after ${this.rowsDone} of ${this.o.height} rows`); // a bug in the caller
    try {
      this.gis.finish();
      this.mat.finish();
    } catch (err) {
      this.abort();
      throw err;
    }
    return { preview: this.labelPreview.grid, ...(this.scoredOrder && { scoredClasses: this.scoredOrder.classes }) };
  }

  abort(): void {
    this.gis.abort();
    this.mat.abort();
  }
}

export interface MapToOutputsInput {
  model: tf.LayersModel;
  reduced: ReducedScene;
  patch: number;
  /** `--tile-size` (mapWindowRows cuts the windows). */
  tileSize?: number;
  /** Batch, workers, engine and progress of the prediction; `probabilities` follows the outputs asked for. */
  predict: Omit<ParallelPredictOptions, 'probabilities'>;
  outputs: MapOutputsInput;
  /** Where finished windows are recorded, and replayed from when resuming (run only). */
  checkpoint?: MapCheckpoint;
  /** Checked after each window (Ctrl-C): the map stops there, its outputs removed, the checkpoint kept. */
  shouldStop?: () => boolean;
}

export type MapToOutputsResult =
  | ({ status: 'done'; engine: string; threads: number; precision: Precision; fallbackReason?: string } & MapOutputsResult)
  | { status: 'stopped'; rowsDone: number; height: number };

/** Predicts the map window by window into its outputs: replays a checkpoint's windows first, records each new one. */
export async function mapToOutputs(input: MapToOutputsInput): Promise<MapToOutputsResult> {
  const { height, width } = input.reduced;
  const windowRows = readableWindowRows(input.reduced, input.patch, mapWindowRows(input.tileSize, width));
  const out = new MapOutputs(input.outputs);
  try {
    const from = input.checkpoint?.rowsDone ?? 0;
    if (input.checkpoint) for (const window of input.checkpoint.replay(windowRows)) out.write(window);
    const probabilities = input.outputs.probabilities ? 'all' : input.outputs.confidence ? 'confidence' : undefined;
    const r = await mapInWindows(input.model, input.reduced, input.patch, windowRows, { ...input.predict, ...(probabilities && { probabilities }) }, {
      fromRow: from,
      shouldStop: input.shouldStop,
      onWindow: (window) => {
        input.checkpoint?.recordWindow(window);
        out.write(window);
      },
    });
    if (r.rowsDone < height) {
      out.abort();
      return { status: 'stopped', rowsDone: r.rowsDone, height };
    }
    return { status: 'done', engine: r.engine || 'the checkpoint (every window was mapped before the resume)', threads: r.threads, precision: r.precision, ...(r.fallbackReason && { fallbackReason: r.fallbackReason }), ...out.finish() };
  } catch (err) {
    out.abort();
    throw err;
  }
}
