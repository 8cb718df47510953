/**
 * A STAND-IN for WebLLM's `MLCEngine` (no GPU, no weights): it reproduces exactly the calls and chunk
 * shapes the WebLLM adapter (src/engines/webllm.ts) relies on, replaying scripted text token by token.
 *
 * What it reproduces (shapes checked against @mlc-ai/web-llm 0.2.86's .d.ts via `satisfies`):
 * - `new MLCEngine({ appConfig, initProgressCallback, ... })`; `reload(modelId)` reports
 *   `{ progress, timeElapsed, text }` through `initProgressCallback` and rejects for a model_id
 *   missing from `appConfig.model_list`.
 * - `completions.create({ prompt, stream: true, ... })` resolves to an AsyncIterable of `Completion`
 *   chunks `{ id, object: 'text_completion', created, model, choices: [{ index, text, finish_reason,
 *   logprobs: null }] }`: one per token, then a chunk with the finish reason ('stop' | 'length' |
 *   'abort'), then (with `stream_options.include_usage`) a chunk with `choices: []` and `usage`.
 * - `max_tokens`, `stop` (the stop string is not emitted; text that might start one is held back),
 *   `interruptGenerate()` (a flag checked before each decode step, reset when a generation starts),
 *   a per-model lock held from the first `next()` until the stream ends, and `unload()`.
 * - Errors thrown as classes named like WebLLM's (`WebGPUNotAvailableError`, `ShaderF16SupportError`,
 *   `DeviceLostError`, ...), at load or after N tokens.
 * What it does not reproduce: real tokenization (a word-ish regex splitter), sampling, special tokens.
 */
import {
  prebuiltAppConfig,
  type AppConfig,
  type Completion,
  type CompletionCreateParamsStreaming,
  type CompletionUsage,
  type InitProgressReport,
  type MLCEngineConfig,
} from '@mlc-ai/web-llm';
import type { MlcEngineLike, WebLLMModuleLike } from '../../src/engines/webllm.ts';

// Error classes named as WebLLM names them (the adapter maps them by name).
export class WebGPUNotAvailableError extends Error {
  constructor() {
    super('WebGPU is not supported in your current environment (stand-in).');
    this.name = 'WebGPUNotAvailableError';
  }
}
export class FeatureSupportError extends Error {
  constructor(feature: string) {
    super(`This model requires feature ${feature} (stand-in).`);
    this.name = 'FeatureSupportError';
  }
}
export class ShaderF16SupportError extends FeatureSupportError {
  constructor() {
    super('shader-f16');
    this.name = 'ShaderF16SupportError';
  }
}
export class DeviceLostError extends Error {
  constructor() {
    super('The WebGPU device was lost (stand-in; often out of memory).');
    this.name = 'DeviceLostError';
  }
}
export class ModelNotFoundError extends Error {
  constructor(modelId: string) {
    super(`Cannot find model record in appConfig for ${modelId} (stand-in).`);
    this.name = 'ModelNotFoundError';
  }
}

/** A simple tokenizer: words with their leading space, digits, punctuation runs, whitespace runs. */
export function standInTokenize(text: string): string[] {
  return text.match(/\s?[\p{L}\p{M}_]+|\s?\p{N}|\s?[^\s\p{L}\p{M}\p{N}_]+|\s+/gu) ?? [];
}

export interface StandInScript {
  /** The text the "model" writes for a request (split with {@link standInTokenize}), or token list. */
  output: string | string[] | ((request: CompletionCreateParamsStreaming) => string | string[]);
  /** Thrown by reload(). */
  loadError?: () => Error;
  /** Thrown by the stream after this many tokens were emitted. */
  streamError?: { afterTokens: number; error: () => Error };
  /** Wait this long before each decode step (default 0: a macrotask per token). */
  tokenDelayMs?: number;
  /** Progress reports reload() sends (default: three steps ending at 1). */
  progress?: InitProgressReport[];
  /** Called inside completions.create(), before the stream is returned. */
  onCreate?: (request: CompletionCreateParamsStreaming) => void;
  /** Add `usage.extra` timings to the usage chunk (default true). */
  usageExtra?: boolean;
}

