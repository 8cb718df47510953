/**
 * The transformers.js engine: a causal LM loaded with `@huggingface/transformers` (ONNX Runtime Web on
 * WebGPU or WASM in the browser, onnxruntime-node in Node), streamed token by token.
 *
 * - `model` is a hub id (`onnx-community/Qwen3-0.6B-ONNX`) or the URL/path of a folder the app serves
 *   (`/models/stories260K`, `https://example.com/models/x`, or a filesystem path in Node). For a folder,
 *   remote (hub) models are disabled so nothing is fetched from any other origin.
 * - The finish event carries an extra, optional `timings` property ({@link GenerationTimings}); it is
 *   not part of `EngineFinish` in types.ts, so consumers read it with a cast.
 *
 * Note: transformers.js keeps its settings in a global `env`; this engine sets `allowRemoteModels`,
 * `allowLocalModels`, `localModelPath` and `backends.onnx.wasm.wasmPaths` there when it loads.
 */
import { detectReasoningFormat, detectToolFormat } from '../parsers/index.ts';
import { chooseDtype, probeDevice, type DeviceReport, type DtypeName } from './device.ts';
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

type TransformersModule = typeof import('@huggingface/transformers');

export type TransformersDevice = 'auto' | 'webgpu' | 'wasm' | 'cpu' | (string & {});

export interface LoadProgress {
  /** transformers.js status: 'initiate' | 'download' | 'progress' | 'done'. */
  status: string;
  file: string;
  loaded: number;
  total: number;
  /** Sum over every file seen so far (tokenizer and model). */
  overall: { loaded: number; total: number };
}

export type { GenerationTimings } from './types.ts';

export interface TransformersEngineOptions {
  /** Hub id, or URL / path of a model folder the app serves. */
  model: string;
  /** Id reported in `models()` (default: the folder name or hub id). */
  id?: string;
  /** 'auto' (default in browsers): WebGPU when an adapter is found, else WASM. In Node the default is onnxruntime-node's CPU. */
  device?: TransformersDevice;
  /** Model variant (fp32, fp16, q8, q4, q4f16). Default: the model's config / transformers.js default. */
  dtype?: DtypeName;
  /** Variants the model folder has, so an f16 dtype on a GPU without shader-f16 can fall back. */
  availableDtypes?: string[];
  /** Where the app serves ONNX Runtime Web's .wasm/.mjs files (e.g. '/ort/'), instead of a CDN. */
  wasmPaths?: string | Record<string, string>;
  onProgress?: (progress: LoadProgress) => void;
  /** The transformers.js module to use (default: `import('@huggingface/transformers')`). */
  transformers?: TransformersModule;
  /** Override the detected tool-call / reasoning formats. */
  toolFormat?: string;
  reasoningFormat?: string;
  /** Override the chat template from tokenizer_config.json. */
  chatTemplate?: string;
  /** Context length (default: config.max_position_embeddings, else tokenizer model_max_length, else 2048). */
  contextLength?: number;
  /**
   * Longest time (ms) a generation runs before the worker reads its messages, so an abort waits at
   * most this plus one model step (default 50; 0 yields before every step).
   */
  yieldIntervalMs?: number;
  /** WebGPU probe for device 'auto' (tests inject a fake). */
  probe?: () => Promise<DeviceReport>;
}

export interface TransformersEngineInfo {
  loaded: boolean;
  device?: string;
  dtype?: string;
  deviceReport?: DeviceReport;
  contextLength?: number;
  loadMs?: number;
  /** How the last generation ended (for status pages: an aborted request shows how far it got). */
  lastFinish?: {
    reason: FinishReason;
    outputTokens: number;
    /** For an abort: tokens the model still produced after the abort reached this worker. */
    tokensAfterAbort?: number;
  };
}

export type TransformersEngine = LoadableEngine<TransformersEngineInfo>;


// Minimal structural views of the transformers.js objects we use.
interface TokenizerLike {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  chat_template?: string | null | Record<string, string>;
  bos_token?: string | null;
  eos_token?: string | null;
  bos_token_id?: number | null;
  eos_token_id?: number | null;
  pad_token_id?: number | null;
  model_max_length?: number;
}
interface ModelLike {
  generate(options: Record<string, unknown>): Promise<unknown>;
  forward?(inputs: unknown): Promise<unknown>;
  dispose?(): Promise<unknown>;
  config?: { max_position_embeddings?: number };
  generation_config?: { eos_token_id?: number | number[] | null; bos_token_id?: number | null; pad_token_id?: number | null };
}

