/**
 * `npm run bench`: training and prediction speed of the paper network on every available tfjs backend,
 * the full-scene map time of a KSC-sized scene, peak memory, and the ratio to PyTorch on this machine.
 *
 *   npm run bench [-- --quick] [--backends wasm,cpu,tensorflow] [--train-samples 512]
 *                 [--predict-samples 4096] [--workers N] [--wasm-threads N] [--map-fraction 1]
 *                 [--torch-samples 1024] [--no-torch] [--no-load]
 *                 [--protocol samson,ksc-shaped|none] [--protocol-rounds N] [--ksc-shaped DIR] [--no-throughput]
 *                 [--throughput-rounds N] [--no-queue]
 *
 * Two parts, each skippable: the throughput rows (random data, every backend; --no-throughput skips them)
 * and the real-protocol rows (bench/protocol.ts: `spinalnet run` on a real scene against
 * ../shared/bench/torch_protocol.py, alternating, --protocol-rounds pairs each; --protocol none skips them;
 * default: Samson 20 %, and ksc-shaped too when asked for, its files made by make_ksc_shaped.py in --ksc-shaped DIR).
 *
 * --throughput-rounds N repeats the onnxruntime row with PyTorch right before it N times (the map only in
 * the first) and prints each pair's ratios and their medians.
 *
 * Each backend runs in its own child process (bench/backendRun.ts). With more than one core, wasm gets a
 * second row with XNNPACK on --wasm-threads threads (default: the cores); that row maps the scene on the
 * calling thread, so the two rows compare the two ways of using the cores for prediction. Rates are samples per wall-clock
 * second, what a user waits for; the same work per CPU-second of the process (all its threads) follows,
 * because on a shared machine other jobs stretch wall time. The cpu backend (~1 training sample/s) only
 * trains one batch of 16 and predicts 128 samples; its map time is extrapolated from that.
 * Then a KSC-sized scene loaded from ENVI and GeoTIFF against GDAL's ReadAsArray (bench/formatLoad.ts), and
 * the queue row: the Samson grid through Redis with one worker, then two on this machine (bench/queueGrid.ts).
 * The CPU and its vector flags come first; one summary table (bench/summary.ts) ends the output: each
 * comparison's two numbers, their ratio and the command that reruns it alone.
 * It is a benchmark: nothing here asserts a time.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BackendName } from '../src/backend/selectBackend.ts';
import type { BackendPlan, BackendResult } from './backendRun.ts';
import { benchFormatLoad, formatLoadTable, gdalMissing } from './formatLoad.ts';
import { kscShaped, protocolAbsence, type ProtocolRun, type ProtocolScene, runProtocolPair, SAMSON } from './protocol.ts';
import { benchQueueGrid, queueGridAbsence } from './queueGrid.ts';
import { cpuLine, type SummaryRow, summaryTable } from './summary.ts';
import { runTorchReference, TORCH_EPOCHS, type TorchReference, torchAbsence } from './torchReference.ts';
import type { Rate } from './workloads.ts';
import { KSC } from './workloads.ts';

/**
 * tfjs backends, and 'onnxruntime': training gradients and inference on onnxruntime-node (a model built on
 * wasm), plus training with libtorch's gradients in the same process where its step is built (a row of its own).
 */
type BenchRow = BackendName | 'onnxruntime';
const BACKENDS: readonly BenchRow[] = ['wasm', 'cpu', 'tensorflow', 'onnxruntime'];

interface Options {
  backends: BenchRow[];
  quick: boolean;
  trainSamples: number;
  predictSamples: number;
  workers: number;
  wasmThreads: number;
  mapFraction: number;
  torchSamples: number;
  torch: boolean;
  /** The scene-loading rows (ENVI and GeoTIFF against GDAL), bench/formatLoad.ts. */
  load: boolean;
  throughput: boolean;
  /** Pairs of PyTorch and the onnxruntime row (the map only in the first). */
  throughputRounds: number;
  protocol: string[];
  protocolRounds: number;
  kscShapedDir: string;
  /** The queue row: the Samson grid through Redis with 1 and 2 workers (bench/queueGrid.ts). */
  queue: boolean;
}

