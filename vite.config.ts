import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: 'demo',
  publicDir: '../public',
  server: { host: '127.0.0.1', port: 5173, fs: { allow: ['..'] } },
  build: { outDir: '../dist', emptyOutDir: true },
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
  },
});
