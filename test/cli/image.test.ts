/**
 * `spinalnet image` through the CLI entry point: small real runs write every output (and the saved
 * model predicts the same), and bad input gives one message with a fix, exit 2, and no output folder.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { encodeIdx } from '../../src/images/idx.ts';
import { imageSource } from '../../src/images/imageSource.ts';
import { readPngFolder } from '../../src/images/pngFolder.ts';
import { loadModel } from '../../src/models/modelFiles.ts';
import { createImage, decodePng, encodePng } from '../../src/render/index.ts';
import { predictClasses } from '../../src/inference/predict.ts';
import { createRng } from '../../src/util/random.ts';
import { cifarBytes, writeIdxPair } from '../images/fixtures.ts';

let dir: string;

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

/**
 * A PNG folder of 16×16 grey images: 'bars' have a bright vertical bar, 'blobs' a bright square, each at a
 * random place, on noise; 24 of each.
 */
function writeShapes(root: string): void {
  const rng = createRng(11, 'shapes');
  for (const cls of ['bars', 'blobs']) {
    for (let i = 0; i < 24; i++) {
      const img = createImage(16, 16);
      const x0 = 2 + rng.int(10);
      const y0 = 2 + rng.int(6);
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) {
        const on = cls === 'bars' ? x >= x0 && x < x0 + 2 && y >= 1 && y < 15 : x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4;
        const v = on ? 220 : rng.int(60);
        img.data.set([v, v, v, 255], (y * 16 + x) * 4);
      }
      mkdirSync(join(root, cls), { recursive: true });
      writeFileSync(join(root, cls, `${String(i).padStart(2, '0')}.png`), encodePng(img));
    }
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-image-'));
});

const OUTPUTS = ['metrics.json', 'report.md', 'confusion-matrix.png', 'training-curves.png', 'misclassified.png', 'run.json', 'model/model.json', 'model/weights.bin', 'model/spinalnet.json', 'report.html'];