const PROTOCOL_SCENES = ['samson', 'ksc-shaped'];

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      backends: { type: 'string', default: BACKENDS.join(',') },
      'train-samples': { type: 'string' },
      'predict-samples': { type: 'string' },
      workers: { type: 'string', default: String(os.availableParallelism()) },
      'wasm-threads': { type: 'string', default: String(os.availableParallelism()) },
      'map-fraction': { type: 'string' },
      'torch-samples': { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      'no-load': { type: 'boolean', default: false },
      'no-throughput': { type: 'boolean', default: false },
      'no-queue': { type: 'boolean', default: false },
      'throughput-rounds': { type: 'string', default: '1' },
      protocol: { type: 'string', default: 'samson' },
      'protocol-rounds': { type: 'string', default: '1' },
      'ksc-shaped': { type: 'string', default: path.join(os.tmpdir(), 'kscshaped') },
    },
  });
  const quick = values.quick;
  const num = (v: string | undefined, fallback: number, name: string): number => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got '${v}'`);
    return n;
  };
  const backends = values.backends.split(',').map((b) => b.trim()) as BenchRow[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`--backends: unknown backend '${b}' (known: ${BACKENDS.join(', ')})`);
  const protocol = values.protocol === 'none' ? [] : values.protocol.split(',').map((p) => p.trim());
  for (const p of protocol) if (!PROTOCOL_SCENES.includes(p)) throw new Error(`--protocol: unknown scene '${p}' (known: ${PROTOCOL_SCENES.join(', ')}, or none)`);
  const mapFraction = num(values['map-fraction'], quick ? 0.125 : 1, 'map-fraction');
  if (mapFraction > 1) throw new Error('--map-fraction must be at most 1');
  return {
    backends,
    quick,
    trainSamples: num(values['train-samples'], quick ? 256 : 512, 'train-samples'),
    predictSamples: num(values['predict-samples'], quick ? 2048 : 4096, 'predict-samples'),
    workers: num(values.workers, os.availableParallelism(), 'workers'),
    wasmThreads: Math.max(1, Math.floor(num(values['wasm-threads'], os.availableParallelism(), 'wasm-threads'))),
    mapFraction,
    torchSamples: num(values['torch-samples'], quick ? 512 : 1024, 'torch-samples'),
    torch: !values['no-torch'],
    load: !values['no-load'],
    throughput: !values['no-throughput'],
    throughputRounds: Math.max(1, Math.floor(num(values['throughput-rounds'], 1, 'throughput-rounds'))),
    protocol,
    protocolRounds: Math.max(1, Math.floor(num(values['protocol-rounds'], 1, 'protocol-rounds'))),
    kscShapedDir: values['ksc-shaped'],
    queue: !values['no-queue'],
  };
}

function planFor(row: BenchRow, o: Options): BackendPlan {
  if (row === 'onnxruntime') {
    // Training as torch_throughput.py times PyTorch: the same number of samples, four timed passes after
    // warm-up passes. At least two warm-up passes, not one: a new session times its thread candidates on
    // its first 27 steps (src/onnx/fasterSession.ts), more than one pass of 1,024 samples at batch 64; the
    // real-protocol row counts that choice in the user's time. Prediction: four times the samples, since
    // at its rate the tfjs count would finish in about half a second.
    const warmupEpochs = Math.max(2, Math.ceil((28 * 64) / o.torchSamples));
    return {
      backend: 'wasm', onnx: true, libtorch: true, train16: o.torchSamples, train64: o.torchSamples, warmupEpochs, epochs: TORCH_EPOCHS,
      predict: o.predictSamples * 4, predictBatch: 512,
      mapFraction: o.mapFraction, workers: Math.max(1, o.workers),
    };
  }
  const backend = row;
  if (backend === 'cpu') {
    // ~1 training sample/s: one batch of 16, no batch of 64, a short prediction, the map extrapolated.
    return { backend, train16: 16, train64: 0, predict: 128, predictBatch: 128, mapFraction: 0, workers: 0 };
  }
  return {
    backend, train16: o.trainSamples, train64: o.trainSamples, predict: o.predictSamples, predictBatch: 512,
    mapFraction: o.mapFraction, workers: o.workers,
  };
}

/** Runs one backend's plan in a child process (bench/backendRun.ts) and returns its result. */
export function runChild(plan: BackendPlan): BackendResult {
  const script = fileURLToPath(new URL('./backendRun.ts', import.meta.url));
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(plan)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24,
  });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as BackendResult;
  } catch {
    return { backend: plan.backend, unavailable: `bench child failed (exit ${child.status}): ${last.slice(0, 200)}`, peakRssMiB: 0 };
  }
}

export const fmtRate = (r: number): string => (r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(r >= 10 ? 1 : 2));
export const perWall = (r: Rate | undefined) => (r ? r.samples / r.wall : undefined);
const perCpu = (r: Rate | undefined) => (r ? r.samples / r.cpu : undefined);
const cell = (v: number | undefined, unit = '/s') => (v === undefined ? '—' : `${fmtRate(v)}${unit}`);

function mapCell(r: BackendResult): string {
  if (r.map) {
    const seconds = (r.map.wall * r.map.scenePixels) / r.map.pixels;
    const how = r.map.engine.startsWith('onnxruntime') ? r.map.engine.replace(/^onnxruntime [^,]*, /, '') : r.map.workers > 0 ? `${r.map.workers} workers` : 'no workers';
    return r.map.pixels === r.map.scenePixels ? `${seconds.toFixed(1)} s (${how})` : `≈ ${seconds.toFixed(1)} s (${how}, extrapolated)`;
  }
  const rate = perWall(r.predict);
  if (rate === undefined) return '—';
  const seconds = (KSC.height * KSC.width) / rate;
  return `≈ ${seconds >= 120 ? `${(seconds / 60).toFixed(0)} min` : `${seconds.toFixed(0)} s`} (from predict rate)`;
}

/** Best prediction rate of a row: one thread, or the map through workers. */
function bestPredict(r: BackendResult, wall: boolean): number | undefined {
  const one = wall ? perWall(r.predict) : perCpu(r.predict);
  const map = r.map ? r.map.pixels / (wall ? r.map.wall : r.map.cpu) : undefined;
  return Math.max(one ?? 0, map ?? 0) || undefined;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The real-protocol rows: `rounds` alternating PyTorch / spinalnet pairs per scene. */
function protocolPart(o: Options, torchMissing: string | undefined, summary: SummaryRow[]): string[] {
  const out: string[] = [];
  if (o.protocol.length === 0) return out;
  const rows: string[][] = [];
  const details: string[] = [];
  for (const name of o.protocol) {
    const scene: ProtocolScene | string = name === 'samson' ? SAMSON : kscShaped(o.kscShapedDir);
    const absent = typeof scene === 'string' ? scene : protocolAbsence(scene, torchMissing);
    const command = `npm run bench -- --protocol ${name}${name === 'ksc-shaped' ? ` --ksc-shaped ${o.kscShapedDir}` : ''} --protocol-rounds ${o.protocolRounds} --no-throughput --no-load`;
    if (typeof scene === 'string' || absent) {
      out.push(`real protocol on ${name}: not run: ${absent}`);
      summary.push({ what: `real protocol, ${name}`, ours: '—', reference: '—', command, note: `not run: ${absent}` });
      continue;
    }
    const runs: ProtocolRun[] = [];
    let failed: string | undefined;
    for (let r = 1; r <= o.protocolRounds && failed === undefined; r++) {
      console.error(`bench: real protocol on ${scene.name}, pair ${r} of ${o.protocolRounds} (PyTorch, then spinalnet) …`);
      let run: ProtocolRun;
      try {
        run = runProtocolPair(scene);
      } catch (err) {
        // One side failing (a missing Python module, a crash) ends this scene, not the whole bench.
        failed = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() && !l.startsWith('CPU_SECONDS') && !/^Command exited/.test(l)).slice(-1)[0] ?? 'failed';
        console.error(`bench: real protocol on ${scene.name} failed:\n${err instanceof Error ? err.message : String(err)}`);
        break;
      }
      runs.push(run);
      details.push(`  ${scene.name} pair ${r}: PyTorch ${run.torch.toFixed(1)} s (load ${run.loadTorch.toFixed(2)}, ${run.cpuTorch.toFixed(1)} CPU-s whole process), ` +
        `spinalnet ${run.ours.toFixed(1)} s (load ${run.loadOurs.toFixed(2)}, ${run.cpuOurs.toFixed(1)} CPU-s whole process, ${run.engine}) → ${(run.torch / run.ours).toFixed(2)}×`);
      // Each pair as it ends: on a busy machine a pair can take many minutes.
      console.error(`bench:${details[details.length - 1]}`);
    }
    if (runs.length === 0) {
      out.push(`real protocol on ${name}: failed: ${failed}`);
      summary.push({ what: `real protocol, ${scene.name}`, ours: '—', reference: '—', command, note: `failed: ${failed}` });
      continue;
    }
    const ours = median(runs.map((r) => r.ours));
    const torch = median(runs.map((r) => r.torch));
    summary.push({
      what: `real protocol, ${scene.name} (train)`, ours: `${ours.toFixed(1)} s`, reference: `${torch.toFixed(1)} s`,
      ratio: median(runs.map((r) => r.torch / r.ours)), command,
    });
    rows.push([
      scene.name, runs[0]!.trainPatches.toLocaleString('en-US'), `${ours.toFixed(1)} s`, `${torch.toFixed(1)} s`,
      `${fmtRate((runs[0]!.trainPatches * 16) / ours)}/s`, `${fmtRate((runs[0]!.trainPatches * 16) / torch)}/s`,
      `${median(runs.map((r) => r.torch / r.ours)).toFixed(2)}×`,
    ]);
  }
  if (rows.length > 0) {
    out.push(`Real protocol, 16 epochs at batch 16 (spinalnet run … timings.train against torch_protocol.py's train time, ` +
      `${o.protocolRounds} alternating pair${o.protocolRounds === 1 ? '' : 's'}, medians; targets ≥ 0.7×, aim 1×):`);
    out.push(table(['scene', 'patches', 'spinalnet', 'PyTorch', 'spinalnet rate', 'PyTorch rate', 'ratio'], rows));
    out.push(...details);
  }
  return out;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const load = () => os.loadavg()[0]!.toFixed(2);
  const cores = os.availableParallelism();
  const loadStart = load();
  console.error(`bench: load average ${loadStart} on ${cores} cores${o.quick ? ' (quick run)' : ''}`);
  const torchMissing = o.torch ? torchAbsence() : 'skipped (--no-torch)';

  // The CPU first, before the minutes of measuring: the flags say which kernels both sides can use.
  console.log(`spinalnet bench: paper network (spinal-cnn), Node ${process.version}`);
  console.log(cpuLine());
  const out: string[] = [];
  const summary: SummaryRow[] = [];
  const loadLine = out.length;
  out.push('');
  out.push(...protocolPart(o, torchMissing, summary));
  if (o.throughput) {
    if (out.length > loadLine + 1) out.push('');
    out.push(...throughputPart(o, torchMissing, summary));
  }
  if (o.load) {
    const missing = gdalMissing();
    const repeats = o.quick ? 1 : 3;
    const command = `node --import tsx bench/formatLoad.ts --repeats ${repeats}`;
    out.push('');
    if (missing === undefined) {
      const rows = await benchFormatLoad(repeats);
      out.push(...formatLoadTable(rows));
      for (const r of rows) {
        const [ours, gdal] = [median(r.ours.map((t) => t.wall)), median(r.gdal.map((t) => t.wall))];
        summary.push({ what: `formats loading, ${r.format}`, ours: `${ours.toFixed(3)} s`, reference: `${gdal.toFixed(3)} s (GDAL)`, ratio: gdal / ours, command });
      }
    } else {
      out.push(`scene loading against GDAL skipped: ${missing}`);
      summary.push({ what: 'formats loading (ENVI, GeoTIFF)', ours: '—', reference: '—', command, note: `not run: ${missing}` });
    }
  }
  if (o.queue) {
    const command = 'node --import tsx bench/queueGrid.ts --epochs 4';
    const missing = queueGridAbsence();
    out.push('');
    if (missing === undefined) {
      const r = await benchQueueGrid(4);
      out.push(`queue: Samson grid (4 jobs, ${r.epochs} epochs) through Redis: 1 worker ${r.one.toFixed(1)} s, 2 workers on this machine ${r.two.toFixed(1)} s`);
      summary.push({ what: 'queue grid, Samson: 2 workers vs 1', ours: `${r.two.toFixed(1)} s`, reference: `${r.one.toFixed(1)} s (1 worker)`, ratio: r.one / r.two, command });
    } else {
      out.push(`queue grid skipped: ${missing}`);
      summary.push({ what: 'queue grid, Samson: 2 workers vs 1', ours: '—', reference: '—', command, note: `not run: ${missing}` });
    }
  }
  out.push('');
  out.push(...summaryTable(summary));
  const loadEnd = load();
  const notes = [`load average ${loadStart} at start, ${loadEnd} at end (the end includes the bench's own threads)`];
  // Only the start says whether others were busy: the 1-minute average at the end counts the bench's own threads.
  if (Number(loadStart) > 1) {
    notes.push('WARNING: other processes were using the CPU: wall-clock rates, the threaded rows and the PyTorch ' +
      'reference (its 2 threads spin-wait for each other) are all depressed; compare per-CPU-second rates, or rerun on an idle machine.');
  }
  out.splice(loadLine, 0, ...notes);
  console.log(out.join('\n'));
}

