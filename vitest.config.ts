import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 900_000,
    // End-to-end tests share one engine; run files one at a time to keep its load (and memory) bounded.
    fileParallelism: false,
  },
});
