/**
 * The maps a run leaves for GIS software, beside the PNGs: classification-map.tif (paletted, class
 * names, the scene's georeference), confidence.tif, probabilities.tif with --probabilities, and the
 * ENVI classification with --map-format envi. Background pixels (see backgroundKeep) are nodata in all.
 */
import { ConfigError } from '../core/errors.ts';
import { openEnviClassification } from '../io/envi/writeEnviClassification.ts';
import { openClassMapTiff, openFloatTiff } from '../io/geotiff/writeGeoTiff.ts';
import type { Rgb } from '../core/types.ts';
import type { ClassInfo, GeoReference, LabelMap } from '../core/types.ts';

/** Formats of the class map: the GeoTIFF is always written; 'envi' adds the ENVI classification. */
export const MAP_FORMATS = ['tif', 'envi'] as const;
export type MapFormat = (typeof MAP_FORMATS)[number];

/** The files, by name (the README's outputs table lists the same). */
export const GIS_FILES = {
  classMap: 'classification-map.tif',
  confidence: 'confidence.tif',
  probabilities: 'probabilities.tif',
  enviData: 'classification-map.dat',
} as const;

/** `--map-format tif,envi` → ['tif', 'envi']; an unknown name is a ConfigError listing the choices. */
export function parseMapFormats(list: string): MapFormat[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new ConfigError('--map-format', `a comma-separated list of ${MAP_FORMATS.join(', ')}`, list);
  checkMapFormats(names);
  return [...new Set(names as MapFormat[])];
}

/** Throws a ConfigError naming the first format that is not one of MAP_FORMATS. */
export function checkMapFormats(formats: readonly string[]): void {
  for (const f of formats) {
    if (!(MAP_FORMATS as readonly string[]).includes(f)) {
      throw new ConfigError('--map-format', `a comma-separated list of ${MAP_FORMATS.join(', ')}`, f, `pass --map-format ${MAP_FORMATS.join(',')} (the GeoTIFF is always written)`);
    }
  }
}

/**
 * Which pixels the maps show (1) and which are background (0): pixels the scene marks as no data,
 * always; and, with `maskLabels`, pixels whose ground-truth label is 0. Undefined: every pixel shows.
 */
export function backgroundKeep(n: number, labels: Int32Array | undefined, maskLabels: boolean, nodata: Uint8Array | undefined): Uint8Array | undefined {
  const byLabels = maskLabels && labels !== undefined;
  if (!byLabels && nodata === undefined) return undefined;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = (nodata?.[i] === 1 || (byLabels && labels[i] === 0)) ? 0 : 1;
  return keep;
}

export interface GisMapsInput {
  path: (name: string) => string;
  /** The whole scene predicted, in the scene's own label values. */
  prediction: LabelMap;
  classes: readonly ClassInfo[];
  colors: readonly Rgb[];
  /** 1 = show, 0 = background (nodata); absent: every pixel. */
  keep?: Uint8Array;
  georef?: GeoReference;
  /** The winning class's softmax probability per pixel (row-major). */
  confidence?: Float32Array;
  /** Every class's probability, pixel-major (pixel p, class k at p * classes + k). */
  probabilities?: Float32Array;
  formats: readonly MapFormat[];
  description: string;
}

/** What openGisMaps needs before the first window: the map's size, legend, mask and which rasters to write. */
export interface GisMapsHeader extends Omit<GisMapsInput, 'prediction' | 'confidence' | 'probabilities'> {
  height: number;
  width: number;
  confidence: boolean;
  probabilities: boolean;
}

/** The GIS maps being written window by window (rows top to bottom). */
export interface GisMapsWriter {
  /** Rows [row0, row0 + rows): label values, and the confidence / probabilities when asked for. */
  writeRows(row0: number, rows: number, labels: Int32Array, confidence?: Float32Array, probabilities?: Float32Array): void;
  finish(): void;
  abort(): void;
}

export function openGisMaps(header: GisMapsHeader): GisMapsWriter {
  const { height, width, keep } = header;
  const k = header.classes.length;
  const writers: { finish(): void; abort(): void }[] = [];
  const abort = () => writers.forEach((w) => w.abort());
  const open = <T extends { finish(): void; abort(): void }>(make: () => T): T => {
    try {
      const w = make();
      writers.push(w);
      return w;
    } catch (err) {
      abort();
      throw err;
    }
  };
  const classMap = open(() => openClassMapTiff(header.path(GIS_FILES.classMap), { height, width, classes: header.classes, colors: header.colors, georef: header.georef }));
  const confidence = header.confidence
    ? open(() => openFloatTiff(header.path(GIS_FILES.confidence), { height, width, bands: 1, nodata: 0, georef: header.georef, bandNames: ['confidence'] }))
    : undefined;
  const probabilities = header.probabilities
    ? open(() => openFloatTiff(header.path(GIS_FILES.probabilities), { height, width, bands: k, nodata: NaN, georef: header.georef, bandNames: header.classes.map((c) => `${c.value} ${c.name}`) }))
    : undefined;
  const envi = header.formats.includes('envi')
    ? open(() => openEnviClassification(header.path(GIS_FILES.enviData), { height, width, classes: header.classes, colors: header.colors, georef: header.georef, description: header.description }))
    : undefined;
  return {
    writeRows(row0, rows, labels, conf, probs) {
      try {
        const p0 = row0 * width;
        const n = rows * width;
        const shown = keep ? labels.map((v, i) => (keep[p0 + i] ? v : 0)) : labels;
        classMap.writeRows(shown);
        if (confidence) {
          // 0 marks background: a winning probability is at least 1 / classes, never 0.
          confidence.writeRows(keep ? conf!.map((v, i) => (keep[p0 + i] ? v : 0)) : conf!);
        }
        if (probabilities) {
          // NaN marks background: a class's probability can be 0 in float32.
          let data = probs!;
          if (keep) {
            data = probs!.slice();
            for (let p = 0; p < n; p++) if (!keep[p0 + p]) data.fill(NaN, p * k, (p + 1) * k);
          }
          probabilities.writeRows(data);
        }
        envi?.writeRows(shown);
      } catch (err) {
        abort();
        throw err;
      }
    },
    finish() {
      try {
        for (const w of writers) w.finish();
      } catch (err) {
        abort();
        throw err;
      }
    },
    abort,
  };
}