/** The throughput rows: every backend on random data, and their ratios to torch_throughput.py. */
function throughputPart(o: Options, torchMissing: string | undefined, summary: SummaryRow[]): string[] {
  let torch: TorchReference | undefined;
  let torchNote = `PyTorch reference absent: ${torchMissing}`;
  const measureTorch = () => {
    console.error(`bench: PyTorch reference, ${o.torchSamples} samples …`);
    torch = runTorchReference(o.torchSamples);
    torchNote = `PyTorch reference (${torch.command}): train b16 ${fmtRate(torch.train16)}/s, b64 ${fmtRate(torch.train64)}/s, predict ${fmtRate(torch.predict)}/s` +
      (torch.cpuSeconds === undefined ? '' : `; ${torch.cpuSeconds.toFixed(1)} CPU-s in ${torch.wallSeconds.toFixed(1)} s`);
  };
  // PyTorch runs right before the onnxruntime row (the default engine), so the two see the same load.
  const torchFirst = torchMissing === undefined && !o.backends.includes('onnxruntime');
  if (torchFirst) measureTorch();
  const results: BackendResult[] = [];
  const pairs: { torch: TorchReference; ours: BackendResult }[] = [];
  let onnxRow: BackendResult | undefined;
  for (const backend of o.backends) {
    if (backend === 'onnxruntime' && torchMissing === undefined) measureTorch();
    console.error(`bench: ${backend} …`);
    results.push(runChild(planFor(backend, o)));
    if (backend === 'onnxruntime') onnxRow = results.at(-1);
    if (backend === 'onnxruntime' && torch) pairs.push({ torch, ours: results.at(-1)! });
    if (backend === 'wasm' && o.wasmThreads > 1) {
      console.error(`bench: wasm with ${o.wasmThreads} XNNPACK threads …`);
      // The whole-scene map is already timed in the row above; a slice of it is enough to compare.
      results.push(runChild({ ...planFor(backend, o), wasmThreads: o.wasmThreads, workers: 0, mapFraction: Math.min(o.mapFraction, 0.125) }));
    }
  }

  // libtorch trains in the onnxruntime row's process; it gets a row of its own (training only).
  const libtorchRows: BackendResult[] = results.flatMap((r) => r.libtorch && r.libtorch.unavailable === undefined
    ? [{ backend: r.backend, detail: `libtorch training (${r.libtorch.train64?.engine ?? r.libtorch.train16?.engine ?? '?'})`, train16: r.libtorch.train16, train64: r.libtorch.train64, peakRssMiB: r.peakRssMiB }]
    : []);
  const available = [...results.filter((r) => r.unavailable === undefined), ...libtorchRows];
  const rows = available.map((r) => [
    r.detail ?? r.backend,
    cell(perWall(r.train16)),
    cell(perWall(r.train64)),
    cell(perWall(r.predict)),
    mapCell(r),
    `${Math.round(r.peakRssMiB)} MiB`,
  ]);
  const out: string[] = [];
  out.push('Throughput on random data (15×15×30 patches, 13 classes), samples per wall-clock second:');
  out.push(torchNote);
  out.push('');
  out.push(table(['backend', 'train b16', 'train b64', 'predict', `KSC map (${(KSC.height * KSC.width).toLocaleString('en-US')} px)`, 'peak RSS'], rows));
  for (const r of results.filter((x) => x.unavailable !== undefined)) out.push(`${r.detail ?? r.backend}: not available: ${r.unavailable}`);
  for (const r of results) if (r.libtorch?.unavailable) out.push(`libtorch training: not available: ${r.libtorch.unavailable}`);
  out.push('');
  out.push('Same work per CPU-second of the bench process (all threads):');
  out.push(table(['backend', 'train b16', 'train b64', 'predict', 'map'], available.map((r) => [
    r.detail ?? r.backend, cell(perCpu(r.train16)), cell(perCpu(r.train64)), cell(perCpu(r.predict)),
    cell(r.map ? r.map.pixels / r.map.cpu : undefined),
  ])));
  const ref = torch as TorchReference | undefined;
  if (ref) {
    out.push('');
    out.push('Ratio to PyTorch (wall clock; targets: train b16 ≥ 0.7×, b64 ≥ 0.8×, predict ≥ 1×, KSC map ≤ 60 s):');
    out.push(table(['backend', 'train b16', 'train b64', 'predict (best)'], available.map((r) => {
      const ratio = (v: number | undefined, base: number) => (v === undefined ? '—' : `${(v / base).toFixed(2)}×`);
      return [r.detail ?? r.backend, ratio(perWall(r.train16), ref.train16), ratio(perWall(r.train64), ref.train64), ratio(bestPredict(r, true), ref.predict)];
    })));
  }
  if (pairs.length > 0) {
    for (let round = 2; round <= o.throughputRounds; round++) {
      console.error(`bench: round ${round} of ${o.throughputRounds}: PyTorch reference, then onnxruntime (and libtorch training where built) …`);
      const ref = runTorchReference(o.torchSamples);
      pairs.push({ torch: ref, ours: runChild({ ...planFor('onnxruntime', o), mapFraction: 0 }) });
    }
    out.push('');
    out.push(...pairedRounds(pairs));
  }
  summary.push(...throughputSummary(o, available, onnxRow, torch, pairs, torchMissing));
  const samples = `train ${o.trainSamples} samples per batch size after 2 warm-up batches (onnxruntime, as PyTorch: ${TORCH_EPOCHS} timed passes of ${o.torchSamples} after untimed ones); predict ${o.predictSamples} samples, batch 512; ` +
    `map ${o.mapFraction === 1 ? 'the whole scene' : `${o.mapFraction} of the rows, extrapolated`} with up to ${o.workers} worker threads`;
  out.push('');
  out.push(`(${samples}; cpu backend: 16 training samples, 128 predicted)`);
  return out;
}

