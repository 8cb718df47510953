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

const DTYPE_OF_FILE: Record<string, string> = {
  'model.onnx': 'fp32',
  'model_fp16.onnx': 'fp16',
  'model_q4.onnx': 'q4',
  'model_q4f16.onnx': 'q4f16',
  'model_quantized.onnx': 'q8',
  'model_int8.onnx': 'int8',
  'model_uint8.onnx': 'uint8',
  'model_bnb4.onnx': 'bnb4',
};

export interface LocalModel {
  /** Folder name (the model id the service reports). */
  id: string;
  /** Where the app serves it (what `createWorkerRuntime({ model })` takes). */
  url: string;
  /** Variants found in onnx/, with their sizes in bytes (weights and external data). */
  dtypes: Record<string, number>;
}

/** The model folders (with a config.json and onnx/) under `dir`, as served under `prefix`. */
export function listLocalModels(prefix: string, dir: string): LocalModel[] {
  if (!existsSync(dir)) return [];
  const out: LocalModel[] = [];
  for (const name of readdirSync(dir).sort()) {
    const folder = join(dir, name);
    const onnx = join(folder, 'onnx');
    if (!existsSync(join(folder, 'config.json')) || !existsSync(onnx)) continue;
    const dtypes: Record<string, number> = {};
    const files = readdirSync(onnx);
    for (const f of files) {
      const dtype = DTYPE_OF_FILE[f];
      if (!dtype) continue;
      const data = files.filter((d) => d.startsWith(`${f}_data`)).reduce((n, d) => n + statSync(join(onnx, d)).size, 0);
      dtypes[dtype] = statSync(join(onnx, f)).size + data;
    }
    out.push({ id: name, url: `${prefix}${name}`, dtypes });
  }
  return out;
}

/**
 * Model folders served by the dev server: each mount's files under its prefix, and
 * `GET /models/index.json` listing the model folders of every mount (the demo's "local models").
 */
export function localModels(mounts: Array<{ prefix: string; dir: string }>): Plugin {
  return {
    name: 'web-responses:local-models',
    configureServer(server) {
      // Every localModels plugin of this server adds its mounts to one index.
      const registry = server as unknown as { localModelMounts?: Array<{ prefix: string; dir: string }> };
      const first = !registry.localModelMounts;
      (registry.localModelMounts ??= []).push(...mounts);
      for (const m of mounts) server.middlewares.use(serveDir(m.prefix, m.dir));
      if (!first) return;
      server.middlewares.use((req, res, next) => {
        if (req.url?.split('?')[0] !== '/models/index.json') return next();
        const models = registry.localModelMounts!.flatMap((m) => listLocalModels(m.prefix, resolve(m.dir)));
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'no-store');
        res.end(JSON.stringify({ models }));
      });
    },
  };
}

/**
 * Where `npm start` finds local models: `models/` in the repository (git-ignored; copy or link model
 * folders there), plus the folders in WEB_RESPONSES_MODELS (separated by ':').
 */
const MODEL_DIRS = ['models', ...(process.env.WEB_RESPONSES_MODELS ?? '').split(':').filter(Boolean)];

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
  plugins: [ortAssets(), localModels(MODEL_DIRS.map((dir) => ({ prefix: '/models/', dir })))],
  server: { host: '127.0.0.1', port: 5173, fs: { allow: ['..'] } },
  worker: { format: 'es' },
  // Pre-bundled up front: the worker's imports would otherwise be discovered late and reload the page.
  optimizeDeps: {
    include: ['@huggingface/transformers', '@huggingface/jinja', '@mlc-ai/web-llm', 'comlink', 'openai', 'eventsource-parser', 'zod'],
    exclude: ['onnxruntime-web'],
  },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    rollupOptions: {
      // The service worker is its own entry, at a fixed URL (/sw.js) so it can control the whole origin.
      input: { index: resolve('demo/index.html'), sw: resolve('demo/sw.ts') },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
  },
});
