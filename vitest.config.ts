import { defineConfig } from 'vitest/config';

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
  },
});
