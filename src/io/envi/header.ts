/**
 * An ENVI header's keys read into what they mean for the numbers: sizes, sample type, interleave,
 * byte order, offsets, scaling, no-data value, bad bands, wavelengths, default bands, band names,
 * georeference and, for an `ENVI Classification`, class names and colours. Every key that changes
 * what the numbers mean is read or refused; keys that only describe (description, sensor type…) are
 * left alone.
 */
import { InputFileError } from '../../core/errors.ts';
import type { BandInfo, ClassInfo, GeoReference } from '../../core/types.ts';
import { type EnviHeaderText, splitList } from './headerText.ts';
import { parseMapInfo } from './mapInfo.ts';

/** ENVI `data type` codes this reader reads, with their byte sizes. */
const ENVI_TYPES: ReadonlyMap<number, { readonly name: string; readonly size: number }> = new Map([
  [1, { name: 'uint8', size: 1 }], [2, { name: 'int16', size: 2 }], [3, { name: 'int32', size: 4 }],
  [4, { name: 'float32', size: 4 }], [5, { name: 'float64', size: 8 }], [12, { name: 'uint16', size: 2 }],
  [13, { name: 'uint32', size: 4 }], [14, { name: 'int64', size: 8 }], [15, { name: 'uint64', size: 8 }],
]);

export type EnviInterleave = 'bsq' | 'bil' | 'bip';

export interface EnviHeader {
  readonly path: string;
  readonly fileType: string;
  readonly width: number;
  readonly height: number;
  readonly bands: number;
  readonly headerOffset: number;
  readonly dataType: number;
  readonly typeName: string;
  readonly sampleBytes: number;
  readonly interleave: EnviInterleave;
  readonly littleEndian: boolean;
  readonly ignoreValue?: number;
  readonly gain?: Float64Array;
  readonly offset?: Float64Array;
  readonly badBands: readonly number[];
  readonly bandInfo?: BandInfo;
  readonly defaultBands?: readonly [number, number, number];
  readonly georef?: GeoReference;
  readonly classes?: readonly ClassInfo[];
}

