/**
 * `spinalnet predict --queue`: the map cut into windows of rows, one job each. A window travels as the
 * PCA-reduced rows it covers plus a halo of half the patch above and below (as a blob), so every pixel
 * of the window sees exactly the patch it would see in the whole scene; the model's files travel once.
 * Workers return the window's classes as a blob; the submitter assembles them and writes the outputs of
 * a local predict with the same code (predictPipeline with this mapper).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackendChoice } from '../backend/selectBackend.ts';
import type { PredictConfig, SceneMapper } from '../pipeline/predictPipeline.ts';
import type { ReducedScene } from '../scene/reducedScene.ts';
import type { InferenceEngine, PrecisionChoice, ProbabilityOutput } from '../inference/parallel/parallelPredict.ts';
import type { Precision } from '../inference/onnx/exportOnnx.ts';
import { rowWindows } from '../scene/windows.ts';
import { awaitJobs } from './awaitJobs.ts';
import { BLOB_TTL_S, putBlob, sha256 } from './blobs.ts';
import { QueueError } from './connection.ts';
import { packFiles, type FileRef } from './jobInputs.ts';
import { jobOptions, QUEUE_NAME } from './keys.ts';

export interface TileJobData {
  prediction: string;
  /** Rows [r0, r1) of the scene this job maps. */
  rows: [number, number];
  /** Rows [a, b) of the scene in the tile blob (the window and its halo). */
  crop: [number, number];
  width: number;
  bands: number;
  /** sha256 of the tile: float32 BIP, (b − a) × width × bands. */
  tile: string;
  /** The model folder's files, under model/. */
  model: FileRef[];
  patch: number;
  backend: BackendChoice;
  inference: InferenceEngine;
  /**
   * The map's arithmetic (absent in jobs from before: float32). int8 runs only with the model's saved ranges
   * (a run that mapped in int8), so that every tile quantizes alike; without them the tiles map in float32.
   */
  precision?: PrecisionChoice;
  predictBatch: number;
  predictWorkers?: number;
  /** Besides classes: the winning class's probability, or every class's. */
  probabilities: ProbabilityOutput;
}

export interface TileJobResult {
  /**
   * The hash holding the window's results, row-major over (r1 − r0) × width pixels: `classes` (Int32),
   * `confidence` (Float32) and, when asked, `probabilities` (Float32, classes per pixel).
   */
  resultKey: string;
  worker: string;
  engine: string;
  /** The arithmetic the tile ran in (absent from workers of before: float32). */
  precision?: Precision;
}

const MODEL_FILES = ['model.json', 'weights.bin', 'spinalnet.json'];

/** The halo a patch needs on each side. */
const haloOf = (patch: number) => (patch - 1) / 2;

/** A mapper for predictPipeline that maps on the queue in windows of `tileRows` rows. */
export function queueMapper(redis: Redis, tileRows: number): SceneMapper {
  return async ({ meta, reduced, config, log }) => {
    const queue = new Queue<TileJobData, TileJobResult>(QUEUE_NAME, { connection: redis });
    try {
      const jobs = await submitTiles(redis, queue, reduced, meta.patch, config, tileRows);
      log(`prediction ${jobs[0]!.data.prediction}: ${jobs.length} tile jobs of ${tileRows} rows on the queue`);
      const ids = jobs.map((j) => j.opts.jobId);
      const done = await awaitJobs(queue, ids, (job) => `rows ${job.data.rows[0]}–${job.data.rows[1] - 1}`, { log, what: 'the prediction' });
      const { height, width } = reduced;
      const k = meta.classes.length;
      const classes = new Int32Array(height * width);
      const confidence = new Float32Array(height * width);
      const probabilities = config.probabilities ? new Float32Array(height * width * k) : undefined;
      const engines = new Set<string>();
      const precisions = new Set<Precision>();
      for (const id of ids) {
        const { job } = done.get(id)!;
        const [r0, r1] = job.data.rows;
        const n = (r1 - r0) * width;
        // Each part of the window's result, checked for its size, copied to its place in the scene's arrays.
        const part = async (field: string, perPixel: number) => {
          const bytes = await redis.hgetBuffer(job.returnvalue.resultKey, field);
          if (!bytes || bytes.byteLength !== 4 * n * perPixel) throw new QueueError(`the ${field} of tile ${id} are missing or truncated in Redis`, 'run the same predict command again');
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        };
        classes.set(new Int32Array(await part('classes', 1)), r0 * width);
        confidence.set(new Float32Array(await part('confidence', 1)), r0 * width);
        if (probabilities) probabilities.set(new Float32Array(await part('probabilities', k)), r0 * width * k);
        engines.add(job.returnvalue.engine);
        precisions.add(job.returnvalue.precision ?? 'float32');
      }
      const workers = new Set([...done.values()].map((d) => d.job.returnvalue.worker)).size;
      // Workers on CPUs with and without VNNI under 'auto' make a map of both.
      const precision: Precision = precisions.has('int8') ? 'int8' : 'float32';
      if (precisions.size > 1) log('some tiles mapped in int8, others in float32 (workers with and without VNNI); pass --precision float32 or int8 for one');
      return { classes, confidence, probabilities, engine: `${[...engines].join(', ')} on ${workers} queue worker(s)`, precision };
    } finally {
      await queue.close();
    }
  };
}

async function submitTiles(redis: Redis, queue: Queue<TileJobData, TileJobResult>, reduced: ReducedScene, patch: number, config: PredictConfig, tileRows: number) {
  const model = await packFiles(redis, config.modelDir, MODEL_FILES, 'model');
  const { height, width, bands } = reduced;
  const halo = haloOf(patch);
  const tiles: Omit<TileJobData, 'prediction'>[] = [];
  for (const window of rowWindows(height, tileRows, halo)) {
    const [r0, r1] = window.rows;
    const [a, b] = window.crop;
    const rows = reduced.rows(a, b);
    const tile = await putBlob(redis, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength), `rows ${a}–${b - 1} of the reduced scene`);
    tiles.push({
      rows: [r0, r1], crop: [a, b], width, bands, tile, model, patch,
      backend: config.backend, inference: config.inference ?? 'auto', precision: config.precision ?? 'float32', predictBatch: config.predictBatch, predictWorkers: config.predictWorkers,
      probabilities: config.probabilities ? 'all' : 'confidence',
    });
  }
  // The same model, scene and settings are the same prediction: its tiles are not added twice.
  const prediction = sha256(new TextEncoder().encode(JSON.stringify(tiles))).slice(0, 16);
  const jobs = tiles.map((t) => ({ name: 'tile', data: { ...t, prediction }, opts: { ...jobOptions(BLOB_TTL_S), jobId: `${prediction}.rows.${t.rows[0]}` } }));
  await queue.addBulk(jobs);
  return jobs;
}
