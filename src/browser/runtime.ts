/**
 * The page side of the runtime: a Web Worker hosts the engine and the ResponsesService; the page gets
 * a fetch-compatible function serving `/v1/*` (give it to the official SDK as `fetch`),
 * `responses.create` with the SDK's semantics, and load/unload/status.
 *
 * A worker that dies (terminated, crashed, out of memory) ends every in-flight stream with `error` +
 * `response.failed` (code `worker_crashed`); `load()` starts a new worker.
 */
import * as Comlink from 'comlink';
import './errors.ts';
import { createParser } from 'eventsource-parser';
import { streamTracker } from './stream-tracker.ts';
import { portToStream } from './port-stream.ts';
import type {
  Response as OpenAIResponse,
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { EngineConfig, HostStatus, WorkerHost } from './host.ts';

export interface WorkerRuntimeOptions {
  /** Hub id or URL of a served model folder (transformers.js), or a WebLLM model id. */
  model: string;
  /** Which engine (default `transformers`). */
  engine?: EngineConfig['engine'];
  /** Engine options (device, dtype, wasmPaths, toolFormat, …). */
  engineOptions?: Record<string, unknown>;
  /** Download / load progress. */
  onProgress?: (progress: unknown) => void;
  /** Makes the worker (default: the package's worker entry). */
  createWorker?: () => Worker;
  /** How long a silent stream waits before the runtime checks that the worker is alive (ms, default 3000). */
  livenessMs?: number;
  /**
   * How long that check waits for an answer before the worker is declared dead (ms, default 10000).
   * Generous on purpose: a worker busy inside one long GPU/WASM step answers late, a dead one never.
   */
  pingTimeoutMs?: number;
}

export interface WorkerRuntime {
  /** Resolves when the model is loaded (rejects with the load error). */
  readonly ready: Promise<HostStatus>;
  /** The worker in use (for diagnostics). */
  readonly worker: Worker;
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * Like `fetch`, but the body stays a MessagePort (port-stream.ts) for a receiver in another context
   * (the service worker): the bytes go from the worker to it directly, never through this page's main
   * thread. `failed` resolves if the worker dies before the body is over; the receiver then ends the
   * stream with `error` + `response.failed` itself. `hostRuntime` uses it when the target has it.
   */
  fetchToPort(input: RequestInfo | URL, init?: RequestInit): Promise<PortResponse>;
  responses: {
    create(body: ResponseCreateParamsStreaming, options?: { signal?: AbortSignal }): Promise<AsyncIterable<ResponseStreamEvent>>;
    create(body: ResponseCreateParamsNonStreaming, options?: { signal?: AbortSignal }): Promise<OpenAIResponse>;
  };
  /** Loads a model (the same one again by default), in a new worker if the old one died. */
  load(next?: Partial<Pick<WorkerRuntimeOptions, 'model' | 'engine' | 'engineOptions'>>): Promise<HostStatus>;
  unload(): Promise<void>;
  status(): Promise<HostStatus & { alive: boolean }>;
  /** Stops the worker; in-flight requests end with `response.failed`. */
  terminate(): void;
}

/** Why a body handed on as a port cannot end properly: the receiver ends it with these. */
export interface PortFailure {
  code: string;
  message: string;
}

/** A response whose body is a port (see `WorkerRuntime.fetchToPort`). */
export interface PortResponse {
  status: number;
  headers: Array<[string, string]>;
  /** The body (port-stream.ts protocol; transfer it to the receiver), or null when there is none. */
  port: MessagePort | null;
  /** Resolves if the worker dies before it has sent the whole body; never otherwise. */
  failed: Promise<PortFailure>;
}

const defaultWorker = () => new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module' });

const SSE = 'text/event-stream';


export function createWorkerRuntime(options: WorkerRuntimeOptions): WorkerRuntime {
  const make = options.createWorker ?? defaultWorker;
  const livenessMs = options.livenessMs ?? 3000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
  let config: EngineConfig = { engine: options.engine ?? 'transformers', model: options.model, options: options.engineOptions };
  let worker!: Worker;
  let host!: Comlink.Remote<WorkerHost>;
  let alive = false;
  let ready!: Promise<HostStatus>;
  /** In-flight streams: how to end each one if the worker dies. */
  const inflight = new Set<(code: string, message: string) => void>();

  const progress = Comlink.proxy((p: unknown) => options.onProgress?.(p));

  function died(message: string) {
    if (!alive) return;
    alive = false;
    for (const end of [...inflight]) end('worker_crashed', message);
    inflight.clear();
  }

  function start(): Promise<HostStatus> {
    worker = make();
    alive = true;
    worker.addEventListener('error', (e) => died(`The model worker crashed: ${e.message || 'unknown error'}.`));
    host = Comlink.wrap<WorkerHost>(worker);
    const loading = host.load(config, progress);
    loading.catch(() => {});
    return loading;
  }
  ready = start();

  /** The worker's answer to `call`, or null if it is dead or does not answer within `ms`. */
  async function within<T>(call: () => Promise<T>, ms: number): Promise<T | null> {
    if (!alive) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
    try {
      return await Promise.race([call(), timeout]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when the worker answers within `ms`. */
  const ping = async (ms: number): Promise<boolean> => (await within(() => host.ping(), ms)) !== null;

  /**
   * Wraps the worker's SSE body: passes bytes through, remembers the response object, and if the worker
   * dies before the terminal event, ends the stream itself with `error` + `response.failed`.
   */
  function guard(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    const tracker = streamTracker();
    let endedHere = false; // we ended it (worker died): nothing more to read
    let end: ((code: string, message: string) => void) | null = null;
    // The read in flight: a watchdog timeout must not start a second one (a chunk would be lost).
    let pending: Promise<ReadableStreamReadResult<Uint8Array> | { error: unknown }> | null = null;
    // The liveness watchdog: one timer per silent spell, not one per chunk. `lastActivity` moves on with
    // every pull; the timer, when it fires early, re-arms itself for the rest of the spell.
    let lastActivity = 0;
    let silence: Promise<'silent'> | null = null;
    let watchTimer: ReturnType<typeof setTimeout> | undefined;
    const silent = (): Promise<'silent'> =>
      (silence ??= new Promise<'silent'>((resolve) => {
        const check = () => {
          const quiet = performance.now() - lastActivity;
          if (quiet < livenessMs) {
            watchTimer = setTimeout(check, livenessMs - quiet);
            return;
          }
          silence = null;
          resolve('silent');
        };
        watchTimer = setTimeout(check, livenessMs);
      }));
    const stopWatch = () => clearTimeout(watchTimer);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        end = (code, message) => {
          if (tracker.ended) return;
          endedHere = true;
          stopWatch();
          try {
            controller.enqueue(tracker.fail(code, message));
            controller.close();
          } catch {
            // the reader is gone
          }
          reader.cancel().catch(() => {});
        };
        inflight.add(end);
      },
      async pull(controller) {
        for (;;) {
          pending ??= reader.read().catch((error: unknown) => ({ error }));
          lastActivity = performance.now();
          // A silent stream makes the runtime check that the worker still answers.
          const next = await Promise.race([pending, silent()]);
          if (endedHere) return; // ended by `died`
          if (next === 'silent') {
            if (!(await ping(pingTimeoutMs))) {
              died('The model worker stopped answering (terminated or crashed).');
              return;
            }
            continue; // alive, just slow: keep waiting on the same read
          }
          pending = null;
          if ('error' in next || next.done) stopWatch();
          if ('error' in next) {
            if (end) inflight.delete(end);
            // The client aborted: the body errors with the abort, as a network body would.
            if (signal.aborted) controller.error(signal.reason ?? new DOMException('The request was aborted.', 'AbortError'));
            else end?.('worker_crashed', `The stream from the model worker broke: ${String(next.error)}`);
            return;
          }
          if (next.done) {
            if (end) inflight.delete(end);
            if (!tracker.ended && !(await ping(pingTimeoutMs))) {
              end?.('worker_crashed', 'The model worker stopped answering before the response ended.');
              died('The model worker stopped answering.');
            } else controller.close();
            return;
          }
          tracker.feed(next.value);
          controller.enqueue(next.value);
          if (tracker.ended) {
            stopWatch();
            if (end) inflight.delete(end);
          }
          return;
        }
      },
      cancel(reason) {
        stopWatch();
        if (end) inflight.delete(end);
        return reader.cancel(reason);
      },
    });
  }

  /** Sends a request to the worker; its AbortSignal aborts it there until the body is over. */
  async function send(input: RequestInfo | URL, init?: RequestInit) {
    await ready;
    const request = input instanceof Request && !init ? input : new Request(input, init);
    const id = crypto.randomUUID();
    const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.text();
    const onAbort = () => void host.abort(id).catch(() => {});
    if (request.signal.aborted) throw request.signal.reason ?? new DOMException('The request was aborted.', 'AbortError');
    request.signal.addEventListener('abort', onAbort, { once: true });
    const res = await host.fetch(id, request.url, { method: request.method, headers: [...request.headers.entries()], body });
    const isSse = res.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v.startsWith(SSE));
    if (!isSse) request.signal.removeEventListener('abort', onAbort);
    return { id, request, res, isSse };
  }

  async function runtimeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const { request, res, isSse } = await send(input, init);
    const stream = res.port ? portToStream(res.port) : null;
    const out = stream && isSse ? guard(stream, request.signal) : stream;
    return new Response(out, { status: res.status, headers: res.headers });
  }

  // Bodies handed on as ports (fetchToPort): the page never sees their bytes, so it cannot tell a
  // silent stream from a dead worker by activity. While any is out, the worker is asked every
  // `livenessMs` which bodies it is still sending; no answer within `pingTimeoutMs` means it died.
  const portBodies = new Map<string, (code: string, message: string) => void>();
  let watchingPorts = false;

  async function watchPorts(): Promise<void> {
    if (watchingPorts) return;
    watchingPorts = true;
    try {
      while (portBodies.size > 0) {
        await new Promise((resolve) => setTimeout(resolve, livenessMs));
        if (portBodies.size === 0) break;
        const ids = await within(() => host.streaming(), pingTimeoutMs); // the bodies it still sends
        if (ids === null) {
          died('The model worker stopped answering (terminated or crashed).');
          break;
        }
        for (const [id, end] of [...portBodies]) {
          if (ids.includes(id)) continue;
          portBodies.delete(id);
          inflight.delete(end);
        }
      }
    } finally {
      watchingPorts = false;
    }
  }

  async function fetchToPort(input: RequestInfo | URL, init?: RequestInit): Promise<PortResponse> {
    const { id, res, isSse } = await send(input, init);
    let failed = new Promise<PortFailure>(() => {});
    if (res.port && isSse) {
      failed = new Promise<PortFailure>((resolve) => {
        const end = (code: string, message: string) => {
          portBodies.delete(id);
          resolve({ code, message });
        };
        inflight.add(end);
        portBodies.set(id, end);
      });
      void watchPorts();
    }
    return { status: res.status, headers: res.headers, port: res.port, failed };
  }

  async function* events(res: Response): AsyncGenerator<ResponseStreamEvent> {
    const queue: ResponseStreamEvent[] = [];
    const parser = createParser({ onEvent: (ev) => queue.push(JSON.parse(ev.data) as ResponseStreamEvent) });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        while (queue.length) yield queue.shift()!;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  async function create(body: Record<string, unknown>, opts: { signal?: AbortSignal } = {}): Promise<unknown> {
    const res = await runtimeFetch('http://runtime.local/v1/responses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
    if (!res.ok) {
      const err = (await res.json()) as { error: { message: string; code: string | null; param: string | null } };
      throw Object.assign(new Error(err.error.message), { status: res.status, ...err.error });
    }
    return body.stream ? events(res) : res.json();
  }

  return {
    get ready() {
      return ready;
    },
    get worker() {
      return worker;
    },
    fetch: runtimeFetch,
    fetchToPort,
    responses: { create } as WorkerRuntime['responses'],
    async load(next = {}) {
      config = {
        engine: next.engine ?? config.engine,
        model: next.model ?? config.model,
        options: next.engineOptions ?? config.options,
      };
      if (!alive || !(await ping(pingTimeoutMs))) {
        died('The model worker was replaced.');
        worker?.terminate();
        ready = start();
      } else {
        ready = host.load(config, progress);
      }
      return ready;
    },
    async unload() {
      await host.unload();
    },
    async status() {
      const ok = await ping(pingTimeoutMs);
      if (!ok) return { loaded: false, model: config.model, engine: config.engine, info: null, alive: false };
      return { ...(await host.status()), alive: true };
    },
    terminate() {
      worker.terminate();
      died('The model worker was terminated.');
    },
  };
}
