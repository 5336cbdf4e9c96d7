/** The text of `spinalnet --help` and of each command's --help. */
import { BACKEND_CHOICES } from '../backend/selectBackend.ts';
import { MODELS } from '../models/registry.ts';
import { DATASETS } from '../scene/registry.ts';
import { DEFAULTS } from '../pipeline/config.ts';

export const MAIN_HELP = `spinalnet: hyperspectral land-cover classification with SpinalNet

usage: spinalnet <command> [flags]

commands:
  run        train on a labelled scene and map it (the whole pipeline)
  predict    map a scene with a saved model (and score it when labels are given)
  experiment models × splits × seeds on one scene, with mean ± std and paired comparisons
  image      the same spinal head on image datasets (MNIST family, CIFAR-10, PNG folders)
  worker     run experiment jobs from a Redis queue (spinalnet experiment --queue)
  view       look at a finished run (or two side by side) in the browser: maps, spectra, errors
  inspect    list the variables of a MAT file
  download   fetch a known scene into data/ and verify its checksum
  backends   the compute engines this machine has (onnxruntime, webgpu/GPU, wasm, …) and how to get the others

\`spinalnet <command> --help\` shows the flags of a command.
With no flags, \`spinalnet run\` maps KSC from data/ when data/KSC.mat and data/KSC_gt.mat exist,
else a built-in synthetic demo scene.
`;

export const RUN_HELP = `usage: spinalnet run [scene] [flags]

scene (one of):
  --dataset NAME        a known scene in --data-dir: ${DATASETS.map((d) => d.id).join(', ')}
  --data-dir DIR        folder of the known scenes (default: data)
  --cube FILE --gt FILE the cube (H×W×B) and its label map (H×W): MAT (v5/v7/v7.3), ENVI (.hdr or its
                        data file) or GeoTIFF, told apart by their bytes; both on one grid
  --cube-var NAME       MAT cube variable (default: the one 3-D numeric array in the file)
  --gt-var NAME         MAT label variable (default: the one 2-D array of the cube's size)
  --demo                the built-in synthetic scene (trains on 20% of its pixels unless
                        --train-fraction says otherwise)
  (none)                KSC from data/ when present, else the demo

protocol (defaults: the SpinalNet paper's KSC script):
  --pca N               principal components kept (default ${DEFAULTS.pca})
  --no-whiten           keep component variances (default: whitened)
  --pca-fit scene|train fit PCA on every scene pixel or on the training pixels only
                        (default: scene under --split random, as the paper; train otherwise)
  --patch N             odd patch side in pixels (default ${DEFAULTS.patch})
  --split NAME          random (default: stratified pixels, as the paper), per-class (N per class),
                        blocks (spatially disjoint blocks; test pixels whose patch would see a training
                        pixel are dropped), maps (given --train-map / --test-map label maps)
  --train-fraction F    random: share of each class for training; blocks: target share (default ${DEFAULTS.trainFraction})
  --train-per-class N   per-class: N training pixels per class
  --block-size N        blocks: block side in pixels (default 32)
  --train-map FILE      maps: MAT label map of the training pixels (--train-map-var NAME)
  --test-map FILE       maps: MAT label map of the test pixels (--test-map-var NAME; default: the
                        scene's other labelled pixels)
  --val-fraction F      hold out this share of the training side for validation; the best epoch
                        on it is kept (default 0: none, as the paper)
  --early-stop N        stop after N epochs without validation improvement
  --class-weights balanced   weight the loss by inverse class frequency (default none)
  --seed N              seeds split, weights, dropout, batch order (default ${DEFAULTS.seed})

model and training:
  --model NAME          ${MODELS.map((m) => `${m.id} (${m.description})`).join('\n                        ')}
  --epochs N            (default ${DEFAULTS.epochs})
  --batch-size N        (default ${DEFAULTS.batchSize})
  --lr X                Adam learning rate (default ${DEFAULTS.learningRate})
  --lr-drop-epoch N     divide the rate once after N epochs, 0 = never (default ${DEFAULTS.lrDropEpoch})
  --lr-drop-factor X    by this factor (default ${DEFAULTS.lrDropFactor})
  --backend NAME        ${BACKEND_CHOICES.join('|')} (default auto: WebGPU on a hardware GPU, else native TensorFlow if
                        installed, else wasm, else cpu; webgpu on a software adapter with a warning)
  --wasm-threads N      XNNPACK threads for wasm (default 1; more helps only when the cores are idle)
  --training E          auto|libtorch|onnxruntime|tfjs: who computes the gradients (default auto:
                        libtorch when built (libtorch-dev), else onnxruntime when installed, on every
                        core; the model and optimizer stay tfjs's)

resuming:
  --resume DIR          continue an interrupted run (Ctrl-C or SIGTERM saves a checkpoint) from its folder

outputs:
  --out DIR             output folder (default outputs/<scene>-<time>); must be new or empty
  --force               replace an existing --out folder
  --no-mask-background  colour unlabelled pixels in classification-map.png and .tif too
  --map-format LIST     class maps beside the PNG: tif (default; classification-map.tif is always
                        written) and envi (adds classification-map.dat/.hdr, an ENVI classification),
                        comma-separated: --map-format tif,envi
  --probabilities       also write probabilities.tif: every class's softmax probability, one band each
  --predict-batch N     pixels per forward pass when mapping (default ${DEFAULTS.predictBatch})
  --predict-workers N   threads for the map (default: one per core; 0 = main thread)
  --inference E         auto|onnxruntime|tfjs: who maps the scene (default auto: onnxruntime when installed)
  --precision P         auto|int8|float32: the map's arithmetic (default auto: int8 where onnxruntime maps
                        on a CPU with VNNI, calibrated on training patches; float32 always works)

large scenes (docs/large-scenes.md):
  --memory-limit SIZE   most memory the scene's arrays may take, e.g. 1GiB, 512MiB (default 75% of
                        the machine's memory); the cube is read in windows of rows that fit it
  --tile-size N         rows per window when reading the scene and applying PCA (default: as many as
                        fit), and per window when mapping (at least 65,536 pixels; default: one window)
`;

