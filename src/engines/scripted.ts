/**
 * The scripted engine: replays given text as if a model had produced it, token by token, through the
 * same prompt rendering, parser and event writer as a real engine. For app authors' tests of their
 * tool-calling code without a GPU, and for ours.
 */
import { CHATML_TOOLS_TEMPLATE, type ChatMessage, type TemplateTool } from '../prompt/chat.ts';
import { detectReasoningFormat, detectToolFormat } from '../parsers/index.ts';
import type { Engine, EngineEvent, GenerateRequest, ModelInfo, SamplingOptions } from './types.ts';

/** What the scripted model writes: one string (split into pseudo-tokens), or a list of tokens. */
export type ScriptedOutput = string | ReadonlyArray<string | Error>;

export interface ScriptedRequest {
  /** The rendered prompt, exactly as a real engine would receive it. */
  prompt: string;
  /** The conversation the prompt was rendered from, and the tools given to the template. */
  messages: ChatMessage[];
  tools: TemplateTool[];
  sampling: SamplingOptions;
  /** How many times this engine has generated before (0 for the first request). */
  turn: number;
}

export interface ScriptedEngineOptions {
  /** The model id clients send in `model` (default `"scripted"`). */
  model?: string;
  /**
   * The model's output: a string, a list of tokens (an `Error` in the list makes the engine fail at
   * that point, to test error handling), or a function of the request returning either.
   */
  output: ScriptedOutput | ((request: ScriptedRequest) => ScriptedOutput | Promise<ScriptedOutput>);
  /** Tool-call format of the scripted model (default: detected from the chat template; `"hermes"` for the default one). */
  toolFormat?: string;
  /** Reasoning format (default: `"think"` when the chat template knows `<think>`, else `"none"`). */
  reasoningFormat?: string;
  /** Split string output into pieces of this many characters instead of word-like pseudo-tokens. */
  chunkSize?: number;
  /** Chat template (default: a ChatML template with Hermes-style tools). */
  chatTemplate?: string;
  /** Wait this long before each token, to simulate a model's speed (default 0). */
  tokenDelayMs?: number;
}

/** Word-like pseudo-tokens: a word or number with its leading space, a run of punctuation, or whitespace. */
const PSEUDO_TOKEN = /\s?[\p{L}\p{M}]+|\s?\p{N}{1,3}|\s?[^\s\p{L}\p{M}\p{N}]+|\s+/gu;

/** Splits text the way a byte-pair tokenizer roughly would; joining the pieces gives the text back. */
export function pseudoTokenize(text: string): string[] {
  return text.match(PSEUDO_TOKEN) ?? [];
}

function splitFixed(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function scriptedEngine(options: ScriptedEngineOptions): Engine {
  const chatTemplate = options.chatTemplate ?? CHATML_TOOLS_TEMPLATE;
  const info: ModelInfo = {
    id: options.model ?? 'scripted',
    chatTemplate,
    eosToken: '<|im_end|>',
    toolFormat: options.toolFormat ?? detectToolFormat(chatTemplate),
    reasoningFormat: options.reasoningFormat ?? detectReasoningFormat(chatTemplate),
    created: Math.floor(Date.now() / 1000),
    ownedBy: 'web-responses',
  };
  if (options.chunkSize !== undefined && !(Number.isInteger(options.chunkSize) && options.chunkSize > 0)) {
    throw new TypeError(`scriptedEngine: chunkSize must be a positive integer, got ${options.chunkSize}`);
  }
  let turn = 0;

  const tokensOf = (output: ScriptedOutput): Array<string | Error> => {
    if (typeof output !== 'string') return [...output];
    return options.chunkSize ? splitFixed(output, options.chunkSize) : pseudoTokenize(output);
  };

  return {
    models: () => [info],
    async *generate(request: GenerateRequest): AsyncGenerator<EngineEvent> {
      const { sampling, signal } = request;
      const output =
        typeof options.output === 'function'
          ? await options.output({
              prompt: request.prompt,
              messages: request.messages ?? [],
              tools: request.tools ?? [],
              sampling,
              turn,
            })
          : options.output;
      turn++;
      const tokens = tokensOf(output);
      const inputTokens = pseudoTokenize(request.prompt).length;
      const stops = (sampling.stop ?? []).filter((s) => s.length > 0);
      let produced = 0;
      const longestStop = Math.max(0, ...stops.map((s) => s.length));
      let tail = '';
      const started = Date.now();
      let firstAt = 0;
      const finish = (reason: 'stop' | 'length' | 'abort'): EngineEvent => {
        const end = Date.now();
        const ttftMs = (firstAt || end) - started;
        return {
          type: 'finish',
          reason,
          inputTokens,
          outputTokens: produced,
          backend: 'scripted',
          timings: {
            ttftMs,
            prefillTokensPerSecond: ttftMs > 0 ? (inputTokens * 1000) / ttftMs : 0,
            decodeTokensPerSecond: produced > 1 && end > firstAt ? ((produced - 1) * 1000) / (end - firstAt) : 0,
            totalMs: end - started,
          },
        };
      };
      for (const token of tokens) {
        if (options.tokenDelayMs) await sleep(options.tokenDelayMs);
        if (signal.aborted) {
          yield finish('abort');
          return;
        }
        if (token instanceof Error) throw token;
        if (sampling.maxTokens !== null && produced >= sampling.maxTokens) {
          yield finish('length');
          return;
        }
        produced++;
        if (produced === 1) firstAt = Date.now();
        if (stops.length > 0) {
          // Stop before a stop string: emit only the text that precedes it. `tail` keeps just enough
          // earlier text for a stop string that began in an earlier token.
          const before = tail.length;
          const text = tail + token;
          let cut = -1;
          for (const s of stops) {
            const at = text.indexOf(s, Math.max(0, before - s.length + 1));
            if (at !== -1 && (cut === -1 || at < cut)) cut = at;
          }
          if (cut !== -1) {
            if (cut > before) yield { type: 'chunk', text: text.slice(before, cut) };
            yield finish('stop');
            return;
          }
          tail = text.slice(Math.max(0, text.length - longestStop + 1));
        }
        yield { type: 'chunk', text: token };
      }
      yield finish('stop');
    },
  };
}
