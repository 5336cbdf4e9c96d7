/**
 * A registry dataset id + data folder → the dataset in memory (LoadedImageDataset): files found,
 * read by the format's loader, counts and labels checked against the registry's classes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, DataError, InputFileError } from '../core/errors.ts';
import type { ClassInfo } from '../core/types.ts';
import { readCifarBatches } from './cifar.ts';
import { readIdxImages, readIdxLabels } from './idx.ts';
import { loadMnistPackage } from './mnistPackage.ts';
import { readPngFolder } from './pngFolder.ts';
import { IMAGE_DATASETS, findImageDataset, type CifarEntry, type IdxEntry } from './registry.ts';
import type { ImageSet, LoadedImageDataset } from './types.ts';

export interface LoadImageDatasetOptions {
  /** Registry id (`mnist`, `fashion-mnist`, `cifar10`, `folder`…). */
  dataset: string;
  /** Where the files are (for `folder`: the PNG folder itself). Default 'data'. */
  dataDir?: string;
  /** PNG folders only: resize every image to [height, width]. */
  imageSize?: readonly [number, number];
}

export function loadImageDataset(opts: LoadImageDatasetOptions): LoadedImageDataset {
  const entry = findImageDataset(opts.dataset);
  if (!entry) throw new ConfigError('--dataset', `one of ${IMAGE_DATASETS.map((d) => d.id).join(', ')}`, opts.dataset);
  const dataDir = opts.dataDir ?? 'data';
  if (opts.imageSize && entry.format !== 'png-folder') {
    throw new ConfigError('--image-size', `nothing for ${entry.id} (its images have one size already)`, opts.imageSize.join('x'), 'use --image-size with --dataset folder only');
  }
  switch (entry.format) {
    case 'mnist-package': {
      const { set, files } = loadMnistPackage();
      return { id: entry.id, title: entry.title, classes: entry.classes, train: checkLabels(set, entry.classes, files[0]!), files, warnings: [] };
    }
    case 'idx':
      return loadIdx(entry, dataDir);
    case 'cifar10':
      return loadCifar(entry, dataDir);
    case 'png-folder': {
      const r = readPngFolder(dataDir, { size: opts.imageSize });
      return { id: entry.id, title: `PNG folder ${dataDir}`, classes: r.classes, train: r.train, test: r.test, files: r.files, warnings: r.warnings };
    }
  }
}

/** The first of `folders` under dataDir holding `name` (plain or .gz), or a clear error. */
function findFile(dataDir: string, folders: readonly string[], name: string, id: string): string {
  const tried: string[] = [];
  for (const folder of folders) {
    for (const candidate of [name, `${name}.gz`]) {
      const path = join(dataDir, folder, candidate);
      if (existsSync(path)) return path;
      tried.push(path);
    }
  }
  throw new InputFileError(
    join(dataDir, folders[0]!, name),
    `not found (looked for ${tried.join(', ')})`,
    `put the ${id} files in ${join(dataDir, folders[0]!)}/ (plain or .gz; docs/images.md says where to get them), or pass --data-dir`,
  );
}

function loadIdx(entry: IdxEntry, dataDir: string): LoadedImageDataset {
  const path = (name: string) => findFile(dataDir, entry.folders, name, entry.id);
  const f = entry.files;
  const files = [path(f.trainImages), path(f.trainLabels), path(f.testImages), path(f.testLabels)] as const;
  const read = (images: string, labels: string): ImageSet => {
    const img = readIdxImages(images, { transpose: entry.transpose });
    const lab = readIdxLabels(labels);
    if (img.count !== lab.length) {
      throw new DataError(`${images} holds ${img.count} images but ${labels} holds ${lab.length} labels`, 'use an images file and the labels file of the same set (both train or both test), each complete');
    }
    return checkLabels({ count: img.count, height: img.height, width: img.width, channels: 1, pixels: img.pixels, labels: lab }, entry.classes, labels);
  };
  const train = read(files[0], files[1]);
  const test = read(files[2], files[3]);
  if (train.height !== test.height || train.width !== test.width) {
    throw new DataError(`training images are ${train.height}×${train.width} but test images ${test.height}×${test.width}`, 'use the training and test files of one dataset');
  }
  return { id: entry.id, title: entry.title, classes: entry.classes, train, test, files, warnings: [] };
}

function loadCifar(entry: CifarEntry, dataDir: string): LoadedImageDataset {
  const testFile = findFile(dataDir, entry.folders, 'test_batch.bin', entry.id);
  const dir = dirname(testFile);
  const batches = readdirSync(dir)
    .filter((n) => /^data_batch_\d+\.bin(\.gz)?$/.test(n))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((n) => join(dir, n));
  if (batches.length === 0) {
    throw new InputFileError(join(dir, 'data_batch_1.bin'), 'not found: no training batches next to test_batch.bin', 'unpack all of cifar-10-binary.tar.gz (data_batch_1.bin … data_batch_5.bin and test_batch.bin) into one folder');
  }
  const warnings = batches.length < 5 ? [`only ${batches.length} of the 5 CIFAR-10 training batches found in ${dir}`] : [];
  const train = checkLabels(readCifarBatches(batches), entry.classes, batches[0]!);
  const test = checkLabels(readCifarBatches([testFile]), entry.classes, testFile);
  return { id: entry.id, title: entry.title, classes: entry.classes, train, test, files: [...batches, testFile], warnings };
}

/** Refuses labels that are not a class of the dataset (a wrong file, or EMNIST letters read as 0-based). */
function checkLabels(set: ImageSet, classes: readonly ClassInfo[], source: string): ImageSet {
  const known = new Set(classes.map((c) => c.value));
  for (let i = 0; i < set.count; i++) {
    const v = set.labels[i]!;
    if (!known.has(v)) {
      const values = classes.map((c) => c.value);
      throw new DataError(
        `${source}: image ${i} has label ${v}, which is not a class of this dataset (labels ${Math.min(...values)}–${Math.max(...values)})`,
        'check that the files belong to the dataset named with --dataset',
      );
    }
  }
  return set;
}
