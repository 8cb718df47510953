/**
 * The worker side of the runtime: one engine and one ResponsesService, exposed over comlink.
 * Responses cross to the page as SSE bytes over a MessagePort (port-stream.ts), so events travel in the
 * batches the service writes (one chunk per engine token), never one message per event.
 */
import * as Comlink from 'comlink';
import './errors.ts';
import { streamToPort } from './port-stream.ts';
import type { LoadableEngine } from '../engines/types.ts';
import { transformersEngine, type TransformersEngineOptions } from '../engines/transformers.ts';
import { createResponsesService, type ResponsesService } from '../service/service.ts';

export interface EngineConfig {
  /** Which engine runs the model. */
  engine: 'transformers' | 'webllm';
  /** Hub id or URL of a served model folder (transformers), or a WebLLM model id. */
  model: string;
  /** Options passed to the engine (device, dtype, wasmPaths, toolFormat, …). */
  options?: Record<string, unknown>;
}

export interface HostStatus {
  loaded: boolean;
  model: string | null;
  engine: EngineConfig['engine'] | null;
  /** The engine's own report (device, dtype, load time, …). */
  info: unknown;
}

export interface SerializedResponse {
  status: number;
  headers: Array<[string, string]>;
  /** The body, sent over this port (see port-stream.ts); null when there is none. */
  port: MessagePort | null;
}

export type ProgressListener = (progress: unknown) => void;

type LoadedEngine = LoadableEngine;

async function makeEngine(config: EngineConfig, onProgress: ProgressListener): Promise<LoadedEngine> {
  if (config.engine === 'transformers') {
    return transformersEngine({ ...(config.options as Partial<TransformersEngineOptions>), model: config.model, onProgress });
  }
  const { webllmEngine } = await import('../engines/webllm.ts');
  return webllmEngine({ ...(config.options ?? {}), model: config.model, onProgress } as Parameters<typeof webllmEngine>[0]);
}

export interface WorkerHostOptions {
  /** Builds the engine for a `load` (default: transformers.js or WebLLM, as `config.engine` says). */
  makeEngine?: (config: EngineConfig, onProgress: ProgressListener) => Promise<LoadableEngine> | LoadableEngine;
}

export function createWorkerHost(options: WorkerHostOptions = {}) {
  const build = options.makeEngine ?? makeEngine;
  let engine: LoadedEngine | null = null;
  let service: ResponsesService | null = null;
  let config: EngineConfig | null = null;
  const inflight = new Map<string, AbortController>();

  return {
    async load(next: EngineConfig, onProgress?: ProgressListener): Promise<HostStatus> {
      if (engine) await engine.unload();
      engine = null;
      service = null;
      config = next;
      const e = await build(next, (p) => onProgress?.(p));
      await e.load();
      engine = e;
      service = createResponsesService({ engine: e });
      return this.status();
    },

    async unload(): Promise<void> {
      for (const c of inflight.values()) c.abort(new DOMException('The model was unloaded.', 'AbortError'));
      await engine?.unload();
      engine = null;
      service = null;
      config = null;
    },

    status(): HostStatus {
      return { loaded: engine !== null, model: config?.model ?? null, engine: config?.engine ?? null, info: engine?.info ?? null };
    },

    ping(): true {
      return true;
    },

    /**
     * The requests whose bodies are still being sent (ids as given to `fetch`): the liveness check of
     * bodies relayed past the page (`WorkerRuntime.fetchToPort`), which the page does not see end.
     */
    streaming(): string[] {
      return [...inflight.keys()];
    },

    /** Serves one request; the body comes back over a transferred port (port-stream.ts). */
    async fetch(id: string, url: string, init: { method: string; headers: Array<[string, string]>; body: string | null }) {
      if (!service) {
        const body = JSON.stringify({
          error: { message: 'No model is loaded yet. Load a model, then send the request again.', type: 'server_error', param: null, code: 'model_not_loaded' },
        });
        const port = streamToPort(new Response(body).body!);
        return Comlink.transfer({ status: 503, headers: [['content-type', 'application/json']], port } satisfies SerializedResponse, [port]);
      }
      const controller = new AbortController();
      inflight.set(id, controller);
      const res = await service.fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: controller.signal });
      const headers = [...res.headers.entries()];
      if (!res.body) {
        inflight.delete(id);
        return { status: res.status, headers, port: null } satisfies SerializedResponse;
      }
      // Forget the controller once the body is sent or cancelled, whichever way it ends.
      const port = streamToPort(res.body, () => inflight.delete(id));
      const out: SerializedResponse = { status: res.status, headers, port };
      return Comlink.transfer(out, [port]);
    },

    /** The page's AbortSignal fired for request `id`. */
    abort(id: string): void {
      inflight.get(id)?.abort(new DOMException('The request was aborted.', 'AbortError'));
      inflight.delete(id);
    },
  };
}

export type WorkerHost = ReturnType<typeof createWorkerHost>;