export interface StandInLog {
  constructed: MLCEngineConfig[];
  reloads: string[];
  creates: CompletionCreateParamsStreaming[];
  interrupts: number;
  unloads: number;
  /** Generations that had to wait for the lock (the previous stream had not ended). */
  lockWaits: number;
  /** Chunks handed out, over all streams. */
  chunks: Completion[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longest suffix of `text` that is a proper prefix of some stop string. */
function partialStop(text: string, stops: string[]): number {
  let best = 0;
  for (const s of stops) for (let n = Math.min(s.length - 1, text.length); n > best; n--) if (text.endsWith(s.slice(0, n))) best = n;
  return best;
}

export class MlcEngineStandIn implements MlcEngineLike {
  private appConfig: AppConfig;
  private initProgressCallback: MLCEngineConfig['initProgressCallback'];
  private loadedModel: string | null = null;
  private interruptSignal = false;
  private lock: Promise<void> = Promise.resolve();
  private locked = false;

  constructor(
    config: MLCEngineConfig | undefined,
    private readonly script: StandInScript,
    private readonly log: StandInLog,
  ) {
    log.constructed.push(config ?? {});
    this.appConfig = config?.appConfig ?? prebuiltAppConfig;
    this.initProgressCallback = config?.initProgressCallback;
  }

  async reload(modelId: string): Promise<void> {
    this.log.reloads.push(modelId);
    const steps = this.script.progress ?? [
      { progress: 0, timeElapsed: 0, text: 'Start to fetch params' },
      { progress: 0.5, timeElapsed: 1.5, text: 'Fetching param cache[1/2]: 100MB fetched. 50% completed' },
      { progress: 1, timeElapsed: 3, text: 'Finish loading on WebGPU - stand-in' },
    ];
    for (const step of steps) this.initProgressCallback?.(step satisfies InitProgressReport);
    if (!this.appConfig.model_list.some((r) => r.model_id === modelId)) throw new ModelNotFoundError(modelId);
    if (this.script.loadError) throw this.script.loadError();
    this.loadedModel = modelId;
  }

  async unload(): Promise<void> {
    this.log.unloads++;
    this.loadedModel = null;
  }

  async interruptGenerate(): Promise<void> {
    this.log.interrupts++;
    this.interruptSignal = true;
  }

  readonly completions = {
    create: async (request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>> => {
      if (this.loadedModel === null) throw new Error('Model not loaded before calling completions.create (stand-in).');
      if (request.stream !== true) throw new Error('stand-in: only streaming completions are reproduced');
      this.log.creates.push(structuredClone(request));
      this.script.onCreate?.(request);
      return this.generate(request, this.loadedModel);
    },
  } satisfies MlcEngineLike['completions'];

  private async *generate(request: CompletionCreateParamsStreaming, model: string): AsyncGenerator<Completion, void, void> {
    // WebLLM's per-model lock: held for the whole stream, released when it ends.
    if (this.locked) this.log.lockWaits++;
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await previous;
    this.locked = true;
    try {
      this.interruptSignal = false; // an interrupt applies to the generation running when it was raised
      const id = `cmpl-standin-${this.log.creates.length}`;
      const created = Math.floor(Date.now() / 1000);
      const make = (choices: Completion['choices'], usage?: CompletionUsage): Completion => {
        const chunk = { id, object: 'text_completion', created, model, choices, ...(usage ? { usage } : {}) } satisfies Completion;
        this.log.chunks.push(chunk);
        return chunk;
      };
      const out = typeof this.script.output === 'function' ? this.script.output(request) : this.script.output;
      const tokens = typeof out === 'string' ? standInTokenize(out) : out;
      const stops = typeof request.stop === 'string' ? [request.stop] : (request.stop ?? []);
      const maxTokens = request.max_tokens ?? Infinity;
      const promptTokens = standInTokenize(request.prompt).length;
      const started = performance.now();
      let firstAt = 0;
      let produced = 0;
      let text = '';
      let emitted = 0;
      let finish: 'stop' | 'length' | 'abort' = 'stop';
      for (let i = 0; ; i++) {
        await sleep(this.script.tokenDelayMs ?? 0);
        if (this.interruptSignal) {
          finish = 'abort';
          break;
        }
        if (i >= tokens.length) break; // EOS
        if (produced >= maxTokens) {
          finish = 'length';
          break;
        }
        if (this.script.streamError && produced >= this.script.streamError.afterTokens) throw this.script.streamError.error();
        produced++;
        if (!firstAt) firstAt = performance.now();
        text += tokens[i];
        let upto = text.length;
        let hitStop = false;
        for (const s of stops) {
          const at = text.indexOf(s);
          if (at !== -1 && at < upto) {
            upto = at;
            hitStop = true;
          }
        }
        if (!hitStop) upto -= partialStop(text, stops);
        if (upto > emitted) {
          yield make([{ index: 0, text: text.slice(emitted, upto), finish_reason: null, logprobs: null }]);
          emitted = upto;
        }
        if (hitStop) break;
      }
      yield make([{ index: 0, text: '', finish_reason: finish, logprobs: null }]);
      if (request.stream_options?.include_usage) {
        const end = performance.now();
        const ttft = ((firstAt || end) - started) / 1000;
        const usage: CompletionUsage = {
          prompt_tokens: promptTokens,
          completion_tokens: produced,
          total_tokens: promptTokens + produced,
          extra: {
            e2e_latency_s: (end - started) / 1000,
            prefill_tokens_per_s: ttft > 0 ? promptTokens / ttft : 0,
            decode_tokens_per_s: produced > 1 && end > firstAt ? ((produced - 1) * 1000) / (end - firstAt) : 0,
            time_to_first_token_s: ttft,
            time_per_output_token_s: produced > 0 ? (end - started) / 1000 / produced : 0,
          },
        };
        if (this.script.usageExtra === false) delete (usage as Partial<CompletionUsage>).extra;
        yield make([], usage);
      }
    } finally {
      this.locked = false;
      release();
    }
  }
}

/**
 * A stand-in `@mlc-ai/web-llm` module for the adapter's `webllm` option: `MLCEngine` is
 * {@link MlcEngineStandIn} bound to `script`; `prebuiltAppConfig` is the real package's.
 */
export function mlcStandInModule(script: StandInScript, appConfig: AppConfig = prebuiltAppConfig): { webllm: WebLLMModuleLike; log: StandInLog } {
  const log: StandInLog = { constructed: [], reloads: [], creates: [], interrupts: 0, unloads: 0, lockWaits: 0, chunks: [] };
  class MLCEngine extends MlcEngineStandIn {
    constructor(config?: MLCEngineConfig) {
      super(config, script, log);
    }
  }
  return { webllm: { MLCEngine, prebuiltAppConfig: appConfig }, log };
}
