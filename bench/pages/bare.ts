/**
 * BARE benchmark page: runs transformers.js's generate() in a worker of its own (bare-worker.ts) and
 * times the tokens as they arrive here. Driven by bench/browser.ts through `window.bench`.
 */
import type { BareMessage, BareRequest } from './bare-worker.ts';
import { Arrivals, cacheInfo, envReport, type RunResult } from './common.ts';

let worker: Worker | null = null;
let listener: ((msg: BareMessage, at: number) => void) | null = null;

function send(req: BareRequest, onMessage: (msg: BareMessage, at: number) => boolean): Promise<void> {
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

const bench = {
  envReport,
  cacheInfo,
  /** A new worker loads the model: page-side time (worker start included) and the worker's own. */
  async load(model: string, device: string, dtype = 'fp32'): Promise<{ loadMs: number; workerLoadMs: number }> {
    worker?.terminate();
    const t0 = performance.now();
    worker = new Worker(new URL('./bare-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<BareMessage>) => listener?.(e.data, performance.now());
    worker.onerror = (e) => listener?.({ type: 'error', message: e.message || 'the worker failed to start (a module did not load)' }, performance.now());
    let workerLoadMs = 0;
    await send({ type: 'load', model, device, dtype }, (msg) => {
      if (msg.type === 'loaded') workerLoadMs = msg.loadMs;
      return msg.type === 'loaded';
    });
    return { loadMs: performance.now() - t0, workerLoadMs };
  },
  async run(prompt: string, maxNewTokens: number): Promise<RunResult> {
    const arrivals = new Arrivals();
    let done: Extract<BareMessage, { type: 'done' }> | null = null;
    await send({ type: 'generate', prompt, maxNewTokens }, (msg, at) => {
      if (msg.type === 'token') arrivals.mark(1, at);
      if (msg.type === 'done') done = msg;
      return msg.type === 'done';
    });
    const d = done! as Extract<BareMessage, { type: 'done' }>;
    return arrivals.result({ tokens: d.outputTokens, inputTokens: d.inputTokens, text: d.text });
  },
  terminate() {
    worker?.terminate();
    worker = null;
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
document.body.dataset.ready = '1';

export type BareBench = typeof bench;
