/**
 * Labelling in the viewer (`spinalnet view RUN --labels FILE.gpkg`): the one label file of a session,
 * its classes, and the edits a page asks for — label a pixel, a rectangle or a polygon with a class,
 * erase, add a class, undo. Every edit is written to the file at once (editGeoPackage: whole file,
 * temporary file + rename), and all writes of a session go through one queue, so two tabs never
 * interleave. The path is fixed when the session opens; no request names a file.
 *
 * A label covers whole pixels: the pixels a shape selects (a polygon selects the pixel centres inside it,
 * gdal_rasterize's rule) are stored as their outline on pixel edges. Labelling pixels that another
 * class's feature covers takes them out of that feature, so a pixel never has two classes and the file
 * stays usable by `--train-vector` (which refuses overlapping classes).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, DataError, InputFileError } from '../core/errors.ts';
import { checkGeoPackageEditable, editGeoPackage, readGeoPackageTable, type StoredFeature } from '../io/vector/geopackage.ts';
import { createLabelFile, LABEL_CLASS_TABLE, LABEL_LAYER, pixelsToGeometry, readLabelFile } from '../io/vector/labelLayer.ts';
import { featurePixels, fillPolygon, type SceneGrid } from '../io/vector/rasterize.ts';
import type { PropertyValue } from '../io/vector/types.ts';
import { WriteQueue } from './writeQueue.ts';

export interface LabelClass {
  code: number;
  name: string;
  /** [r, g, b] 0–255. */
  color: [number, number, number];
}

/** A selection on the scene grid: x = column, y = row (fractional for polygon vertices). */
export type LabelShape =
  | { kind: 'pixel'; row: number; col: number }
  | { kind: 'rect'; row0: number; col0: number; row1: number; col1: number }
  | { kind: 'polygon'; points: [number, number][] };

export interface LabelState {
  file: string;
  georeferenced: boolean;
  classes: LabelClass[];
  /** Per feature: its class and the pixels it burns (row-major indices). */
  features: { fid: number; code: number | null; landcover: string | null; pixels: number[] }[];
  /** Per class code: features and labelled pixels (each pixel once). */
  counts: Record<number, { features: number; pixels: number }>;
  /** Edits that undo can take back. */
  undoable: number;
}

/** One edit's changes: each touched feature's state before it (null: the feature was new). */
type UndoEntry = { fid: number; before: StoredFeature | null }[];

const MAX_UNDO = 200;

export class LabelSession {
  private readonly queue = new WriteQueue();
  private readonly undoStack: UndoEntry[] = [];

  private constructor(readonly file: string, private readonly grid: SceneGrid, private readonly runClasses: readonly LabelClass[]) {}

  /** Opens `path` (created, with the run's classes, when missing) for a scene on `grid`. */
  static async open(path: string, grid: SceneGrid, runClasses: readonly LabelClass[]): Promise<LabelSession> {
    const file = resolve(path);
    if (!/\.gpkg$/i.test(file)) throw new ConfigError('--labels', 'a GeoPackage path ending in .gpkg', path);
    if (!existsSync(file)) {
      if (!existsSync(dirname(file))) throw new InputFileError(dirname(file), 'is not a folder', 'create the folder for the label file first, or give another path');
      await createLabelFile(file, grid);
      await editGeoPackage(file, (e) => {
        for (const c of runClasses) e.insert(LABEL_CLASS_TABLE, undefined, { code: c.code, landcover: c.name, color: hex(c.color) });
      });
    }
    await readLabelFile(file, grid);
    await checkGeoPackageEditable(file);
    return new LabelSession(file, grid, runClasses);
  }

