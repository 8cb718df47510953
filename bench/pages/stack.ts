/**
 * STACK benchmark page: the whole path an app uses. This page registers the ready-made service worker
 * (/worker/sw.ts) and hosts the runtime (`hostRuntime` + `createWorkerRuntime`, as e2e/pages/sw-page.ts
 * does); the official `openai` SDK in this same page sends `POST /v1/responses` with no custom fetch, so
 * a request goes SDK → service worker → host (this page) → worker → engine → parser → event writer →
 * SSE → back. Timings are taken here, on the page's clock. Driven by bench/browser.ts via `window.bench`.
 *
 * The decode bench hosts the runtime on bench/pages/stack-worker.ts (`hostLadder`): the same worker host
 * and engine, with the steps below STACK beside them on the same loaded model. `ladder` runs BARE,
 * YIELD, ENGINE or SERVICE there, `runtime` reads `runtime.fetch` raw here (RUNTIME: the worker
 * boundary without the service worker or the SDK), and `run` is STACK.
 */
import OpenAI from 'openai';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/browser/runtime.ts';
import { hostRuntime, type HostHandle } from '../../src/browser/relay.ts';
import {
  Arrivals,
  IN_WORKER,
  IN_WORKER_RESULT,
  LADDER,
  LADDER_DONE,
  LADDER_ERROR,
  LADDER_TOKEN,
  decodeRequest,
  envReport,
  readDeltas,
  sseSummary,
  type BoundaryStats,
  type LadderStep,
  type RunResult,
} from './common.ts';

async function registered(): Promise<void> {
  await navigator.serviceWorker.register('/worker/sw.ts', { type: 'module', scope: '/' });
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  }
}

let runtime: WorkerRuntime | null = null;
let handle: HostHandle | null = null;
const client = new OpenAI({ apiKey: 'local', baseURL: `${location.origin}/v1`, dangerouslyAllowBrowser: true, maxRetries: 0 });

/** Becomes the host with `make` (one host per origin); resolves when the model is loaded. */
async function host(make: () => WorkerRuntime): Promise<{ loadMs: number; info: unknown }> {
  if (handle) throw new Error('this page already hosts a runtime');
  const t0 = performance.now();
  handle = hostRuntime(() => (runtime = make()));
  await handle.hosting;
  const status = await runtime!.ready;
  return { loadMs: performance.now() - t0, info: status.info };
}

/** Reads a raw SSE body to the end: records and bytes, page clock. */
async function readSse(res: Response, t0: number): Promise<BoundaryStats & { firstMs: number }> {
  const reader = res.body!.getReader();
  let events = 0;
  let bytes = 0;
  let firstMs = 0;
  let prevNl = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!firstMs) firstMs = performance.now() - t0;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) {
      const nl = value[i] === 10;
      if (nl && prevNl) events++;
      prevNl = nl;
    }
  }
  return { events, bytes, ms: performance.now() - t0, firstMs };
}

export type BoundaryPath = 'inWorker' | 'runtimeFetch' | 'serviceWorker' | 'sdk';

const boundaryBody = (tokens: number) =>
  JSON.stringify({ model: 'scripted-boundary', input: 'Write.', max_output_tokens: tokens, stream: true });