/**
 * The summary's throughput rows: the default engine (the onnxruntime row, else the fastest row that ran)
 * and libtorch's training against PyTorch, medians over the paired rounds; the map's pixel rate against
 * PyTorch's prediction rate.
 */
function throughputSummary(
  o: Options, available: BackendResult[], onnxRow: BackendResult | undefined, torch: TorchReference | undefined,
  pairs: { torch: TorchReference; ours: BackendResult }[], torchMissing: string | undefined,
): SummaryRow[] {
  const byTrain = [...available].sort((a, b) => (perWall(b.train64) ?? perWall(b.train16) ?? 0) - (perWall(a.train64) ?? perWall(a.train16) ?? 0));
  const ours = onnxRow?.unavailable === undefined && onnxRow ? onnxRow : byTrain.find((r) => r.detail?.startsWith('libtorch') !== true);
  const name = ours === onnxRow ? 'onnxruntime' : ours?.backend ?? '—';
  const backendOptions = ours === onnxRow
    ? `--backends onnxruntime --torch-samples ${o.torchSamples}${o.throughputRounds > 1 ? ` --throughput-rounds ${o.throughputRounds}` : ''}`
    : `--backends ${name} --train-samples ${o.trainSamples}`;
  const command = `npm run bench -- --protocol none --no-load ${backendOptions}`;
  const note = torch ? undefined : `no PyTorch reference: ${torchMissing ?? 'not measured'}`;
  // With the onnxruntime row the pairs hold every round; otherwise PyTorch ran once, before all rows.
  const rounds = ours === onnxRow && pairs.length > 0 ? pairs : ours ? [{ torch, ours }] : [];
  const med = (vs: (number | undefined)[]) => {
    const v = vs.filter((a): a is number => a !== undefined && Number.isFinite(a));
    return v.length === 0 ? undefined : median(v);
  };
  const row = (what: string, oursRate: (r: BackendResult) => number | undefined, refRate: (t: TorchReference) => number, unit: string, cmd = command): SummaryRow => {
    const mine = med(rounds.map((p) => oursRate(p.ours)));
    const ref = med(rounds.map((p) => (p.torch ? refRate(p.torch) : undefined)));
    const ratio = med(rounds.map((p) => { const m = oursRate(p.ours); return p.torch && m !== undefined ? m / refRate(p.torch) : undefined; }));
    return {
      what, ours: cell(mine, unit), reference: ref === undefined ? '—' : `${fmtRate(ref)}${unit} (PyTorch)`,
      ...(ratio === undefined ? {} : { ratio }), command: cmd, ...(note ? { note } : {}),
    };
  };
  const rows: SummaryRow[] = [
    row(`training throughput b16, ${name}`, (r) => perWall(r.train16), (t) => t.train16, '/s'),
    row(`training throughput b64, ${name}`, (r) => perWall(r.train64), (t) => t.train64, '/s'),
  ];
  if (rounds.some((p) => p.ours.libtorch?.train16 || p.ours.libtorch?.train64)) {
    rows.push(
      row('training throughput b16, libtorch', (r) => perWall(r.libtorch?.train16), (t) => t.train16, '/s'),
      row('training throughput b64, libtorch', (r) => perWall(r.libtorch?.train64), (t) => t.train64, '/s'),
    );
  }
  // The map of round 1 only (later rounds skip it): our pixels per second against PyTorch's predict rate.
  const mapped = ours?.map ? ours : available.find((r) => r.map);
  const map = mapped?.map;
  const refPredict = rounds[0]?.torch?.predict;
  const mapCommand = `npm run bench -- --protocol none --no-load --backends ${mapped === onnxRow ? 'onnxruntime' : mapped?.backend ?? name} --map-fraction ${o.mapFraction} --workers ${o.workers}`;
  if (map) {
    const rate = map.pixels / map.wall;
    rows.push({
      what: `map rate, KSC-sized scene (${mapped === onnxRow ? 'onnxruntime' : mapped!.backend})`,
      ours: `${fmtRate(rate)} px/s (${((KSC.height * KSC.width) / rate).toFixed(1)} s)`,
      reference: refPredict === undefined ? '—' : `${fmtRate(refPredict)} px/s (PyTorch predict)`,
      ...(refPredict === undefined ? {} : { ratio: rate / refPredict }),
      command: mapCommand,
      note: refPredict === undefined ? note : 'reference: PyTorch predicting ready-made patches, 2 threads (no patch cutting, no map)',
    });
  } else {
    rows.push({ what: 'map rate, KSC-sized scene', ours: '—', reference: '—', command: mapCommand, note: 'not run (--map-fraction 0 or no backend ran)' });
  }
  return rows;
}