describe('spinalnet image: runs', () => {
  it('trains on a PNG folder, writes every output, and the saved model predicts the same', async () => {
    const data = join(dir, 'shapes');
    writeShapes(data);
    const out = join(dir, 'shapes-run');
    const r = await runCli(['image', '--dataset', 'folder', '--data-dir', data, '--epochs', '12', '--batch-size', '8', '--lr', '0.005', '--seed', '2', '--backend', 'wasm', '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test accuracy \d+\.\d\d%/);
    for (const f of OUTPUTS) expect(existsSync(join(out, f)), f).toBe(true);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect([metrics.trainImages, metrics.testImages]).toEqual([38, 10]);
    expect(metrics.perClass.map((c: { name: string }) => c.name)).toEqual(['bars', 'blobs']);
    // Bars against squares on noise: far above chance (0.5) after 12 short epochs.
    expect(metrics.overallAccuracy).toBeGreaterThanOrEqual(0.8);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.command).toBe('image');
    expect(run.normalization.mean[0]).toBeGreaterThan(0);
    expect(run.backend.name).toBe('wasm');
    expect(run.cpuSeconds).toBeGreaterThan(0);
    expect(Object.keys(run.timings)).toEqual(['load', 'split', 'train', 'predict', 'render', 'total']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| 1 \| blobs \| \d+ \|/);
    expect(decodePng(readFileSync(join(out, 'misclassified.png'))).width).toBeGreaterThan(50);

    // The model folder alone reproduces the test predictions (normalisation from its metadata).
    const { model, meta } = await loadModel(join(out, 'model'));
    expect(meta.image).toEqual({ height: 16, width: 16, channels: 1 });
    const norm = meta.preprocessing as { mean: number[]; std: number[] };
    expect(norm.mean).toEqual(run.normalization.mean);
    const all = readPngFolder(data).train;
    const predicted = await predictClasses(model, imageSource(all, norm));
    const right = predicted.filter((k, i) => k === all.labels[i]).length;
    expect(right / all.count).toBeGreaterThanOrEqual(0.8);
    model.dispose();
    tf.disposeVariables();
  });

  it('runs the default dataset (the mnist package digits) on a small stratified subset', async () => {
    const out = join(dir, 'mnist-run');
    const r = await runCli(['image', '--max-train', '400', '--max-test', '200', '--epochs', '2', '--backend', 'wasm', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/MNIST, the 10,000 digits .*: 400 training, 200 test images of 28×28×1, 10 classes/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.testImages).toBe(200);
    expect(metrics.perClass.map((c: { support: number }) => c.support).reduce((a: number, b: number) => a + b)).toBe(200);
    expect(metrics.overallAccuracy).toBeGreaterThan(0.3); // 2 epochs on 400 digits: well above chance (0.1)
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.split.protocol).toMatch(/random stratified split, 80.0% of each class .*subset of 400 training images/);
    expect(run.normalization).toEqual({ mean: [0.1307], std: [0.3081] });
    expect(JSON.parse(readFileSync(join(out, 'model', 'spinalnet.json'), 'utf8')).modelId).toBe('spinal-mnist');
  });

  it('prints its help', async () => {
    const r = await runCli(['image', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: spinalnet image/);
    expect(r.stdout).toMatch(/spinal-vgg5/);
  });
});

describe('spinalnet image: bad input', () => {
  const bad = async (args: string[], message: RegExp, fix: RegExp) => {
    const out = join(dir, 'out-bad');
    const r = await runCli(['image', ...args, '--epochs', '1', '--backend', 'wasm', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(new RegExp(`fix: .*${fix.source}`));
    // Nothing half-written: neither the output folder nor a hidden staging folder.
    expect(readdirSync(dir).filter((f) => f.includes('out-bad'))).toEqual([]);
  };

  it('a truncated IDX file', async () => {
    const data = join(dir, 'trunc');
    const names = (s: string) => ({ images: `${s === 'train' ? 'train' : 't10k'}-images-idx3-ubyte`, labels: `${s === 'train' ? 'train' : 't10k'}-labels-idx1-ubyte` });
    writeIdxPair(join(data, 'kmnist'), names('train'), 20, 28, (i) => i % 10);
    writeIdxPair(join(data, 'kmnist'), names('test'), 10, 28, (i) => i % 10);
    const f = join(data, 'kmnist', 't10k-images-idx3-ubyte');
    writeFileSync(f, readFileSync(f).subarray(0, 3000));
    await bad(['--dataset', 'kmnist', '--data-dir', data], /t10k-images-idx3-ubyte: truncated: the header announces 10×28×28/, /download the file again/);
  });

  it('a file that is not IDX, and images without their labels', async () => {
    const data = join(dir, 'magic');
    mkdirSync(join(data, 'mnist'), { recursive: true });
    writeIdxPair(join(data, 'mnist'), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, 20, 28, (i) => i % 10);
    writeFileSync(join(data, 'mnist', 't10k-images-idx3-ubyte'), encodePng(createImage(2, 2)));
    writeFileSync(join(data, 'mnist', 't10k-labels-idx1-ubyte'), encodeIdx(0x08, [3], [1, 2, 3]));
    await bad(['--dataset', 'mnist-idx', '--data-dir', data], /not an IDX file: it starts with bytes 89 50 4e 47/, /pass the IDX file itself/);
    writeFileSync(join(data, 'mnist', 't10k-images-idx3-ubyte'), encodeIdx(0x08, [2, 28, 28], new Uint8Array(2 * 784)));
    await bad(['--dataset', 'mnist-idx', '--data-dir', data], /holds 2 images but .* holds 3 labels/, /same set/);
  });

  it('a truncated CIFAR batch, and missing CIFAR files', async () => {
    const data = join(dir, 'cifar');
    mkdirSync(join(data, 'cifar10'), { recursive: true });
    await bad(['--dataset', 'cifar10', '--data-dir', data], /test_batch.bin: not found/, /put the cifar10 files in/);
    writeFileSync(join(data, 'cifar10', 'data_batch_1.bin'), cifarBytes(5).subarray(0, 10000));
    writeFileSync(join(data, 'cifar10', 'test_batch.bin'), cifarBytes(2));
    await bad(['--dataset', 'cifar10', '--data-dir', data], /data_batch_1.bin: 10000 bytes is not a whole number of 3073-byte CIFAR-10 records/, /download the CIFAR-10 binary version again/);
  });

  it('PNG folders with mixed sizes or a damaged image', async () => {
    const data = join(dir, 'mixed');
    mkdirSync(join(data, 'a'), { recursive: true });
    mkdirSync(join(data, 'b'), { recursive: true });
    writeFileSync(join(data, 'a', '1.png'), encodePng(createImage(20, 20)));
    writeFileSync(join(data, 'b', '1.png'), encodePng(createImage(24, 20)));
    await bad(['--dataset', 'folder', '--data-dir', data], /images differ in size/, /--image-size/);
    writeFileSync(join(data, 'b', '1.png'), encodePng(createImage(20, 20)).subarray(0, 30));
    await bad(['--dataset', 'folder', '--data-dir', data], /b\/1.png: not a readable PNG/, /PNG/);
  });

  it('unknown datasets, models and flag values', async () => {
    await bad(['--dataset', 'imagenet'], /--dataset: expected one of mnist, mnist-idx/, /--dataset/);
    await bad(['--model', 'resnet'], /--model: expected one of spinal-mnist/, /--model/);
    await bad(['--image-size', 'big'], /--image-size: expected N or HxW/, /--image-size/);
    await bad(['--train-fraction', '1.5'], /--train-fraction: expected a number between 0 and 1/, /--train-fraction/);
  });
});
