/**
 * GeoPackage (OGC 12-128r18, 1.2+) feature layers through sql.js (SQLite compiled to WebAssembly, no
 * native build): reading any Point/MultiPoint/Polygon/MultiPolygon layer, writing a point layer whole,
 * and creating a layer to edit feature by feature (each edit written back atomically).
 */
import { existsSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from 'sql.js';
import { ConfigError, InputFileError, OutputSpaceError, SpinalnetError, VectorError } from '../../core/errors.ts';
import type { Feature, FieldDef, FieldType, Geometry, PropertyValue, ReadVectorOptions, VectorCrs, VectorLayer } from './types.ts';
import { decodeGpkgGeometry, encodeGpkgGeometry, encodeGpkgPoint, WkbFormatError } from './wkb.ts';

let sqlJs: Promise<SqlJsStatic> | undefined;
function sqlite(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs();
  return sqlJs;
}

/** Rows of a query as objects. */
function rows(db: Database, sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
  const out: Record<string, SqlValue>[] = [];
  for (const r of db.exec(sql, params)) for (const v of r.values) out.push(Object.fromEntries(r.columns.map((c, i) => [c, v[i]])));
  return out;
}

const quote = (id: string): string => `"${id.replaceAll('"', '""')}"`;

/** SQLite declared column type → field type; undefined for BLOB and other columns that hold no attribute. */
function fieldType(declared: string): FieldType | undefined {
  const t = declared.toUpperCase().replace(/\(.*$/, '').trim();
  if (['INTEGER', 'INT', 'MEDIUMINT', 'SMALLINT', 'TINYINT', 'BOOLEAN'].includes(t)) return 'integer';
  if (['REAL', 'DOUBLE', 'FLOAT'].includes(t)) return 'real';
  if (['TEXT', 'DATE', 'DATETIME'].includes(t)) return 'string';
  return undefined;
}

export async function readGeoPackage(path: string, options: ReadVectorOptions = {}): Promise<VectorLayer> {
  try {
    return await readLayer(path, options);
  } catch (e) {
    if (e instanceof SpinalnetError) throw e;
    // SQLite finds damage wherever a query first touches it (a page deep in a table, an index).
    throw new InputFileError(path, `is damaged: SQLite says ${(e as Error).message}`, 'pass a GeoPackage written by GDAL/QGIS (ogr2ogr -f GPKG), or check the file is complete');
  }
}

async function readLayer(path: string, options: ReadVectorOptions): Promise<VectorLayer> {
  const SQL = await sqlite();
  const db = new SQL.Database(await readFile(path));
  try {
    let layers: Record<string, SqlValue>[];
    try {
      layers = rows(db, `SELECT c.table_name AS t, g.column_name AS g, g.srs_id AS s FROM gpkg_contents c
        JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`);
    } catch (e) {
      const why = (e as Error).message;
      throw new InputFileError(path, /not a database|malformed/i.test(why) ? `is not a SQLite database (${why})` : `is not a GeoPackage (${why})`,
        'pass a GeoPackage written by GDAL/QGIS (ogr2ogr -f GPKG), or check the file is complete');
    }
    const names = layers.map((l) => String(l.t));
    if (names.length === 0) throw new VectorError(path, 'holds no feature layer', 'pass a GeoPackage with a vector layer (ogrinfo lists them)');
    let chosen = layers[0];
    if (options.layer !== undefined) {
      const hit = layers.find((l) => l.t === options.layer);
      if (!hit) throw new VectorError(path, `has no layer '${options.layer}' (its layers: ${names.join(', ')})`, 'pass one of those names as the layer');
      chosen = hit;
    } else if (names.length > 1) {
      throw new VectorError(path, `holds ${names.length} feature layers (${names.join(', ')}) and none was chosen`, 'pass one of those names as the layer');
    }
    const table = String(chosen.t);
    const geomColumn = String(chosen.g);
    const columns = rows(db, `PRAGMA table_info(${quote(table)})`);
    const pk = columns.find((c) => c.pk === 1);
    const fields: FieldDef[] = [];
    for (const c of columns) {
      if (c === pk || c.name === geomColumn) continue;
      const type = fieldType(String(c.type));
      if (type) fields.push({ name: String(c.name), type });
    }
    const features: Feature[] = [];
    const select = [pk ? quote(String(pk.name)) : 'rowid', quote(geomColumn), ...fields.map((f) => quote(f.name))].join(', ');
    const stmt = db.prepare(`SELECT ${select} FROM ${quote(table)} ORDER BY 1`);
    try {
      while (stmt.step()) {
        const v = stmt.get();
        const fid = Number(v[0]);
        const blob = v[1];
        let geometry = null;
        if (blob instanceof Uint8Array) {
          try { geometry = decodeGpkgGeometry(blob); } catch (e) {
            if (!(e instanceof WkbFormatError)) throw e;
            throw new VectorError(path, `layer '${table}', feature ${fid}: ${e.message}`,
              'convert the layer to points or polygons (ogr2ogr -nlt MULTIPOLYGON, or buffer lines) and try again');
          }
        }
        const properties: Record<string, PropertyValue> = {};
        fields.forEach((f, i) => { properties[f.name] = value(v[i + 2]); });
        features.push({ geometry, properties, fid });
      }
    } finally { stmt.free(); }
    return { name: table, crs: srs(db, Number(chosen.s)), fields, features };
  } finally { db.close(); }
}

function value(v: SqlValue): PropertyValue {
  return v === null || typeof v === 'number' || typeof v === 'string' ? v : null;
}

/** The layer's CRS from gpkg_spatial_ref_sys; undefined for the spec's undefined systems (-1, 0). */
function srs(db: Database, srsId: number): VectorCrs | undefined {
  if (srsId === -1 || srsId === 0) return undefined;
  const [r] = rows(db, 'SELECT organization AS o, organization_coordsys_id AS c, definition AS d FROM gpkg_spatial_ref_sys WHERE srs_id = ?', [srsId]);
  if (!r) return undefined;
  const epsg = String(r.o).toUpperCase() === 'EPSG' && Number(r.c) > 0 ? Number(r.c) : undefined;
  const wkt = typeof r.d === 'string' && r.d.trim() !== '' && r.d !== 'undefined' ? r.d : undefined;
  return epsg === undefined && wkt === undefined ? undefined : { ...(epsg !== undefined && { epsg }), ...(wkt !== undefined && { wkt }) };
}

/** Attribute values for one field, one per point. */
export type AttributeColumn = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array
  | readonly (string | null)[];

export interface GeoPackagePoints {
  readonly layerName: string;
  /** The points' CRS: an EPSG code (GDAL resolves it from its own database), a WKT, both, or neither (undefined Cartesian). */
  readonly crs: VectorCrs;
  readonly fields: readonly FieldDef[];
  readonly points: { readonly x: Float64Array; readonly y: Float64Array };
  /** One column per field, by field name. */
  readonly attributes: Readonly<Record<string, AttributeColumn>>;
}

/** The definition GeoPackage 1.2 Table 3 requires for EPSG:4326. */
const WGS84_WKT = 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
  + 'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
  + 'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]';

/** First srs_id of the range GDAL uses for CRSs without an EPSG code. */
const USER_SRS_ID = 100000;

const SQL_TYPE: Record<FieldType, string> = { string: 'TEXT', integer: 'INTEGER', real: 'REAL' };

/** The tables every GeoPackage holds (GeoPackage 1.2 §1.1.2, §1.1.3, §2.1.5), with the two undefined systems and WGS 84. */
function createGeoPackageTables(db: Database): void {
  db.run(`PRAGMA application_id = 1196444487; PRAGMA user_version = 10200;
    CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
      organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
    CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
      description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
      min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
      CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
    CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
      srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
      CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
      CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
      CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));`);
  const add = 'INSERT OR REPLACE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)';
  db.run(add, ['Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system']);
  db.run(add, ['Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system']);
  db.run(add, ['WGS 84 geodetic', 4326, 'EPSG', 4326, WGS84_WKT, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid']);
}

/** The srs_id for `crs`, its gpkg_spatial_ref_sys row added: the EPSG code, a user id for a WKT alone, -1 for none. */
function addSrs(db: Database, crs: VectorCrs, name: string): number {
  const srsId = crs.epsg ?? (crs.wkt !== undefined ? USER_SRS_ID : -1);
  if (srsId > 0 && srsId !== 4326) {
    // Without a WKT, 'undefined': GDAL and QGIS take an EPSG-organised row from their own EPSG database.
    db.run('INSERT OR REPLACE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)',
      [crs.epsg !== undefined ? `EPSG:${crs.epsg}` : name, srsId, crs.epsg !== undefined ? 'EPSG' : 'NONE', srsId, crs.wkt ?? 'undefined', null]);
  }
  return srsId;
}

/** The geometry types a feature table may declare here (GeoPackage 1.2 Table 30's names). */
export type GeometryTypeName = 'POINT' | 'MULTIPOINT' | 'POLYGON' | 'MULTIPOLYGON' | 'GEOMETRY';

function checkTableName(what: string, name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_ -]*$/.test(name) || /^(gpkg_|rtree_|sqlite_)/i.test(name)) {
    throw new ConfigError(what, 'a name of letters, digits, _ - or space, not starting with gpkg_, rtree_ or sqlite_', name);
  }
}

function checkFieldNames(fields: readonly FieldDef[]): void {
  const seen = new Set<string>(['fid', 'geom']);
  for (const f of fields) {
    if (seen.has(f.name.toLowerCase())) throw new ConfigError('fields', 'unique names other than fid and geom', `'${f.name}' twice or reserved`);
    seen.add(f.name.toLowerCase());
  }
}

/** A feature table (fid, geom, the fields) registered in gpkg_contents and gpkg_geometry_columns. */
function createFeatureTable(db: Database, name: string, geometryType: GeometryTypeName, srsId: number, fields: readonly FieldDef[]): void {
  db.run(`CREATE TABLE ${quote(name)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom ${geometryType}${fields.map((f) => `, ${quote(f.name)} ${SQL_TYPE[f.type]}`).join('')})`);
  db.run('INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, \'features\', ?, ?)', [name, name, srsId]);
  db.run('INSERT INTO gpkg_geometry_columns VALUES (?, \'geom\', ?, ?, 0, 0)', [name, geometryType, srsId]);
}

/** A non-spatial table (GeoPackage 'attributes', §2.4): QGIS and GDAL list it beside the layers. */
function createAttributesTable(db: Database, name: string, fields: readonly FieldDef[]): void {
  db.run(`CREATE TABLE ${quote(name)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL${fields.map((f) => `, ${quote(f.name)} ${SQL_TYPE[f.type]}`).join('')})`);
  db.run('INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES (?, \'attributes\', ?)', [name, name]);
}

export interface NewFeatureLayer {
  readonly layerName: string;
  /** The features' CRS (as for GeoPackagePoints). */
  readonly crs: VectorCrs;
  readonly geometryType: GeometryTypeName;
  readonly fields: readonly FieldDef[];
  /** Non-spatial tables to create beside the layer (e.g. a class list), empty. */
  readonly attributeTables?: readonly { readonly name: string; readonly fields: readonly FieldDef[] }[];
}

/** Creates a GeoPackage holding one empty feature layer (and any attribute tables), written atomically; an existing file is refused. */
export async function createGeoPackageLayer(path: string, layer: NewFeatureLayer): Promise<void> {
  checkTableName('layerName', layer.layerName);
  checkFieldNames(layer.fields);
  for (const t of layer.attributeTables ?? []) {
    checkTableName('attributeTables', t.name);
    checkFieldNames(t.fields);
  }
  if (existsSync(path)) throw new ConfigError('path', 'a new file', path, 'choose another file name, or open the existing one for editing');
  const SQL = await sqlite();
  const db = new SQL.Database();
  let bytes: Uint8Array;
  try {
    createGeoPackageTables(db);
    const srsId = addSrs(db, layer.crs, layer.layerName);
    createFeatureTable(db, layer.layerName, layer.geometryType, srsId, layer.fields);
    for (const t of layer.attributeTables ?? []) createAttributesTable(db, t.name, t.fields);
    bytes = db.export();
  } finally { db.close(); }
  await writeAtomically(path, bytes);
}

/** One feature's stored state: what an edit changes and what an undo puts back. */
export interface StoredFeature {
  readonly fid: number;
  readonly geometry: Geometry | null;
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

/**
 * Changes to an open GeoPackage, inside editGeoPackage. Table and field names are checked against the
 * file (never put into SQL unchecked); geometries are written in the layer's own srs_id.
 */
export class GeoPackageEditor {
  constructor(private readonly db: Database, private readonly path: string) {}

  private table(name: string): { columns: Set<string>; srsId: number | undefined } {
    const [t] = rows(this.db, 'SELECT data_type AS d FROM gpkg_contents WHERE table_name = ?', [name]);
    if (!t) throw new VectorError(this.path, `has no table '${name}'`, 'open the GeoPackage the viewer created, or create a new one');
    const [g] = rows(this.db, 'SELECT srs_id AS s FROM gpkg_geometry_columns WHERE table_name = ?', [name]);
    const columns = new Set(rows(this.db, `PRAGMA table_info(${quote(name)})`).map((c) => String(c.name)));
    return { columns, srsId: g ? Number(g.s) : undefined };
  }

  private checked(name: string, properties: Readonly<Record<string, PropertyValue>>): string[] {
    const { columns } = this.table(name);
    const keys = Object.keys(properties);
    for (const k of keys) if (!columns.has(k) || k === 'fid' || k === 'geom') throw new ConfigError('properties', `fields of table '${name}'`, k);
    return keys;
  }

  /** Adds a feature (or a row of an attributes table, geometry undefined); `fid` to put one back under its old id. Returns its fid. */
  insert(name: string, geometry: Geometry | null | undefined, properties: Readonly<Record<string, PropertyValue>>, fid?: number): number {
    const keys = this.checked(name, properties);
    const { srsId } = this.table(name);
    const cols = [...(fid !== undefined ? ['fid'] : []), ...(geometry !== undefined ? ['geom'] : []), ...keys];
    const values: SqlValue[] = [
      ...(fid !== undefined ? [fid] : []),
      ...(geometry !== undefined ? [geometry === null ? null : encodeGpkgGeometry(geometry, srsId ?? -1)] : []),
      ...keys.map((k) => properties[k] ?? null),
    ];
    this.db.run(`INSERT INTO ${quote(name)} (${cols.map(quote).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, values);
    return fid ?? Number(this.db.exec('SELECT last_insert_rowid()')[0]!.values[0]![0]);
  }

  /** Replaces a feature's geometry (undefined: keep it) and the given fields; false when there is no such fid. */
  update(name: string, fid: number, geometry: Geometry | null | undefined, properties: Readonly<Record<string, PropertyValue>>): boolean {
    const keys = this.checked(name, properties);
    const { srsId } = this.table(name);
    const sets = [...(geometry !== undefined ? ['geom'] : []), ...keys];
    if (sets.length === 0) return this.get(name, fid) !== undefined;
    this.db.run(`UPDATE ${quote(name)} SET ${sets.map((c) => `${quote(c)} = ?`).join(', ')} WHERE fid = ?`, [
      ...(geometry !== undefined ? [geometry === null ? null : encodeGpkgGeometry(geometry, srsId ?? -1)] : []),
      ...keys.map((k) => properties[k] ?? null), fid,
    ]);
    return this.db.getRowsModified() > 0;
  }

  delete(name: string, fid: number): boolean {
    this.table(name);
    this.db.run(`DELETE FROM ${quote(name)} WHERE fid = ?`, [fid]);
    return this.db.getRowsModified() > 0;
  }

  /** A feature as stored, or undefined. */
  get(name: string, fid: number): StoredFeature | undefined {
    const { columns } = this.table(name);
    const [r] = rows(this.db, `SELECT * FROM ${quote(name)} WHERE fid = ?`, [fid]);
    if (!r) return undefined;
    const properties: Record<string, PropertyValue> = {};
    for (const c of columns) if (c !== 'fid' && c !== 'geom') properties[c] = value(r[c]!);
    const blob = r.geom;
    return { fid, geometry: blob instanceof Uint8Array ? decodeGpkgGeometry(blob) : null, properties };
  }

  /** Every row of an attributes table, by fid. */
  rows(name: string): Record<string, PropertyValue>[] {
    this.table(name);
    return rows(this.db, `SELECT * FROM ${quote(name)} ORDER BY fid`).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, value(v)])));
  }
}

/** Every row of a table of the GeoPackage (an attributes table: no geometry decoded), by fid; [] when the table is not there. */
export async function readGeoPackageTable(path: string, name: string): Promise<Record<string, PropertyValue>[]> {
  const SQL = await sqlite();
  const db = new SQL.Database(await readFile(path));
  try {
    if (rows(db, 'SELECT 1 FROM gpkg_contents WHERE table_name = ?', [name]).length === 0) return [];
    return new GeoPackageEditor(db, path).rows(name);
  } finally { db.close(); }
}

/**
 * Refuses a GeoPackage whose triggers or virtual tables (GDAL's R-tree spatial index) sql.js cannot run:
 * an insert would fail inside them.
 */
function checkEditable(db: Database, path: string): void {
  if (rows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' OR (type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%')").length > 0) {
    throw new VectorError(path, 'has a spatial index or triggers (written by GDAL or QGIS) that spinalnet cannot update',
      `copy it without them and use the copy: ogr2ogr -lco SPATIAL_INDEX=NO copy.gpkg ${basename(path)}`);
  }
}

/** Throws unless editGeoPackage can change the file: checked when a session opens, before anyone labels. */
export async function checkGeoPackageEditable(path: string): Promise<void> {
  const SQL = await sqlite();
  const db = new SQL.Database(await readFile(path));
  try { checkEditable(db, path); } finally { db.close(); }
}

/**
 * Opens the GeoPackage at `path`, lets `edit` change it inside one transaction, and writes it back
 * whole (a temporary file beside it, renamed over it), so a crash leaves the old file or the new one,
 * never half of either. Writers of one file must be serialised by the caller (two overlapping edits
 * would each start from the same old file). An exception in `edit` leaves the file untouched.
 */
export async function editGeoPackage<T>(path: string, edit: (editor: GeoPackageEditor) => T): Promise<T> {
  const SQL = await sqlite();
  const db = new SQL.Database(await readFile(path));
  let result: T;
  let bytes: Uint8Array;
  try {
    checkEditable(db, path);
    db.run('BEGIN');
    result = edit(new GeoPackageEditor(db, path));
    // The layer's extent is left for readers to compute: GDAL and QGIS scan the features when it is null.
    db.run("UPDATE gpkg_contents SET min_x = NULL, min_y = NULL, max_x = NULL, max_y = NULL, last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE data_type = 'features'");
    db.run('COMMIT');
    bytes = db.export();
  } finally { db.close(); }
  await writeAtomically(path, bytes);
  return result;
}

/**
 * Writes a GeoPackage with one point layer (fid INTEGER PRIMARY KEY, geom POINT, the fields), whole:
 * to a temporary file beside `path`, then renamed over it, so a reader never sees half a file.
 */
export async function writeGeoPackagePoints(path: string, layer: GeoPackagePoints): Promise<void> {
  const n = checkPoints(layer);
  const SQL = await sqlite();
  const db = new SQL.Database();
  let bytes: Uint8Array;
  try {
    createGeoPackageTables(db);
    const srsId = addSrs(db, layer.crs, layer.layerName);
    const table = quote(layer.layerName);
    createFeatureTable(db, layer.layerName, 'POINT', srsId, layer.fields);
    db.run('UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?', [...extent(layer.points.x, layer.points.y), layer.layerName]);
    const insert = db.prepare(`INSERT INTO ${table} (geom${layer.fields.map((f) => `, ${quote(f.name)}`).join('')}) VALUES (?${', ?'.repeat(layer.fields.length)})`);
    db.run('BEGIN');
    for (let i = 0; i < n; i++) {
      insert.run([encodeGpkgPoint(layer.points.x[i], layer.points.y[i], srsId), ...layer.fields.map((f) => layer.attributes[f.name][i] ?? null)]);
    }
    db.run('COMMIT');
    insert.free();
    bytes = db.export();
  } finally { db.close(); }
  await writeAtomically(path, bytes);
}

function extent(x: Float64Array, y: Float64Array): (number | null)[] {
  if (x.length === 0) return [null, null, null, null];
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < x.length; i++) {
    x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]);
  }
  return [x0, y0, x1, y1];
}

/** Checks the layer is writable as given; returns the number of points. */
function checkPoints(layer: GeoPackagePoints): number {
  const { layerName, fields, points, attributes } = layer;
  checkTableName('layerName', layerName);
  const n = points.x.length;
  if (points.y.length !== n) throw new ConfigError('points.y', `${n} values (as many as points.x)`, `${points.y.length} values`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(points.x[i]) || !Number.isFinite(points.y[i])) throw new ConfigError(`points[${i}]`, 'finite x and y', `(${points.x[i]}, ${points.y[i]})`);
  }
  const seen = new Set<string>(['fid', 'geom']);
  for (const f of fields) {
    if (seen.has(f.name.toLowerCase())) throw new ConfigError('fields', `unique names other than fid and geom`, `'${f.name}' twice or reserved`);
    seen.add(f.name.toLowerCase());
    const col = attributes[f.name];
    if (col === undefined) throw new ConfigError(`attributes.${f.name}`, `a column of ${n} values for field '${f.name}'`, 'nothing');
    if (col.length !== n) throw new ConfigError(`attributes.${f.name}`, `${n} values (one per point)`, `${col.length} values`);
    const strings = Array.isArray(col);
    if ((f.type === 'string') !== strings) throw new ConfigError(`attributes.${f.name}`, f.type === 'string' ? 'an array of strings' : 'a typed array of numbers', strings ? 'strings' : 'numbers');
    if (f.type === 'integer' && (col instanceof Float32Array || col instanceof Float64Array) && !col.every(Number.isInteger)) {
      throw new ConfigError(`attributes.${f.name}`, 'integers (the field is integer)', 'fractional values');
    }
  }
  return n;
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') throw new OutputSpaceError(path, code);
    throw e;
  }
}
