import { defineConfig } from 'vitest/config';

// Browser tests: real Chromium, one file at a time (2-core machines, one GPU).
export default defineConfig({
  test: {
    root: '.',
    include: ['e2e/**/*.e2e.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
