/**
 * `spinalnet worker`: takes experiment cells from the queue and runs them with the function the
 * local experiment uses (runCell), and map tiles (tileJob.ts). A cell's checkpoints go to Redis after
 * every epoch, so a job whose worker died (found stalled by BullMQ and handed to another) continues
 * from its last epoch. A stop signal checkpoints the current job and puts it back on the queue; bad
 * input fails the job once.
 */
import * as tf from '@tensorflow/tfjs';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../backend/selectBackend.ts';
import { SpinalnetError } from '../core/errors.ts';
import { coresHere, jobsOnHost, threadsForHost, waitPassively } from '../core/threads.ts';
import { preparedFor, runCell } from '../experiment/runExperiment.ts';
import type { RunConfig } from '../pipeline/config.ts';
import type { PreparedRun } from '../pipeline/prepareRun.ts';
import { loadInputScene, type InputScene } from '../pipeline/sceneInput.ts';
import { decodeTrainState, encodeTrainState, type TrainState } from '../training/trainState.ts';
import { connect, redact, type QueueUrl } from './connection.ts';
import type { JobProgress } from './awaitJobs.ts';
import type { CellJobData, CellJobResult } from './experimentJobs.ts';
import { unpackConfig } from './jobInputs.ts';
import { startHeartbeat, readHeartbeats } from './hostWorkers.ts';
import { KEY, QUEUE_NAME } from './keys.ts';
import type { TileJobData, TileJobResult } from './predictJobs.ts';
import { runTile } from './tileJob.ts';

export interface WorkerOptions {
  /** Where fetched scene files are kept (default: <tmp>/spinalnet-worker-cache). */
  cacheDir?: string;
  /**
   * How long a job's lock lasts without renewal (ms; BullMQ renews it at half this). A worker silent
   * for longer is taken for dead and its job handed to another. Default 30 s.
   */
  lockMs?: number;
  /**
   * Threads of each job's training engine and map. Default: the host's cores divided among the jobs of
   * every spinalnet worker on this host (their heartbeats in Redis), re-read before each job.
   */
  threads?: number;
  /** Jobs this worker's own group runs at once (`--concurrency C` starts C processes): counted before their heartbeats are in. */
  group?: number;
  log: (line: string) => void;
}

/** Names the host and the process, e.g. lab-3-12345. */
const workerId = () => `${hostname()}-${process.pid}`;

const CHECKPOINT_TTL_S = 7 * 24 * 3600;

