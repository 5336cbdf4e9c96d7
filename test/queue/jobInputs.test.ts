/**
 * A scene in ENVI (header + data file) with GeoTIFF labels (+ GDAL .aux.xml class names) travels through
 * a real Redis: the worker's copy loads to exactly the submitter's scene, names and colours included.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClassMapTiff } from '../io/geotiff/wholeRasters.ts';
import { DEFAULTS, type RunConfig } from '../../src/pipeline/config.ts';
import { loadInputScene } from '../../src/pipeline/sceneInput.ts';
import { connect, parseQueueUrl } from '../../src/queue/connection.ts';
import { packConfig, unpackConfig } from '../../src/queue/jobInputs.ts';
import { redisPresent, startRedis, type RedisServer } from './harness.ts';

describe.skipIf(!redisPresent)('queue job inputs', () => {
  let redis: RedisServer;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'spinalnet-jobinputs-'));
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends an ENVI cube with its header and GeoTIFF labels with their .aux.xml', async () => {
    const [h, w, b] = [6, 5, 3];
    const cube = new Float32Array(h * w * b);
    for (let i = 0; i < cube.length; i++) cube[i] = ((i * 7919) % 101) / 10;
    // BSQ float32, little-endian: band-major order.
    const bsq = new Float32Array(cube.length);
    for (let p = 0; p < h * w; p++) for (let k = 0; k < b; k++) bsq[k * h * w + p] = cube[p * b + k]!;
    writeFileSync(join(dir, 'scene.img'), Buffer.from(bsq.buffer));
    writeFileSync(join(dir, 'scene.hdr'), `ENVI\nsamples = ${w}\nlines = ${h}\nbands = ${b}\nheader offset = 0\ndata type = 4\ninterleave = bsq\nbyte order = 0\nwavelength = {450, 550, 650}\n`);
    const labels = Int32Array.from({ length: h * w }, (_, p) => (p % 3 === 0 ? 0 : 1 + (p % 2)));
    writeClassMapTiff(join(dir, 'labels.tif'), {
      map: { height: h, width: w, data: labels },
      classes: [{ value: 1, name: 'reed bed' }, { value: 2, name: 'open water' }],
      colors: [[10, 200, 10], [10, 10, 200]],
    });
    const config: RunConfig = { ...DEFAULTS, input: { kind: 'files', cube: join(dir, 'scene.hdr'), gt: join(dir, 'labels.tif') } };
    const q = parseQueueUrl(redis.url);
    const conn = connect(q, { log: () => {}, role: 'test' });
    try {
      const packed = await packConfig(conn, config);
      expect(packed.files.map((f) => f.path).sort()).toEqual(['cube/scene.hdr', 'cube/scene.img', 'gt/labels.tif', 'gt/labels.tif.aux.xml']);
      const { config: there } = await unpackConfig(conn, packed, join(dir, 'worker-cache'));
      const [here, away] = [await loadInputScene(config.input), await loadInputScene(there.input)];
      expect((await away.scan.readAll()).data).toEqual((await here.scan.readAll()).data);
      here.scan.close();
      away.scan.close();
      expect(away.labels!.data).toEqual(here.labels!.data);
      expect(away.classes).toEqual(here.classes);
      expect(away.classes.map((c) => c.name)).toEqual(['reed bed', 'open water']);
      expect(Array.from(away.bandInfo!.wavelengthsNm!)).toEqual([450, 550, 650]);

      // --shared-path: nothing goes into Redis; the worker reads the same files by path, checked by hash.
      await conn.flushall();
      const shared = await packConfig(conn, config, { sharedPath: true });
      expect(await conn.dbsize()).toBe(0);
      expect(shared.files.map((f) => f.shared).sort()).toEqual([join(dir, 'labels.tif'), join(dir, 'labels.tif.aux.xml'), join(dir, 'scene.hdr'), join(dir, 'scene.img')]);
      expect(shared.files.map((f) => f.sha).sort()).toEqual(packed.files.map((f) => f.sha).sort());
      const { config: viaPath } = await unpackConfig(conn, shared, join(dir, 'worker-cache-shared'));
      const byPath = await loadInputScene(viaPath.input);
      expect(byPath.labels!.data).toEqual(here.labels!.data);
      expect(byPath.classes).toEqual(here.classes);
      byPath.scan.close();

      // A file changed after submission, or missing on the worker: a clear refusal, not other numbers.
      const gone = { ...shared, files: shared.files.map((f) => (f.path.endsWith('labels.tif') ? { ...f, shared: join(dir, 'nowhere.tif') } : f)) };
      await expect(unpackConfig(conn, gone, join(dir, 'worker-cache-3'))).rejects.toThrow(/nowhere.tif: is not on this worker/);
      writeFileSync(join(dir, 'scene.hdr'), `${readFileSync(join(dir, 'scene.hdr'), 'latin1')}description = {changed}\n`);
      await expect(unpackConfig(conn, shared, join(dir, 'worker-cache-2'))).rejects.toThrow(/scene.hdr: changed after the experiment was submitted/);
    } finally {
      conn.disconnect();
    }
  });
});
