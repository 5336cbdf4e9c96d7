/** `spinalnet view RUN_DIR [RUN_DIR2] [--labels FILE.gpkg [--suggest N]] [--reference samples.gpkg]`: serves the interactive page until Ctrl-C. */
import { spawn } from 'node:child_process';
import { ConfigError } from '../core/errors.ts';
import { startView } from '../view/startView.ts';
import { bool, num, parse, str } from './args.ts';
import { VIEW_HELP } from './help.ts';

export async function viewCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(
    argv,
    { help: { type: 'boolean', short: 'h' }, port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' }, labels: { type: 'string' }, suggest: { type: 'string' }, reference: { type: 'string' } },
    'view',
  );
  if (v.help) {
    process.stdout.write(`${VIEW_HELP}\n`);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    throw new ConfigError('spinalnet view', 'one or two run folders', positionals.join(' ') || 'nothing', 'run `spinalnet view RUN_DIR [RUN_DIR2]`');
  }
  const labels = str(v, 'labels');
  const reference = str(v, 'reference');
  const suggest = num(v, 'suggest');
  const view = await startView(
    positionals,
    { port: num(v, 'port', 0), host: str(v, 'host') ?? '127.0.0.1', ...(labels !== undefined && { labels }), ...(reference !== undefined && { reference }), ...(suggest !== undefined && { suggest }) },
    (line) => process.stderr.write(`${line}\n`),
  );
  // Ctrl-C is caught before the URL is printed: whoever sees the URL may already stop the server.
  const stopped = new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      view.close().then(done, done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write(`${view.url}\n`);
  if (bool(v, 'open', false)) openBrowser(view.url);
  await stopped;
  return 0;
}

/** The desktop's own opener; a failure only means the user opens the printed URL by hand. */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not start ${cmd}: open ${url} yourself\n`));
  child.unref();
}
