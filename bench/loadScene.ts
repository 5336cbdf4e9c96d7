/**
 * Scene loading speed and memory: read + inflate + convert a MAT cube to BIP Float32 (and the labels,
 * when given), as `loadScene` does for every run.
 *
 *   node --import tsx bench/loadScene.ts CUBE.mat [GT.mat] [--repeats 3]
 *
 * A KSC-sized cube: `python3 ../shared/tools/make_ksc_shaped.py /tmp/kscshaped`, then
 * `node --import tsx bench/loadScene.ts /tmp/kscshaped/KSC.mat /tmp/kscshaped/KSC_gt.mat`.
 * Prints wall and CPU seconds per load and the process's peak RSS (target: ≤ 1.5 s and ≤ 1 GB on
 * KSC). CPU time is printed too because on a shared machine wall time also counts other jobs.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadScene } from '../src/scene/loadScene.ts';

export interface LoadSceneBench {
  readonly shape: readonly [number, number, number];
  readonly labelled: number;
  /** Wall-clock seconds of each load. */
  readonly seconds: readonly number[];
  /** CPU seconds (user + system) of each load. */
  readonly cpuSeconds: readonly number[];
  /** Peak resident set of the process so far, MiB. */
  readonly maxRssMiB: number;
}

export async function benchLoadScene(cubePath: string, gtPath?: string, repeats = 1): Promise<LoadSceneBench> {
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  let shape: [number, number, number] = [0, 0, 0];
  let labelled = 0;
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const scene = await loadScene({ cubePath, gtPath });
    seconds.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpuSeconds.push((c.user + c.system) / 1e6);
    shape = [scene.cube.height, scene.cube.width, scene.cube.bands];
    labelled = scene.labels?.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) ?? 0;
  }
  // maxRSS is in KiB on Linux and macOS.
  return { shape, labelled, seconds, cpuSeconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { repeats: { type: 'string', default: '1' } } });
  if (positionals.length < 1) {
    console.error('usage: node --import tsx bench/loadScene.ts CUBE.mat [GT.mat] [--repeats N]');
    process.exitCode = 2;
    return;
  }
  const r = await benchLoadScene(positionals[0], positionals[1], Number(values.repeats));
  const fmt = (xs: readonly number[]) => xs.map((x) => x.toFixed(3)).join(' ');
  console.log(`cube ${r.shape.join('×')}, ${r.labelled} labelled pixels`);
  console.log(`load seconds (wall): ${fmt(r.seconds)}`);
  console.log(`load seconds (cpu):  ${fmt(r.cpuSeconds)}`);
  console.log(`peak RSS: ${r.maxRssMiB.toFixed(0)} MiB`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
