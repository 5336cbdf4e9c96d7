/**
 * The reduced scene in a temporary file (src/scene/reducedScene.ts) when it does not fit the memory
 * limit: a run gives the same map and metrics as with the scene in memory; the file is removed on
 * success, on failure, and when a real child process is stopped by SIGTERM or SIGINT; a limit too small
 * for one row plus the model says the minimum, counting the model.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { openRaster } from '../../src/io/raster/openRaster.ts';
import { formatBytes } from '../../src/core/memory.ts';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { type ExperimentConfig, experimentSceneOptions, runExperiment } from '../../src/experiment/runExperiment.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { runPipeline } from '../../src/pipeline/runPipeline.ts';
import { runWorkMemory, type WorkMemory } from '../../src/pipeline/workMemory.ts';
import { loadLabels } from '../../src/scene/loadScene.ts';
import { planMemory } from '../../src/scene/memoryPlan.ts';
import { createRng } from '../../src/util/random.ts';
import { thrownAsync } from '../helpers.ts';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'spinalnet.js');
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-reducedfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const H = 23;
const W = 17;
const B = 12;
const COMPONENTS = 4;

/** A seeded scene, three classes in vertical stripes with their own spectra plus noise, as MAT v5 files. */
function writeScene(): { cube: string; gt: string } {
  const rng = createRng(11, 'reduced-file-test');
  const cm = new Int16Array(H * W * B);
  const gt = new Uint8Array(H * W);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const k = c < 6 ? 1 : c < 12 ? 2 : 3;
      gt[r + c * H] = k;
      for (let b = 0; b < B; b++) cm[r + c * H + b * H * W] = Math.round(1000 + 200 * k * Math.sin(b + k) + 60 * rng.next() + 3 * r);
    }
  }
  return {
    cube: writeMatV5(join(dir, 'cube.mat'), [{ name: 'cube', data: cm, dims: [H, W, B] }]).path,
    gt: writeMatV5(join(dir, 'cube_gt.mat'), [{ name: 'gt', data: gt, dims: [H, W] }]).path,
  };
}
const files = writeScene();

const config = (out: string, memoryLimit?: number): RunConfig => ({
  ...DEFAULTS, input: { kind: 'files', cube: files.cube, gt: files.gt }, model: 'spinal-cnn', patch: 9, pca: COMPONENTS,
  epochs: 1, batchSize: 16, trainFraction: 0.3, out, force: true, backend: 'wasm', predictWorkers: 0, inference: 'tfjs',
  ...(memoryLimit !== undefined && { memoryLimit }),
});

/** The limits around the plan's two minimums: with the reduced scene in memory, and in a file (`work`: run's model stage of `c`). */
async function minimums(c: RunConfig, work: WorkMemory = runWorkMemory(c)): Promise<{ inMemory: number; inFile: number }> {
  const source = await openRaster(files.cube, { role: 'cube' });
  const d = source.describe();
  source.close();
  const input = { ...d, components: COMPONENTS, file: files.cube, work, limit: 1e12 };
  const inMemory = planMemory(input).minimumBytes;
  const e = (() => {
    try {
      planMemory({ ...input, limit: 1, reducedFile: { halo: (c.patch - 1) / 2 } });
    } catch (err) {
      return err as DataError;
    }
    throw new Error('a 1-byte limit was accepted');
  })();
  const inFile = planMemory({ ...input, limit: inMemory - 1, reducedFile: { halo: (c.patch - 1) / 2 } }).minimumBytes;
  expect(e.fix).toContain('raise --memory-limit to at least');
  return { inMemory, inFile };
}

/** spinalnet's temporary folders left in `tmp` (tsx keeps its own cache there too). */
const leftovers = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('spinalnet-'));

const prediction = async (out: string) => (await loadLabels(join(out, 'prediction.mat'), { height: H, width: W }, 'prediction')).labels.data;