/**
 * The onnxruntime row against PyTorch over alternating rounds (PyTorch right before ours each time):
 * one pair swings with the machine (docs/performance.md#why-batch-64-swings-on-a-2-vcpu-machine), so the
 * ratio is given per round and as the median.
 */
function pairedRounds(pairs: { torch: TorchReference; ours: BackendResult }[]): string[] {
  const ratio = (v: number | undefined, base: number) => (v === undefined ? undefined : v / base);
  const rows = pairs.map(({ torch, ours }) => ({
    torch,
    ours,
    b16: ratio(perWall(ours.train16), torch.train16),
    b64: ratio(perWall(ours.train64), torch.train64),
    predict: ratio(perWall(ours.predict), torch.predict),
    lt16: ratio(perWall(ours.libtorch?.train16), torch.train16),
    lt64: ratio(perWall(ours.libtorch?.train64), torch.train64),
  }));
  const x = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}×`);
  const chose = (r: Rate | undefined) => r?.engine?.replace(/^onnxruntime [^,]*, (NCHWc convolutions, )?/, '') ?? '—';
  const med = (vs: (number | undefined)[]) => {
    const v = vs.filter((a): a is number => a !== undefined).sort((a, b) => a - b);
    if (v.length === 0) return undefined;
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
  };
  const withLibtorch = rows.some((r) => r.lt64 !== undefined || r.lt16 !== undefined);
  const out = [`Paired rounds, onnxruntime${withLibtorch ? ' and libtorch' : ''} against PyTorch (wall clock; the predict ratio here is one thread against PyTorch's predict${withLibtorch ? '; in each round onnxruntime trains first, then libtorch, in one process' : ''}):`];
  out.push(table(
    ['round', 'PyTorch b16 / b64 / predict', 'onnxruntime b16 / b64 / predict', 'ratio b16', 'ratio b64', 'ratio predict', 'training chose (b16; b64)',
      ...(withLibtorch ? ['libtorch b16 / b64', 'libtorch ratio b16', 'libtorch ratio b64'] : [])],
    [
      ...rows.map((r, i) => [
        String(i + 1),
        `${fmtRate(r.torch.train16)} / ${fmtRate(r.torch.train64)} / ${fmtRate(r.torch.predict)}`,
        `${cell(perWall(r.ours.train16), '')} / ${cell(perWall(r.ours.train64), '')} / ${cell(perWall(r.ours.predict), '')}`,
        x(r.b16), x(r.b64), x(r.predict), `${chose(r.ours.train16)}; ${chose(r.ours.train64)}`,
        ...(withLibtorch ? [`${cell(perWall(r.ours.libtorch?.train16), '')} / ${cell(perWall(r.ours.libtorch?.train64), '')}`, x(r.lt16), x(r.lt64)] : []),
      ]),
      ['median', '', '', x(med(rows.map((r) => r.b16))), x(med(rows.map((r) => r.b64))), x(med(rows.map((r) => r.predict))), '',
        ...(withLibtorch ? ['', x(med(rows.map((r) => r.lt16))), x(med(rows.map((r) => r.lt64)))] : [])],
    ],
  ));
  return out;
}

// Only as a script: bench/gpu.ts imports the helpers above.
if (import.meta.url === `file://${process.argv[1]}`) await main();