export function interpretEnviHeader(h: EnviHeaderText): EnviHeader {
  const { path, fields } = h;
  const fix = 'correct the header, or re-export the scene from ENVI or GDAL (gdal_translate -of ENVI)';
  const bad = (key: string, problem: string, f = fix): never => {
    throw new InputFileError(path, `header key '${key}' ${problem}`, f);
  };
  const int = (key: string, min: number, dflt?: number): number => {
    const raw = fields.get(key);
    if (raw === undefined) {
      if (dflt !== undefined) return dflt;
      return bad(key, 'is missing; an ENVI header must give samples, lines, bands, data type and interleave');
    }
    const v = Number(raw);
    if (!/^\s*[+-]?\d+\s*$/.test(raw) || !Number.isSafeInteger(v) || v < min) return bad(key, `should be a whole number ≥ ${min}, found ${JSON.stringify(raw.slice(0, 40))}`);
    return v;
  };
  const width = int('samples', 1);
  const height = int('lines', 1);
  const bands = int('bands', 1);
  const headerOffset = int('header offset', 0, 0);
  const dataType = int('data type', 0);
  if (dataType === 6 || dataType === 9) {
    bad('data type', `is ${dataType} (complex ${dataType === 6 ? 'float32' : 'float64'}); complex samples cannot be classified`,
      'save the magnitude (or the real part) as a real data type, e.g. 4 (float32)');
  }
  const type = ENVI_TYPES.get(dataType) ?? bad('data type', `is ${dataType}, which is not an ENVI data type this reader knows (1, 2, 3, 4, 5, 12, 13, 14, 15)`);
  const il = (fields.get('interleave') ?? bad('interleave', 'is missing; an ENVI header must say bsq, bil or bip')).toLowerCase();
  if (il !== 'bsq' && il !== 'bil' && il !== 'bip') bad('interleave', `is ${JSON.stringify(il.slice(0, 40))}; ENVI interleaves are bsq, bil and bip`);
  const byteOrder = int('byte order', 0, 0);
  if (byteOrder > 1) bad('byte order', `is ${byteOrder}; it must be 0 (little-endian) or 1 (big-endian)`);
  const compression = fields.get('file compression');
  if (compression !== undefined && compression.trim() !== '0') {
    bad('file compression', `is ${JSON.stringify(compression)}: the data file is gzip-compressed by ENVI, which this reader does not read`,
      'decompress it in ENVI (Save As, without compression), or convert it with gdal_translate -of ENVI');
  }
  const perBand = (key: string): Float64Array | undefined => {
    const raw = fields.get(key);
    if (raw === undefined) return undefined;
    const items = splitList(raw).filter((s) => s !== '');
    const v = Float64Array.from(items, Number);
    if (items.length !== bands || v.some((x) => !Number.isFinite(x))) {
      return bad(key, `should list ${bands} numbers (one per band), found ${items.length}${v.some((x) => !Number.isFinite(x)) ? ' with some not numbers' : ''}`);
    }
    return v;
  };
  const ignoreRaw = fields.get('data ignore value');
  const ignoreValue = ignoreRaw === undefined ? undefined : Number(ignoreRaw);
  if (ignoreValue !== undefined && ignoreRaw?.trim().toLowerCase() !== 'nan' && !Number.isFinite(ignoreValue)) {
    bad('data ignore value', `should be a number, found ${JSON.stringify(ignoreRaw)}`);
  }
  const bbl = perBand('bbl');
  if (bbl !== undefined && bbl.some((x) => x !== 0 && x !== 1)) bad('bbl', 'should hold 1 (good) or 0 (bad) for each band');
  const badBands: number[] = [];
  if (bbl !== undefined) for (let b = 0; b < bands; b++) if (bbl[b] === 0) badBands.push(b);
  return {
    path, fileType: fields.get('file type') ?? 'ENVI Standard', width, height, bands, headerOffset,
    dataType, typeName: type.name, sampleBytes: type.size, interleave: il as EnviInterleave, littleEndian: byteOrder === 0,
    ...(ignoreValue !== undefined && { ignoreValue }),
    ...optional('gain', perBand('data gain values')),
    ...optional('offset', perBand('data offset values')),
    badBands,
    ...optional('bandInfo', bandInfo(h, bands, perBand, bad)),
    ...optional('defaultBands', defaultBands(fields.get('default bands'), bands, bad)),
    ...optional('georef', parseMapInfo(h)),
    ...optional('classes', classes(h, bad)),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Wavelength units: nanometres as they are, micrometres × 1000; others (wavenumber, index) are not wavelengths in nm. */
function unitScale(units: string | undefined, values: Float64Array): number | undefined {
  const u = (units ?? '').trim().toLowerCase();
  if (u === '') return Math.max(...values) < 100 ? 1000 : 1; // no units given: µm values are small (0.4-2.5), nm values large
  if (['nanometers', 'nanometres', 'nm', 'nanometer', 'nanometre'].includes(u)) return 1;
  if (['micrometers', 'micrometres', 'micrometer', 'micrometre', 'microns', 'micron', 'um', 'µm', 'μm'].includes(u)) return 1000;
  if (['millimeters', 'millimetres', 'mm'].includes(u)) return 1e6;
  return undefined;
}

function bandInfo(
  h: EnviHeaderText, bands: number, perBand: (key: string) => Float64Array | undefined, bad: (key: string, p: string) => never,
): BandInfo | undefined {
  const wl = perBand('wavelength');
  const fwhm = perBand('fwhm');
  const namesRaw = h.fields.get('band names');
  const names = namesRaw === undefined ? undefined : splitList(namesRaw);
  if (names !== undefined && names.length !== bands) bad('band names', `should name ${bands} bands, found ${names.length} names`);
  const scale = wl === undefined ? undefined : unitScale(h.fields.get('wavelength units'), wl);
  const info: BandInfo = {
    ...(wl !== undefined && scale !== undefined && { wavelengthsNm: wl.map((v) => v * scale) }),
    ...(fwhm !== undefined && scale !== undefined && { fwhmNm: fwhm.map((v) => v * scale) }),
    ...(names !== undefined && { names }),
  };
  return Object.keys(info).length === 0 ? undefined : info;
}

function defaultBands(raw: string | undefined, bands: number, bad: (key: string, p: string) => never): [number, number, number] | undefined {
  if (raw === undefined) return undefined;
  const v = splitList(raw).filter((s) => s !== '').map(Number);
  if (!v.every((b) => Number.isInteger(b) && b >= 1 && b <= bands) || (v.length !== 1 && v.length !== 3)) {
    bad('default bands', `should list 1 or 3 band numbers from 1 to ${bands}, found {${raw.slice(0, 60)}}`);
  }
  // One band means a grey view: the same band three times.
  return v.length === 1 ? [v[0] - 1, v[0] - 1, v[0] - 1] : [v[0] - 1, v[1] - 1, v[2] - 1];
}

/** `classes`, `class names`, `class lookup` of an ENVI Classification; class 0 is background (unlabelled). */
function classes(h: EnviHeaderText, bad: (key: string, p: string) => never): ClassInfo[] | undefined {
  const n = h.fields.get('classes');
  const namesRaw = h.fields.get('class names');
  if (n === undefined && namesRaw === undefined) return undefined;
  const count = n === undefined ? undefined : Number(n);
  // A classification holds uint8 or uint16 values: more than 65536 classes is a damaged header, not a legend to build.
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 65536)) bad('classes', `should be a whole number from 1 to 65536, found ${JSON.stringify(n)}`);
  const names = namesRaw === undefined ? [] : splitList(namesRaw);
  const total = count ?? names.length;
  const lookupRaw = h.fields.get('class lookup');
  const lookup = lookupRaw === undefined ? undefined : splitList(lookupRaw).filter((s) => s !== '').map(Number);
  if (lookup !== undefined && (lookup.length !== 3 * total || lookup.some((v) => !Number.isInteger(v) || v < 0 || v > 255))) {
    bad('class lookup', `should hold ${total} red, green, blue triples of 0-255 (one per class), found ${lookup.length} numbers`);
  }
  const out: ClassInfo[] = [];
  for (let v = 1; v < total; v++) {
    const name = names[v] !== undefined && names[v] !== '' ? names[v] : `class ${v}`;
    const color = lookup === undefined ? undefined : ([lookup[3 * v], lookup[3 * v + 1], lookup[3 * v + 2]] as const);
    out.push({ value: v, name, ...(color && { color }) });
  }
  return out;
}
