/** A worker's side of a map tile: the window's rows of the reduced scene (with halo) through the model. */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../backend/selectBackend.ts';
import { DataError } from '../core/errors.ts';
import { loadModel } from '../models/modelFiles.ts';
import { predictPatchesParallel } from '../inference/parallel/parallelPredict.ts';
import { Int8Calibrator } from '../inference/onnx/int8.ts';
import { BLOB_TTL_S, fetchBlob } from './blobs.ts';
import { materialize } from './jobInputs.ts';
import { KEY } from './keys.ts';
import type { TileJobData, TileJobResult } from './predictJobs.ts';

/** `threads`: the worker's share of its host's cores; the submitter's --predict-workers stays a ceiling. */
export async function runTile(redis: Redis, job: Job<TileJobData, TileJobResult>, worker: string, cacheDir: string, threads: number): Promise<TileJobResult> {
  const d = job.data;
  const { dir } = await materialize(redis, d.model, cacheDir);
  await selectBackend(d.backend);
  const { model, meta } = await loadModel(join(dir, 'model'));
  try {
    const raw = readFileSync(await fetchBlob(redis, d.tile, cacheDir));
    const [a, b] = d.crop;
    const [r0, r1] = d.rows;
    if (raw.byteLength !== 4 * (b - a) * d.width * d.bands) throw new DataError(`tile ${job.id} holds ${raw.byteLength} bytes, not ${(b - a)}×${d.width}×${d.bands} float32s`, 'run the predict command again');
    const cube = { height: b - a, width: d.width, bands: d.bands, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
    // The window's own pixels, row-major within the tile; the halo rows only feed their patches.
    const pixels = Int32Array.from({ length: (r1 - r0) * d.width }, (_, i) => (r0 - a) * d.width + i);
    // int8 only with the model's saved ranges: ranges calibrated tile by tile would quantize the tiles differently.
    const int8 = meta.int8Calibration;
    const mapped = await predictPatchesParallel(model, cube, d.patch, pixels, {
      batchSize: d.predictBatch, workers: Math.min(d.predictWorkers ?? threads, threads), engine: d.inference, probabilities: d.probabilities,
      precision: int8 ? d.precision ?? 'float32' : 'float32', ...(int8 && { int8Calibrator: Int8Calibrator.given(int8) }),
    });
    const resultKey = KEY.tileResult(job.id!);
    const bytes = (a: Int32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const fields: Buffer[] = [Buffer.from('classes'), bytes(mapped.classes)];
    if (mapped.confidence) fields.push(Buffer.from('confidence'), bytes(mapped.confidence));
    if (mapped.probabilities) fields.push(Buffer.from('probabilities'), bytes(mapped.probabilities));
    await redis.multi().del(resultKey).hset(resultKey, ...fields).expire(resultKey, BLOB_TTL_S).exec();
    return { resultKey, worker, engine: mapped.engine, precision: mapped.precision };
  } finally {
    model.dispose();
  }
}
