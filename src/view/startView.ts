/** Opens run folders and starts the view server: the library side of `spinalnet view`. */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { checkInteger, ConfigError, DataError } from '../core/errors.ts';
import { suggestRun } from '../pipeline/suggestRun.ts';
import { LabelSession } from './labelSession.ts';
import { ReferenceSession } from './referenceSession.ts';
import { RunView } from './runData.ts';
import { createViewServer } from './server.ts';

export interface ViewOptions {
  /** 0: a free port. */
  port: number;
  host: string;
  /** A GeoPackage of training labels to draw (created when missing): `--labels`. */
  labels?: string;
  /** The GeoPackage `spinalnet sample` wrote, to label point by point: `--reference`. */
  reference?: string;
  /**
   * With `labels`: how many pixels the "where to label next" panel lists (`spinalnet suggest` on the run,
   * the label file's pixels excluded); default 20 on a `spinalnet run` folder, 0: no panel. `--suggest`.
   */
  suggest?: number;
}

export interface RunningView {
  /** The page's address; with --labels or --reference it carries the session token (?token=…). */
  url: string;
  runs: RunView[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function startView(dirs: readonly string[], opts: ViewOptions, log: (line: string) => void = () => {}): Promise<RunningView> {
  checkInteger('--port', opts.port, 0);
  if (opts.port > 65535) throw new ConfigError('--port', 'a port 0..65535 (0: any free one)', opts.port);
  const runs = dirs.map((d) => new RunView(d));
  if (runs.length === 2 && runs[0]!.hasScene !== runs[1]!.hasScene) {
    throw new DataError('one run maps a scene and the other an image dataset', 'compare two scene runs or two image runs');
  }
  if (!LOOPBACK.has(opts.host)) {
    log(`warning: serving on ${opts.host}: anyone who can reach this address can see the run folders' files (the page has no login)`);
  }
  if (opts.suggest !== undefined) {
    checkInteger('--suggest', opts.suggest, 0);
    if (opts.suggest > 0 && opts.labels === undefined) throw new ConfigError('--suggest', 'a label file to go with it (--labels FILE.gpkg)', opts.suggest, 'run `spinalnet view RUN_DIR --labels FILE.gpkg --suggest N`');
  }
  // Suggestions need the run's model and training pixels: a `spinalnet run` folder, not a `predict` one
  // (refused before the scene is read when asked for; off by default there). Two folders: --labels refuses them below.
  const isRun = runs.length === 1 && runs[0]!.kind === 'run';
  const suggestSize = opts.labels === undefined ? 0 : opts.suggest ?? (isRun ? DEFAULT_SUGGEST : 0);
  if (suggestSize > 0 && runs.length === 1 && !isRun) {
    throw new ConfigError('--suggest', 'a `spinalnet run` folder (its model and training pixels)', dirs.join(' '), 'leave --suggest out for a `predict` folder, or view the run that trained the model');
  }
  let labels: LabelSession | undefined;
  let reference: ReferenceSession | undefined;
  if (opts.labels !== undefined || opts.reference !== undefined) {
    const flag = opts.labels !== undefined ? '--labels' : '--reference';
    if (runs.length !== 1 || !runs[0]!.hasScene) throw new ConfigError(flag, 'one scene run folder (run or predict)', dirs.join(' '), `run \`spinalnet view RUN_DIR ${flag} FILE.gpkg\``);
    if (opts.labels !== undefined && opts.reference !== undefined && resolve(opts.labels) === resolve(opts.reference)) {
      throw new ConfigError('--labels', 'a file other than --reference', opts.labels, 'training labels and the accuracy sample go in separate files');
    }
    const maps = await runs[0]!.sceneMaps();
    const grid = { height: maps.height, width: maps.width, ...(maps.scene.georef && { georef: maps.scene.georef }) };
    if (opts.labels !== undefined) {
      if (!maps.scene.georef) log('warning: the scene has no georeference: labels are written in pixel coordinates (x = column, y = row), with no CRS');
      labels = await LabelSession.open(opts.labels, grid, maps.classes.map((c) => ({ code: c.value, name: c.name, color: [...c.color] as [number, number, number] })));
    }
    if (opts.reference !== undefined) reference = await ReferenceSession.open(opts.reference, runs[0]!.dir, maps.classes.map((c) => c.name));
  }
  let suggestions: (() => Promise<SuggestionList>) | undefined;
  if (labels && suggestSize > 0) {
    const file = labels.file;
    suggestions = () => suggestionList(runs[0]!.dir, suggestSize, file, log);
  }
  // Only a session that writes needs the secret; it travels in the printed URL and goes back in a header.
  const token = labels || reference ? randomBytes(24).toString('base64url') : undefined;
  const server = createViewServer(runs, { loopback: LOOPBACK.has(opts.host), ...(token && { token }), ...(labels && { labels }), ...(reference && { reference }), ...(suggestions && { suggestions }) });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new ConfigError('--port', 'a free port', opts.port, 'pick another --port, or leave it out for a free one') : err),
    );
    server.listen(opts.port, opts.host, ok);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/${token ? `?token=${token}` : ''}`,
    runs,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

const DEFAULT_SUGGEST = 20;

/** The "where to label next" list as the page gets it: `spinalnet suggest`'s pixels, most uncertain first. */
export interface SuggestionList {
  size: number;
  spacing: number;
  /** Unlabelled pixels the model was asked about. */
  candidates: number;
  suggestions: { rank: number; row: number; col: number; margin: number; mapClass: string }[];
  warnings: readonly string[];
}

/** `suggestRun` on the run with the label file as the exclude layer, so pixels labelled so far are skipped; nothing written. */
async function suggestionList(dir: string, size: number, labelFile: string, log: (line: string) => void): Promise<SuggestionList> {
  const r = await suggestRun(dir, { size, exclude: labelFile, log });
  return {
    size, spacing: r.spacing, candidates: r.candidates, warnings: r.warnings,
    suggestions: Array.from(r.pixels, (_, i) => ({ rank: i + 1, row: r.rows[i]!, col: r.cols[i]!, margin: r.margin[i]!, mapClass: r.mapClass[i]! })),
  };
}
