/**
 * Browser harness for the e2e tests: exposes the worker runtime, the official SDK and the device probe
 * on `window.harness`, so each test drives the real stack from `page.evaluate`.
 */
import OpenAI from 'openai';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/browser/runtime.ts';
import { probeDevice } from '../../src/engines/device.ts';

const harness = {
  OpenAI,
  probeDevice,
  runtimes: [] as WorkerRuntime[],
  progress: [] as unknown[],
  /** Starts a runtime on a model served by the test server. */
  start(model: string, engineOptions: Record<string, unknown> = {}, livenessMs?: number, pingTimeoutMs?: number) {
    const rt = createWorkerRuntime({
      model,
      engineOptions: { wasmPaths: '/ort/', ...engineOptions },
      onProgress: (p) => harness.progress.push(p),
      livenessMs,
      pingTimeoutMs,
    });
    harness.runtimes.push(rt);
    return rt;
  },
  /** The official SDK over the runtime's fetch. */
  client(rt: WorkerRuntime) {
    return new OpenAI({ apiKey: 'local', baseURL: `${location.origin}/v1`, fetch: rt.fetch, dangerouslyAllowBrowser: true, maxRetries: 0 });
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
document.body.dataset.ready = '1';
