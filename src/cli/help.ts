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
  sample     a stratified random sample of a run's map to label (GeoPackage for QGIS, CSV)
  assess     accuracy and class areas with 95 % intervals from the labelled sample
  suggest    where to label next: the pixels the model is least sure of, spread out (GeoPackage)
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

reference polygons or points from a GIS (instead of, or besides, a --gt label map):
  --train-vector FILE   GeoPackage, shapefile (.shp or .zip) or GeoJSON: the pixels its features cover
                        (pixel centres, as gdal_rasterize) train; reprojected to the scene's CRS
  --test-vector FILE    the same for test pixels (default: --gt's other labelled pixels, if any)
  --class-field NAME    the attribute holding each feature's class, name or integer code (default class)
  --layer NAME          the layer, for files holding several

protocol (defaults: the SpinalNet paper's KSC script):
  --pca N               principal components kept (default ${DEFAULTS.pca})
  --no-whiten           keep component variances (default: whitened)
  --pca-fit scene|train fit PCA on every scene pixel or on the training pixels only
                        (default: scene under --split random, as the paper; train otherwise)
  --patch N             odd patch side in pixels (default ${DEFAULTS.patch})
  --split NAME          random (default: stratified pixels, as the paper), per-class (N per class),
                        blocks (spatially disjoint blocks; test pixels whose patch would see a training
                        pixel are dropped), maps (given --train-map / --test-map label maps, or the
                        vector layers' pixels: the default with --train-vector), polygons (whole
                        training polygons held out for testing, stratified, with the blocks' guard)
  --train-fraction F    random: share of each class for training; blocks, polygons: target share (default ${DEFAULTS.trainFraction})
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
  --init-from RUN_DIR   start from that run's trained weights (same --model and --patch; its PCA is
                        reused; classes matched by name, a new class gets a new output)
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
  --threads N           threads of the training engine and of the map (default: one per core; an
                        experiment's side-by-side runs and queue workers divide the cores among their runs)
  --train-threads N     threads of the training engine alone (default --threads)

resuming:
  --resume DIR          continue an interrupted run (Ctrl-C or SIGTERM saves a checkpoint) from its folder

outputs:
  --out DIR             output folder (default outputs/<scene>-<time>); must be new or empty
  --force               replace an existing --out folder
  --no-mask-background  colour unlabelled pixels in the PNG figures too (the GIS maps always cover
                        every pixel the scene has data for)
  --map-format LIST     class maps beside the PNG: tif (default; classification-map.tif is always
                        written) and envi (adds classification-map.dat/.hdr, an ENVI classification),
                        comma-separated: --map-format tif,envi
  --probabilities       also write probabilities.tif: every class's softmax probability, one band each
  --predict-batch N     pixels per forward pass when mapping (default ${DEFAULTS.predictBatch})
  --predict-workers N   threads for the map (default --threads, else one per core; 0 = main thread)
  --inference E         auto|onnxruntime|tfjs: who maps the scene (default auto: onnxruntime when installed)
  --precision P         float32|int8|auto: the map's arithmetic (default auto: int8 where the CPU has
                        VNNI, else float32; int8: onnxruntime's QDQ graph calibrated on training patches)

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
  --no-mask-background  colour unlabelled pixels in the PNG figures too (GIS maps: every pixel)
  --map-format LIST     tif (default, always written) and/or envi: --map-format tif,envi
  --probabilities       also write probabilities.tif (every class's probability)
  --predict-batch N     pixels per forward pass (default ${DEFAULTS.predictBatch})
  --predict-workers N   threads for the map (default --threads, else one per core; 0 = main thread)
  --threads N           threads for the map (default: one per core)
  --inference E         auto|onnxruntime|tfjs: who maps the scene (default auto: onnxruntime when installed)
  --precision P         float32|int8|auto: the map's arithmetic (default auto: int8 where the CPU has
                        VNNI, else float32; int8 uses the run's calibration when it mapped in int8; with
                        --queue, int8 only with that calibration, else float32)
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
       spinalnet view RUN_DIR --labels FILE.gpkg [--suggest N] | --reference samples.gpkg

Serves an interactive page for the output folder of a finished \`spinalnet run\`, \`predict\` or \`image\`
(two folders: side by side, with linked zoom and a "where they disagree" layer) and prints its URL.
Read-only unless given a file to label; Ctrl-C stops it.

  --port N            port to listen on (default: a free one)
  --host H            address to listen on (default 127.0.0.1, this machine only; any other address is
                      reachable by others and is warned about)
  --open              open the page in the desktop's browser
  --labels FILE       label training pixels on the map (a pixel, a rectangle, a polygon) into this
                      GeoPackage, created when missing in the scene's CRS (layer 'labels', fields
                      landcover and code): use it with run --train-vector FILE --class-field landcover
  --suggest N         with --labels on a \`spinalnet run\` folder: list the N pixels to label next, as
                      \`spinalnet suggest\` picks them, the file's labelled pixels left out (default 20;
                      0: no list)
  --reference FILE    label the points of a \`spinalnet sample\` GeoPackage one by one (keys 1-9, 0 for
                      "can't tell"); the 'reference' field is written at once, and the page shows the
                      accuracy and areas as \`spinalnet assess\` computes them
With --labels or --reference the URL carries a token: every change needs it. See docs/view.md.
`;

export const SAMPLE_HELP = `usage: spinalnet sample RUN_DIR (--size N | --target-se SE) --out samples.gpkg [flags]

Draws a stratified random sample of the run's whole-scene map for accuracy assessment (Olofsson et
al. 2014): strata are the map classes, each gets at least --min-per-class points and the rest go in
proportion to class area; never a training pixel, each pixel once. Writes a GeoPackage point layer
'samples' in the scene's CRS (pixel centres; fields id, map_value, map_class, row, col and an empty
'reference' to fill in QGIS) and the same rows as a CSV beside it (with x, y).

  --size N              points to draw
  --target-se SE        instead of --size: the points that give overall accuracy this standard error
                        (Olofsson et al. 2014, eq. 13), printed
  --expected-ua U       expected user's accuracy for --target-se: one value, or value:U pairs
                        (1:0.9,2:0.7); default 0.8
  --min-per-class N     at least N points per map class (default 50)
  --seed N              seeds the draw (default 1)
  --out FILE.gpkg       the GeoPackage (the CSV is FILE.csv); --force replaces existing files
`;

export const SUGGEST_HELP = `usage: spinalnet suggest RUN_DIR [RUN_DIR…] --size N --out suggest.gpkg [flags]

Where to label next: the run's saved model predicts every pixel not yet labelled (not a training or
validation pixel of the run, nor a pixel of --exclude's features), and the N pixels with the smallest
margin between the two most probable classes are suggested, no two closer than --spacing. With several
runs of one scene (e.g. an experiment's seeds, each run with --seed), the pixels their maps disagree on
most come first, ties to the smaller mean margin. Writes a GeoPackage point layer 'suggestions' in the
scene's CRS (pixel centres; fields id, row, col, margin, [disagreement,] map_class and an empty 'class'
to fill in QGIS); train again on the labels with run --train-vector FILE --init-from RUN_DIR.

  --size N              pixels to suggest
  --spacing PX          no two suggestions within PX − 1 rows and columns of each other (default the
                        model's patch side, so their patches do not overlap; 1 allows neighbours)
  --exclude FILE        a label layer (GeoPackage, shapefile, GeoJSON): its features' pixels count as
                        labelled and are never suggested; --layer NAME picks its layer
  --out FILE.gpkg       the GeoPackage; --force replaces an existing one
  --backend B, --inference E   as for run
`;

export const ASSESS_HELP = `usage: spinalnet assess RUN_DIR --reference samples.gpkg [--out DIR] [flags]

Accuracy and area of the map from the labelled sample: overall, user's and producer's accuracy and
each class's area with standard errors and 95 % intervals (Stehman 2014; Olofsson et al. 2014 when the
strata are the map classes), next to the pixel-counted areas. Writes accuracy-area.json and
accuracy-area.md, and adds the section to the run's report.html and to spinalnet view.

  --reference FILE      the labelled points: the sample's .gpkg or .csv, or any point layer
                        (GeoPackage, shapefile, GeoJSON) in any CRS; each point is one sample unit
  --reference-field F   the field with the reference class, a class name or value (default reference);
                        empty points are skipped, and so are "can't tell" ones (both counted)
  --layer NAME          the layer, for files holding several
  --out DIR             where to write (default: the run folder)
  --fpc                 apply the finite-population correction (default: none)
`;