/** One channel for every `nextTask()`: a new MessageChannel per model step was garbage per token. */
let taskChannel: MessageChannel | null = null;
const taskWaiters: Array<() => void> = [];
/** Node's ports keep the process alive while referenced: only while a step waits (no-ops in browsers). */
type NodePort = MessagePort & { ref?: () => void; unref?: () => void };

/** Resolves in a new task (a MessageChannel round trip: no timer clamping), letting queued messages run. */
function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  if (taskChannel === null) {
    const channel = new MessageChannel();
    const port1 = channel.port1 as NodePort;
    port1.onmessage = () => {
      taskWaiters.shift()?.();
      if (taskWaiters.length === 0) port1.unref?.();
    };
    taskChannel = channel;
  }
  (taskChannel.port1 as NodePort).ref?.();
  const port = taskChannel.port2;
  return new Promise((resolve) => {
    taskWaiters.push(resolve);
    port.postMessage(null);
  });
}

/** Default for `yieldIntervalMs`: how long a generation may run before the worker reads its messages. */
export const YIELD_INTERVAL_MS = 50;

/**
 * On the WASM backend a model step resolves through microtasks only, so a whole generation can run
 * without the worker ever reading its messages — an abort from the page would wait for the end.
 * Wraps `model.forward` so that, before a step, once `intervalMs` have passed since the last yield, it
 * yields one task, which lets the abort in: it waits at most `intervalMs` plus one step. Returns
 * `restart`, which makes the next step yield (the engine calls it as a generation starts, so a message
 * already waiting gets in before the prompt is processed).
 * Not before every step: each turn of the event loop also lets V8 run its pending collector tasks, and
 * yielding before every step cost about 3% of decode speed on the 30M bench model (BENCHMARKS.md,
 * session 10); a model slower than `intervalMs` per step still yields before every one.
 */
export function yieldingSteps(
  model: { forward?(inputs: unknown): Promise<unknown> },
  intervalMs = YIELD_INTERVAL_MS,
  now: () => number = () => performance.now(),
  yieldTask: () => Promise<void> = nextTask,
): () => void {
  let last = -Infinity;
  const forward = model.forward?.bind(model);
  if (forward) {
    model.forward = async (inputs: unknown) => {
      if (now() - last >= intervalMs) {
        await yieldTask();
        last = now();
      }
      return forward(inputs);
    };
  }
  return () => {
    last = -Infinity;
  };
}

const isLocalFolder = (model: string) => /^(\/|\.{1,2}\/|https?:\/\/|file:\/\/)/.test(model);

function splitFolder(model: string): { parent: string; name: string } {
  const trimmed = model.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return { parent: trimmed.slice(0, cut + 1), name: trimmed.slice(cut + 1) };
}

const isBrowser = () => typeof (globalThis as { window?: unknown; WorkerGlobalScope?: unknown }).window !== 'undefined' ||
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** A queue bridging generate()'s callbacks to an async iterator: push() wakes the waiting consumer. */
class EventQueue<T> {
  private items: T[] = [];
  private wake: (() => void) | null = null;
  push(item: T): void {
    this.items.push(item);
    this.notify();
  }
  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  shift(): T | undefined {
    return this.items.shift();
  }
  get size(): number {
    return this.items.length;
  }
  /** Resolves on the next push()/notify(). */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }
}

/**
 * Incremental detokenizer: decodes new ids in the context of a few preceding ids (so SentencePiece's
 * leading-space handling is right) and holds tokens back while they end in an incomplete UTF-8
 * sequence (byte-fallback tokens), so multi-byte characters come out whole.
 */
export class IncrementalDecoder {
  private anchor: number[];
  private pending: number[] = [];
  constructor(
    private readonly decode: (ids: number[]) => string,
    context: number[] = [],
    private readonly contextSize = 4,
  ) {
    this.anchor = context.slice(-contextSize);
  }
  /** Adds ids; returns the text that is complete now ('' while holding bytes). */
  push(ids: number[], final = false): string {
    this.pending.push(...ids);
    if (this.pending.length === 0) return '';
    const prefix = this.anchor.length ? this.decode(this.anchor) : '';
    const full = this.decode([...this.anchor, ...this.pending]);
    if (!final && full.endsWith('\uFFFD') && this.pending.length < 8) return '';
    const text = full.startsWith(prefix) ? full.slice(prefix.length) : this.decode(this.pending);
    this.anchor = [...this.anchor, ...this.pending].slice(-this.contextSize);
    this.pending = [];
    return text;
  }
  flush(): string {
    return this.push([], true);
  }
}

