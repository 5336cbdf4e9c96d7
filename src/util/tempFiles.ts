/**
 * Temporary files that must not outlive the process: removed by their owner when done (success or
 * failure), and otherwise when the process ends, whether by `process.exit`, the end of the event loop,
 * or SIGINT/SIGTERM (Ctrl-C, `kill`).
 *
 * Signals: while a temporary file exists, this module listens for SIGINT and SIGTERM. When no one else
 * listens (e.g. PCA or the map running), it removes the files and exits with 128 + the signal number
 * (130, 143), as the default action would. When someone else listens (training's listenForStop in
 * src/pipeline/stopSignals.ts stops at the next batch and saves a checkpoint), it leaves the decision to
 * them: the run then returns and its owner removes the file, or a second signal exits (process.exit),
 * which the 'exit' hook below covers. SIGKILL cannot be caught; such a file stays in the temporary folder
 * under its `spinalnet-` name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Other listeners (a graceful stop) decide what this signal means; the files go when the process does.
  if (process.listenerCount(signal) > 1) return;
  removeAll();
  process.exit(SIGNAL_EXIT[signal as 'SIGINT' | 'SIGTERM'] ?? 1);
}

function listen(on: boolean): void {
  const method = on ? 'on' : 'off';
  process[method]('exit', removeAll);
  process[method]('SIGINT', onSignal);
  process[method]('SIGTERM', onSignal);
}

/** A new private folder under the system's temporary folder (`spinalnet-<what>-XXXXXX`), removed as above. */
export function makeTempDir(what: string): string {
  const dir = mkdtempSync(join(tmpdir(), `spinalnet-${what}-`));
  if (live.size === 0) listen(true);
  live.add(dir);
  return dir;
}

/** Removes a folder made by makeTempDir (idempotent); the signal hooks go with the last one. */
export function removeTempDir(dir: string): void {
  if (!live.delete(dir)) return;
  rmSync(dir, { recursive: true, force: true });
  if (live.size === 0) listen(false);
}
