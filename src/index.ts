/**
 * spinalnet as a library: the functions the CLI calls, typed. `import { runPipeline } from 'spinalnet'`
 * (package.json `exports`; src/index.mjs loads this file through tsx, so plain Node can import it).
 * Every name exported here is listed in src/index.mjs too; test/library.test.ts keeps the two equal.
 */

// Scenes: any MAT, ENVI or GeoTIFF cube and label map, as rows × columns × bands in one Float32Array.
export { loadScene, openScene, type LoadSceneOptions, type LoadedScene, type OpenedScene } from './scene/loadScene.ts';
export type { BandInfo, ClassInfo, CubeBIP, GeoReference, LabelMap, Rgb, Scene } from './core/types.ts';

// The whole run (`spinalnet run`, `spinalnet predict`): scene → PCA → patches → training → map → metrics and files.
export { DEFAULTS, type RunConfig, validateConfig } from './pipeline/config.ts';
export { resumePipeline, runPipeline, type RunHooks, type RunResult } from './pipeline/runPipeline.ts';
export { predictPipeline, type PredictConfig, type PredictResult } from './pipeline/predictPipeline.ts';

// The stages on their own.
export { fitPca, transformCube, type PcaModel } from './preprocess/pca.ts';
export { makeSplit, type MakeSplitOptions } from './sampling/makeSplit.ts';
export { getModelSpec, MODELS, type ModelSpec } from './models/registry.ts';
export { SpinalLayer } from './models/spinalLayer.ts';
export { loadModel, saveModel, type ModelMetadata } from './models/modelFiles.ts';
export { trainModel, type TrainOptions, type TrainResult } from './training/trainModel.ts';

// Where to label next (`spinalnet suggest`): the least certain unlabelled pixels, spread out.
export { suggestRun, type SuggestOptions, type SuggestResult } from './pipeline/suggestRun.ts';
export { disagreementOf, marginsOf, suggestPixels, type SuggestInput, type Suggestion } from './sampling/suggest.ts';
export { simulateActiveLearning, type ActiveLearningConfig, type ActiveLearningResult } from './experiment/activeLearning.ts';

// Accuracy of test pixels.
export { confusionMatrix, metricsFromConfusion, type Metrics } from './evaluation/metrics.ts';

// What goes wrong, as typed errors: each has a message and a `fix`.
export { BackendError, ConfigError, DataError, InputFileError, MatFormatError, SpinalnetError } from './core/errors.ts';
