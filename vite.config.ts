import { createReadStream, existsSync, statSync, readdirSync, copyFileSync, mkdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const MIME: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
};

/** Serves the files of `dir` under `prefix` (a static mount, for the dev server). */
export function serveDir(prefix: string, dir: string): Connect.NextHandleFunction {
  const root = resolve(dir);
  return (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (!url.startsWith(prefix)) return next();
    const file = resolve(join(root, url.slice(prefix.length)));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return next();
    res.setHeader('content-type', MIME[extname(file)] ?? 'application/octet-stream');
    res.setHeader('content-length', String(statSync(file).size));
    createReadStream(file).pipe(res);
  };
}

const ORT_DIST = 'node_modules/onnxruntime-web/dist';

/**
 * ONNX Runtime Web's .wasm/.mjs files served by the app under /ort/ (dev) and copied into the build,
 * so transformers.js never fetches them from a CDN (engine option `wasmPaths: '/ort/'`).
 */
function ortAssets(): Plugin {
  return {
    name: 'web-responses:ort-assets',
    configureServer(server) {
      server.middlewares.use(serveDir('/ort/', ORT_DIST));
      // The ready-made service worker lives under /worker/ but controls the whole origin.
      server.middlewares.use((req, res, next) => {
        if (req.url?.startsWith('/worker/sw.ts')) res.setHeader('service-worker-allowed', '/');
        next();
      });
    },
    writeBundle(opts) {
      const out = join(opts.dir ?? 'dist', 'ort');
      mkdirSync(out, { recursive: true });
      for (const f of readdirSync(ORT_DIST)) if (/^ort-wasm.*\.(wasm|mjs)$/.test(f)) copyFileSync(join(ORT_DIST, f), join(out, f));
    },
  };
}

export default defineConfig({
  root: 'demo',
  publicDir: '../public',
  plugins: [ortAssets()],
  server: { host: '127.0.0.1', port: 5173, fs: { allow: ['..'] } },
  worker: { format: 'es' },
  // Pre-bundled up front: the worker's imports would otherwise be discovered late and reload the page.
  optimizeDeps: {
    include: ['@huggingface/transformers', '@mlc-ai/web-llm', 'comlink', 'openai', 'eventsource-parser'],
    exclude: ['onnxruntime-web'],
  },
  build: { outDir: '../dist', emptyOutDir: true },
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
  },
});