/** A private temporary folder for each test (TMPDIR), so a leftover file is seen. */
let temp: string;
let savedTmp: string | undefined;
beforeEach(() => {
  savedTmp = process.env.TMPDIR;
  temp = mkdtempSync(join(dir, 'tmp-'));
  process.env.TMPDIR = temp;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

describe('the reduced scene in a temporary file', () => {
  it('a run whose reduced scene does not fit maps and scores exactly as in memory, and leaves no file', async () => {
    const { inMemory, inFile } = await minimums(config(''));
    expect(inFile).toBeLessThan(inMemory);
    const mem = await runPipeline(config(join(dir, 'memory')));
    const lines: string[] = [];
    const seen: string[] = [];
    const filed = await runPipeline(config(join(dir, 'file'), inMemory - 1), {
      log: (l) => {
        lines.push(l);
        // While the run works, its file is there (and only then).
        if (l.startsWith('mapping')) seen.push(...leftovers(temp));
      },
    });
    expect(lines.join('\n')).toContain('kept in the temporary file');
    expect(seen.length).toBe(1);
    expect(Array.from(await prediction(filed.outDir))).toEqual(Array.from(await prediction(mem.outDir)));
    const metrics = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics(filed.outDir)).toEqual(metrics(mem.outDir));
    expect(filed.training!.epochs.map((e) => e.loss)).toEqual(mem.training!.epochs.map((e) => e.loss));
    expect(leftovers(temp)).toEqual([]);
  }, 120_000);

  it('a run that fails after the file was written removes it', async () => {
    const { inMemory } = await minimums(config(''));
    const out = join(dir, 'fails');
    const e = await thrownAsync(() =>
      runPipeline(config(out, inMemory - 1), {
        log: (l) => {
          if (l.includes('kept in the temporary file')) throw new Error('the caller gave up');
        },
      }),
    );
    expect(e.message).toBe('the caller gave up');
    expect(leftovers(temp)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a limit too small for one row plus the model: DataError with the minimum, counting the model', async () => {
    const { inFile } = await minimums(config(''));
    const out = join(dir, 'small');
    const e = await thrownAsync(() => runPipeline(config(out, inFile - 1)));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/the spinal-cnn model \(\d+ weights\) while training, one training batch and one map batch of 9×9 patches/);
    expect(e.message).toContain('the reduced 4-component scene in a temporary file');
    expect(e.fix).toContain(`at least ${formatBytes(inFile)}`);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(temp)).toEqual([]);
    // The model is most of it here: without it, the same limit would have been plenty.
    const work = runWorkMemory(config(''));
    expect(work.bytes).toBeGreaterThan(inFile / 2);
  }, 60_000);
});

/** Runs `args` with node in a child process (TMPDIR = `tmp`), sends `signal` once stdout or stderr matches `when`. */
function childStopped(args: string[], tmp: string, when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let output = '';
    let sent = false;
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (!sent && when.test(output)) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('an experiment with the reduced scene in a temporary file', () => {
  // A spectral model among them: its cells cut 1×1 patches, so each cell prepares (and closes) its own reduced scene.
  const experiment = (memoryLimit?: number): ExperimentConfig => ({
    base: config('', memoryLimit), models: ['spinal-cnn', 'spinal-mlp'], splits: ['random'], seeds: [1, 2],
  });
  const limit = async () => (await minimums(config(''), experimentSceneOptions(experiment()).work!)).inMemory - 1;

  it('scores every cell exactly as in memory, and leaves no file', async () => {
    const mem = await runExperiment(experiment());
    const lines: string[] = [];
    const seen: string[][] = [];
    const filed = await runExperiment(experiment(await limit()), (l) => {
      lines.push(l);
      // While a cell works, one file is there (its prepared reduced scene; evicted ones are gone).
      if (l.startsWith('[')) seen.push(leftovers(temp));
    });
    expect(lines.filter((l) => l.includes('kept in the temporary file')).length).toBe(4);
    expect(seen.map((s) => s.length)).toEqual([1, 1, 1, 1]);
    const scores = (r: typeof mem) => r.runs.map((x) => [x.model, x.seed, x.overallAccuracy, x.averageAccuracy, x.kappa, x.perClassRecall, x.testPixels]);
    expect(scores(filed)).toEqual(scores(mem));
    expect(filed.summaries).toEqual(mem.summaries.map((s, i) => ({ ...s, trainSeconds: filed.summaries[i]!.trainSeconds })));
    expect(leftovers(temp)).toEqual([]);
  }, 120_000);

  it('an experiment that fails mid-grid removes its file', async () => {
    const memoryLimit = await limit();
    const e = await thrownAsync(() =>
      runExperiment(experiment(memoryLimit), (l) => {
        if (l.startsWith('[2/4]')) throw new Error('the caller gave up');
      }),
    );
    expect(e.message).toBe('the caller gave up');
    expect(leftovers(temp)).toEqual([]);
  }, 60_000);
});

describe('the temporary file and signals (real child processes)', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} while nothing else listens (PCA, the map): the file is removed and the process exits ${code}`, async () => {
      const tmp = mkdtempSync(join(dir, 'sig-'));
      const r = await childStopped([join(__dirname, 'fixtures', 'holdReducedFile.mjs')], tmp, /reduced\.f32/, signal);
      expect(r.output).toContain(tmp);
      expect(r.code).toBe(code);
      expect(leftovers(tmp)).toEqual([]);
    }, 60_000);
  }

  it('SIGTERM while training: the run stops with a checkpoint, and its file is removed', async () => {
    const { inMemory } = await minimums(config(''));
    const tmp = mkdtempSync(join(dir, 'train-'));
    const out = join(dir, 'stopped');
    mkdirSync(out);
    const args = [
      bin, 'run', '--cube', files.cube, '--gt', files.gt, '--model', 'spinal-cnn', '--patch', '9', '--pca', String(COMPONENTS),
      '--epochs', '50', '--train-fraction', '0.3', '--backend', 'wasm', '--training', 'tfjs', '--memory-limit', String(inMemory - 1),
      '--out', out, '--force',
    ];
    const r = await childStopped(args, tmp, /epoch 1:/, 'SIGTERM');
    expect(r.output).toContain('kept in the temporary file');
    expect(r.code).toBe(130);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).status).toBe('interrupted');
    expect(leftovers(tmp)).toEqual([]);
  }, 120_000);
});
