/**
 * Wall and CPU time of a piece of work. On the shared 2-core dev machine other jobs inflate wall time,
 * so every bench number comes with this process's CPU time (user + system, all its threads) as well.
 */

export interface Timing {
  /** Wall-clock seconds. */
  wall: number;
  /** CPU seconds of this process (all threads, so worker threads count too). */
  cpu: number;
}

export async function clock(work: () => unknown): Promise<Timing> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await work();
  const wall = (performance.now() - wallStart) / 1000;
  const used = process.cpuUsage(cpuStart);
  return { wall, cpu: (used.user + used.system) / 1e6 };
}

/** Peak resident set size of this process so far, MiB. */
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;
