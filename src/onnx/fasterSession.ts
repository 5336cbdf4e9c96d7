/**
 * Sessions of one model that differ only in how they use the cores (threads spinning or sleeping between
 * operators, or one thread), timed against each other on the first runs; the fastest serves the rest.
 *
 * Why: onnxruntime's threads spin between operators by default. A training step of the paper network is
 * ~290 small operators, so on idle cores spinning saves a wake-up per operator, but on a shared machine a
 * spinning thread takes the core from the thread it waits for, and one thread can beat both. Which wins
 * depends on what else runs, so it is measured, not guessed
 * (docs/performance.md#the-onnxruntime-training-step).
 * All of them compute the same bits (how many threads share an operator does not change its arithmetic
 * here; test/onnx/fasterSession.test.ts checks it).
 */
import type { OrtSession, OrtTensor } from './onnxRuntime.ts';

export interface TimedSession extends OrtSession {
  /** The name of the session that won, once decided; undefined while they are timed. */
  readonly chosen: string | undefined;
}

/**
 * Runs go round the `candidates`: one untimed run each (first runs allocate), then `trials` timed runs
 * each; the one with the lowest median wall time serves the next `recheckEvery` runs. Then they are timed
 * again (one untimed and `recheckTrials` timed runs each) and the fastest serves the next `recheckEvery`,
 * and so on. They are also timed again as soon as most of the serving session's last `window` runs took
 * `slowerBy` times its median when it was chosen: on a 2-vCPU machine two spinning threads run fast for
 * some seconds and slower than one thread for others, and a choice held for `recheckEvery` runs rode out
 * the slow stretches. In general, the load a run of minutes sees changes, and one choice made in its first
 * second can be wrong for the rest (docs/performance.md#the-onnxruntime-training-step).
 * A re-check costs its runs on the slower sessions: with the defaults, 2 × 5 runs in 271, each at most a
 * few milliseconds slower, plus those the slowdown rule starts (at most one per `window` served runs). The sessions stay open until `release`.
 *
 * A run's time is from its start to the start of the next run, so it counts what the caller does between
 * runs too: threads left spinning after a run compete with that work. Timing `run` alone chose two
 * spinning threads where one thread trained faster.
 */
export function fasterSession(
  candidates: { name: string; session: OrtSession }[], trials = 8, recheckEvery = 256, recheckTrials = 4, slowerBy = 1.4, window = 8,
): TimedSession {
  const timed = candidates.map((c) => ({ ...c, times: [] as number[], served: 0 }));
  let timing = true;
  let need = trials;
  // Runs in the current timing round, and runs served since the last decision.
  let roundRuns = 0;
  let served = 0;
  let winner: (typeof timed)[number] | undefined;
  // The timed run whose time ends when the next run starts.
  let open: { candidate: (typeof timed)[number]; start: number } | undefined;
  // The serving session's median when chosen, its last `window` run times, and when its last run started.
  let chosenMedian = 0;
  let recent: number[] = [];
  let servedStart: number | undefined;
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  return {
    /** The session that has served the most runs since the first decision. */
    get chosen() {
      if (!winner) return undefined;
      return timed.reduce((best, k) => (k.served > best.served ? k : best), winner).name;
    },
    async run(feeds: Record<string, OrtTensor>, fetches: string[]) {
      const start = performance.now();
      if (open) open.candidate.times.push(start - open.start);
      open = undefined;
      if (servedStart !== undefined) {
        recent.push(start - servedStart);
        if (recent.length > window) recent.shift();
      }
      servedStart = undefined;
      if (timing && timed.every((k) => k.times.length >= need)) {
        winner = timed.reduce((best, k) => (median(k.times) < median(best.times) ? k : best));
        chosenMedian = median(winner.times);
        recent = [];
        timing = false;
        served = 0;
      }
      // Most of the last runs, not one stray one: the lower median.
      const slowedDown = !timing && slowerBy > 0 && recent.length >= window && [...recent].sort((a, b) => a - b)[(window - 1) >> 1]! > slowerBy * chosenMedian;
      if (!timing && ((recheckEvery > 0 && served >= recheckEvery) || slowedDown)) {
        timing = true;
        need = recheckTrials;
        roundRuns = 0;
        for (const k of timed) k.times = [];
      }
      if (winner && !timing) {
        served++;
        winner.served++;
        servedStart = start;
        return winner.session.run(feeds, fetches);
      }
      const c = timed[roundRuns % timed.length]!;
      if (roundRuns >= timed.length) open = { candidate: c, start };
      roundRuns++;
      return c.session.run(feeds, fetches);
    },
    async release() {
      await Promise.all(timed.map((k) => k.session.release()));
    },
  };
}
