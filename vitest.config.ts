import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files start first, so that the two forks end together: CI runs from a clean clone, where vitest
 * has no durations cached and would order files by size. The rest keep vitest's order.
 */
const LONGEST = [
  'test/backend/webgpu.test.ts',
  'test/queue/experimentQueue.test.ts',
  'test/inference/int8Bar.test.ts',
  'test/readme.test.ts',
  'test/cli/mapperLoop.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((name) => f.moduleId.replaceAll('\\', '/').endsWith(name));
      return i < 0 ? LONGEST.length : i;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process; forks isolate backends between test files.
    pool: 'forks',
    // Two files at a time even on 2 cores (vitest's default there is one): many files wait on child
    // processes, Chromium, Redis and disk. Every file has its own ports and temp folders, and no test
    // asserts a duration, so a file sharing the cores with another is only slower.
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    sequence: { sequencer: LongestFirst },
  },
});
