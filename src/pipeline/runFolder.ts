/**
 * A run's output folder while it runs. `run.json` carries a status — running, interrupted, failed,
 * done — rewritten atomically at each change; the checkpoint lives in `checkpoint/` while training;
 * results are written into a hidden `.partial/` folder and moved into place only when all exist, so a
 * folder never holds a metrics.json or a map unless the run finished.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, InputFileError } from '../core/errors.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';

export type RunStatus = 'running' | 'interrupted' | 'failed' | 'done';

export interface RunRecord {
  status: RunStatus;
  /** Process that owns a running run (a dead pid means the run was killed). */
  pid?: number;
  message?: string;
  [key: string]: unknown;
}

/** Checks that `dir` may become a run folder (new, empty, or --force), before any work is done. */
export function checkOutDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new ConfigError('--out', 'a folder path', dir, 'a file of that name exists: choose another --out');
  if (!force && readdirSync(dir).length > 0) {
    throw new ConfigError('--out', 'a new or empty folder', dir, 'choose another --out, pass --force to replace it, or --resume it if it is an interrupted run');
  }
}

export class RunFolder {
  readonly dir: string;
  private record: RunRecord;

  private constructor(dir: string, record: RunRecord) {
    this.dir = resolve(dir);
    this.record = record;
  }

  /** Creates the folder (replacing an old one with `force`) with run.json saying 'running'. */
  static create(dir: string, force: boolean, record: Omit<RunRecord, 'status'>): RunFolder {
    checkOutDir(dir, force);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const folder = new RunFolder(dir, { ...record, status: 'running', pid: process.pid });
    folder.save();
    return folder;
  }

  /** Opens an existing run folder to resume it. */
  static open(dir: string): RunFolder {
    const file = join(dir, 'run.json');
    const fix = 'pass --resume the output folder of an interrupted `spinalnet run`';
    if (!existsSync(file)) throw new InputFileError(dir, 'no run.json: not a spinalnet run folder', fix);
    let record: RunRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    } catch (err) {
      throw new InputFileError(file, `not valid JSON (${(err as Error).message})`, fix);
    }
    if (record.status === 'done') throw new ConfigError('--resume', 'an unfinished run', `${dir} (finished)`, 'the run is complete; start a new one with another --out');
    if (record.status === 'running' && record.pid !== undefined && isAlive(record.pid)) {
      throw new ConfigError('--resume', 'a run that is not running', `${dir} (process ${record.pid} is still running it)`, 'wait for it or stop it first');
    }
    // A killed run may have left half-written results (temporary files) in the staging folder: a resumed run writes them afresh.
    rmSync(join(dir, '.partial'), { recursive: true, force: true });
    return new RunFolder(dir, record);
  }

  get status(): RunStatus {
    return this.record.status;
  }

  get data(): Readonly<RunRecord> {
    return this.record;
  }

  /** Merges fields into run.json and writes it. */
  update(fields: Partial<RunRecord>): void {
    this.record = { ...this.record, ...fields };
    this.save();
  }

  get checkpointDir(): string {
    return join(this.dir, 'checkpoint');
  }

  /** Path of a result file, inside the hidden staging folder until `publish`. */
  partial(...parts: string[]): string {
    return join(this.dir, '.partial', ...parts);
  }

  /** Moves every staged result into the folder, removes the checkpoint, and marks the run done. */
  publish(fields: Partial<RunRecord>): void {
    const staging = join(this.dir, '.partial');
    for (const f of readdirSync(staging)) {
      rmSync(join(this.dir, f), { recursive: true, force: true });
      renameSync(join(staging, f), join(this.dir, f));
    }
    rmSync(staging, { recursive: true, force: true });
    rmSync(this.checkpointDir, { recursive: true, force: true });
    this.update({ ...fields, status: 'done', pid: undefined, message: undefined });
  }

  /** Marks the run failed or interrupted and drops unfinished results (the checkpoint stays). */
  stop(status: 'failed' | 'interrupted', message: string): void {
    rmSync(join(this.dir, '.partial'), { recursive: true, force: true });
    this.update({ status, message, pid: undefined });
  }

  private save(): void {
    writeFileAtomic(join(this.dir, 'run.json'), `${JSON.stringify(this.record, null, 2)}\n`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
