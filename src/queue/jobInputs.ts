/**
 * A run configuration made portable: every file it names (scene cube and labels, training/test maps)
 * goes to Redis as a blob, and the configuration names it by a path relative to a folder the worker
 * builds from its cache. A worker needs no shared filesystem, only the URL.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { ConfigError, InputFileError } from '../core/errors.ts';
import { rasterFiles } from '../io/raster/rasterFiles.ts';
import { vectorFiles } from '../io/vector/readVectorLayer.ts';
import type { RunConfig } from '../pipeline/config.ts';
import { DATASETS, findDataset } from '../scene/registry.ts';
import { checkBlobSize, fetchBlob, putBlob, sha256 } from './blobs.ts';

/** One file of a job: where it goes in the job's input folder, and its bytes' hash. */
export interface FileRef {
  path: string;
  sha: string;
  /**
   * Submitted with --shared-path: the file's absolute path, which every worker reads from a filesystem
   * they share; its bytes never go through Redis (scenes over Redis's 512 MB value limit).
   */
  shared?: string;
}

/** How the inputs travel: through Redis (default), or by path on a filesystem every worker mounts alike. */
export interface PackOptions {
  sharedPath?: boolean;
}

/** sha256 of a file, streamed (a shared scene may be gigabytes). */
async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface PortableConfig {
  /** The configuration with every path relative to the input folder. */
  config: RunConfig;
  files: FileRef[];
}

/** Uploads the files `config` names and returns it rewritten to name them by relative paths. */
export async function packConfig(redis: Redis, config: RunConfig, opts: PackOptions = {}): Promise<PortableConfig> {
  const files: FileRef[] = [];
  const add = async (source: string, path: string): Promise<string> => {
    if (!existsSync(source)) throw new InputFileError(source, 'file not found', 'check the path');
    if (opts.sharedPath) files.push({ path, sha: await hashFile(source), shared: resolve(source) });
    else {
      checkBlobSize(statSync(source).size, source);
      files.push({ path, sha: await putBlob(redis, readFileSync(source), source) });
    }
    return path;
  };
  // A file and its companions (ENVI header and data, GeoTIFF .aux.xml, a shapefile's .shx/.dbf/.prj) travel into one folder.
  const addWithCompanions = async (source: string, folder: string, companions: (path: string) => string[]): Promise<string> => {
    if (!existsSync(source)) throw new InputFileError(source, 'file not found', 'check the path');
    const [main, ...beside] = companions(source);
    for (const f of beside) await add(f, join(folder, basename(f)));
    return add(main!, join(folder, basename(main!)));
  };
  const addRaster = (source: string, folder: string) => addWithCompanions(source, folder, rasterFiles);
  const input = config.input;
  let packed: RunConfig['input'];
  if (input.kind === 'demo') packed = input;
  else if (input.kind === 'files') {
    packed = { ...input, cube: await addRaster(input.cube, 'cube'), ...(input.gt !== undefined && { gt: await addRaster(input.gt, 'gt') }) };
  } else {
    const d = findDataset(input.id);
    if (!d) throw new ConfigError('--dataset', `one of ${DATASETS.map((x) => x.id).join(', ')}`, input.id);
    await add(join(input.dataDir, d.cubeFile), join('dataset', d.cubeFile));
    await add(join(input.dataDir, d.gtFile), join('dataset', d.gtFile));
    packed = { ...input, dataDir: 'dataset' };
  }
  const out: RunConfig = { ...config, input: packed, out: undefined, force: false };
  if (config.trainMap !== undefined) out.trainMap = await add(config.trainMap, join('train-map', basename(config.trainMap)));
  if (config.testMap !== undefined) out.testMap = await add(config.testMap, join('test-map', basename(config.testMap)));
  if (config.trainVector !== undefined) out.trainVector = await addWithCompanions(config.trainVector, 'train-vector', vectorFiles);
  if (config.testVector !== undefined) out.testVector = await addWithCompanions(config.testVector, 'test-vector', vectorFiles);
  return { config: out, files };
}

/**
 * Builds the job's input folder in `cacheDir` (files linked from the blob cache) and returns the
 * configuration with absolute paths, plus a key naming this set of inputs (for caching the scene).
 */
export async function unpackConfig(redis: Redis, portable: PortableConfig, cacheDir: string): Promise<{ config: RunConfig; inputKey: string }> {
  const { dir, key: inputKey } = await materialize(redis, portable.files, cacheDir);
  const c = portable.config;
  const at = (rel: string | undefined) => (rel === undefined ? undefined : join(dir, rel));
  let input: RunConfig['input'] = c.input;
  if (input.kind === 'files') input = { ...input, cube: at(input.cube)!, ...(input.gt !== undefined && { gt: at(input.gt)! }) };
  else if (input.kind === 'dataset') input = { ...input, dataDir: at(input.dataDir)! };
  return { config: { ...c, input, trainMap: at(c.trainMap), testMap: at(c.testMap), trainVector: at(c.trainVector), testVector: at(c.testVector) }, inputKey };
}

/** Builds a folder of `files` (linked from the blob cache) in `cacheDir`; its key names this set of files. */
export async function materialize(redis: Redis, files: readonly FileRef[], cacheDir: string): Promise<{ dir: string; key: string }> {
  const key = sha256(new TextEncoder().encode(JSON.stringify(files))).slice(0, 24);
  const dir = join(cacheDir, 'inputs', key);
  for (const f of files) {
    const target = join(dir, f.path);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    if (f.shared !== undefined) {
      const fix = 'an experiment submitted with --shared-path needs its files at the same path on every worker (a shared filesystem); or submit it without --shared-path to send them through Redis';
      if (!existsSync(f.shared)) throw new InputFileError(f.shared, 'is not on this worker', fix);
      // Checked once per worker and set of inputs: a file changed after submission would change the results.
      if ((await hashFile(f.shared)) !== f.sha) throw new InputFileError(f.shared, 'changed after the experiment was submitted (its sha256 differs)', 'submit the experiment again');
      try {
        symlinkSync(f.shared, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      continue;
    }
    const blob = await fetchBlob(redis, f.sha, cacheDir);
    try {
      linkSync(blob, target);
    } catch (err) {
      // EEXIST: another worker sharing this cache linked it first; otherwise a filesystem without hard links.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') copyFileSync(blob, target);
    }
  }
  return { dir, key };
}

/** Uploads the files of a folder (those named) and returns their references under `prefix`. */
export async function packFiles(redis: Redis, dir: string, names: readonly string[], prefix: string): Promise<FileRef[]> {
  const out: FileRef[] = [];
  for (const name of names) {
    const source = join(dir, name);
    if (!existsSync(source)) throw new InputFileError(source, 'file not found', 'check the path');
    out.push({ path: join(prefix, name), sha: await putBlob(redis, readFileSync(source), source) });
  }
  return out;
}
