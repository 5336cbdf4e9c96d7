/**
 * A child process of sideBySide.ts: runs the grid cells its parent sends, one at a time, each as a
 * one-cell experiment (runExperiment), and answers with the result. Messages: CellRequest in,
 * CellReply out (IPC of child_process.fork).
 */
import type { RunConfig } from '../pipeline/config.ts';
import type { SplitStrategy } from '../sampling/makeSplit.ts';
import { type ExperimentResult, runExperiment } from './runExperiment.ts';

export interface CellRequest {
  index: number;
  base: RunConfig;
  model: string;
  split: SplitStrategy;
  seed: number;
}

export type CellReply =
  | { kind: 'log'; line: string }
  | { kind: 'done'; index: number; result: ExperimentResult }
  | { kind: 'error'; index: number; message: string; name: string; fix?: string };

const send = (m: CellReply) => process.send!(m);

process.on('message', (m: CellRequest | 'exit') => {
  if (m === 'exit') {
    process.disconnect();
    return;
  }
  runExperiment({ base: m.base, models: [m.model], splits: [m.split], seeds: [m.seed] }, (line) => send({ kind: 'log', line }))
    .then((result) => send({ kind: 'done', index: m.index, result }))
    .catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ kind: 'error', index: m.index, message: e.message, name: e.name, fix: (e as { fix?: string }).fix });
    });
});
