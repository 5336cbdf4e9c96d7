/**
 * Sessions of one model that differ only in how they use the cores (threads spinning or sleeping between
 * operators, or one thread), timed against each other on the first runs; the fastest serves the rest.
 *
 * Why: onnxruntime's threads spin between operators by default. A training step of the paper network is
 * ~290 small operators, so on idle cores spinning saves a wake-up per operator, but on a shared machine a
 * spinning thread takes the core from the thread it waits for: at load average ~9 on 2 cores here a
 * batch-16 step took 106 ms spinning, 37–75 ms sleeping and ~36 ms on one thread. Which wins depends on
 * what else runs, so it is measured, not guessed. All of them compute the same bits (how many threads
 * share an operator does not change its arithmetic here; test/onnx/fasterSession.test.ts checks it).
 */
import type { OrtSession, OrtTensor } from './onnxRuntime.ts';

export interface TimedSession extends OrtSession {
  /** The name of the session that won, once decided; undefined while they are timed. */
  readonly chosen: string | undefined;
}

/**
 * Runs go round the `candidates`: one untimed run each (first runs allocate), then `trials` timed runs
 * each; the one with the lowest median wall time is kept and the others released.
 *
 * A run's time is from its start to the start of the next run, so it counts what the caller does between
 * runs too: threads left spinning after a run compete with that work. Measured on Samson 20 % (2 idle
 * cores, 2026-12-02): timing `run` alone chose 2 spinning threads and training took 27.7 s; one thread,
 * chosen by hand, 21.3–25.1 s in three runs.
 */
export function fasterSession(candidates: { name: string; session: OrtSession }[], trials = 8): TimedSession {
  const timed = candidates.map((c) => ({ ...c, times: [] as number[] }));
  let runs = 0;
  let winner: (typeof timed)[number] | undefined;
  let releasing: Promise<unknown> | undefined;
  // The timed run whose time ends when the next run starts.
  let open: { candidate: (typeof timed)[number]; start: number } | undefined;
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  const losers = () => timed.filter((k) => k !== winner);
  return {
    get chosen() {
      return winner?.name;
    },
    async run(feeds: Record<string, OrtTensor>, fetches: string[]) {
      const start = performance.now();
      if (open) open.candidate.times.push(start - open.start);
      open = undefined;
      if (!winner && timed.every((k) => k.times.length >= trials)) {
        winner = timed.reduce((best, k) => (median(k.times) < median(best.times) ? k : best));
      }
      if (winner) {
        // Released here, not when chosen: the caller may still be reading a loser's last outputs.
        releasing ??= Promise.all(losers().map((k) => k.session.release()));
        return winner.session.run(feeds, fetches);
      }
      const c = timed[runs % timed.length]!;
      if (runs >= timed.length) open = { candidate: c, start };
      runs++;
      return c.session.run(feeds, fetches);
    },
    async release() {
      if (!winner) await Promise.all(timed.map((k) => k.session.release()));
      else await Promise.all([winner.session.release(), releasing ?? Promise.all(losers().map((k) => k.session.release()))]);
    },
  };
}
