/**
 * ResponsesService: the Responses API over standard Request/Response (`fetch`) and without HTTP
 * (`create`). Runs anywhere: Node, a Web Worker, a service worker.
 */
import type {
  Response as OpenAIResponse,
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { ResponsesError } from '../protocol/errors.ts';
import { parseCreateRequest } from '../protocol/request.ts';
import { SSE_CONTENT_TYPE, sseStream } from '../events/sse.ts';
import type { Engine } from '../engines/types.ts';
import { prepareGeneration, type PreparedGeneration, type TemplateCache } from './generation.ts';

export interface ResponsesServiceOptions {
  engine: Engine;
  /** Path prefix of the routes (default `/v1`). */
  basePath?: string;
  /** Largest accepted request body in bytes (default 8 MiB); larger bodies get a 413. */
  maxBodyBytes?: number;
}

export interface CreateOptions {
  signal?: AbortSignal;
}

export interface ResponsesService {
  /**
   * Serves `POST {basePath}/responses` (SSE when `stream: true`, JSON otherwise) and
   * `GET {basePath}/models[/{id}]`. Same signature as the global `fetch`, so it can be given to the
   * official SDK as its `fetch` option.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** The same without HTTP: the final Response object, or the events when `stream: true`. */
  create(body: ResponseCreateParamsStreaming, options?: CreateOptions): Promise<AsyncIterable<ResponseStreamEvent>>;
  create(body: ResponseCreateParamsNonStreaming, options?: CreateOptions): Promise<OpenAIResponse>;
  create(body: unknown, options?: CreateOptions): Promise<OpenAIResponse | AsyncIterable<ResponseStreamEvent>>;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function errorResponse(err: unknown): Response {
  if (err instanceof ResponsesError) return jsonResponse(err.toJSON(), err.status, err.headers);
  const message = err instanceof Error ? err.message : String(err);
  return jsonResponse(new ResponsesError(500, `Internal error: ${message}`, { code: 'server_error' }).toJSON(), 500);
}

/** Reads the body as text, refusing more than `limit` bytes without reading them all. */
async function readBody(request: Request, limit: number): Promise<string> {
  const tooLarge = () =>
    new ResponsesError(413, `The request body is larger than ${limit} bytes. Send a smaller conversation.`, {
      code: 'request_too_large',
    });
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Collects a whole generation into its final Response object (what `response.completed` carries). */
async function collect(gen: PreparedGeneration, signal: AbortSignal): Promise<OpenAIResponse> {
  let last: ResponseStreamEvent | undefined;
  let failure: { code: string | null; message: string } | undefined;
  for await (const batch of gen.run(signal)) {
    for (const ev of batch) {
      if (ev.type === 'error') failure = (ev as unknown as { error: { code: string | null; message: string } }).error;
      last = ev;
    }
  }
  if (failure) throw new ResponsesError(500, failure.message, { code: failure.code ?? 'server_error' });
  if (!last || !('response' in last)) throw new ResponsesError(500, 'The generation ended without a response.');
  return last.response;
}

async function* flatten(batches: AsyncIterable<ResponseStreamEvent[]>): AsyncGenerator<ResponseStreamEvent> {
  for await (const batch of batches) yield* batch;
}

export function createResponsesService(options: ResponsesServiceOptions): ResponsesService {
  const { engine } = options;
  const base = (options.basePath ?? '/v1').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const templates: TemplateCache = new Map();

  function listModels() {
    return engine.models().map((m) => ({
      id: m.id,
      object: 'model' as const,
      created: m.created ?? 0,
      owned_by: m.ownedBy ?? 'web-responses',
    }));
  }

  async function handleCreate(request: Request): Promise<Response> {
    const text = await readBody(request, maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ResponsesError(
        400,
        `We could not parse the JSON body of your request (${(err as Error).message}). Send a JSON object, e.g. {"model": "…", "input": "Hello"}.`,
        { code: 'invalid_json' },
      );
    }
    const req = parseCreateRequest(body);
    const gen = prepareGeneration(req, engine, templates);
    if (!req.stream) return jsonResponse(await collect(gen, request.signal));

    // Generation stops when the request is aborted or the reader cancels the body.
    const controller = new AbortController();
    const abort = (reason?: unknown) => controller.abort(reason);
    return new Response(sseStream(gen.run(controller.signal), abort, request.signal), {
      status: 200,
      headers: { 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache' },
    });
  }

  async function route(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname.replace(/\/+$/, '');
    const method = request.method.toUpperCase();
    const allow = (methods: string) => {
      if (!methods.split(', ').includes(method)) {
        throw new ResponsesError(405, `Method ${method} is not allowed on ${path}; use ${methods}.`, {
          code: 'method_not_allowed',
          headers: { allow: methods },
        });
      }
    };
    if (path === `${base}/responses`) {
      allow('POST');
      return handleCreate(request);
    }
    if (path === `${base}/models`) {
      allow('GET');
      return jsonResponse({ object: 'list', data: listModels() });
    }
    if (path.startsWith(`${base}/models/`)) {
      allow('GET');
      const id = decodeURIComponent(path.slice(base.length + '/models/'.length));
      const model = listModels().find((m) => m.id === id);
      if (!model) throw new ResponsesError(404, `The model '${id}' does not exist or is not loaded.`, { param: 'model', code: 'model_not_found' });
      return jsonResponse(model);
    }
    throw new ResponsesError(404, `Unknown route ${method} ${path}. This server has POST ${base}/responses and GET ${base}/models.`, {
      code: 'unknown_route',
    });
  }

  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      try {
        return await route(input instanceof Request && !init ? input : new Request(input, init));
      } catch (err) {
        return errorResponse(err);
      }
    },
    async create(body: unknown, opts: CreateOptions = {}): Promise<never> {
      const req = parseCreateRequest(body);
      const gen = prepareGeneration(req, engine, templates);
      const signal = opts.signal ?? new AbortController().signal;
      if (!req.stream) return (await collect(gen, signal)) as never;
      return flatten(gen.run(signal)) as never;
    },
  } as ResponsesService;
}
