/**
 * SIGINT/SIGTERM while training: the first one asks training to stop at the next batch boundary (it
 * then saves a checkpoint); a second one exits at once. Outside `listen`…`dispose`, signals keep
 * Node's default behaviour.
 */
export interface StopSignals {
  /** True once a stop was asked for. */
  readonly requested: () => boolean;
  /** The signal received, if any. */
  readonly signal: () => NodeJS.Signals | undefined;
  dispose(): void;
}

export function listenForStop(onFirst?: (signal: NodeJS.Signals) => void): StopSignals {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received !== undefined) process.exit(130);
    received = signal;
    onFirst?.(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => received !== undefined,
    signal: () => received,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