const bench = {
  envReport,
  /** Hosts a transformers.js runtime on `model` (a served folder). */
  host(model: string, device: string, dtype = 'fp32') {
    return host(() => createWorkerRuntime({ model, engineOptions: { wasmPaths: '/ort/', device, dtype } }));
  },
  /** Hosts a transformers.js runtime on `model` in the decode bench's worker (stack-worker.ts). */
  hostLadder(model: string, device: string, dtype = 'fp32') {
    return host(() =>
      createWorkerRuntime({
        model,
        engineOptions: { wasmPaths: '/ort/', device, dtype },
        createWorker: () => new Worker(new URL('./stack-worker.ts', import.meta.url), { type: 'module' }),
      }),
    );
  },
  /** BARE, YIELD, ENGINE or SERVICE in the runtime's worker (after `hostLadder`): each token timed on arrival here. */
  ladder(step: LadderStep, prompt: string, maxTokens: number): Promise<RunResult> {
    const worker = runtime!.worker;
    return new Promise<RunResult>((resolve, reject) => {
      const arrivals = new Arrivals();
      const onMessage = (e: MessageEvent<{ type?: string; message?: string; inputTokens: number; outputTokens: number; text: string }>) => {
        const msg = e.data;
        if (msg?.type === LADDER_TOKEN) return arrivals.mark();
        if (msg?.type !== LADDER_DONE && msg?.type !== LADDER_ERROR) return;
        worker.removeEventListener('message', onMessage);
        if (msg.type === LADDER_ERROR) return reject(new Error(`${step}: ${msg.message}`));
        resolve(arrivals.result({ tokens: msg.outputTokens, inputTokens: msg.inputTokens, text: msg.text }));
      };
      worker.addEventListener('message', onMessage);
      worker.postMessage({ type: LADDER, step, prompt, maxTokens });
    });
  },
  /** RUNTIME: one streamed response from `runtime.fetch`, read raw here (no service worker, no SDK). */
  async runtime(model: string, prompt: string, maxTokens: number): Promise<RunResult> {
    const arrivals = new Arrivals();
    const res = await runtime!.fetch('http://runtime.local/v1/responses', decodeRequest(model, prompt, maxTokens));
    const { inputTokens, outputTokens, text } = sseSummary(await readDeltas(res.body!, (n) => arrivals.mark(n)));
    return arrivals.result({ tokens: outputTokens, inputTokens, text });
  },
  /** Hosts the worker-boundary runtime (scripted engine in bench/pages/boundary-worker.ts). */
  hostScripted() {
    return host(() =>
      createWorkerRuntime({
        model: 'scripted-boundary',
        createWorker: () => new Worker(new URL('./boundary-worker.ts', import.meta.url), { type: 'module' }),
      }),
    );
  },
  /** One streamed response through the SDK and the service worker, timed here. */
  async run(model: string, prompt: string, maxTokens: number): Promise<RunResult> {
    const arrivals = new Arrivals();
    let text = '';
    let usage: { input_tokens: number; output_tokens: number } | null = null;
    let timings: { time_to_first_token_ms: number; decode_tokens_per_second: number; total_ms: number } | undefined;
    const stream = await client.responses.create({ model, input: prompt, temperature: 0, max_output_tokens: maxTokens, stream: true });
    for await (const ev of stream) {
      if (ev.type === 'response.output_text.delta') {
        arrivals.mark();
        text += ev.delta;
      } else if (ev.type === 'response.completed' || ev.type === 'response.incomplete') {
        usage = ev.response.usage ?? null;
        // Our extension (src/service/generation.ts): the engine's own clock, for comparison.
        timings = (ev.response as unknown as { timings?: typeof timings }).timings;
      } else if (ev.type === 'response.failed' || ev.type === 'error') {
        throw new Error(`the response failed: ${JSON.stringify(ev)}`);
      }
    }
    if (!usage) throw new Error('no usage in the terminal event');
    const engine = timings
      ? { ttftMs: timings.time_to_first_token_ms, decodeTps: timings.decode_tokens_per_second, totalMs: timings.total_ms }
      : undefined;
    return arrivals.result({ tokens: usage.output_tokens, inputTokens: usage.input_tokens, text, engine });
  },
  /** `n` short streamed responses in a row (memory growth). */
  async many(model: string, prompt: string, n: number, maxTokens: number): Promise<number> {
    let tokens = 0;
    for (let i = 0; i < n; i++) tokens += (await bench.run(model, prompt, maxTokens)).tokens;
    return tokens;
  },
  /**
   * Worker boundary, scripted engine (after `hostScripted`): one long stream read inside the worker
   * (`inWorker`), on this page from `runtime.fetch` (one worker crossing), through the service worker
   * (page → SW → host → worker and back), or through the service worker by the SDK (every event parsed).
   */
  async boundary(path: BoundaryPath, tokens: number): Promise<BoundaryStats> {
    const rt = runtime!;
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: boundaryBody(tokens) };
    const t0 = performance.now();
    switch (path) {
      case 'inWorker':
        return new Promise<BoundaryStats>((resolve) => {
          const onMessage = (e: MessageEvent<{ type?: string; stats: BoundaryStats }>) => {
            if (e.data?.type !== IN_WORKER_RESULT) return;
            rt.worker.removeEventListener('message', onMessage);
            resolve(e.data.stats);
          };
          rt.worker.addEventListener('message', onMessage);
          rt.worker.postMessage({ type: IN_WORKER, tokens });
        });
      case 'runtimeFetch':
        return readSse(await rt.fetch('http://runtime.local/v1/responses', init), t0);
      case 'serviceWorker':
        return readSse(await fetch('/v1/responses', init), t0);
      case 'sdk': {
        let events = 0;
        const stream = await client.responses.create({ model: 'scripted-boundary', input: 'Write.', max_output_tokens: tokens, stream: true });
        for await (const ev of stream) if (ev.type) events++;
        return { events, bytes: 0, ms: performance.now() - t0 };
      }
    }
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
registered().then(() => (document.body.dataset.ready = '1'));

export type StackBench = typeof bench;
