/**
 * Progress of a training run on stderr: a one-line bar redrawn in place when stderr is a terminal,
 * plain log lines (one per epoch) otherwise, so logs stay readable in files and CI.
 */
import type { BatchProgress, EpochStats } from './trainModel.ts';

export interface ProgressReporter {
  onBatch(p: BatchProgress): void;
  onEpoch(e: EpochStats): void;
  /** Ends the bar's line. */
  done(): void;
}

const formatEta = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let drawn = false;
  return {
    onBatch(p) {
      if (!tty) return;
      const now = Date.now();
      // Redraw at most ~10 times a second: terminal writes cost more than a small batch.
      if (now - lastDraw < 100 && p.batch !== p.batches) return;
      lastDraw = now;
      const width = 24;
      const done = ((p.epoch - 1) * p.batches + p.batch) / (p.epochs * p.batches);
      const fill = Math.round(done * width);
      const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
      stream.write(
        `\r${bar} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} ` +
          `${Math.round(p.samplesPerSecond)} samples/s ETA ${formatEta(p.etaSeconds)}\x1b[K`,
      );
      drawn = true;
    },
    onEpoch(e) {
      const line = `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, train accuracy ${(100 * e.accuracy).toFixed(2)}%, lr ${e.learningRate.toExponential(2)}, ${e.seconds.toFixed(1)} s`;
      if (tty) {
        stream.write(`\r${line}\x1b[K\n`);
        drawn = false;
      } else stream.write(`${line}\n`);
    },
    done() {
      if (tty && drawn) stream.write('\n');
    },
  };
}