export const PREDICT_HELP = `usage: spinalnet predict --model DIR --cube FILE [--gt FILE] --out DIR [flags]

  --model DIR           the model/ folder of a finished run
  --cube FILE           the scene to map, MAT, ENVI or GeoTIFF (same bands as the training scene)
  --gt FILE             optional label map: metrics are written too
  --cube-var / --gt-var variable names (default: found automatically)
  --out DIR             output folder (must be new or empty); --force replaces it
  --backend NAME        ${BACKEND_CHOICES.join('|')} (default auto)
  --no-mask-background  colour unlabelled pixels too
  --map-format LIST     tif (default, always written) and/or envi: --map-format tif,envi
  --probabilities       also write probabilities.tif (every class's probability)
  --predict-batch N     pixels per forward pass (default ${DEFAULTS.predictBatch})
  --predict-workers N   threads for the map (default: one per core; 0 = main thread)
  --inference E         auto|onnxruntime|tfjs: who maps the scene (default auto: onnxruntime when installed)
  --precision P         auto|int8|float32: the map's arithmetic (default auto: int8 where onnxruntime maps
                        on a CPU with VNNI, with the run's calibration when it mapped in int8; with --queue,
                        int8 only with that calibration, else float32)
  --queue URL           map on a Redis job queue (workers: spinalnet worker --queue URL): the scene in
                        windows of rows, one job each; the same outputs as a local predict
  --tile-rows N         rows per window with --queue (default 64)
  --memory-limit SIZE   most memory the scene's arrays may take, e.g. 1GiB, 512MiB (default 75% of
                        the machine's memory); the cube is read in windows of rows that fit it
  --tile-size N         rows per window when reading the scene and applying PCA (default: as many as
                        fit), and per window when mapping (at least 65,536 pixels; default: one window)
`;

export const INSPECT_HELP = `usage: spinalnet inspect FILE [--json]

MAT files (v5, v7 and v7.3): lists each variable: name, MATLAB class (double, single, int8…uint64,
logical, char, cell, struct, sparse…), dimensions, and (v5/v7) min and max of numeric arrays. --json
prints them as a JSON array of {name, class, dims, min?, max?}.
ENVI (.hdr or its data file) and GeoTIFF: size, bands, sample type, interleave, compression, byte
order, georeference and CRS, nodata, wavelength range, bad bands and class names, from the header.
The format is read from the file's first bytes. Unreadable files get the same typed errors as everywhere else.
`;

export const DOWNLOAD_HELP = `usage: spinalnet download NAME [--data-dir DIR]

Fetches a known scene's cube and ground truth into --data-dir (default: data) and checks their SHA-256.
Names: ${DATASETS.filter((d) => d.remote).map((d) => d.id).join(', ')}
`;

export const VIEW_HELP = `usage: spinalnet view RUN_DIR [RUN_DIR2] [--port N] [--host H] [--open]

Serves an interactive page for the output folder of a finished \`spinalnet run\`, \`predict\` or \`image\`
(two folders: side by side, with linked zoom and a "where they disagree" layer) and prints its URL.
Read-only; Ctrl-C stops it.

  --port N    port to listen on (default: a free one)
  --host H    address to listen on (default 127.0.0.1, this machine only; any other address is
              reachable by others and is warned about)
  --open      open the page in the desktop's browser
`;
