/**
 * Browser harness for the service-worker tests: registers the ready-made service worker (unless the
 * page is opened with `?register=0`), and can make this tab the runtime host. Clients use plain
 * `fetch('/v1/…')`, the official SDK with `baseURL: location.origin + '/v1'` and no custom fetch, or
 * `localFetch` (the first-load fallback).
 */
import OpenAI from 'openai';
import { createWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions as RuntimeOptions } from '../../src/browser/runtime.ts';
import { hostRuntime } from '../../src/browser/relay.ts';
import { localFetch, registerResponsesWorker } from '../../src/browser/client.ts';

const harness = {
  OpenAI,
  runtime: undefined as WorkerRuntime | undefined,
  /** Registers the ready-made service worker (a different `version` is an update) and waits for control. */
  register: (version = '') => registerResponsesWorker(`/worker/sw.ts${version ? `?v=${version}` : ''}`).then((r) => r.controlled),
  /** Become the host (waits while another tab hosts); loads the model only then. */
  host(model: string, engineOptions: Record<string, unknown> = {}, liveness: Pick<RuntimeOptions, 'livenessMs' | 'pingTimeoutMs'> = {}) {
    const handle = hostRuntime(() => (harness.runtime = harness.standalone(model, engineOptions, liveness)));
    harness.release = () => handle.release();
    return handle.hosting.then(() => 'hosting');
  },
  /** Stops hosting (this tab stays open); another tab waiting on the lock takes over. */
  release: () => {},
  /** A runtime in this tab that is not the origin's host (for the first-load fallback). */
  standalone(model: string, engineOptions: Record<string, unknown> = {}, liveness: Pick<RuntimeOptions, 'livenessMs' | 'pingTimeoutMs'> = {}) {
    return createWorkerRuntime({ model, engineOptions: { wasmPaths: '/ort/', device: 'wasm', dtype: 'fp32', ...engineOptions }, ...liveness });
  },
  client() {
    return new OpenAI({ apiKey: 'local', baseURL: `${location.origin}/v1`, dangerouslyAllowBrowser: true, maxRetries: 0 });
  },
  localFetch,
};

(window as unknown as { harness: typeof harness }).harness = harness;
if (new URLSearchParams(location.search).get('register') === '0') document.body.dataset.ready = '1';
else void harness.register().then(() => (document.body.dataset.ready = '1'));
