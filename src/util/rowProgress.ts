/**
 * Progress lines for the long row-by-row stages (reading the scene, PCA, projecting, mapping): rows
 * done, rate and time left, at most one line per stage every `everyMs` and always the last one. The
 * rate is measured from the stage's first report (its first window), so it leaves that window out.
 */
export type RowProgress = (stage: string, done: number, total: number) => void;

export function rowProgressLines(write: (line: string) => void, everyMs = 2000, now: () => number = () => performance.now()): RowProgress {
  let stage = '';
  let started = 0;
  let last = 0;
  let first = 0;
  return (name, done, total) => {
    const t = now();
    if (name !== stage) {
      stage = name;
      started = t;
      last = t;
      first = done;
    }
    if (done < total && t - last < everyMs) return;
    last = t;
    const seconds = (t - started) / 1000;
    // One window reports once, at its end: there is no rate to give (the stage's time is in the report).
    if (seconds <= 0) return write(`${name}: ${done}/${total} rows`);
    const rate = (done - first) / seconds;
    const left = rate > 0 ? (total - done) / rate : 0;
    write(`${name}: ${done}/${total} rows, ${formatRate(rate)}` + (done < total ? `, ${left.toFixed(0)} s left` : `, ${seconds.toFixed(1)} s`));
  };
}

/** Rows per second, or per minute when under one a second (a slow map on a software GPU read "0.0 rows/s"). */
function formatRate(rowsPerSecond: number): string {
  if (rowsPerSecond >= 10) return `${rowsPerSecond.toFixed(0)} rows/s`;
  if (rowsPerSecond >= 0.95) return `${rowsPerSecond.toFixed(1)} rows/s`;
  const perMinute = rowsPerSecond * 60;
  return `${perMinute >= 10 ? perMinute.toFixed(0) : perMinute.toFixed(1)} rows/min`;
}
