/**
 * Browser harness for the service-worker tests: registers the ready-made service worker, and can
 * make this tab the runtime host. Clients use plain `fetch('/v1/…')` or the official SDK with
 * `baseURL: location.origin + '/v1'` and no custom fetch.
 */
import OpenAI from 'openai';
import { createWorkerRuntime } from '../../src/browser/runtime.ts';
import { hostRuntime } from '../../src/browser/relay.ts';

async function registered(): Promise<void> {
  await navigator.serviceWorker.register('/worker/sw.ts', { type: 'module', scope: '/' });
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  }
}

const harness = {
  OpenAI,
  /** Become the host (waits while another tab hosts); loads the model only then. */
  host(model: string, engineOptions: Record<string, unknown> = {}) {
    const handle = hostRuntime(() => {
      const rt = createWorkerRuntime({ model, engineOptions: { wasmPaths: '/ort/', device: 'wasm', dtype: 'fp32', ...engineOptions } });
      (harness as any).runtime = rt;
      return rt;
    });
    (harness as any).handle = handle;
    return handle.hosting.then(() => 'hosting');
  },
  client() {
    return new OpenAI({ apiKey: 'local', baseURL: `${location.origin}/v1`, dangerouslyAllowBrowser: true, maxRetries: 0 });
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
registered().then(() => (document.body.dataset.ready = '1'));
