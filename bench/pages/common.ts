/**
 * What both benchmark pages share: the result of one timed generation (page clock) and the
 * environment report (WebGPU adapter, cross-origin isolation).
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
export function timed(start: number, first: number, last: number, end: number, tokens: number): Pick<RunResult, 'ttftMs' | 'decodeTps' | 'totalMs'> {
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

/** The text deltas and the usage of a whole SSE body (to check that every path generated the same text). */
export function sseSummary(sse: string): { inputTokens: number; outputTokens: number; text: string } {
  const usage = /"input_tokens":(\d+).*"output_tokens":(\d+)/.exec(sse.slice(sse.lastIndexOf('event: ')));
  const text = [...sse.matchAll(/"type":"response\.output_text\.delta".*?"delta":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string).join('');
  return { inputTokens: Number(usage?.[1] ?? 0), outputTokens: Number(usage?.[2] ?? 0), text };
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
