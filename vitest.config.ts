import { defineConfig } from 'vitest/config';

/**
 * Files that only compute in-process: no tfjs backend chosen, no training or prediction, no servers or
 * browsers (GDAL and Python as child processes are fine). They run first, two worker threads taking them in turn without a fresh
 * start for each (`isolate: false`): a fresh fork costs its start and its imports again, about as much CPU
 * as such a file's tests. Every other file then runs in a fork of its own. A new file is isolated unless
 * listed here.
 */
const SHARED = [
  'test/{architecture,registry}.test.ts',
  'test/{core,evaluation,fuzz,images,preprocess,sampling,util}/*.test.ts',
  'test/render/{confusionMatrix,draw,falseColor,font,image,labelMap,overview,palette,preview,ticks,trainingCurves}.test.ts',
  'test/scene/{demoScene,download,loadScene,vectorLabels}.test.ts',
  'test/queue/{connection,jobInputs}.test.ts',
  'test/io/envi/*.test.ts',
  'test/io/formats/badFormats.test.ts',
  'test/io/geotiff/{tiff,writeGeoTiff}.test.ts',
  'test/io/mat/{inspect,layout,reader,writer}.test.ts',
  'test/io/streamedReads.test.ts',
  'test/io/vector/{badInput,edges,geopackageWriter,labelLayer,pixelOutline,rasterize}.test.ts',
  'test/pipeline/gisMaps.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process; forks isolate backends between test files.
    pool: 'forks',
    // Two files at a time even on 2 cores (vitest's default there is one): many files wait on child
    // processes, Chromium, Redis and disk. Every file has its own ports and temp folders, and no test
    // asserts a duration, so a file sharing the cores with another is only slower.
    poolOptions: { forks: { minForks: 1, maxForks: 2 }, threads: { minThreads: 1, maxThreads: 2, isolate: false } },
    projects: [
      { extends: true, test: { name: 'shared', include: SHARED, pool: 'threads', sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: SHARED, sequence: { groupOrder: 1 } } },
    ],
  },
});
