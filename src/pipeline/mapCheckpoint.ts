/**
 * What a map stopped by Ctrl-C (or killed) leaves to resume from, in the run folder's
 * `checkpoint/map/`: the trained model (so `--resume` does not train again), the training's summary
 * for the report, and the finished windows' raw results (class indices as uint16, confidence and, with
 * --probabilities, every class's probability as float32, row-major), recorded as each window finishes.
 * `map.json` says how many rows are done; it is rewritten atomically after the window's data, so a kill
 * between the two loses at most that window. On resume the recorded rows are replayed into the outputs
 * (mapOutputs.ts) and the map continues at the next window: the files equal an uninterrupted run's.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError } from '../core/errors.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
import { outputWriteError } from '../util/outputFile.ts';
import type { TrainResult } from '../training/trainModel.ts';
import type { MapWindow } from './tiledMap.ts';

interface MapRecord {
  version: 1;
  height: number;
  width: number;
  classes: number;
  confidence: boolean;
  probabilities: boolean;
  rowsDone: number;
  training: Omit<TrainResult, 'interrupted'>;
}

type Layout = Omit<MapRecord, 'version' | 'rowsDone' | 'training'>;

const FILES = { classes: 'classes.u16', confidence: 'confidence.f32', probabilities: 'probabilities.f32' } as const;

export class MapCheckpoint {
  readonly dir: string;
  private record: MapRecord;

  private constructor(dir: string, record: MapRecord) {
    this.dir = dir;
    this.record = record;
  }

  /** The trained model's folder (saveModel / loadModel). */
  get modelDir(): string {
    return join(this.dir, 'model');
  }

  get rowsDone(): number {
    return this.record.rowsDone;
  }

  get training(): Omit<TrainResult, 'interrupted'> {
    return this.record.training;
  }

  /**
   * Starts an empty map checkpoint (any older one is removed): `saveModel` writes the trained model into
   * the folder it is given, then map.json is written, so a checkpoint that opens has its whole model.
   */
  static async create(dir: string, layout: Layout, training: TrainResult, saveModel: (modelDir: string) => Promise<void>): Promise<MapCheckpoint> {
    const { interrupted: _, ...summary } = training;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cp = new MapCheckpoint(dir, { version: 1, ...layout, rowsDone: 0, training: summary });
    await saveModel(cp.modelDir);
    cp.save();
    return cp;
  }

  /** The map checkpoint in `dir`, or undefined when there is none (the run stopped before its map). */
  static open(dir: string): MapCheckpoint | undefined {
    const file = join(dir, 'map.json');
    if (!existsSync(file) || !existsSync(join(dir, 'model'))) return undefined;
    let record: MapRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as MapRecord;
    } catch (err) {
      throw new InputFileError(file, `not valid JSON (${(err as Error).message})`, 'delete the checkpoint/map folder to map the scene again from the start');
    }
    return new MapCheckpoint(dir, record);
  }

  /** True when this checkpoint was written for a map of this size and these outputs. */
  fits(layout: Layout): boolean {
    const r = this.record;
    return r.height === layout.height && r.width === layout.width && r.classes === layout.classes && r.confidence === layout.confidence && r.probabilities === layout.probabilities;
  }

  /** Appends a finished window (the next rows), then records it as done. */
  recordWindow(window: MapWindow): void {
    const { width, classes } = this.record;
    if (window.row0 !== this.record.rowsDone) throw new Error(`map checkpoint: window at row ${window.row0}, expected ${this.record.rowsDone}`); // a bug in the caller
    const p0 = window.row0 * width;
    this.writeAt(FILES.classes, Uint16Array.from(window.classes), p0 * 2);
    if (this.record.confidence) this.writeAt(FILES.confidence, window.confidence!, p0 * 4);
    if (this.record.probabilities) this.writeAt(FILES.probabilities, window.probabilities!, p0 * classes * 4);
    this.record.rowsDone = window.row0 + window.rows;
    this.save();
  }

  /** The recorded rows, read back in windows of `windowRows` rows (the windows of the interrupted map). */
  *replay(windowRows: number): Generator<MapWindow> {
    const { width, classes, rowsDone } = this.record;
    for (let row0 = 0; row0 < rowsDone; row0 += windowRows) {
      const rows = Math.min(windowRows, rowsDone - row0);
      const n = rows * width;
      const p0 = row0 * width;
      const cls = new Uint16Array(n);
      this.readAt(FILES.classes, cls, p0 * 2);
      const confidence = this.record.confidence ? new Float32Array(n) : undefined;
      if (confidence) this.readAt(FILES.confidence, confidence, p0 * 4);
      const probabilities = this.record.probabilities ? new Float32Array(n * classes) : undefined;
      if (probabilities) this.readAt(FILES.probabilities, probabilities, p0 * classes * 4);
      yield { row0, rows, classes: Int32Array.from(cls), ...(confidence && { confidence }), ...(probabilities && { probabilities }) };
    }
  }

  private writeAt(name: string, data: Uint16Array | Float32Array, position: number): void {
    const path = join(this.dir, name);
    try {
      const fd = openSync(path, existsSync(path) ? 'r+' : 'w');
      try {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw outputWriteError(err, path);
    }
  }

  private readAt(name: string, into: Uint16Array | Float32Array, position: number): void {
    const path = join(this.dir, name);
    const fd = openSync(path, 'r');
    try {
      const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
      let done = 0;
      while (done < bytes.length) {
        const got = readSync(fd, bytes, done, bytes.length - done, position + done);
        if (got === 0) throw new InputFileError(path, `ends before row ${this.record.rowsDone}`, 'delete the checkpoint/map folder to map the scene again from the start');
        done += got;
      }
    } finally {
      closeSync(fd);
    }
  }

  private save(): void {
    writeFileAtomic(join(this.dir, 'map.json'), `${JSON.stringify(this.record, null, 2)}\n`);
  }
}
