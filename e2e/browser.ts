/**
 * Shared set-up for the browser tests: the app's Vite dev server on localhost (a secure context, so
 * WebGPU and service workers are available) and Debian's Chromium driven through playwright-core.
 */
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { localModels } from '../vite.config.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags: WebGPU on (SwiftShader here), and no background traffic to a network we do not have. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--no-sandbox',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

const REPO = new URL('..', import.meta.url).pathname;

/**
 * The app's dev server. `harness: true` serves the repository root instead of the demo (for the e2e
 * pages under /e2e/pages/), with test models mounted: /models/ (../shared/models, e.g. stories260K)
 * and /fixtures/ (generated decoders in .fixtures/), both listed in /models/index.json.
 */
export async function startApp(opts: { harness?: boolean; slow?: { match: RegExp; bytesPerSecond: number } } = {}): Promise<AppServer> {
  const port = await freePort();
  // A slow network for matching files (to watch download progress): sent in chunks, paced.
  const slow: Plugin = {
    name: 'e2e:slow-network',
    configureServer(server) {
      const rule = opts.slow;
      if (!rule) return;
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0]);
        if (!rule.match.test(url)) return next();
        const file = url.startsWith('/models/') ? `${REPO}../shared/models/${url.slice(8)}` : `${REPO}.fixtures/${url.slice(10)}`;
        if (!existsSync(file)) return next();
        const data = readFileSync(file);
        const chunk = Math.max(1024, Math.round(rule.bytesPerSecond / 10));
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', String(data.length));
        let offset = 0;
        const timer = setInterval(() => {
          res.write(data.subarray(offset, (offset += chunk)));
          if (offset >= data.length) {
            clearInterval(timer);
            res.end();
          }
        }, 100);
        res.on('close', () => clearInterval(timer));
      });
    },
  };
  const mounts = localModels([
    { prefix: '/models/', dir: `${REPO}../shared/models` },
    { prefix: '/fixtures/', dir: `${REPO}.fixtures` },
  ]);
  const server: ViteDevServer = await createServer({
    configFile: `${REPO}vite.config.ts`,
    logLevel: 'error',
    ...(opts.harness ? { root: REPO } : {}),
    plugins: [slow, mounts],
    server: { port, strictPort: true, host: '127.0.0.1' },
  });
  await server.listen();
  return { url: `http://localhost:${port}`, close: () => server.close() };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A test file's app server and browser: started before its tests (after `prepare`, e.g. generating
 * a fixture model), closed after them. Read `env.app` / `env.browser` inside tests.
 */
export function useApp(opts: Parameters<typeof startApp>[0] & { prepare?: () => Promise<void> } = {}): { app: AppServer; browser: Browser } {
  const env = {} as { app: AppServer; browser: Browser };
  beforeAll(async () => {
    await opts.prepare?.();
    env.app = await startApp(opts);
    env.browser = await launchBrowser();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.app?.close();
  });
  return env;
}
