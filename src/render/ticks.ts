/**
 * Axis ticks at round numbers (1, 2 or 5 × a power of ten), as a person would label a chart.
 */

export interface Ticks {
  /** Axis start and end: the data range widened to whole steps. */
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Tick values from min to max. */
  readonly values: readonly number[];
  /** Decimals needed to print the values without trailing noise (0 for whole steps). */
  readonly decimals: number;
}

/**
 * About `target` round ticks covering [lo, hi]. An empty range (lo = hi) is widened by one unit of
 * its own magnitude so there is still an axis; `minStep` keeps ticks apart (1 for epoch numbers).
 */
export function niceTicks(lo: number, hi: number, target = 5, minStep = 0): Ticks {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) {
    lo = 0;
    hi = 1;
  }
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  // Round the raw step to 1, 2, 5 or 10 × 10^k, switching at the geometric means between them
  // (√2, √10, √50) so the tick count stays nearest to the target (the rule d3 uses).
  const raw = (hi - lo) / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  let step = (unit >= Math.SQRT2 * 5 ? 10 : unit >= Math.sqrt(10) ? 5 : unit >= Math.SQRT2 ? 2 : 1) * power;
  step = Math.max(step, minStep);
  // Small epsilon so that a bound lying on a step is not pushed one step out by rounding error.
  const eps = step * 1e-9;
  const min = Math.floor((lo + eps) / step) * step;
  const max = Math.ceil((hi - eps) / step) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [];
  for (let k = 0; min + k * step <= max + eps; k++) values.push(Number((min + k * step).toFixed(decimals)));
  return { min: values[0]!, max: values[values.length - 1]!, step, values, decimals };
}

/** A tick value printed with the ticks' decimals. */
export function formatTick(value: number, decimals: number): string {
  return value.toFixed(decimals);
}
