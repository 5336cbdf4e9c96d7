/**
 * An ENVI classification image: the raw class indices (one band, bsq, uint8 or uint16, little-endian, no
 * header offset) and its text header (`file type = ENVI Classification`, `classes`, `class names`,
 * `class lookup` colours, `map info` and `coordinate system string` when georeferenced), as ENVI, GDAL
 * and QGIS read it.
 *
 * ENVI classification files number their classes 0…N contiguously, 0 being "Unclassified"; the scene's
 * own label values need not be contiguous (SalinasA: 1, 10…14). So class k of the run (classes[k],
 * ascending by value) is stored as index k + 1, and class names line up with those indices. Where the
 * scene's values are already 1…N (KSC, Indian Pines, the demo) the indices equal them.
 */
import { basename, dirname, extname, join } from 'node:path';
import { DataError } from '../../core/errors.ts';
import type { Rgb } from '../../core/types.ts';
import type { ClassInfo, GeoReference, LabelMap } from '../../core/types.ts';
import { writeFileAtomic } from '../../util/atomicWrite.ts';
import { OutputFile } from '../../util/outputFile.ts';
import { epsgOf, isNorthUp } from '../../core/crs.ts';

export interface EnviClassificationInput {
  /** Row-major label values of the scene; 0 is background (index 0, "Unclassified"). */
  map: LabelMap;
  /** The run's classes, ascending by value, and their colours (same order). */
  classes: readonly ClassInfo[];
  colors: readonly Rgb[];
  georef?: GeoReference;
  description?: string;
}

/** The header beside an ENVI data file: `name.dat` → `name.hdr`. */
export const enviHeaderPath = (dataPath: string): string => join(dirname(dataPath), `${basename(dataPath, extname(dataPath))}.hdr`);

/** Writes `dataPath` and its .hdr (enviHeaderPath), the whole map at once. */
export function writeEnviClassification(dataPath: string, input: EnviClassificationInput): void {
  const writer = openEnviClassification(dataPath, { ...input, height: input.map.height, width: input.map.width });
  writer.writeRows(input.map.data);
  writer.finish();
}

/** An ENVI classification written window by window: rows of label values, top to bottom. */
export interface EnviClassificationWriter {
  writeRows(labels: Int32Array): void;
  /** Renames the data file into place and writes the header. */
  finish(): void;
  abort(): void;
}

export function openEnviClassification(dataPath: string, header: Omit<EnviClassificationInput, 'map'> & { height: number; width: number }): EnviClassificationWriter {
  const { height, width } = header;
  const indexOf = new Map<number, number>([[0, 0]]);
  header.classes.forEach((c, k) => indexOf.set(c.value, k + 1));
  const count = header.classes.length + 1;
  const wide = count > 256;
  const lookup = [[0, 0, 0], ...header.classes.map((_, k) => header.colors[k] ?? [0, 0, 0])].flat();
  const lines = [
    'ENVI',
    `description = {${listItem(header.description ?? 'spinalnet classification')}}`,
    `samples = ${width}`,
    `lines = ${height}`,
    'bands = 1',
    'header offset = 0',
    'file type = ENVI Classification',
    `data type = ${wide ? 12 : 1}`,
    'interleave = bsq',
    'byte order = 0',
    `classes = ${count}`,
    `class names = {${['Unclassified', ...header.classes.map((c) => listItem(c.name))].join(', ')}}`,
    `class lookup = {${lookup.join(', ')}}`,
    'band names = {class}',
  ];
  if (header.georef) {
    const info = mapInfo(header.georef);
    if (info) lines.push(`map info = {${info}}`);
    if (header.georef.crsWkt) lines.push(`coordinate system string = {${header.georef.crsWkt.replace(/[\r\n]+\s*/g, '')}}`);
  }
  const file = new OutputFile(dataPath);
  return {
    writeRows(data) {
      const samples = wide ? new Uint16Array(data.length) : new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const k = indexOf.get(data[i]!);
        if (k === undefined) {
          file.abort();
          throw new DataError(`label value ${data[i]} is not one of the map's classes`, 'write maps whose values are the run\'s class values or 0');
        }
        samples[i] = k;
      }
      // Typed arrays are little-endian on every platform Node runs on: byte order = 0.
      file.append(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    },
    finish() {
      file.finish();
      writeFileAtomic(enviHeaderPath(dataPath), `${lines.join('\n')}\n`);
    },
    abort: () => file.abort(),
  };
}

/** ENVI lists are comma-separated inside braces, with no escapes: commas and braces in a name become ; ( ). */
function listItem(s: string): string {
  return s.replace(/,/g, ';').replace(/\{/g, '(').replace(/\}/g, ')').replace(/[\r\n]+/g, ' ').trim();
}

/**
 * ENVI `map info`: projection name, reference pixel (1, 1) = the upper-left corner of the upper-left
 * pixel, its map coordinates, pixel sizes, then projection details. WGS 84 UTM zones and EPSG:4326 get
 * their ENVI names; any other CRS is "Arbitrary" here and is carried by `coordinate system string` (WKT)
 * when known. A rotated grid adds `rotation=` (degrees, as GDAL writes it); a sheared one has no ENVI
 * form and gets no map info.
 */
export function mapInfo(georef: GeoReference): string | undefined {
  const t = georef.geoTransform;
  let px = t[1];
  let py = -t[5];
  let rotation = '';
  if (!isNorthUp(t)) {
    px = Math.hypot(t[1], t[4]);
    py = Math.hypot(t[2], t[5]);
    // Columns turned by a, rows by b (counter-clockwise); a rotation turns both alike.
    const a = Math.atan2(t[4], t[1]);
    const b = Math.atan2(t[2], -t[5]);
    if (Math.abs(a - b) > 1e-9) return undefined;
    rotation = `, rotation=${g((a * 180) / Math.PI)}`;
  }
  const where = `1, 1, ${g(t[0])}, ${g(t[3])}, ${g(px)}, ${g(py)}`;
  const epsg = epsgOf(georef);
  if (epsg !== undefined && ((epsg > 32600 && epsg <= 32660) || (epsg > 32700 && epsg <= 32760))) {
    return `UTM, ${where}, ${epsg % 100}, ${epsg < 32700 ? 'North' : 'South'}, WGS-84, units=Meters${rotation}`;
  }
  if (epsg === 4326) return `Geographic Lat/Lon, ${where}, WGS-84, units=Degrees${rotation}`;
  return `Arbitrary, ${where}${rotation}`;
}

/** Shortest text that reads back as the same double. */
const g = (x: number): string => String(x);
