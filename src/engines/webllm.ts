/**
 * The WebLLM engine: an MLC-compiled model run by `@mlc-ai/web-llm` on WebGPU, driven through WebLLM's
 * RAW text-completion API with the prompt the service rendered from a Jinja chat template.
 *
 * NOTE: in this repository the adapter is only exercised against a stand-in of `MLCEngine`
 * (test/helpers/mlc-standin.ts) that reproduces the calls and chunk shapes used here, checked against
 * the package's `.d.ts` types. No MLC weights or WebGPU are available in CI; a real GPU run is needed to
 * confirm tokenization of special tokens, BOS handling, and timings.
 *
 * - `MLCEngine` is created in the CURRENT context (our own worker, or the page); WebLLM's
 *   `WebWorkerMLCEngine` wrapper is never used, since the whole service already runs in a worker.
 * - `model` is a `model_id` of WebLLM's `prebuiltAppConfig`, or of `options.appConfig.model_list`.
 * - Chat template: WebLLM models carry a `conv_template` in `mlc-chat-config.json`, not a Jinja
 *   template. Pass `chatTemplate`, or rely on the small built-in map (Qwen2/2.5/3 and Hermes-2-Pro/3:
 *   ChatML with Hermes-style `<tool_call>`; Llama 3.x: header template with JSON tool calls). Any
 *   other model fails to load with a `model_load_failed` error asking for `chatTemplate`.
 * - Load progress: WebLLM's `initProgressCallback({ progress, timeElapsed, text })` is reported as
 *   {@link WebLLMLoadProgress}: `{ status: 'loading' | 'ready', progress: 0..1, text, timeElapsedMs }`.
 *   'ready' comes exactly once, when `reload()` has resolved.
 * - The finish event carries an extra, optional `timings` property ({@link GenerationTimings}, the
 *   same shape as the transformers.js engine), from WebLLM's `usage.extra` when present.
 * - Error codes: `webgpu_unavailable` (WebGPUNotAvailableError / WebGPUNotFoundError),
 *   `unsupported_device` (ShaderF16SupportError / FeatureSupportError), `device_lost`
 *   (DeviceLostError; the engine reloads on the next request), else `model_load_failed` while loading
 *   and `generation_failed` while generating.
 * - One request at a time: requests queue. An abort (request signal, or the consumer leaving the
 *   iterator) calls `interruptGenerate()` and drains WebLLM's stream, so its per-model lock is released
 *   before the next request starts.
 */
import type {
  AppConfig,
  Completion,
  CompletionCreateParamsStreaming,
  CompletionUsage,
  InitProgressReport,
  MLCEngineConfig,
  ModelRecord,
} from '@mlc-ai/web-llm';
import { detectReasoningFormat, detectToolFormat } from '../parsers/index.ts';
import { CHATML_TOOLS_TEMPLATE } from '../prompt/chat.ts';
import {
  codedError,
  type CodedError,
  type Engine,
  type EngineEvent,
  type EngineFinish,
  type FinishReason,
  type GenerateRequest,
  type GenerationTimings,
  type LoadableEngine,
  type ModelInfo,
} from './types.ts';
import { Turns } from './turns.ts';

export type { GenerationTimings } from './types.ts';

