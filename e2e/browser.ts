/**
 * Shared set-up for the browser tests: the app's Vite dev server on localhost (a secure context, so
 * WebGPU and service workers are available) and Debian's Chromium driven through playwright-core.
 */
import { createServer as createNetServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { serveDir } from '../vite.config.ts';

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
 * and /fixtures/ (generated decoders in .fixtures/).
 */
export async function startApp(opts: { harness?: boolean } = {}): Promise<AppServer> {
  const port = await freePort();
  const mounts: Plugin = {
    name: 'e2e:test-models',
    configureServer(server) {
      server.middlewares.use(serveDir('/models/', `${REPO}../shared/models`));
      server.middlewares.use(serveDir('/fixtures/', `${REPO}.fixtures`));
    },
  };
  const server: ViteDevServer = await createServer({
    configFile: `${REPO}vite.config.ts`,
    logLevel: 'error',
    ...(opts.harness ? { root: REPO } : {}),
    plugins: [mounts],
    server: { port, strictPort: true, host: '127.0.0.1' },
  });
  await server.listen();
  return { url: `http://localhost:${port}`, close: () => server.close() };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