  /** The run's classes, then the file's own (new classes, and any class its features name). */
  private async classes(): Promise<{ classes: LabelClass[]; layer: Awaited<ReturnType<typeof readLabelFile>> }> {
    const layer = await readLabelFile(this.file, this.grid);
    const classes = this.runClasses.map((c) => ({ ...c }));
    const rows = await readGeoPackageTable(this.file, LABEL_CLASS_TABLE);
    for (const r of rows) {
      const code = Number(r.code);
      if (!Number.isInteger(code) || classes.some((c) => c.code === code)) continue;
      classes.push({ code, name: String(r.landcover ?? `class ${code}`), color: parseHex(r.color) ?? [128, 128, 128] });
    }
    for (const f of layer.features) {
      const code = f.properties.code;
      if (typeof code === 'number' && !classes.some((c) => c.code === code)) classes.push({ code, name: String(f.properties.landcover ?? `class ${code}`), color: [128, 128, 128] });
    }
    return { classes, layer };
  }

  /** The file as it is now. */
  state(): Promise<LabelState> {
    return this.queue.run(() => this.read());
  }

  private async read(): Promise<LabelState> {
    const { classes, layer } = await this.classes();
    const { pixels } = featurePixels(layer, this.grid);
    const features = layer.features.map((f, i) => ({
      fid: f.fid, code: this.codeOf(f.properties, classes), landcover: typeof f.properties.landcover === 'string' ? f.properties.landcover : null, pixels: Array.from(pixels[i]!),
    }));
    const counts: LabelState['counts'] = {};
    const union = new Map<number, Set<number>>();
    for (const f of features) {
      if (f.code === null) continue;
      const c = (counts[f.code] ??= { features: 0, pixels: 0 });
      c.features++;
      let u = union.get(f.code);
      if (!u) union.set(f.code, (u = new Set()));
      for (const p of f.pixels) u.add(p);
    }
    for (const [code, u] of union) counts[code]!.pixels = u.size;
    return { file: this.file, georeferenced: this.grid.georef !== undefined, classes, features, counts, undoable: this.undoStack.length };
  }

  /** A feature's class code: its code field, else its landcover name matched to a class. */
  private codeOf(p: Readonly<Record<string, PropertyValue>>, classes: readonly LabelClass[]): number | null {
    if (typeof p.code === 'number') return p.code;
    const name = typeof p.landcover === 'string' ? p.landcover.trim().toLowerCase() : undefined;
    return classes.find((c) => c.name.trim().toLowerCase() === name)?.code ?? null;
  }

  /** Labels the shape's pixels with class `code` (null: erases them). */
  label(shape: LabelShape, code: number | null): Promise<LabelState> {
    return this.queue.run(async () => {
      const selected = this.shapePixels(shape);
      const { classes, layer } = await this.classes();
      const cls = code === null ? undefined : classes.find((c) => c.code === code);
      if (code !== null && !cls) throw new DataError(`no class with code ${code}`, `pick one of ${classes.map((c) => `${c.code} ${c.name}`).join(', ')}, or add a class first`);
      const { pixels } = featurePixels(layer, this.grid);
      const chosen = new Set(selected);
      const entry: UndoEntry = [];
      await editGeoPackage(this.file, (e) => {
        layer.features.forEach((f, i) => {
          if (code !== null && this.codeOf(f.properties, classes) === code) return;
          const own = pixels[i]!;
          if (!own.some((p) => chosen.has(p))) return;
          entry.push({ fid: f.fid, before: e.get(LABEL_LAYER, f.fid)! });
          const rest = own.filter((p) => !chosen.has(p));
          const geometry = pixelsToGeometry(rest, this.grid);
          if (geometry) e.update(LABEL_LAYER, f.fid, geometry, {});
          else e.delete(LABEL_LAYER, f.fid);
        });
        if (cls) {
          const fid = e.insert(LABEL_LAYER, pixelsToGeometry(selected, this.grid)!, { landcover: cls.name, code: cls.code });
          entry.push({ fid, before: null });
        }
      });
      if (entry.length > 0) {
        this.undoStack.push(entry);
        if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
      }
      return this.read();
    });
  }

