import type { ChatMessage, TemplateTool } from '../prompt/chat.ts';

/**
 * The Engine interface: every backend (scripted, transformers.js, WebLLM) takes a prompt that the
 * service rendered from the model's own chat template, and yields the model's text as it is produced.
 */

export interface ModelInfo {
  /** The id clients put in `model`. */
  id: string;
  /** Jinja chat template (from tokenizer_config.json). */
  chatTemplate: string;
  /** Special tokens the template may use. */
  bosToken?: string;
  eosToken?: string;
  /** Tool-call output format (parser registry name); 'none' when the model has no tool format. */
  toolFormat: string;
  /** Reasoning format: 'think' or 'none'. */
  reasoningFormat: string;
  /** Unix seconds, for GET /v1/models. */
  created?: number;
  ownedBy?: string;
}

export interface SamplingOptions {
  temperature: number;
  topP: number;
  /** Stop after this many generated tokens (finish reason 'length'); null = until EOS / context end. */
  maxTokens: number | null;
  /** Extra stop strings (the engine stops before emitting them). */
  stop?: string[];
}

export interface GenerateRequest {
  model: string;
  /** The fully rendered prompt, ending with the assistant turn's opening (and any prefill). */
  prompt: string;
  sampling: SamplingOptions;
  signal: AbortSignal;
  /** The conversation and tools the prompt was rendered from (for information; engines use `prompt`). */
  messages?: ChatMessage[];
  tools?: TemplateTool[];
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  top_logprobs?: Array<{ token: string; logprob: number }>;
}

/** A piece of generated text: one token, or a few. */
export interface EngineChunk {
  type: 'chunk';
  text: string;
  tokenIds?: number[];
  /** Number of tokens in this chunk when tokenIds are not given (default 1). */
  tokens?: number;
  logprobs?: TokenLogprob[];
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerationTimings {
  /** Time from the request to the first generated token, ms. */
  ttftMs: number;
  /** Prompt tokens per second (prompt tokens / ttft). */
  prefillTokensPerSecond: number;
  /** Generated tokens per second after the first one (0 when fewer than two tokens). */
  decodeTokensPerSecond: number;
  totalMs: number;
}

export interface EngineFinish {
  type: 'finish';
  reason: FinishReason;
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from a cache. */
  cachedTokens?: number;
  /** How long it took (reported in the response's `timings`). */
  timings?: GenerationTimings;
  /** What ran it: 'webgpu', 'wasm', 'cpu', 'scripted', … */
  backend?: string;
}

export type EngineEvent = EngineChunk | EngineFinish;

export interface Engine {
  /** The models this engine can serve right now. */
  models(): ModelInfo[];
  /**
   * Generate. Yields chunks, then exactly one `finish`. When `signal` aborts, the engine stops at the
   * next chunk, yields `finish` with reason 'abort' (or returns), and is ready for the next request.
   * A failure throws; its `code` property (if any) is reported to the client.
   */
  generate(request: GenerateRequest): AsyncIterable<EngineEvent>;
}

/** An engine whose model is loaded explicitly (transformers.js, WebLLM). */
export interface LoadableEngine<Info = unknown> extends Engine {
  load(): Promise<void>;
  unload(): Promise<void>;
  readonly info: Info;
}

/** An engine failure with the code reported to the client (`model_load_failed`, `device_lost`, …). */
export type CodedError = Error & { code: string; cause?: unknown };

export function codedError(code: string, message: string, cause?: unknown): CodedError {
  const err = new Error(message) as CodedError;
  err.code = code;
  if (cause !== undefined) err.cause = cause;
  return err;
}
