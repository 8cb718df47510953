/**
 * The demo's conversation and tool loop, written the way any app would: the official `openai` SDK
 * streams a response from `/v1/responses`; when the model calls a tool, the page runs it, sends the
 * `function_call_output` and streams the next response, until the model answers in text.
 *
 * No DOM here (the page renders through `TurnView`), so the same loop runs in Node tests with the
 * scripted engine, and the e2e fixture builder renders the exact prompts the page will send.
 */
import type OpenAI from 'openai';
import type { ResponseInputItem, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { DEMO_TOOLS, runTool, type DemoFunctionTool } from '../tools/index.ts';

export const INSTRUCTIONS =
  'You are a helpful assistant running entirely in the user\'s browser. Use the tools for arithmetic, ' +
  'the current time and unit conversions; answer briefly.';

/** What a response cost: measured in the page, plus the engine's own report when the server sends it. */
export interface TurnStats {
  /** Request sent → first streamed token (text, reasoning or call arguments), ms. */
  ttftMs: number | null;
  outputTokens: number;
  /** Decode speed: the engine's figure when reported, else output tokens over the streaming time. */
  tokensPerSecond: number | null;
  /** 'webgpu', 'wasm', … when the server reports it. */
  backend: string | null;
  status: string;
}

export type DeltaKind = 'text' | 'reasoning' | 'arguments';

/** How the page shows a turn. `key` identifies an output item: `${round}:${output_index}`. */
export interface TurnView {
  itemAdded(key: string, item: ResponseOutputItem): void;
  delta(key: string, kind: DeltaKind, delta: string): void;
  itemDone(key: string, item: ResponseOutputItem): void;
  toolResult(key: string, call: { name: string; arguments: string }, result: { output: string; ok: boolean }): void;
  responseDone(round: number, stats: TurnStats): void;
}

export interface ConversationOptions {
  tools?: DemoFunctionTool[];
  instructions?: string;
  /** Tool rounds per user message before the loop gives up (default 5). */
  maxToolRounds?: number;
  maxOutputTokens?: number;
  /** Sampling temperature (default: the server's, 1). */
  temperature?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface SendOptions {
  model: string;
  signal?: AbortSignal;
  view?: Partial<TurnView>;
  /** Offer the tools (default true; models without a tool format simply answer in text). */
  useTools?: boolean;
}

export interface TurnResult {
  /** 'completed' | 'incomplete' | 'failed' | 'aborted' | 'tool_limit'. */
  status: string;
  /** The final answer's text (empty when the turn ended without one). */
  text: string;
  rounds: number;
}

interface ServerTimings {
  backend?: string | null;
  decode_tokens_per_second?: number;
}

/** One chat: the input items sent so far (user messages, model output, tool outputs). */
export class Conversation {
  readonly history: ResponseInputItem[] = [];
  private readonly tools: DemoFunctionTool[];
  private readonly now: () => number;

  constructor(
    private readonly client: OpenAI,
    private readonly options: ConversationOptions = {},
  ) {
    this.tools = options.tools ?? DEMO_TOOLS;
    this.now = options.now ?? (() => performance.now());
  }

  clear(): void {
    this.history.length = 0;
  }

  /** Sends a user message and runs the tool loop until the model answers in text. */
  async send(text: string, opts: SendOptions): Promise<TurnResult> {
    this.history.push({ role: 'user', content: text });
    const maxRounds = this.options.maxToolRounds ?? 5;
    for (let round = 0; ; round++) {
      const { response, aborted } = await this.stream(round, opts);
      if (aborted || !response) return { status: 'aborted', text: '', rounds: round + 1 };
      // Keep what the model said (reasoning, text, calls), so the next request carries the whole turn.
      for (const item of response.output) this.history.push(item as ResponseInputItem);
      const calls = response.output.filter((o): o is Extract<ResponseOutputItem, { type: 'function_call' }> => o.type === 'function_call');
      if (response.status !== 'completed' || calls.length === 0) {
        return { status: response.status ?? 'completed', text: response.output_text ?? '', rounds: round + 1 };
      }
      for (const call of calls) {
        const result = runTool(call.name, call.arguments);
        opts.view?.toolResult?.(`${round}:${response.output.indexOf(call)}`, call, result);
        this.history.push({ type: 'function_call_output', call_id: call.call_id, output: result.output });
      }
      if (round + 1 >= maxRounds) return { status: 'tool_limit', text: '', rounds: round + 1 };
    }
  }

  /** One response, streamed into the view. */
  private async stream(round: number, opts: SendOptions): Promise<{ response: OpenAI.Responses.Response | null; aborted: boolean }> {
    const view = opts.view ?? {};
    const started = this.now();
    let firstToken: number | null = null;
    const stream = this.client.responses.stream(
      {
        model: opts.model,
        instructions: this.options.instructions ?? INSTRUCTIONS,
        input: this.history,
        ...(opts.useTools === false ? {} : { tools: this.tools }),
        ...(this.options.maxOutputTokens ? { max_output_tokens: this.options.maxOutputTokens } : {}),
        ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      },
      { signal: opts.signal },
    );
    const key = (ev: { output_index: number }) => `${round}:${ev.output_index}`;
    const token = () => (firstToken ??= this.now());
    try {
      for await (const ev of stream as AsyncIterable<ResponseStreamEvent>) {
        switch (ev.type) {
          case 'response.output_item.added':
            view.itemAdded?.(key(ev), ev.item);
            break;
          case 'response.output_text.delta':
            token();
            view.delta?.(key(ev), 'text', ev.delta);
            break;
          case 'response.reasoning_text.delta':
            token();
            view.delta?.(key(ev), 'reasoning', ev.delta);
            break;
          case 'response.function_call_arguments.delta':
            token();
            view.delta?.(key(ev), 'arguments', ev.delta);
            break;
          case 'response.output_item.done':
            view.itemDone?.(key(ev), ev.item);
            break;
        }
      }
      const response = await stream.finalResponse();
      const end = this.now();
      const server = (response as unknown as { timings?: ServerTimings }).timings;
      const outputTokens = response.usage?.output_tokens ?? 0;
      const local = firstToken !== null && end > firstToken && outputTokens > 1 ? ((outputTokens - 1) * 1000) / (end - firstToken) : null;
      view.responseDone?.(round, {
        ttftMs: firstToken === null ? null : firstToken - started,
        outputTokens,
        tokensPerSecond: server?.decode_tokens_per_second || local,
        backend: server?.backend ?? null,
        status: response.status ?? 'completed',
      });
      return { response, aborted: false };
    } catch (err) {
      if (opts.signal?.aborted) return { response: null, aborted: true };
      throw err;
    }
  }
}