  /** Takes back the last edit of this session (features only; added classes stay). */
  undo(): Promise<LabelState> {
    return this.queue.run(async () => {
      const entry = this.undoStack.pop();
      if (!entry) throw new DataError('nothing to undo', 'label something first');
      await editGeoPackage(this.file, (e) => {
        for (const { fid, before } of [...entry].reverse()) {
          if (before === null) e.delete(LABEL_LAYER, fid);
          else if (!e.update(LABEL_LAYER, fid, before.geometry, before.properties)) e.insert(LABEL_LAYER, before.geometry, before.properties, fid);
        }
      });
      return this.read();
    });
  }

  /** A new named class with a colour; its code is one more than the largest in use. */
  addClass(name: string, color: string): Promise<LabelState> {
    return this.queue.run(async () => {
      const trimmed = name.trim();
      if (trimmed === '' || trimmed.length > 80 || /[\u0000-\u001f]/.test(trimmed)) throw new ConfigError('class name', 'a name of 1–80 printable characters', name);
      const rgb = parseHex(color);
      if (!rgb) throw new ConfigError('class colour', 'a colour as #rrggbb', color);
      const { classes } = await this.classes();
      if (classes.some((c) => c.name.trim().toLowerCase() === trimmed.toLowerCase())) throw new DataError(`a class named '${trimmed}' exists`, 'pick it from the list, or choose another name');
      const code = Math.max(0, ...classes.map((c) => c.code)) + 1;
      await editGeoPackage(this.file, (e) => e.insert(LABEL_CLASS_TABLE, undefined, { code, landcover: trimmed, color: hex(rgb) }));
      return this.read();
    });
  }

  /** Row-major pixels a shape selects, checked against the grid. */
  private shapePixels(shape: LabelShape | undefined): number[] {
    const { height, width } = this.grid;
    const int = (v: unknown, n: number, what: string): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) throw new ConfigError(what, `an integer 0..${n - 1}`, v);
      return v;
    };
    const out: number[] = [];
    if (shape?.kind === 'pixel') {
      out.push(int(shape.row, height, 'row') * width + int(shape.col, width, 'col'));
    } else if (shape?.kind === 'rect') {
      const [r0, r1] = [int(shape.row0, height, 'row0'), int(shape.row1, height, 'row1')].sort((a, b) => a - b);
      const [c0, c1] = [int(shape.col0, width, 'col0'), int(shape.col1, width, 'col1')].sort((a, b) => a - b);
      for (let r = r0!; r <= r1!; r++) for (let c = c0!; c <= c1!; c++) out.push(r * width + c);
    } else if (shape?.kind === 'polygon') {
      const pts = shape.points;
      if (!Array.isArray(pts) || pts.length < 3 || pts.length > 10_000 || !pts.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
        throw new ConfigError('polygon', '3 to 10000 vertices [x, y] (x = column, y = row)', `${Array.isArray(pts) ? pts.length : 'no'} vertices`);
      }
      const seen = new Set<number>();
      fillPolygon(width, height, [Float64Array.from(pts.flat())], (row, x0, x1) => {
        for (let x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) seen.add(row * width + x);
      });
      out.push(...[...seen].sort((a, b) => a - b));
    } else {
      throw new ConfigError('shape', "{kind: 'pixel' | 'rect' | 'polygon', …}", JSON.stringify(shape)?.slice(0, 80));
    }
    if (out.length === 0) throw new DataError('the polygon covers no pixel centre', 'draw it around the centres of the pixels to label');
    return out;
  }
}

function hex(c: readonly number[]): string {
  return `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

function parseHex(v: unknown): [number, number, number] | undefined {
  if (typeof v !== 'string' || !/^#[0-9a-f]{6}$/i.test(v)) return undefined;
  return [0, 2, 4].map((i) => parseInt(v.slice(1 + i, 3 + i), 16)) as [number, number, number];
}
