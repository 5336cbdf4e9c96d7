import { describe, expect, it } from 'vitest';
import { rowProgressLines } from '../../src/util/rowProgress.ts';

describe('rowProgressLines', () => {
  it('prints rows done, rate and time left at most every interval, and always the last line', () => {
    const lines: string[] = [];
    let t = 0;
    const p = rowProgressLines((l) => lines.push(l), 2000, () => t);
    p('read', 10, 100); // the stage's first report starts its clock
    t = 1000;
    p('read', 20, 100); // within the interval: quiet
    t = 2000;
    p('read', 30, 100);
    t = 3000;
    p('read', 100, 100);
    expect(lines).toEqual(['read: 30/100 rows, 10 rows/s, 7 s left', 'read: 100/100 rows, 30 rows/s, 3.0 s']);
    p('map', 5, 5); // a one-window stage: no rate to give
    expect(lines[2]).toBe('map: 5/5 rows');
  });

  it('gives rows per minute when a stage is slower than a row a second, not "0.0 rows/s"', () => {
    const lines: string[] = [];
    let t = 0;
    const p = rowProgressLines((l) => lines.push(l), 2000, () => t);
    p('map', 0, 83);
    t = 300_000; // 6 rows in 5 minutes
    p('map', 6, 83);
    expect(lines).toEqual(['map: 6/83 rows, 1.2 rows/min, 3850 s left']);
  });
});
