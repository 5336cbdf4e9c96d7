/** Wall-clock seconds per stage of a run, and the time stamp that names default output folders. */

export interface StageClock<K extends string> {
  /** Seconds of each finished stage. */
  readonly timings: Partial<Record<K, number>>;
  /** Ends the current stage under `stage` and starts the next one. */
  lap(stage: K): void;
  /** Restarts the current stage now (time before it is counted nowhere). */
  reset(): void;
  /** Seconds since the clock was made. */
  total(): number;
}

export function stageClock<K extends string>(): StageClock<K> {
  const start = performance.now();
  let mark = start;
  const timings: Partial<Record<K, number>> = {};
  return {
    timings,
    lap(stage) {
      const now = performance.now();
      timings[stage] = (now - mark) / 1000;
      mark = now;
    },
    reset() {
      mark = performance.now();
    },
    total: () => (performance.now() - start) / 1000,
  };
}

/** e.g. 2026-11-25T21-18-20Z: sortable, and safe in file names on every system. */
export const timestamp = (): string => new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
