/**
 * What the benchmark pages share: the result of one timed generation (page clock), the decode request
 * and the reading of its SSE body, and the environment report (WebGPU adapter, cross-origin isolation).
 */

/** One generation, timed on the page's clock. */
export interface RunResult {
  /** Request start → first token (BARE: first token message; STACK: first `response.output_text.delta`). */
  ttftMs: number;
  /** (tokens − 1) / (last arrival − first arrival). */
  decodeTps: number;
  /** Generated tokens (STACK: `usage.output_tokens`). */
  tokens: number;
  inputTokens: number;
  /** Messages / text deltas that arrived. */
  arrivals: number;
  /** Request start → end of the stream. */
  totalMs: number;
  text: string;
  /** STACK only: the response's own `timings` (engine clock, in the worker). */
  engine?: { ttftMs: number; decodeTps: number; totalMs: number };
}

/** Times of arrival → the two numbers (tokens counted by the producer, not by arrivals). */
function timed(start: number, first: number, last: number, end: number, tokens: number): Pick<RunResult, 'ttftMs' | 'decodeTps' | 'totalMs'> {
  return {
    ttftMs: first - start,
    decodeTps: tokens > 1 && last > first ? ((tokens - 1) * 1000) / (last - first) : 0,
    totalMs: end - start,
  };
}

export interface EnvReport {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  webgpu: { vendor?: string; architecture?: string; device?: string; description?: string; features: string[] } | null;
}

interface AdapterLike {
  info?: Record<string, unknown>;
  features?: Iterable<string>;
}

export async function envReport(): Promise<EnvReport> {
  let webgpu: EnvReport['webgpu'] = null;
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (adapter) {
    const info = adapter.info ?? {};
    const str = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : undefined);
    webgpu = {
      vendor: str('vendor'),
      architecture: str('architecture'),
      device: str('device'),
      description: str('description'),
      features: [...(adapter.features ?? [])].sort(),
    };
  }
  return { userAgent: navigator.userAgent, crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, webgpu };
}

/** A stream read to the end: SSE records, bytes, and how long it took (ms). */
export interface BoundaryStats {
  events: number;
  bytes: number;
  ms: number;
}

/** Page → boundary worker: read a stream inside the worker (a plain message beside comlink's). */
export const IN_WORKER = 'bench:in-worker';
export const IN_WORKER_RESULT = 'bench:in-worker-result';

/** The steps below RUNTIME, run in the decode bench's worker beside the host (bench/pages/stack-worker.ts). */
export type LadderStep = 'bare' | 'yield' | 'engine' | 'service';
/** Page → worker `{ type: LADDER, step, prompt, maxTokens }`; worker → page one `LADDER_TOKEN` per token, then `LADDER_DONE` or `LADDER_ERROR`. */
export const LADDER = 'bench:ladder';
export const LADDER_TOKEN = 'bench:ladder-token';
export const LADDER_DONE = 'bench:ladder-done';
export const LADDER_ERROR = 'bench:ladder-error';

/** The SSE record that carries a text delta (our encoder writes the `event:` line first). */
export const DELTA_RECORD = 'event: response.output_text.delta\n';

/** A streamed `POST /v1/responses` of the decode bench: greedy, `maxTokens` new tokens. */
export function decodeRequest(model: string, prompt: string, maxTokens: number): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: prompt, temperature: 0, max_output_tokens: maxTokens, stream: true }),
  };
}

/**
 * Reads an SSE body to the end, calling `onDeltas` with the number of text-delta records in each chunk
 * as it arrives; returns the whole text.
 */
export async function readDeltas(body: ReadableStream<Uint8Array>, onDeltas: (n: number) => void): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let sse = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return sse;
    const chunk = decoder.decode(value, { stream: true });
    sse += chunk;
    let n = 0;
    for (let i = chunk.indexOf(DELTA_RECORD); i !== -1; i = chunk.indexOf(DELTA_RECORD, i + 1)) n++;
    if (n > 0) onDeltas(n);
  }
}

/** The text deltas and the usage of a whole SSE body (to check that every path generated the same text). */
export function sseSummary(sse: string): { inputTokens: number; outputTokens: number; text: string } {
  const usage = /"input_tokens":(\d+).*"output_tokens":(\d+)/.exec(sse.slice(sse.lastIndexOf('event: ')));
  const text = [...sse.matchAll(/"type":"response\.output_text\.delta".*?"delta":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string).join('');
  return { inputTokens: Number(usage?.[1] ?? 0), outputTokens: Number(usage?.[2] ?? 0), text };
}

/** Token arrivals on this page's clock, for one run started when this was made. */
export class Arrivals {
  readonly start = performance.now();
  private first = 0;
  private last = 0;
  private count = 0;
  /** `n` tokens (or deltas) arrived at `at`. */
  mark(n = 1, at = performance.now()): void {
    if (this.count === 0) this.first = at;
    this.last = at;
    this.count += n;
  }
  /** The run's result, ended now; `tokens` as counted by the producer. */
  result(r: Pick<RunResult, 'tokens' | 'inputTokens' | 'text' | 'engine'>): RunResult {
    return { ...timed(this.start, this.first, this.last, performance.now(), r.tokens), ...r, arrivals: this.count };
  }
}

/** transformers.js's Cache Storage (`env.cacheKey`): entries and bytes stored. */
export async function cacheInfo(): Promise<{ entries: number; bytes: number }> {
  if (!(await caches.has('transformers-cache'))) return { entries: 0, bytes: 0 };
  const cache = await caches.open('transformers-cache');
  let bytes = 0;
  const keys = await cache.keys();
  for (const req of keys) bytes += Number((await cache.match(req))?.headers.get('content-length') ?? 0);
  return { entries: keys.length, bytes };
}