/** The parts of an `MLCEngine` this adapter uses. */
export interface MlcEngineLike {
  reload(modelId: string): Promise<void>;
  unload(): Promise<void>;
  interruptGenerate(): Promise<void>;
  completions: {
    create(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  };
}

/** The parts of the `@mlc-ai/web-llm` module this adapter uses (inject a stand-in in tests). */
export interface WebLLMModuleLike {
  MLCEngine: new (engineConfig?: MLCEngineConfig) => MlcEngineLike;
  prebuiltAppConfig: AppConfig;
}

export interface WebLLMLoadProgress {
  /** 'loading' while WebLLM reports progress; 'ready' once, after the model is loaded. */
  status: 'loading' | 'ready';
  /** WebLLM's overall progress, 0..1. */
  progress: number;
  /** WebLLM's human-readable status line (e.g. "Fetching param cache[3/20]: 120MB fetched."). */
  text: string;
  /** Time since loading began, ms (WebLLM's `timeElapsed` is in seconds). */
  timeElapsedMs: number;
}

export interface WebLLMEngineOptions {
  /** A `model_id` from WebLLM's `prebuiltAppConfig`, or from `appConfig.model_list`. */
  model: string;
  /** Custom model records (default: WebLLM's `prebuiltAppConfig`). */
  appConfig?: AppConfig;
  onProgress?: (progress: WebLLMLoadProgress) => void;
  /** Jinja chat template for the model (default: the built-in map, see the file header). */
  chatTemplate?: string;
  /** The model's `conv_template` name (e.g. 'qwen2', 'llama-3_1', 'chatml'), to pick a built-in template. */
  convTemplate?: string;
  /** Special tokens for the template (default: from the built-in entry). */
  bosToken?: string;
  eosToken?: string;
  /** Override the detected tool-call / reasoning formats. */
  toolFormat?: string;
  reasoningFormat?: string;
  /** The WebLLM module to use (default: `import('@mlc-ai/web-llm')`). Tests inject a stand-in. */
  webllm?: WebLLMModuleLike;
  /** Extra `MLCEngine` options (log level, logit processors). */
  engineConfig?: Omit<MLCEngineConfig, 'appConfig' | 'initProgressCallback'>;
}

export interface WebLLMEngineInfo {
  loaded: boolean;
  modelId: string;
  /** Where the chat template came from: 'option' or 'builtin:<family>'. */
  templateSource?: string;
  /** From the model record, when given. */
  vramRequiredMB?: number;
  lowResourceRequired?: boolean;
  loadMs?: number;
}

export type WebLLMEngine = LoadableEngine<WebLLMEngineInfo>;


/**
 * Our own Llama 3.x template: header tokens, tools listed in the system turn with the JSON calling
 * instruction (`{"name": ..., "parameters": ...}`), tool results as `ipython` turns.
 */
export const LLAMA3_TOOLS_TEMPLATE = `
{{- bos_token }}
{%- set sys = messages[0].content if messages and messages[0].role == 'system' else '' %}
{%- if tools %}
  {{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}
  {%- if sys %}{{- sys + '\\n\\n' }}{% endif %}
  {{- 'You can call functions. To call one, reply with only a JSON object of the form {"name": function name, "parameters": dictionary of argument name and its value}. The functions:\\n' }}
  {%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{% endfor %}
  {{- '<|eot_id|>' }}
{%- elif sys %}
  {{- '<|start_header_id|>system<|end_header_id|>\\n\\n' + sys + '<|eot_id|>' }}
{%- endif %}
{%- for m in messages %}
  {%- if m.role == 'system' and loop.first %}
  {%- elif m.role == 'tool' %}
    {{- '<|start_header_id|>ipython<|end_header_id|>\\n\\n' + m.content + '<|eot_id|>' }}
  {%- elif m.role == 'assistant' %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' + m.content }}
    {%- if m.tool_calls %}
      {%- for call in m.tool_calls %}
        {%- if m.content or not loop.first %}{{- '\\n' }}{% endif %}
        {{- '{"name": "' + call.function.name + '", "parameters": ' }}
        {%- if call.function.arguments is string %}{{- call.function.arguments }}{% else %}{{- call.function.arguments | tojson }}{% endif %}
        {{- '}' }}
      {%- endfor %}
    {%- endif %}
    {{- '<|eot_id|>' }}
  {%- else %}
    {{- '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n' + m.content + '<|eot_id|>' }}
  {%- endif %}
{%- endfor %}
{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}`;

interface BuiltinTemplate {
  family: string;
  /** `conv_template` names of mlc-chat-config.json this entry serves. */
  convTemplates: string[];
  /** Model ids this entry serves. */
  idPattern: RegExp;
  template: string;
  bosToken?: string;
  eosToken?: string;
  /** Forced reasoning format (else detected from the template). */
  reasoningFormat?: string;
}

const BUILTIN_TEMPLATES: BuiltinTemplate[] = [
  {
    family: 'qwen3',
    convTemplates: ['qwen3'],
    idPattern: /^Qwen3-\d+(\.\d+)?B(-|$)/i,
    template: CHATML_TOOLS_TEMPLATE,
    eosToken: '<|im_end|>',
  },
  {
    family: 'qwen2',
    convTemplates: ['qwen2', 'chatml', 'hermes2_pro_llama3', 'hermes3_llama-3.1'],
    idPattern: /^(Qwen2(\.5)?-|Hermes-(2-Pro|2-Theta|3)-)/i,
    template: CHATML_TOOLS_TEMPLATE,
    eosToken: '<|im_end|>',
    reasoningFormat: 'none',
  },
  {
    family: 'llama3',
    convTemplates: ['llama-3', 'llama-3_1'],
    idPattern: /^Llama-3(\.\d)?-/i,
    template: LLAMA3_TOOLS_TEMPLATE,
    bosToken: '<|begin_of_text|>',
    eosToken: '<|eot_id|>',
  },
];

/** The conv_template name a record's overrides may carry (mlc-chat-config.json has `conv_template.name`). */
function recordConvTemplate(record: ModelRecord): string | undefined {
  const conv = record.overrides?.conv_template as { name?: unknown } | undefined;
  return typeof conv?.name === 'string' ? conv.name : undefined;
}

function builtinTemplate(modelId: string, convTemplate: string | undefined): BuiltinTemplate | undefined {
  // The model id is more specific (Qwen3 and Qwen2.5 share conv_template 'qwen2'); conv_template is the fallback.
  const byId = BUILTIN_TEMPLATES.find((t) => t.idPattern.test(modelId));
  if (byId !== undefined || convTemplate === undefined) return byId;
  return BUILTIN_TEMPLATES.find((t) => t.convTemplates.includes(convTemplate));
}

/** Maps a WebLLM error (by class name, then message) to our error codes. */
export function webllmErrorCode(err: unknown, fallback: string): string {
  const e = err as { name?: unknown; message?: unknown; constructor?: { name?: unknown } } | null;
  const names = [e?.name, e?.constructor?.name].filter((n): n is string => typeof n === 'string');
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const is = (...candidates: string[]) => names.some((n) => candidates.includes(n));
  if (is('WebGPUNotAvailableError', 'WebGPUNotFoundError') || /WebGPU is not supported|Cannot find WebGPU/i.test(message)) {
    return 'webgpu_unavailable';
  }
  if (is('ShaderF16SupportError', 'FeatureSupportError') || /shader-f16|requires feature/i.test(message)) {
    return 'unsupported_device';
  }
  if (is('DeviceLostError') || /device was lost/i.test(message)) return 'device_lost';
  return fallback;
}

function mapError(err: unknown, fallback: string, context: string): CodedError {
  const code = webllmErrorCode(err, fallback);
  const message = (err as Error)?.message ?? String(err);
  return codedError(code, `${context}: ${message}`, err);
}

function timingsFrom(usage: CompletionUsage | undefined, started: number, firstAt: number, end: number, inputTokens: number, outputTokens: number): GenerationTimings {
  const x = usage?.extra;
  if (x && typeof x.time_to_first_token_s === 'number') {
    return {
      ttftMs: x.time_to_first_token_s * 1000,
      prefillTokensPerSecond: x.prefill_tokens_per_s ?? 0,
      decodeTokensPerSecond: x.decode_tokens_per_s ?? 0,
      totalMs: typeof x.e2e_latency_s === 'number' ? x.e2e_latency_s * 1000 : end - started,
    };
  }
  const ttft = (firstAt || end) - started;
  return {
    ttftMs: ttft,
    prefillTokensPerSecond: ttft > 0 ? (inputTokens * 1000) / ttft : 0,
    decodeTokensPerSecond: outputTokens > 1 && end > firstAt && firstAt ? ((outputTokens - 1) * 1000) / (end - firstAt) : 0,
    totalMs: end - started,
  };
}

export function webllmEngine(options: WebLLMEngineOptions): WebLLMEngine {
  const info: WebLLMEngineInfo = { loaded: false, modelId: options.model };
  let engine: MlcEngineLike | null = null;
  let modelInfo: ModelInfo | null = null;
  let loading: Promise<void> | null = null;
  /** Serializes generate() calls: WebLLM runs one generation per model at a time. */
  const turns = new Turns();

  const report = (p: WebLLMLoadProgress) => {
    try {
      options.onProgress?.(p);
    } catch {
      // A failing progress listener must not break loading.
    }
  };

  function resolveTemplate(record: ModelRecord): Omit<ModelInfo, 'id' | 'created' | 'ownedBy'> & { source: string } {
    const convTemplate = options.convTemplate ?? recordConvTemplate(record);
    const builtin = builtinTemplate(options.model, convTemplate);
    const template = options.chatTemplate ?? builtin?.template;
    if (template === undefined) {
      throw codedError(
        'model_load_failed',
        `No chat template is known for WebLLM model "${options.model}"${convTemplate ? ` (conv_template "${convTemplate}")` : ''}. ` +
          `WebLLM models carry a conv_template, not a Jinja template: pass options.chatTemplate (the model's Jinja chat template from its tokenizer_config.json).`,
      );
    }
    return {
      chatTemplate: template,
      bosToken: options.bosToken ?? builtin?.bosToken,
      eosToken: options.eosToken ?? builtin?.eosToken,
      toolFormat: options.toolFormat ?? detectToolFormat(template),
      reasoningFormat:
        options.reasoningFormat ?? (options.chatTemplate === undefined ? builtin?.reasoningFormat : undefined) ?? detectReasoningFormat(template),
      source: options.chatTemplate !== undefined ? 'option' : `builtin:${builtin!.family}`,
    };
  }

  async function doLoad(): Promise<void> {
    const started = Date.now();
    let mod: WebLLMModuleLike;
    try {
      mod = options.webllm ?? (await import('@mlc-ai/web-llm'));
    } catch (err) {
      throw codedError('model_load_failed', `Could not load @mlc-ai/web-llm: ${(err as Error)?.message ?? String(err)}`, err);
    }
    const appConfig = options.appConfig ?? mod.prebuiltAppConfig;
    const record = appConfig.model_list.find((r) => r.model_id === options.model);
    if (record === undefined) {
      throw codedError(
        'model_load_failed',
        `WebLLM model "${options.model}" is not in ${options.appConfig ? 'options.appConfig' : "WebLLM's prebuiltAppConfig"}; pass a model_id from its model_list, or an appConfig with a record for it.`,
      );
    }
    // Resolve the template before reload(), so a missing template fails before gigabytes are fetched.
    const { source, ...templateInfo } = resolveTemplate(record);

    const initProgressCallback = (p: InitProgressReport) => {
      report({ status: 'loading', progress: p.progress, text: p.text, timeElapsedMs: p.timeElapsed * 1000 });
    };
    let eng: MlcEngineLike | null = null;
    try {
      eng = new mod.MLCEngine({ ...options.engineConfig, appConfig, initProgressCallback });
      await eng.reload(options.model);
    } catch (err) {
      await eng?.unload().catch(() => undefined);
      throw mapError(err, 'model_load_failed', `WebLLM could not load "${options.model}"`);
    }
    engine = eng;
    modelInfo = {
      id: options.model,
      ...templateInfo,
      created: Math.floor(Date.now() / 1000),
      ownedBy: 'web-responses',
    };
    info.templateSource = source;
    if (record.vram_required_MB !== undefined) info.vramRequiredMB = record.vram_required_MB;
    if (record.low_resource_required !== undefined) info.lowResourceRequired = record.low_resource_required;
    info.loadMs = Date.now() - started;
    info.loaded = true;
    report({ status: 'ready', progress: 1, text: `Loaded ${options.model}`, timeElapsedMs: info.loadMs });
  }

  async function load(): Promise<void> {
    if (info.loaded) return;
    loading ??= doLoad().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function unload(): Promise<void> {
    await turns.idle();
    await loading?.catch(() => undefined);
    const eng = engine;
    engine = null;
    modelInfo = null;
    info.loaded = false;
    await eng?.unload();
  }

  /** After a lost device the engine is unusable: drop it, keep the model listed, reload on the next request. */
  async function dropEngine(): Promise<void> {
    const eng = engine;
    engine = null;
    info.loaded = false;
    await eng?.unload().catch(() => undefined);
  }

  async function* run(request: GenerateRequest): AsyncGenerator<EngineEvent> {
    const eng = engine!;
    const { sampling, signal } = request;
    const started = performance.now();
    const finish = (reason: FinishReason, inputTokens: number, outputTokens: number, timings?: GenerationTimings): EngineFinish => ({
      type: 'finish',
      reason,
      inputTokens,
      outputTokens,
      ...(timings ? { timings } : {}),
      backend: 'webgpu', // WebLLM runs on WebGPU only
    });
    if (signal.aborted) {
      yield finish('abort', 0, 0);
      return;
    }
    if (sampling.maxTokens === 0) {
      yield finish('length', 0, 0);
      return;
    }
    const params: CompletionCreateParamsStreaming = {
      prompt: request.prompt,
      stream: true,
      temperature: sampling.temperature,
      top_p: sampling.topP,
      stream_options: { include_usage: true },
    };
    if (sampling.maxTokens !== null) params.max_tokens = sampling.maxTokens;
    const stops = (sampling.stop ?? []).filter((s) => s.length > 0);
    if (stops.length) params.stop = stops;

    const failed = async (err: unknown): Promise<CodedError> => {
      const mapped = mapError(err, 'generation_failed', 'Generation failed');
      if (mapped.code === 'device_lost') await dropEngine();
      return mapped;
    };

    let stream: AsyncIterable<Completion>;
    try {
      stream = await eng.completions.create(params);
    } catch (err) {
      throw await failed(err);
    }
    const it = stream[Symbol.asyncIterator]();
    // WebLLM clears its interrupt flag when a generation starts (inside the stream's first next()), so
    // an interrupt sent before the first chunk may be lost: it is sent again at the first chunk.
    let received = 0;
    let interruptSentAt: number | null = null;
    const interrupt = () => {
      if (interruptSentAt !== null && (interruptSentAt > 0 || received === 0)) return;
      interruptSentAt = received;
      eng.interruptGenerate().catch(() => undefined);
    };
    signal.addEventListener('abort', interrupt);
    if (signal.aborted) interrupt();

    let ended = false;
    let reason: string | null = null;
    let usage: CompletionUsage | undefined;
    let deltas = 0;
    let firstAt = 0;
    try {
      while (true) {
        let step: IteratorResult<Completion>;
        try {
          step = await it.next();
        } catch (err) {
          ended = true;
          throw await failed(err);
        }
        if (step.done) {
          ended = true;
          break;
        }
        const chunk = step.value;
        received++;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (choice?.finish_reason) reason = choice.finish_reason;
        // After an abort keep draining WebLLM's stream (so its lock is released), but emit nothing.
        if (signal.aborted) {
          interrupt();
          continue;
        }
        if (choice && choice.text !== '') {
          deltas++;
          if (!firstAt) firstAt = performance.now();
          yield { type: 'chunk', text: choice.text };
        }
      }
    } finally {
      signal.removeEventListener('abort', interrupt);
      if (!ended) {
        // The consumer left mid-stream: stop WebLLM and drain, so the next request is not locked out.
        interrupt();
        try {
          while (!(await it.next()).done);
        } catch {
          // The generation is being abandoned; its error is of no interest.
        }
      }
    }
    const end = performance.now();
    const inputTokens = usage?.prompt_tokens ?? 0;
    const outputTokens = usage?.completion_tokens ?? deltas;
    let finishReason: FinishReason;
    if (signal.aborted || interruptSentAt !== null || reason === 'abort') finishReason = 'abort';
    else if (reason === 'length') finishReason = 'length';
    else finishReason = 'stop';
    yield finish(finishReason, inputTokens, outputTokens, timingsFrom(usage, started, firstAt, end, inputTokens, outputTokens));
  }

  return {
    get info() {
      return info;
    },
    load,
    unload,
    models: () => (modelInfo ? [modelInfo] : []),
    async *generate(request: GenerateRequest): AsyncGenerator<EngineEvent> {
      const release = await turns.take(request.signal);
      if (release === null) {
        yield { type: 'finish', reason: 'abort', inputTokens: 0, outputTokens: 0 };
        return;
      }
      try {
        await load();
        yield* run(request);
      } finally {
        release();
      }
    },
  };
}