/** Runs until `stop()` has been called and the current job is finished or checkpointed. */
export function startWorker(q: QueueUrl, opts: WorkerOptions): { stop: () => Promise<void>; closed: Promise<void> } {
  const id = workerId();
  const log = (line: string) => opts.log(redact(q, line));
  const cacheDir = opts.cacheDir ?? join(tmpdir(), 'spinalnet-worker-cache');
  const lockMs = opts.lockMs ?? 30_000;
  const redis = connect(q, { log, role: `worker ${id}` });
  const host = hostname();
  const cores = coresHere();
  const heartbeat = startHeartbeat(redis, { host, pid: process.pid, cores, concurrency: 1 });
  heartbeat.ready.catch(() => {}); // Redis unreachable: connect() says so; the next beat retries.
  let stopping = false;

  /** Threads for the next job, and how many jobs share this host (1 with --threads: not looked up). */
  const threadsNow = async (): Promise<{ threads: number; hostJobs: number }> => {
    if (opts.threads !== undefined) return { threads: opts.threads, hostJobs: 1 };
    // This process counts even when its own beat has not landed yet (or has expired).
    const mine = { host, pid: process.pid, cores, concurrency: 1 };
    const beats = [...(await readHeartbeats(redis)).filter((h) => h.host !== host || h.pid !== process.pid), mine];
    const hostJobs = jobsOnHost(host, beats, opts.group);
    return { threads: threadsForHost(host, cores, beats, opts.group), hostJobs };
  };
  /** `config` with its threads capped to this job's share (a submitter's --threads stays a ceiling). */
  const sized = async (config: RunConfig): Promise<{ config: RunConfig; note: string }> => {
    const { threads, hostJobs } = await threadsNow();
    // Workers beside each other share the cores: OpenMP (libtorch) waits passively, if not yet loaded.
    if (hostJobs > 1) waitPassively();
    const trainThreads = Math.min(config.trainThreads ?? threads, threads);
    const predictWorkers = Math.min(config.predictWorkers ?? threads, threads);
    const note = `${trainThreads} thread${trainThreads === 1 ? '' : 's'}${opts.threads === undefined ? ` (${cores} cores, ${hostJobs} job${hostJobs === 1 ? '' : 's'} at once on ${host})` : ''}`;
    return { config: { ...config, trainThreads, predictWorkers }, note };
  };
  // One scene and one prepared split at a time: cells of one experiment arrive in grid order.
  let scene: { key: string; scene: InputScene } | undefined;
  const prepared = new Map<string, PreparedRun>();

  const runCellJob = async (job: Job<CellJobData, CellJobResult>, token?: string): Promise<CellJobResult> => {
    const c0 = job.data.cell;
    const name = `${c0.model} ${c0.split} seed ${c0.seed}`;
    const fetchStart = performance.now();
    const { config, inputKey } = await unpackConfig(redis, job.data.job, cacheDir);
    const fetchSeconds = (performance.now() - fetchStart) / 1000;
    const backend = await selectBackend(config.backend, { wasmThreads: config.wasmThreads });
    if (scene?.key !== inputKey) {
      // The previous scene's file (and its one-window cube) is released before the next is opened.
      scene?.scene.scan.close();
      scene = { key: inputKey, scene: await loadInputScene(config.input, { memoryLimit: config.memoryLimit, tileSize: config.tileSize, components: config.pca }) };
    }
    // The split and PCA do not depend on threads: prepared with the job's own configuration, so cells share them.
    const p = await preparedFor(prepared, config, scene.scene, inputKey);
    const resumeFrom = await loadCheckpoint(redis, job.id!);
    const { config: cellConfig, note } = await sized(config);
    log(`${job.id}: ${name}${resumeFrom ? `, continuing from epoch ${resumeFrom.epoch}` : ''} (attempt ${job.attemptsStarted}) on ${note}`);
    const outcome = await runCell(cellConfig, p, {
      resumeFrom,
      onCheckpoint: async (state) => {
        await saveCheckpoint(redis, job.id!, state);
        log(`${job.id}: epoch ${state.epoch - 1}/${config.epochs} done, checkpoint in Redis`);
      },
      shouldStop: () => stopping,
      onEpoch: (e) => void job.updateProgress({ worker: id, step: `epoch ${e.epoch}/${config.epochs}` } satisfies JobProgress).catch(() => {}),
    });
    if ('interrupted' in outcome) {
      await saveCheckpoint(redis, job.id!, outcome.interrupted);
      // Back to the queue without counting as a failure: another worker continues from the checkpoint.
      await job.moveToWait(token);
      log(`${job.id}: checkpointed at epoch ${outcome.interrupted.epoch}, batch ${outcome.interrupted.batch}, and put back on the queue`);
      throw new WaitingError();
    }
    await redis.del(KEY.checkpoint(job.id!));
    log(`${job.id}: done, OA ${(100 * outcome.overallAccuracy).toFixed(2)}%`);
    return { run: { ...outcome, worker: id, attempts: job.attemptsStarted }, backend, fetchSeconds };
  };

  // Cells (experiments) and tiles (maps) share the queue; the job's name says which.
  type AnyJob = Job<CellJobData | TileJobData, CellJobResult | TileJobResult>;
  const runJob = async (job: AnyJob, token?: string): Promise<CellJobResult | TileJobResult> => {
    try {
      if (job.name === 'tile') {
        const { threads, hostJobs } = await threadsNow();
        if (hostJobs > 1) waitPassively();
        const result = await runTile(redis, job as Job<TileJobData, TileJobResult>, id, cacheDir, threads);
        log(`${job.id}: done`);
        return result;
      }
      return await runCellJob(job as Job<CellJobData, CellJobResult>, token);
    } catch (err) {
      if (err instanceof WaitingError) throw err;
      if (err instanceof SpinalnetError) {
        // The job's own input is at fault: retrying cannot help, so it fails once with its message.
        log(`${job.id}: failed: ${err.message}`);
        throw new UnrecoverableError(`${err.message} (fix: ${err.fix})`);
      }
      log(`${job.id}: error (will be retried): ${(err as Error).stack ?? String(err)}`);
      throw err;
    } finally {
      tf.disposeVariables();
    }
  };

  const worker = new Worker<CellJobData | TileJobData, CellJobResult | TileJobResult>(QUEUE_NAME, runJob, {
    connection: redis,
    // Cells train one at a time per process (training is CPU-bound and uses process-wide tfjs state);
    // `spinalnet worker --concurrency N` starts N processes.
    concurrency: 1,
    lockDuration: lockMs,
    stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
    // A job whose worker vanished is handed on this many times before it is failed.
    maxStalledCount: 5,
    name: id,
  });
  // BullMQ reports every failed reconnection of each of its connections: the same line once a minute is enough.
  let lastError = { message: '', at: 0 };
  worker.on('error', (err) => {
    if (err.message === lastError.message && Date.now() - lastError.at < 60_000) return;
    lastError = { message: err.message, at: Date.now() };
    log(`worker ${id}: ${err.message}`);
  });
  worker.on('ready', () => log(`worker ${id} listening on ${q.shown} (cache ${cacheDir})`));
  const closed = new Promise<void>((resolve) => worker.on('closed', () => resolve()));
  return {
    closed,
    async stop() {
      stopping = true;
      await worker.close();
      await heartbeat.stop();
      redis.disconnect();
    },
  };
}

async function saveCheckpoint(redis: Redis, jobId: string, state: TrainState): Promise<void> {
  const { json, weights } = encodeTrainState(state);
  const key = KEY.checkpoint(jobId);
  await redis.multi().hset(key, 'state', json, 'weights', Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength)).expire(key, CHECKPOINT_TTL_S).exec();
}

async function loadCheckpoint(redis: Redis, jobId: string): Promise<TrainState | undefined> {
  const key = KEY.checkpoint(jobId);
  const [state, weights] = await Promise.all([redis.hget(key, 'state'), redis.hgetBuffer(key, 'weights')]);
  if (!state || !weights) return undefined;
  return decodeTrainState(state, weights, `checkpoint of ${jobId} in Redis`);
}
