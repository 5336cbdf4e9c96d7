/**
 * Two onnxruntime sessions of one model that differ only in how their idle threads wait (spinning or
 * sleeping), timed against each other on the first runs; the faster one serves the rest.
 *
 * Why: onnxruntime's threads spin between operators by default. A training step of the paper network is
 * ~290 small operators, so on idle cores spinning saves a wake-up per operator, but on a shared machine a
 * spinning thread takes the core from the thread it waits for: at load average ~9 on 2 cores here a
 * batch-16 step took 106 ms spinning and 37–75 ms sleeping (half the CPU time). Which wins depends on what
 * else runs, so it is measured, not guessed. Both sessions compute the same numbers (how threads wait
 * does not change how work is split; test/onnx/fasterSession.test.ts checks it bit for bit).
 */
import type { OrtSession, OrtTensor } from './onnxRuntime.ts';

export interface TimedSession extends OrtSession {
  /** Which session won, once decided ('spinning' | 'sleeping'); undefined while both are timed. */
  readonly chosen: string | undefined;
}

/**
 * Runs alternate between `spinning` and `sleeping`: one untimed run each (first runs allocate), then
 * `trials` timed runs each; the session with the lower median wall time is kept and the other released.
 */
export function fasterSession(spinning: OrtSession, sleeping: OrtSession, trials = 8): TimedSession {
  const candidates = [
    { name: 'spinning', session: spinning, times: [] as number[] },
    { name: 'sleeping', session: sleeping, times: [] as number[] },
  ];
  let runs = 0;
  let winner: (typeof candidates)[number] | undefined;
  let releasing: Promise<void> | undefined;
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  return {
    get chosen() {
      return winner?.name;
    },
    async run(feeds: Record<string, OrtTensor>, fetches: string[]) {
      if (winner) {
        // Released here, not when chosen: the caller may still be reading the loser's last outputs.
        releasing ??= candidates.find((k) => k !== winner)!.session.release();
        return winner.session.run(feeds, fetches);
      }
      const c = candidates[runs % 2]!;
      const timed = runs >= 2;
      runs++;
      const start = performance.now();
      const out = await c.session.run(feeds, fetches);
      if (timed) c.times.push(performance.now() - start);
      if (candidates.every((k) => k.times.length >= trials)) {
        winner = median(candidates[0]!.times) <= median(candidates[1]!.times) ? candidates[0]! : candidates[1]!;
      }
      return out;
    },
    async release() {
      if (winner) await Promise.all([winner.session.release(), releasing ?? candidates.find((k) => k !== winner)!.session.release()]);
      else await Promise.all(candidates.map((k) => k.session.release()));
    },
  };
}
