/**
 * Labelling the accuracy sample in the viewer (`spinalnet view RUN --reference samples.gpkg`): the
 * points `spinalnet sample` drew, and the reference class a person gives each one, written into the
 * layer's `reference` field at once (editGeoPackage, one queue per session). The assessment of the
 * labelled points is computed as `spinalnet assess` computes it, without writing anything.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, DataError, InputFileError } from '../core/errors.ts';
import type { AccuracyAreaFile } from '../evaluation/accuracyAreaFile.ts';
import { checkGeoPackageEditable, editGeoPackage, readGeoPackage } from '../io/vector/geopackage.ts';
import { estimateRunAccuracy } from '../pipeline/accuracyAssessment.ts';
import { WriteQueue } from './writeQueue.ts';

/** What a person may answer for a point they cannot label; assess skips it and counts it. */
export const CANT_TELL = "can't tell";

const LAYER = 'samples';

export interface ReferencePoint {
  fid: number;
  id: number;
  row: number;
  col: number;
  /** The map's class at the point (the page hides it until asked). */
  mapClass: string;
  reference: string | null;
}

export class ReferenceSession {
  private readonly queue = new WriteQueue();

  private constructor(readonly file: string, private readonly runDir: string, private readonly classNames: readonly string[]) {}

  static async open(path: string, runDir: string, classNames: readonly string[]): Promise<ReferenceSession> {
    const file = resolve(path);
    if (!existsSync(file)) throw new InputFileError(path, 'does not exist', 'draw the sample first: spinalnet sample RUN --size N --out samples.gpkg');
    const session = new ReferenceSession(file, runDir, classNames);
    await session.read();
    await checkGeoPackageEditable(file);
    return session;
  }

  private async read(): Promise<ReferencePoint[]> {
    const fix = 'pass the GeoPackage `spinalnet sample` wrote for this run';
    const layer = await readGeoPackage(this.file, { layer: LAYER });
    for (const f of ['id', 'row', 'col', 'map_class', 'reference']) {
      if (!layer.fields.some((d) => d.name === f)) throw new DataError(`${this.file}: layer '${LAYER}' has no field '${f}'`, fix);
    }
    return layer.features.map((f) => {
      const p = f.properties;
      return {
        fid: f.fid, id: Number(p.id), row: Number(p.row), col: Number(p.col), mapClass: String(p.map_class ?? ''),
        reference: p.reference === null || p.reference === '' ? null : String(p.reference),
      };
    });
  }

  points(): Promise<ReferencePoint[]> {
    return this.queue.run(() => this.read());
  }

  /** Sets one point's reference: a class name of the run, CANT_TELL, or null to clear it. */
  setReference(fid: number, reference: string | null): Promise<ReferencePoint[]> {
    return this.queue.run(async () => {
      if (reference !== null && reference !== CANT_TELL && !this.classNames.includes(reference)) {
        throw new ConfigError('reference', `one of the run's classes (${this.classNames.join(', ')}), "${CANT_TELL}" or null`, reference);
      }
      if (!Number.isInteger(fid)) throw new ConfigError('point', 'a point id (fid)', fid);
      const found = await editGeoPackage(this.file, (e) => e.update(LAYER, fid, undefined, { reference }));
      if (!found) throw new DataError(`no sample point with fid ${fid}`, 'reload the page');
      return this.read();
    });
  }

  /** The assessment of the points labelled so far (nothing written), as `spinalnet assess` reports it. */
  assess(): Promise<AccuracyAreaFile> {
    return this.queue.run(() => estimateRunAccuracy(this.runDir, { reference: this.file }));
  }
}
