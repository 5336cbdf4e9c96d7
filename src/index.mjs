// The package's entry for plain Node: registers tsx (the source is TypeScript, run without a build step,
// as bin/spinalnet.js does) and re-exports src/index.ts. The names are listed because an ESM module's
// exports are fixed before its body runs; test/library.test.ts checks that this list equals index.ts's.
import { startTypeScript } from './core/startTypeScript.mjs';

await startTypeScript();
const api = await import('./index.ts');

export const {
  loadScene, openScene,
  DEFAULTS, validateConfig, resumePipeline, runPipeline, predictPipeline,
  fitPca, transformCube, makeSplit, getModelSpec, MODELS, SpinalLayer, loadModel, saveModel, trainModel,
  suggestRun, disagreementOf, marginsOf, suggestPixels, simulateActiveLearning,
  confusionMatrix, metricsFromConfusion,
  BackendError, ConfigError, DataError, InputFileError, MatFormatError, SpinalnetError,
} = api;
