/**
 * An experiment on the queue: one BullMQ job per grid cell (model, split, seed on one scene) with a
 * deterministic id, so submitting the same experiment twice adds nothing and a result is counted
 * once however many times its job ran. The submitter waits (or comes back with --collect), reads
 * each job's result record, and builds the experiment with the code the local run uses.
 */
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackendInfo } from '../backend/selectBackend.ts';
import { describeData, experimentResult, gridConfigs, type ExperimentConfig, type ExperimentResult, type ExperimentRun } from '../experiment/runExperiment.ts';
import { inputName, loadInputScene } from '../pipeline/sceneInput.ts';
import type { SplitStrategy } from '../sampling/makeSplit.ts';
import { awaitJobs } from './awaitJobs.ts';
import { sha256 } from './blobs.ts';
import { QueueError } from './connection.ts';
import { packConfig, type PackOptions, type PortableConfig } from './jobInputs.ts';
import { jobOptions, KEY, QUEUE_NAME } from './keys.ts';

export interface CellJobData {
  experiment: string;
  cell: { model: string; split: SplitStrategy; seed: number };
  job: PortableConfig;
}

/** What a worker returns for a cell: the run record (with worker and attempts) and its backend. */
export interface CellJobResult {
  run: ExperimentRun;
  backend: BackendInfo;
  /** Seconds the worker spent fetching and unpacking the job's files. */
  fetchSeconds: number;
}

/** Kept in Redis beside the jobs: enough to build experiment.json without the submitter's files. */
export interface ExperimentRecord {
  id: string;
  config: ExperimentConfig;
  data: ExperimentResult['data'];
  jobIds: string[];
  submittedAt: number;
}

/** Times of one job on the queue (ms since the epoch), for the overhead the README reports. */
export interface QueueTimes {
  enqueuedAt: number;
  startedAt: number;
  finishedAt: number;
  collectedAt: number;
  fetchSeconds: number;
}

export type QueuedRun = ExperimentRun & { queue?: QueueTimes };

const RECORD_TTL_S = 30 * 24 * 3600;

const cellJobId = (experiment: string, c: CellJobData['cell']) => `${experiment}.${c.model}.${c.split}.${c.seed}`;

export function openQueue(redis: Redis): Queue<CellJobData, CellJobResult> {
  return new Queue<CellJobData, CellJobResult>(QUEUE_NAME, { connection: redis });
}

/**
 * Checks the grid and the scene (bad input fails here, before anything is enqueued), uploads the
 * scene's files once, and adds one job per cell. Returns the experiment's record; its id is derived
 * from the grid and the bytes of the inputs, so the same submission twice is the same experiment.
 */
export async function submitExperiment(
  redis: Redis, queue: Queue<CellJobData, CellJobResult>, config: ExperimentConfig, log: (line: string) => void, pack: PackOptions = {},
): Promise<ExperimentRecord> {
  const configs = gridConfigs(config);
  const scene = await loadInputScene(config.base.input, { memoryLimit: config.base.memoryLimit, tileSize: config.base.tileSize, components: config.base.pca });
  scene.scan.close();
  const packed = await packConfig(redis, config.base, pack);
  const id = sha256(new TextEncoder().encode(JSON.stringify({ grid: [config.models, config.splits, config.seeds], ...packed }))).slice(0, 16);
  const jobs = configs.map((c) => {
    const cell = { model: c.model, split: c.split, seed: c.seed };
    const data: CellJobData = { experiment: id, cell, job: { config: { ...packed.config, ...cell }, files: packed.files } };
    return { name: 'cell', data, opts: { ...jobOptions(RECORD_TTL_S), jobId: cellJobId(id, cell) } };
  });
  const record: ExperimentRecord = {
    id,
    config,
    data: describeData(scene, inputName(config.base.input)),
    jobIds: jobs.map((j) => j.opts.jobId),
    submittedAt: Date.now(),
  };
  // NX: a resubmission keeps the first record (and its start time).
  await redis.set(KEY.experiment(id), JSON.stringify(record), 'EX', RECORD_TTL_S, 'NX');
  await queue.addBulk(jobs);
  // A resubmission gives failed cells another chance (their input may have been fixed since).
  let retried = 0;
  for (const jobId of record.jobIds) {
    const job = await queue.getJob(jobId);
    if (job && (await job.getState()) === 'failed') {
      await job.retry('failed');
      retried++;
    }
  }
  log(`experiment ${id}: ${jobs.length} jobs on the queue${retried ? ` (${retried} failed ones retried)` : ''}`);
  return loadRecord(redis, id);
}

async function loadRecord(redis: Redis, id: string): Promise<ExperimentRecord> {
  const text = await redis.get(KEY.experiment(id));
  if (!text) throw new QueueError(`no experiment ${id} on this queue (mistyped, expired after 30 days, or another Redis database)`, 'check the id printed by `spinalnet experiment --detach` and the --queue URL');
  return JSON.parse(text) as ExperimentRecord;
}

/**
 * Waits for every job of the experiment (progress: waiting, running with who runs what, done, failed)
 * and returns the experiment built from their results with the local run's code.
 */
export async function awaitExperiment(redis: Redis, queue: Queue<CellJobData, CellJobResult>, id: string, log: (line: string) => void): Promise<ExperimentResult & { runs: QueuedRun[] }> {
  const record = await loadRecord(redis, id);
  const describe = (job: Job<CellJobData, CellJobResult>) => `${job.data.cell.model} ${job.data.cell.split} seed ${job.data.cell.seed}`;
  const done = await awaitJobs(queue, record.jobIds, describe, { log, what: `experiment ${id}` });
  const runs: QueuedRun[] = record.jobIds.map((jobId) => {
    const { job, collectedAt } = done.get(jobId)!;
    const r = job.returnvalue;
    const queueTimes: QueueTimes = { enqueuedAt: job.timestamp, startedAt: job.processedOn ?? job.timestamp, finishedAt: job.finishedOn ?? collectedAt, collectedAt, fetchSeconds: r.fetchSeconds };
    return { ...r.run, queue: queueTimes };
  });
  const backend = done.get(record.jobIds[0]!)!.job.returnvalue.backend;
  return experimentResult(record.config, record.data, backend, runs, (Date.now() - record.submittedAt) / 1000) as ExperimentResult & { runs: QueuedRun[] };
}

/**
 * The queue's own cost per job, from the recorded times: pickup = start − (enqueued, or the end of
 * the same worker's previous job when it was busy), collect = collected − finished.
 */
export function queueOverhead(runs: QueuedRun[]): { pickupSeconds: number[]; collectSeconds: number[] } {
  const byWorker = new Map<string, QueueTimes[]>();
  for (const r of runs) {
    if (!r.queue) continue;
    const list = byWorker.get(r.worker ?? '') ?? [];
    list.push(r.queue);
    byWorker.set(r.worker ?? '', list);
  }
  const pickupSeconds: number[] = [];
  for (const list of byWorker.values()) {
    list.sort((a, b) => a.startedAt - b.startedAt);
    list.forEach((t, i) => pickupSeconds.push((t.startedAt - Math.max(t.enqueuedAt, i > 0 ? list[i - 1]!.finishedAt : 0)) / 1000));
  }
  return { pickupSeconds, collectSeconds: runs.filter((r) => r.queue).map((r) => (r.queue!.collectedAt - r.queue!.finishedAt) / 1000) };
}