/** Longest suffix of `text` that is a proper prefix of some stop string (held back until resolved). */
function partialStopLength(text: string, stops: string[]): number {
  let best = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
      if (text.endsWith(s.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}

export function transformersEngine(options: TransformersEngineOptions): TransformersEngine {
  const local = isLocalFolder(options.model);
  const folder = local ? splitFolder(options.model) : null;
  const modelId = options.id ?? (folder ? folder.name : options.model);
  const info: TransformersEngineInfo = { loaded: false };

  let tf: TransformersModule | null = null;
  let tokenizer: TokenizerLike | null = null;
  let model: ModelLike | null = null;
  /** Makes the model's next step yield to the worker's messages (see `yieldingSteps`). */
  let restartSteps = () => {};
  let modelInfo: ModelInfo | null = null;
  let eosIds = new Set<number>();
  let hiddenIds = new Set<number>();
  let contextLength = 2048;
  let loading: Promise<void> | null = null;
  /** Serializes generate() calls: one model, one generation at a time. */
  const turns = new Turns();

  const progressFiles = new Map<string, { loaded: number; total: number }>();
  const progressCallback = (p: Record<string, unknown>) => {
    if (!options.onProgress) return;
    if (p.status === 'progress_total' || p.status === 'ready' || typeof p.file !== 'string') return;
    const file = p.file;
    const prev = progressFiles.get(file) ?? { loaded: 0, total: 0 };
    const loaded = typeof p.loaded === 'number' ? p.loaded : p.status === 'done' ? prev.total : prev.loaded;
    const total = typeof p.total === 'number' ? p.total : prev.total;
    const cur = { loaded, total };
    progressFiles.set(file, cur);
    let ol = 0;
    let ot = 0;
    for (const f of progressFiles.values()) {
      ol += f.loaded;
      ot += f.total;
    }
    try {
      options.onProgress({ status: String(p.status), file, loaded, total, overall: { loaded: ol, total: ot } });
    } catch {
      // A failing progress listener must not break loading.
    }
  };

  async function resolveDevice(): Promise<{ device?: string; dtype?: string }> {
    let device = options.device ?? (isBrowser() ? 'auto' : undefined);
    let dtype: string | undefined = options.dtype;
    if (device === 'auto' || device === 'webgpu') {
      const report = await (options.probe ?? (() => probeDevice()))();
      info.deviceReport = report;
      if (device === 'auto') device = report.backend;
      else if (report.backend !== 'webgpu') {
        throw codedError('unsupported_device', `device "webgpu" was requested but ${report.reason}`);
      }
      if (dtype) dtype = chooseDtype(dtype, report, options.availableDtypes ?? [dtype]);
    }
    return { device, dtype };
  }

  async function doLoad(): Promise<void> {
    const started = Date.now();
    try {
      tf = options.transformers ?? (await import('@huggingface/transformers'));
    } catch (err) {
      throw codedError('model_load_failed', `Could not load @huggingface/transformers: ${(err as Error).message}`, err);
    }
    const { env } = tf;
    if (options.wasmPaths !== undefined && env.backends?.onnx?.wasm) {
      (env.backends.onnx.wasm as { wasmPaths?: unknown }).wasmPaths = options.wasmPaths;
    }
    let name = options.model;
    if (folder) {
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = folder.parent;
      name = folder.name;
    }
    const { device, dtype } = await resolveDevice();
    info.device = device ?? 'default';
    info.dtype = dtype ?? 'default';
    const common: Record<string, unknown> = { progress_callback: progressCallback };
    if (folder) common.local_files_only = true;
    try {
      const tok = (await tf.AutoTokenizer.from_pretrained(name, common as never)) as unknown as TokenizerLike;
      const modelOpts: Record<string, unknown> = { ...common };
      if (device) modelOpts.device = device;
      if (dtype) modelOpts.dtype = dtype;
      const mdl = (await tf.AutoModelForCausalLM.from_pretrained(name, modelOpts as never)) as unknown as ModelLike;
      tokenizer = tok;
      restartSteps = yieldingSteps(mdl, options.yieldIntervalMs);
      model = mdl;
    } catch (err) {
      throw codedError(
        'model_load_failed',
        `Could not load model "${options.model}"${device ? ` on ${device}` : ''}: ${(err as Error)?.message ?? String(err)}`,
        err,
      );
    }
    const tok = tokenizer!;
    let template = options.chatTemplate ?? tok.chat_template;
    if (template && typeof template === 'object') template = template.default ?? Object.values(template)[0];
    if (typeof template !== 'string' || template === '') {
      throw codedError('model_load_failed', `Model "${options.model}" has no chat_template in tokenizer_config.json; pass options.chatTemplate.`);
    }
    const gen = model!.generation_config ?? {};
    const eos = gen.eos_token_id ?? tok.eos_token_id;
    eosIds = new Set((Array.isArray(eos) ? eos : eos != null ? [eos] : []).map(Number));
    hiddenIds = new Set(eosIds);
    for (const id of [tok.bos_token_id, tok.pad_token_id, gen.bos_token_id]) if (id != null) hiddenIds.add(Number(id));
    contextLength =
      options.contextLength ??
      model!.config?.max_position_embeddings ??
      (tok.model_max_length && tok.model_max_length < 1e7 ? tok.model_max_length : 2048);
    modelInfo = {
      id: modelId,
      chatTemplate: template,
      bosToken: tok.bos_token ?? undefined,
      eosToken: tok.eos_token ?? undefined,
      toolFormat: options.toolFormat ?? detectToolFormat(template),
      reasoningFormat: options.reasoningFormat ?? detectReasoningFormat(template),
      created: Math.floor(Date.now() / 1000),
      ownedBy: 'web-responses',
    };
    info.contextLength = contextLength;
    info.loadMs = Date.now() - started;
    info.loaded = true;
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
    const m = model;
    model = null;
    tokenizer = null;
    modelInfo = null;
    info.loaded = false;
    await m?.dispose?.();
  }

  function tokenize(prompt: string): number[] {
    const tok = tokenizer!;
    // The chat template usually renders BOS itself; don't let the tokenizer add a second one.
    const bos = tok.bos_token;
    const templateAddedBos = Boolean(bos) && prompt.startsWith(bos!);
    return tok.encode(prompt, { add_special_tokens: !templateAddedBos });
  }

  async function* run(request: GenerateRequest): AsyncGenerator<EngineEvent> {
    const T = tf!;
    const tok = tokenizer!;
    const mdl = model!;
    const { sampling, signal } = request;
    const started = performance.now();
    const inputIds = tokenize(request.prompt);
    const inputTokens = inputIds.length;
    const room = contextLength - inputTokens;
    if (room <= 0) {
      throw codedError(
        'context_length_exceeded',
        `The prompt is ${inputTokens} tokens, but the model's context is ${contextLength} tokens. Shorten the conversation.`,
      );
    }
    const maxNew = sampling.maxTokens === null ? room : Math.max(0, Math.min(sampling.maxTokens, room));
    const finish = (reason: FinishReason, outputTokens: number, timings?: GenerationTimings): EngineFinish => ({
      type: 'finish',
      reason,
      inputTokens,
      outputTokens,
      ...(timings ? { timings } : {}),
      backend: info.device ?? undefined,
    });
    if (signal.aborted) {
      yield finish('abort', 0);
      return;
    }
    if (maxNew === 0) {
      yield finish('length', 0);
      return;
    }

    const stops = (sampling.stop ?? []).filter((s) => s.length > 0);
    const queue = new EventQueue<{ text: string; ids: number[] }>();
    const decoder = new IncrementalDecoder(
      (ids) => tok.decode(ids.filter((id) => !hiddenIds.has(id)), { skip_special_tokens: false }),
      inputIds.filter((id) => !hiddenIds.has(id)),
    );
    let produced = 0;
    let sawEos = false;
    /** Generation must end at the next token (stop string, abort, or the consumer went away). */
    let stopHit = false;
    let stopStringHit = false;
    let firstAt = 0;
    let lastAt = 0;
    let promptSeen = false;
    // Decoded text not emitted yet: what the last token added, plus a held-back suffix that may still
    // become a stop string (so never more than a stop string's length of older text). Only this is
    // searched and sliced: keeping the whole output in one growing string made every token flatten and
    // copy all of it (32k tokens: about 4 s of copying in Node; BENCHMARKS.md, session 7).
    let pending = '';
    let heldIds: number[] = [];

    const emit = (final: boolean) => {
      let upto = pending.length;
      if (stops.length) {
        // Emitted text never ends in a stop string's prefix (it is held back here), so a stop string
        // can only begin in `pending`.
        let cut = -1;
        for (const s of stops) {
          const at = pending.indexOf(s);
          if (at !== -1 && (cut === -1 || at < cut)) cut = at;
        }
        if (cut !== -1) {
          stopHit = true;
          stopStringHit = true;
          upto = cut;
        } else if (!final) {
          upto = pending.length - partialStopLength(pending, stops);
        }
      }
      if (upto > 0 || (final && heldIds.length)) {
        queue.push({ text: pending.slice(0, upto), ids: heldIds });
        heldIds = [];
        pending = pending.slice(upto);
      }
    };

    const streamer = Object.assign(new T.BaseStreamer(), {
      put(value: bigint[][]) {
        if (!promptSeen) {
          promptSeen = true; // generate() first puts the prompt.
          return;
        }
        if (stopHit) return;
        const id = Number(value[0][0]);
        produced++;
        lastAt = performance.now();
        if (produced === 1) firstAt = lastAt;
        if (eosIds.has(id)) {
          sawEos = true;
          pending += decoder.flush();
          emit(true);
          return;
        }
        heldIds.push(id);
        pending += decoder.push([id]);
        emit(false);
      },
      end() {
        if (!sawEos && !stopHit) {
          pending += decoder.flush();
          emit(true);
        }
        queue.notify();
      },
    });

    class StopCriteria extends T.StoppingCriteria {
      override _call(ids: number[][]): boolean[] {
        const done = signal.aborted || stopHit;
        return ids.map(() => done);
      }
    }

    const genOptions: Record<string, unknown> = {
      inputs: new T.Tensor('int64', BigInt64Array.from(inputIds.map(BigInt)), [1, inputIds.length]),
      attention_mask: new T.Tensor('int64', new BigInt64Array(inputIds.length).fill(1n), [1, inputIds.length]),
      max_new_tokens: maxNew,
      streamer,
      stopping_criteria: [new StopCriteria()],
    };
    if (sampling.temperature > 0) {
      genOptions.do_sample = true;
      genOptions.temperature = sampling.temperature;
      genOptions.top_p = sampling.topP;
    } else {
      genOptions.do_sample = false;
    }

    let done = false;
    let failure: unknown = null;
    let producedAtAbort: number | null = null;
    const onAbort = () => {
      producedAtAbort = produced;
      queue.notify();
    };
    signal.addEventListener('abort', onAbort);
    restartSteps();
    const generation = mdl
      .generate(genOptions)
      .catch((err: unknown) => {
        failure = err;
      })
      .finally(() => {
        done = true;
        queue.notify();
      });

    try {
      while (true) {
        if (signal.aborted) break;
        const item = queue.shift();
        if (item) {
          if (item.text !== '' || item.ids.length) yield { type: 'chunk', text: item.text, tokenIds: item.ids };
          continue;
        }
        if (done) break;
        await queue.wait();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Aborted or the consumer stopped iterating: stop the model at its next token, and wait so the
      // engine is free for the next request.
      stopHit = true;
      await generation;
      if (signal.aborted || !done) {
        info.lastFinish = { reason: 'abort', outputTokens: produced, tokensAfterAbort: produced - (producedAtAbort ?? produced) };
      }
    }
    if (failure) {
      const msg = (failure as Error)?.message ?? String(failure);
      throw codedError('generation_failed', `Generation failed: ${msg}`, failure);
    }
    const end = performance.now();
    const ttft = firstAt ? firstAt - started : end - started;
    const timings: GenerationTimings = {
      ttftMs: ttft,
      prefillTokensPerSecond: ttft > 0 ? (inputTokens * 1000) / ttft : 0,
      decodeTokensPerSecond: produced > 1 && lastAt > firstAt ? ((produced - 1) * 1000) / (lastAt - firstAt) : 0,
      totalMs: end - started,
    };
    let reason: FinishReason;
    if (signal.aborted) reason = 'abort';
    else if (sawEos || stopStringHit) reason = 'stop';
    else if (produced >= maxNew) reason = 'length';
    else reason = 'stop';
    info.lastFinish = { reason, outputTokens: produced };
    if (reason === 'abort') info.lastFinish.tokensAfterAbort = produced - (producedAtAbort ?? produced);
    yield finish(reason, produced, timings);
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
