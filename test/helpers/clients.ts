/**
 * Shared helpers for the tests that drive the service end to end: the two official SDK majors wired to
 * `service.fetch`, an engine wrapper that counts what the service pulled from the engine, prompt capture
 * for the scripted engine, and small request/stream utilities.
 */
import OpenAI from 'openai';
import OpenAI6 from 'openai6';
import type { ResponseCreateParamsStreaming, ResponseStreamEvent } from 'openai/resources/responses/responses';
import {
  createResponsesService,
  pseudoTokenize,
  scriptedEngine,
  type Engine,
  type EngineEvent,
  type GenerateRequest,
  type ResponsesService,
  type ScriptedEngineOptions,
  type ScriptedOutput,
  type ScriptedRequest,
} from '../../src/index.ts';
import { readSseResponse } from './sse.ts';
import type { ValidateToolSpec } from './validate-stream.ts';

export const BASE_URL = 'http://localhost/v1';
export const MODEL = 'scripted-test';

/** The SDK majors under test. Typed as the 7.x client; 6.x has the same surface for what we use. */
export const SDKS = [
  { sdk: 'openai 7.57', Ctor: OpenAI },
  { sdk: 'openai6 6.49', Ctor: OpenAI6 as unknown as typeof OpenAI },
] as const;

export type SdkCtor = (typeof SDKS)[number]['Ctor'];

/** An SDK client whose transport is the service itself (no network). */
export function sdkClient(Ctor: SdkCtor, service: ResponsesService): OpenAI {
  return new Ctor({ apiKey: 'local', baseURL: BASE_URL, fetch: service.fetch, maxRetries: 0 });
}

// ---------------------------------------------------------------------------------------------------------
// Engines

export interface EngineStats {
  /** `generate` calls. */
  started: number;
  /** `generate` iterators that ran to their end or were closed (their `finally` ran). */
  finished: number;
  /** Text chunks the service pulled from the engine, over all requests. */
  chunks: number;
  /** Finish events seen, with their reasons. */
  finishes: string[];
  /** The signal of the last `generate` call. */
  lastSignal: AbortSignal | null;
}

/** Wraps an engine and counts what the service consumes from it. */
export function countingEngine(inner: Engine): { engine: Engine; stats: EngineStats } {
  const stats: EngineStats = { started: 0, finished: 0, chunks: 0, finishes: [], lastSignal: null };
  const engine: Engine = {
    models: () => inner.models(),
    async *generate(request: GenerateRequest): AsyncGenerator<EngineEvent> {
      stats.started++;
      stats.lastSignal = request.signal;
      try {
        for await (const ev of inner.generate(request)) {
          if (ev.type === 'chunk') stats.chunks++;
          else stats.finishes.push(ev.reason);
          yield ev;
        }
      } finally {
        stats.finished++;
      }
    },
  };
  return { engine, stats };
}

/**
 * Wraps an engine so that it runs one generation at a time, like a single in-browser model: a `generate` waits
 * until the previous one's iterator was closed (its `finally` ran). A generation that is never closed blocks
 * every later request.
 */
export function serialEngine(inner: Engine): Engine {
  let busy: Promise<void> = Promise.resolve();
  return {
    models: () => inner.models(),
    async *generate(request: GenerateRequest): AsyncGenerator<EngineEvent> {
      const previous = busy;
      let release!: () => void;
      busy = new Promise<void>((resolve) => (release = resolve));
      await previous;
      try {
        yield* inner.generate(request);
      } finally {
        release();
      }
    },
  };
}

/** Rejects with a clear message when `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A scripted engine that records every request it gets (rendered prompt, messages, tools). */
export function recordingEngine(
  output: ScriptedOutput | ((r: ScriptedRequest) => ScriptedOutput),
  options: Omit<ScriptedEngineOptions, 'output'> = {},
): { engine: Engine; requests: ScriptedRequest[] } {
  const requests: ScriptedRequest[] = [];
  const engine = scriptedEngine({
    model: MODEL,
    ...options,
    output: (r) => {
      requests.push(r);
      return typeof output === 'function' ? output(r) : output;
    },
  });
  return { engine, requests };
}

/** A service over a recording scripted engine. */
export function scriptedService(
  output: ScriptedOutput | ((r: ScriptedRequest) => ScriptedOutput),
  options: Omit<ScriptedEngineOptions, 'output'> = {},
): { service: ResponsesService; requests: ScriptedRequest[] } {
  const { engine, requests } = recordingEngine(output, options);
  return { service: createResponsesService({ engine }), requests };
}

/** How many tokens the scripted engine produces for an output (strings are pseudo-tokenized). */
export function tokenCount(output: ScriptedOutput): number {
  return typeof output === 'string' ? pseudoTokenize(output).length : output.length;
}

// ---------------------------------------------------------------------------------------------------------
// Requests and streams

/** A `POST {BASE_URL}/responses` Request with a JSON body. */
export function postRequest(body: unknown, init: RequestInit = {}): Request {
  return new Request(`${BASE_URL}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

/** Streams a request through `service.fetch` and returns the events (SSE framing validated). */
export async function fetchEvents(service: ResponsesService, body: Record<string, unknown>): Promise<ResponseStreamEvent[]> {
  const res = await service.fetch(postRequest({ ...body, stream: true }));
  return readSseResponse(res);
}

/** Streams a request through `service.create` (no HTTP) and returns all its events. */
export async function createEvents(service: ResponsesService, body: Record<string, unknown>): Promise<ResponseStreamEvent[]> {
  return collect(await service.create({ ...body, stream: true } as unknown as ResponseCreateParamsStreaming));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** Runs `fn` and returns what it threw (fails when it does not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw, it did not');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Tools

export interface FunctionToolParam {
  type: 'function';
  name: string;
  description?: string;
  strict: boolean | null;
  parameters: Record<string, unknown> | null;
}

export const WEATHER_TOOL: FunctionToolParam = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather of a city',
  strict: true,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

/** Parameterless strict tool with `parameters: null`. */
export const TIME_TOOL: FunctionToolParam = { type: 'function', name: 'get_time', strict: true, parameters: null };

/** Parameterless strict tool with an empty-properties schema. */
export const UNITS_TOOL: FunctionToolParam = {
  type: 'function',
  name: 'list_units',
  strict: true,
  parameters: { type: 'object', properties: {}, required: [], additionalProperties: false },
};

/** The validator's view of request tools. */
export function toolSpecs(tools: readonly FunctionToolParam[] | undefined): ValidateToolSpec[] | undefined {
  return tools?.map((t) => ({ name: t.name, strict: t.strict, parameters: t.parameters }));
}

/** The hermes markup the scripted model writes for a call. */
export function hermesCall(name: string, args?: unknown): string {
  const body = args === undefined ? `{"name": ${JSON.stringify(name)}}` : `{"name": ${JSON.stringify(name)}, "arguments": ${JSON.stringify(args)}}`;
  return `<tool_call>\n${body}\n</tool_call>`;
}

/** `<think>` reasoning as the model writes it. */
export function think(text: string): string {
  return `<think>\n${text}\n</think>\n\n`;
}
