/** Opens run folders and starts the view server: the library side of `spinalnet view`. */
import type { AddressInfo } from 'node:net';
import { checkInteger, ConfigError, DataError } from '../core/errors.ts';
import { RunView } from './runData.ts';
import { createViewServer } from './server.ts';

export interface ViewOptions {
  /** 0: a free port. */
  port: number;
  host: string;
}

export interface RunningView {
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
  const server = createViewServer(runs, { loopback: LOOPBACK.has(opts.host) });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new ConfigError('--port', 'a free port', opts.port, 'pick another --port, or leave it out for a free one') : err),
    );
    server.listen(opts.port, opts.host, ok);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    runs,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
