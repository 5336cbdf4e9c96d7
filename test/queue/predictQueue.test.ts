/**
 * `spinalnet predict --queue` against a real redis-server and two worker processes: the map made of
 * row-band jobs (with uneven bands and a halo for a 9×9 patch) equals the local predict's, pixel for pixel,
 * and so do its confidence and probability rasters.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { cli, redisPresent, startRedis, stopWorker, worker, writeSmallScene, type Cli, type RedisServer } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'spinalnet-qpredict-'));
const scene = writeSmallScene(dir);

describe.skipIf(!redisPresent)('predict on a Redis queue', () => {
  let redis: RedisServer | undefined;
  const workers: Cli[] = [];
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  });

  it('assembles the same map, metrics and images as a local predict', async () => {
    redis = await startRedis();
    workers.push(worker(redis.url, join(dir, 'cache-a')), worker(redis.url, join(dir, 'cache-b')));
    const run = cli(['run', '--cube', scene.cube, '--gt', scene.gt, '--model', 'fc-cnn', '--patch', '9', '--epochs', '1', '--pca', '8', '--backend', 'wasm', '--train-fraction', '0.2', '--out', join(dir, 'trained')]);
    expect(await run.exited, run.err()).toBe(0);
    const predict = (out: string, extra: string[]) =>
      cli(['predict', '--model', join(dir, 'trained', 'model'), '--cube', scene.cube, '--gt', scene.gt, '--backend', 'wasm', '--probabilities', '--out', join(dir, out), ...extra]);
    const local = predict('local', []);
    expect(await local.exited, local.err()).toBe(0);
    // 64 rows in bands of 10: six full bands and one of 4.
    const queued = predict('queued', ['--queue', redis.url, '--tile-rows', '10']);
    expect(await queued.exited, queued.err()).toBe(0);
    expect(queued.err()).toMatch(/7 tile jobs of 10 rows/);
    expect(queued.err()).toMatch(/queue: 0 waiting, 0 running, 7 done, 0 failed/);
    const map = (out: string) => Array.from(readMatNumeric(join(dir, out, 'prediction.mat'), 'prediction').data, Number);
    expect(map('queued')).toEqual(map('local'));
    const read = (out: string, f: string) => readFileSync(join(dir, out, f));
    expect(JSON.parse(read('queued', 'metrics.json').toString())).toEqual(JSON.parse(read('local', 'metrics.json').toString()));
    // The class map, the winning class's probability and every class's: byte for byte.
    for (const f of ['classification-map.png', 'errors.png', 'classification-map.tif', 'confidence.tif', 'probabilities.tif']) expect(read('queued', f).equals(read('local', f)), f).toBe(true);
  });
});
