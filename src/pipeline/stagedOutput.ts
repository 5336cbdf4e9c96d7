/**
 * An output folder that appears only when complete: every file is written into a hidden staging
 * folder beside the destination, which is renamed into place at the end. A run that fails or is
 * killed leaves no folder that looks finished.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';

export class StagedOutput {
  readonly finalDir: string;
  readonly stagingDir: string;
  private readonly force: boolean;

  private constructor(finalDir: string, force: boolean) {
    this.finalDir = resolve(finalDir);
    this.force = force;
    this.stagingDir = join(dirname(this.finalDir), `.${basename(this.finalDir)}.partial-${process.pid}`);
  }

  /** Checks the destination before any work starts, then creates the staging folder. */
  static open(finalDir: string, force: boolean): StagedOutput {
    const out = new StagedOutput(finalDir, force);
    if (existsSync(out.finalDir)) {
      if (!statSync(out.finalDir).isDirectory()) {
        throw new ConfigError('--out', 'a folder path', finalDir, 'a file of that name exists: choose another --out');
      }
      if (!force && readdirSync(out.finalDir).length > 0) {
        throw new ConfigError('--out', 'a new or empty folder', finalDir, 'choose another --out, or pass --force to replace it');
      }
    }
    rmSync(out.stagingDir, { recursive: true, force: true });
    mkdirSync(out.stagingDir, { recursive: true });
    return out;
  }

  /** Path of a file inside the (staging) folder. */
  path(...parts: string[]): string {
    return join(this.stagingDir, ...parts);
  }

  /** Moves the finished folder into place, replacing an old one only now that the new one is complete. */
  commit(): string {
    if (existsSync(this.finalDir)) {
      if (!this.force && readdirSync(this.finalDir).length > 0) {
        throw new ConfigError('--out', 'a new or empty folder', this.finalDir, 'choose another --out, or pass --force to replace it');
      }
      rmSync(this.finalDir, { recursive: true, force: true });
    }
    renameSync(this.stagingDir, this.finalDir);
    return this.finalDir;
  }

  /** Removes the staging folder after a failure. */
  abandon(): void {
    rmSync(this.stagingDir, { recursive: true, force: true });
  }
}
