/**
 * The steps between BARE and STACK (see ladder-worker.ts), timed on this page's clock:
 *
 * - ENGINE and SERVICE: in ladder-worker.ts, one message per token / delta.
 * - RUNTIME: `createWorkerRuntime` (the real runtime worker, worker/worker.ts) and `runtime.fetch` read
 *   raw on this page: the worker boundary, without the service worker and without the SDK.
 *
 * Driven by bench/browser.ts through `window.bench`.
 */
import { createWorkerRuntime, type WorkerRuntime } from '../../src/browser/runtime.ts';
import { timed, type RunResult } from './common.ts';
import type { LadderMessage, LadderRequest } from './ladder-worker.ts';

let worker: Worker | null = null;
let runtime: WorkerRuntime | null = null;
let listener: ((msg: LadderMessage, at: number) => void) | null = null;

function send(req: LadderRequest, onMessage: (msg: LadderMessage, at: number) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    listener = (msg, at) => {
      if (msg.type === 'error') {
        listener = null;
        reject(new Error(msg.message));
      } else if (onMessage(msg, at)) {
        listener = null;
        resolve();
      }
    };
    worker!.postMessage(req);
  });
}

const DELTA = 'event: response.output_text.delta\n';

async function viaWorker(mode: 'engine' | 'service', prompt: string, maxTokens: number): Promise<RunResult> {
  let first = 0;
  let last = 0;
  let arrivals = 0;
  let done: Extract<LadderMessage, { type: 'done' }> | null = null;
  const start = performance.now();
  await send({ type: mode, prompt, maxTokens }, (msg, at) => {
    if (msg.type === 'token') {
      arrivals++;
      if (arrivals === 1) first = at;
      last = at;
    }
    if (msg.type === 'done') done = msg;
    return msg.type === 'done';
  });
  const end = performance.now();
  const d = done! as Extract<LadderMessage, { type: 'done' }>;
  return { ...timed(start, first, last, end, d.outputTokens), tokens: d.outputTokens, inputTokens: d.inputTokens, arrivals, text: d.text };
}

async function viaRuntime(model: string, prompt: string, maxTokens: number): Promise<RunResult> {
  let first = 0;
  let last = 0;
  let arrivals = 0;
  let sse = '';
  const start = performance.now();
  const res = await runtime!.fetch('http://runtime.local/v1/responses', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: prompt, temperature: 0, max_output_tokens: maxTokens, stream: true }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = performance.now();
    const chunk = decoder.decode(value, { stream: true });
    sse += chunk;
    for (let i = chunk.indexOf(DELTA); i !== -1; i = chunk.indexOf(DELTA, i + 1)) {
      arrivals++;
      if (arrivals === 1) first = at;
      last = at;
    }
  }
  const end = performance.now();
  const usage = /"input_tokens":(\d+).*"output_tokens":(\d+)/.exec(sse.slice(sse.lastIndexOf('event: ')));
  const tokens = Number(usage?.[2] ?? 0);
  const text = [...sse.matchAll(/"type":"response\.output_text\.delta".*?"delta":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string).join('');
  return { ...timed(start, first, last, end, tokens), tokens, inputTokens: Number(usage?.[1] ?? 0), arrivals, text };
}

const bench = {
  /** Loads the model twice: in the ladder worker (ENGINE, SERVICE) and in a runtime worker (RUNTIME). */
  async load(model: string, device: string, dtype = 'fp32'): Promise<{ loadMs: number; runtimeLoadMs: number }> {
    worker?.terminate();
    runtime?.terminate();
    worker = new Worker(new URL('./ladder-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<LadderMessage>) => listener?.(e.data, performance.now());
    worker.onerror = (e) => listener?.({ type: 'error', message: e.message || 'the worker failed to start (a module did not load)' }, performance.now());
    let t0 = performance.now();
    await send({ type: 'load', model, device, dtype }, (msg) => msg.type === 'loaded');
    const loadMs = performance.now() - t0;
    t0 = performance.now();
    runtime = createWorkerRuntime({ model, engineOptions: { wasmPaths: '/ort/', device, dtype } });
    await runtime.ready;
    return { loadMs, runtimeLoadMs: performance.now() - t0 };
  },
  run(mode: 'engine' | 'service' | 'runtime', model: string, prompt: string, maxTokens: number): Promise<RunResult> {
    return mode === 'runtime' ? viaRuntime(model, prompt, maxTokens) : viaWorker(mode, prompt, maxTokens);
  },
};

export type LadderBench = typeof bench;
(window as unknown as { bench: LadderBench }).bench = bench;
document.body.dataset.ready = '1';
