/**
 * ESRI Shapefile: a .shp with its .dbf (attributes), .prj (CRS as WKT) and .cpg (text encoding), loose
 * or inside a .zip. Geometry and attribute values come from the `shapefile` package (mbostock's, the
 * d3 ecosystem's reader: small, no native code, gives the file's own coordinates; shpjs instead
 * reprojects everything to WGS 84 on reading, which would hide the layer's CRS); zips are opened
 * with fflate.
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { open } from 'shapefile';
import { InputFileError, VectorError } from '../../core/errors.ts';
import { GeoJsonGeometryError, toGeometry } from './geojson.ts';
import type { Feature, FieldDef, Geometry, PropertyValue, ReadVectorOptions, VectorLayer } from './types.ts';

/** The files of one shapefile, as bytes. */
interface ShapefileParts {
  name: string;
  shp: Uint8Array;
  dbf: Uint8Array;
  prj?: string;
  cpg?: string;
}

/**
 * Field names and types from the .dbf header (dBASE III: 32-byte descriptors from byte 32 to 0x0D).
 * Hand-written because the shapefile package keeps the descriptors private and drops the decimal
 * count, which is what tells an integer field (N, 0 decimals, as GDAL writes Integer) from a real one.
 */
function dbfFields(dbf: Uint8Array, file: string): { name: string; type: FieldDef['type'] }[] {
  if (dbf.length < 33) throw new InputFileError(file, 'has a .dbf shorter than its header', 'copy the complete .dbf beside the .shp');
  const fields: FieldDef[] = [];
  const decoder = new TextDecoder('latin1');
  for (let at = 32; at + 32 <= dbf.length && dbf[at] !== 0x0d; at += 32) {
    const raw = dbf.subarray(at, at + 11);
    const end = raw.indexOf(0);
    const name = decoder.decode(end < 0 ? raw : raw.subarray(0, end));
    const code = String.fromCharCode(dbf[at + 11]);
    const decimals = dbf[at + 17];
    const type = code === 'N' ? (decimals === 0 ? 'integer' : 'real') : code === 'F' ? 'real' : code === 'L' ? 'integer' : 'string';
    fields.push({ name, type });
  }
  return fields;
}

async function looseParts(path: string): Promise<ShapefileParts> {
  // The sidecars may be spelled .DBF etc.; match the stem and extension case-insensitively, as GDAL does.
  const dir = dirname(path);
  const stem = basename(path, extname(path));
  const names = await readdir(dir);
  const side = (ext: string): string | undefined => {
    const hit = names.find((n) => n.toLowerCase() === `${stem}${ext}`.toLowerCase());
    return hit === undefined ? undefined : join(dir, hit);
  };
  const dbf = side('.dbf');
  if (dbf === undefined) {
    throw new InputFileError(path, `has no ${stem}.dbf beside it (the attribute table, where the class field is)`,
      'copy the .dbf (and .shx, .prj) that belong to this .shp into the same folder');
  }
  const prj = side('.prj');
  const cpg = side('.cpg');
  return {
    name: stem, shp: await readFile(path), dbf: await readFile(dbf),
    ...(prj && { prj: await readFile(prj, 'utf8') }), ...(cpg && { cpg: (await readFile(cpg, 'utf8')).trim() }),
  };
}

function zipParts(path: string, zip: Uint8Array, layer: string | undefined): ShapefileParts {
  let entries: Record<string, Uint8Array>;
  try { entries = unzipSync(zip); } catch (e) {
    throw new InputFileError(path, `is not a readable zip (${(e as Error).message})`, 'pass a .zip holding a .shp, .shx, .dbf and .prj');
  }
  const files = Object.keys(entries).filter((n) => !n.startsWith('__MACOSX/'));
  const shps = files.filter((n) => n.toLowerCase().endsWith('.shp'));
  const stems = shps.map((n) => n.slice(0, -4));
  const layers = stems.map((s) => basename(s));
  if (shps.length === 0) throw new InputFileError(path, 'holds no .shp file', 'zip the .shp with its .shx, .dbf and .prj');
  let i = 0;
  if (layer !== undefined) {
    i = layers.indexOf(layer);
    if (i < 0) throw new VectorError(path, `has no layer '${layer}' (its shapefiles: ${layers.join(', ')})`, 'pass one of those names as the layer');
  } else if (shps.length > 1) {
    throw new VectorError(path, `holds ${shps.length} shapefiles (${layers.join(', ')}) and none was chosen`, 'pass one of those names as the layer');
  }
  const get = (ext: string): Uint8Array | undefined => {
    const hit = files.find((n) => n.toLowerCase() === `${stems[i]}${ext}`.toLowerCase());
    return hit === undefined ? undefined : entries[hit];
  };
  const dbf = get('.dbf');
  if (!dbf) throw new InputFileError(path, `holds ${shps[i]} without its .dbf (the attribute table)`, 'zip the .dbf (and .shx, .prj) with the .shp');
  const prj = get('.prj');
  const cpg = get('.cpg');
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { name: layers[i], shp: get('.shp')!, dbf, ...(prj && { prj: text(prj) }), ...(cpg && { cpg: text(cpg).trim() }) };
}

function property(v: unknown): PropertyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v);
}

/** Whether TextDecoder knows the .cpg's encoding (the shapefile package decodes with it). */
function knownEncoding(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  try { new TextDecoder(label); return label; } catch { return undefined; }
}

export async function readShapefile(path: string, options: ReadVectorOptions = {}): Promise<VectorLayer> {
  const zipped = path.toLowerCase().endsWith('.zip');
  const parts = zipped ? zipParts(path, await readFile(path), options.layer) : await looseParts(path);
  if (!zipped && options.layer !== undefined && options.layer !== parts.name) {
    throw new VectorError(path, `has no layer '${options.layer}' (a shapefile holds one layer, '${parts.name}')`, `pass '${parts.name}' as the layer, or none`);
  }
  const fields = dbfFields(parts.dbf, path);
  const encoding = knownEncoding(parts.cpg);
  const features: Feature[] = [];
  try {
    const source = await open(parts.shp, parts.dbf, encoding === undefined ? {} : { encoding });
    for (let r = await source.read(), fid = 0; !r.done; r = await source.read(), fid++) {
      let geometry: Geometry | null;
      try { geometry = toGeometry(r.value.geometry); } catch (e) {
        if (!(e instanceof GeoJsonGeometryError)) throw e;
        throw new VectorError(path, `record ${fid}: ${e.message}`, 'convert the layer to points or polygons (ogr2ogr -nlt MULTIPOLYGON, or buffer lines) and try again');
      }
      const props = r.value.properties ?? {};
      const properties = Object.fromEntries(fields.map((f) => [f.name, property(props[f.name])]));
      features.push({ geometry, properties, fid });
    }
  } catch (e) {
    if (e instanceof VectorError) throw e;
    throw new InputFileError(path, `is not a readable shapefile (${(e as Error).message})`, 'check the .shp and .dbf are complete and belong together');
  }
  const prj = parts.prj?.trim();
  return { name: parts.name, crs: prj ? { wkt: prj } : undefined, fields, features };
}
