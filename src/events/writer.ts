/**
 * The event writer: turns parsed output deltas into the exact Responses event sequence
 * (responses-protocol.md §2.3 and §6). Items are strictly sequential; every event gets the next
 * `sequence_number`; ids are stable from `output_item.added` to the terminal event.
 */
import type {
  Response,
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseReasoningItem,
  ResponseStreamEvent,
  ResponseUsage,
} from 'openai/resources/responses/responses';
import { ItemIds } from '../protocol/ids.ts';
import { isJsonObjectText } from './json-object.ts';
import type { DeltaSink, OutputDelta } from '../parsers/types.ts';

/**
 * The Response object as it goes on the wire: `output_text` is computed by the SDKs, not sent;
 * `usage` is null until the end (as OpenAI sends it); error codes are ours, not only OpenAI's list.
 */
export type WireResponse = Omit<Response, 'output_text' | 'access_programs' | 'usage' | 'error'> & {
  usage: ResponseUsage | null;
  error: { code: string; message: string } | null;
};

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

export interface FailureInfo {
  code: string;
  message: string;
}

/** An item being written. Its text is `head` + `tail` (see `addText`). */
type OpenItem =
  | { kind: 'message'; id: string; index: number; head: string; tail: string; n: number }
  | { kind: 'reasoning'; id: string; index: number; head: string; tail: string; n: number }
  | { kind: 'call'; id: string; callId: string; name: string; index: number; head: string; tail: string; n: number };

/**
 * Deltas are appended to `tail`, which moves onto `head` every PIECE deltas and when the item closes.
 * Measured on the parser bench's transcripts in 4-character deltas (bench/parsers.ts; the first two
 * timed, the last two counted in instructions with `npm run bench:instructions`, BENCHMARKS.md):
 * - one array of all of an item's deltas, joined at the end, grows with the item (260k entries for a
 *   1 MB message): `push` took a third of the writer's time;
 * - `head +=` per delta builds a rope of 260k nodes that all live until the item closes: the garbage
 *   collector took 60% of the run;
 * - an array of deltas joined every PIECE: `push` and `join` cost about 230 instructions per delta;
 * - this, a short rope read once when it moves (`flat`): 16% fewer instructions on a long message and
 *   about as many on call-dense transcripts, where items are short.
 */
const PIECE = 64;

/**
 * `s` itself; reading a character makes V8 flatten a rope into one string, so its nodes die young
 * instead of being copied by the garbage collector for as long as the item lives. (The comparison
 * keeps the read from being optimised away; any engine returns the same string.)
 */
function flat(s: string): string {
  return s.charCodeAt(0) >= 0 ? s : s;
}

function addText(item: OpenItem, text: string): void {
  item.tail += text;
  if (++item.n === PIECE) {
    item.head += flat(item.tail);
    item.tail = '';
    item.n = 0;
  }
}

/**
 * `arr.push(v)`, written as a store at `arr.length`. A new writer's `done` and a new event batch start as
 * empty arrays, which V8 gives the "small integers only" element kind until an object goes in. Once
 * `push` at one site had seen such arrays, TurboFan's inlined `push` there guarded for a small integer
 * and deoptimized on the event: `closeOpen`, about 9 ms to compile, was thrown away and compiled again,
 * twice in the parser bench's first five writers (hermes counted 371 instructions per byte in passes 5-8
 * with `push`, 296 with this; later passes, once compiled, cost the same either way). A keyed store has
 * the element-kind change built in and never deoptimizes on it.
 */
function append<T>(arr: T[], v: T): void {
  arr[arr.length] = v;
}

function textOf(item: OpenItem): string {
  if (item.n > 0) {
    item.head = flat(item.head + item.tail);
    item.tail = '';
    item.n = 0;
  }
  return item.head;
}

type ItemStatus = 'completed' | 'incomplete';

/** Builds OpenAI's usage object from token counts. */
export function toUsage(u: Usage): ResponseUsage {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens ?? 0, cache_write_tokens: 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.inputTokens + u.outputTokens,
  };
}

const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

const asResponse = (r: WireResponse) => r as unknown as Response;
const asEvent = (e: unknown) => e as ResponseStreamEvent;

export interface EventWriterOptions {
  /** Checks a call's complete arguments (strict tools); a message fails the response. */
  validateArguments?: (name: string, args: string) => string | null;
  /**
   * Stop taking deltas once this many calls completed (`parallel_tool_calls: false`, `max_tool_calls`):
   * what the parser writes after that is dropped. Default: no limit.
   */
  callLimit?: number;
  /** Drop text deltas (a forced call: `tool_choice` required or named makes no message item). */
  dropText?: boolean;
}

/**
 * Writes the events of a response. It is the parser's `DeltaSink`: each delta becomes its events at
 * once and they collect in a batch that `drain()` hands over (one batch per engine chunk). Deltas that
 * arrive after the terminal event, or after `callLimit` calls completed, are dropped.
 */
export class EventWriter implements DeltaSink {
  private seq = 0;
  /** Events written since the last `drain()`; null when there are none. */
  private batch: ResponseStreamEvent[] | null = null;
  private reasoningWrites_ = 0;
  private readonly callLimit: number;
  private readonly dropText: boolean;
  private readonly validateArguments?: (name: string, args: string) => string | null;
  private open: OpenItem | null = null;
  /** Whitespace that would start a new message: held until real text follows (whitespace-only text is dropped). */
  private pendingSpace = '';
  /** Items closed so far, in output_index order, with the status they were closed with. */
  private readonly done: Array<{ item: ResponseOutputItem; status: ItemStatus }> = [];
  private nextIndex = 0;
  private ended_ = false;
  private completedCalls_ = 0;
  private readonly base: WireResponse;
  private readonly ids = new ItemIds();

  /** `initial`: the response object with the request echo (status, output and usage are set here). */
  constructor(initial: WireResponse, opts: EventWriterOptions = {}) {
    this.base = { ...initial, status: 'in_progress', output: [], usage: null, error: null, incomplete_details: null };
    this.validateArguments = opts.validateArguments;
    this.callLimit = opts.callLimit ?? Infinity;
    this.dropText = opts.dropText === true;
  }

  get responseId(): string {
    return this.base.id;
  }

  /** Number of function calls closed as completed so far. */
  get completedCalls(): number {
    return this.completedCalls_;
  }

  /** True once a terminal event was written. */
  get ended(): boolean {
    return this.ended_;
  }

  /** How many reasoning deltas were written to it so far (dropped ones included): to count reasoning tokens. */
  get reasoningWrites(): number {
    return this.reasoningWrites_;
  }

  /** The events written since the last call, in order; null if there are none. */
  drain(): ResponseStreamEvent[] | null {
    const b = this.batch;
    this.batch = null;
    return b !== null && b.length > 0 ? b : null;
  }

  /** `response.created` and `response.in_progress`. */
  start(): ResponseStreamEvent[] {
    return [
      this.event('response.created', { response: this.snapshot({}) }),
      this.event('response.in_progress', { response: this.snapshot({}) }),
    ];
  }

  // DeltaSink: the hot path is a non-empty delta that continues the open item (one per token); it
  // makes one event, built as a literal, and a new batch is a one-element literal (a third of the
  // cost of an empty array grown by a store).

  text(text: string): void {
    const item = this.open;
    if (item !== null && item.kind === 'message' && text !== '') this.add(this.textDelta(item, text));
    else if (this.accepting() && !this.dropText && text !== '') {
      // A new message: whitespace before it is held until real text follows.
      const t = this.pendingSpace + text;
      if (!/\S/.test(t)) this.pendingSpace = t;
      else {
        this.pendingSpace = '';
        this.add(this.textDelta(this.openItem('message', this.out()), t));
      }
    }
  }

  reasoning(text: string): void {
    this.reasoningWrites_++;
    const item = this.open;
    if (item !== null && item.kind === 'reasoning' && text !== '') this.add(this.reasoningDelta(item, text));
    else if (this.accepting() && text !== '') this.add(this.reasoningDelta(this.openItem('reasoning', this.out()), text));
  }

  callArgs(text: string): void {
    const item = this.open;
    if (item !== null && item.kind === 'call') {
      if (text !== '') this.add(this.argsDelta(item, text));
    } else if (this.accepting()) throw new Error('EventWriter: call_args outside a call');
  }

  callStart(name: string): void {
    if (this.accepting()) this.openItem('call', this.out(), name);
  }

  callEnd(checked = false): void {
    if (!this.accepting()) return;
    const item = this.open;
    if (item?.kind !== 'call') throw new Error('EventWriter: call_end outside a call');
    const args = textOf(item);
    // Never pass broken arguments off as a good call: the response fails, the item keeps them. (Unless
    // the parser read them as JSON already: `checked`, see DeltaSink.)
    const problem =
      args !== '' && !checked && !isJsonObjectText(args)
        ? `The model wrote arguments for '${item.name}' that are not a JSON object: ${clip(args)}`
        : this.validateArguments?.(item.name, args);
    if (problem) this.failInto(this.out(), { code: 'tool_arguments_invalid', message: problem });
    else this.closeOpen('completed', this.out());
  }

  /**
   * Writes the events of one delta and returns them (with the events written since the last `drain`
   * in front), appended to `out` if it is given. Throws after the terminal event.
   */
  push(delta: OutputDelta, out?: ResponseStreamEvent[]): ResponseStreamEvent[] {
    if (this.ended_) throw new Error('EventWriter: push after the terminal event');
    switch (delta.type) {
      case 'text':
        this.text(delta.text);
        break;
      case 'reasoning':
        this.reasoning(delta.text);
        break;
      case 'call_args':
        this.callArgs(delta.text);
        break;
      case 'call_start':
        this.callStart(delta.name);
        break;
      default:
        this.callEnd();
    }
    const events = this.drain() ?? [];
    if (out === undefined) return events;
    for (const e of events) append(out, e);
    return out;
  }

  /** Deltas are taken until the terminal event and until `callLimit` calls completed. */
  private accepting(): boolean {
    return !this.ended_ && this.completedCalls_ < this.callLimit;
  }

  private add(ev: ResponseStreamEvent): void {
    const b = this.batch;
    if (b === null) this.batch = [ev];
    else append(b, ev);
  }

  /** The batch to append to (created if there is none). */
  private out(): ResponseStreamEvent[] {
    let b = this.batch;
    if (b === null) this.batch = b = [];
    return b;
  }

  /**
   * The model stopped. `length`: the token limit cut it, so open items are closed `incomplete` and the
   * terminal event is `response.incomplete` (a cut function call is left out of its output).
   * A call still open at a normal stop is a model failure: see `fail`.
   */
  finish(reason: 'stop' | 'length', usage: Usage, timings?: object): ResponseStreamEvent[] {
    if (this.ended_) throw new Error('EventWriter: finish after the terminal event');
    if (reason === 'stop' && this.open?.kind === 'call') {
      const name = this.open.name;
      return this.fail(
        {
          code: 'tool_arguments_invalid',
          message: `The model stopped before it finished the arguments of its call to '${name}', so the call is not valid JSON.`,
        },
        usage,
      );
    }
    const out = this.drain() ?? [];
    this.closeOpen(reason === 'length' ? 'incomplete' : 'completed', out);
    this.ended_ = true;
    if (reason === 'length') {
      const output = this.done.filter((d) => !(d.item.type === 'function_call' && d.status === 'incomplete'));
      out.push(
        this.event('response.incomplete', {
          response: this.snapshot({
            status: 'incomplete',
            incomplete_details: { reason: 'max_output_tokens' },
            output: output.map((d) => d.item),
            usage: toUsage(usage),
            ...(timings ? { timings } : {}),
          }),
        }),
      );
    } else {
      out.push(
        this.event('response.completed', {
          response: this.snapshot({
            status: 'completed',
            completed_at: Math.floor(Date.now() / 1000),
            output: this.done.map((d) => d.item),
            usage: toUsage(usage),
            ...(timings ? { timings } : {}),
          }),
        }),
      );
    }
    return out;
  }

  /**
   * An engine or model failure after streaming started: open items closed, `error`, then
   * `response.failed` (after the events not yet drained). After the terminal event: only those.
   */
  fail(error: FailureInfo, usage?: Usage): ResponseStreamEvent[] {
    const out = this.drain() ?? [];
    this.failInto(out, error, usage);
    return out;
  }

  private failInto(out: ResponseStreamEvent[], error: FailureInfo, usage?: Usage): void {
    if (this.ended_) return;
    this.closeOpen('incomplete', out);
    this.ended_ = true;
    out.push(this.event('error', { error: { code: error.code, message: error.message, param: null } }));
    out.push(
      this.event('response.failed', {
        response: this.snapshot({
          status: 'failed',
          error: { code: error.code, message: error.message },
          output: this.done.map((d) => d.item),
          usage: usage ? toUsage(usage) : null,
        }),
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------

  private event(type: string, fields: Record<string, unknown>): ResponseStreamEvent {
    return asEvent({ type, sequence_number: this.seq++, ...fields });
  }

  private snapshot(over: Partial<WireResponse>): Response {
    return asResponse({ ...this.base, ...over, output: over.output ? [...over.output] : [] });
  }

  private openItem(kind: OpenItem['kind'], out: ResponseStreamEvent[], name = ''): OpenItem {
    this.closeOpen('completed', out);
    this.pendingSpace = '';
    const index = this.nextIndex++;
    let item: OpenItem;
    if (kind === 'message') {
      const id = this.ids.message();
      item = { kind, id, index, head: '', tail: '', n: 0 };
      out.push(
        asEvent({
          type: 'response.output_item.added',
          sequence_number: this.seq++,
          output_index: index,
          item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
        }),
        asEvent({
          type: 'response.content_part.added',
          sequence_number: this.seq++,
          item_id: id,
          output_index: index,
          content_index: 0,
          part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
        }),
      );
    } else if (kind === 'reasoning') {
      const id = this.ids.reasoning();
      item = { kind, id, index, head: '', tail: '', n: 0 };
      out.push(
        asEvent({
          type: 'response.output_item.added',
          sequence_number: this.seq++,
          output_index: index,
          item: { id, type: 'reasoning', summary: [], content: [], status: 'in_progress' },
        }),
        asEvent({
          type: 'response.content_part.added',
          sequence_number: this.seq++,
          item_id: id,
          output_index: index,
          content_index: 0,
          part: { type: 'reasoning_text', text: '' },
        }),
      );
    } else {
      const id = this.ids.call();
      const callId = this.ids.callId();
      item = { kind, id, callId, name, index, head: '', tail: '', n: 0 };
      out.push(
        asEvent({
          type: 'response.output_item.added',
          sequence_number: this.seq++,
          output_index: index,
          item: { id, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name },
        }),
      );
    }
    this.open = item;
    return item;
  }

  // Deltas are the hot path (one per token): built as literals, no spread.

  private textDelta(item: OpenItem, text: string): ResponseStreamEvent {
    addText(item, text);
    return asEvent({
      type: 'response.output_text.delta',
      sequence_number: this.seq++,
      item_id: item.id,
      output_index: item.index,
      content_index: 0,
      delta: text,
      logprobs: [],
    });
  }

  private reasoningDelta(item: OpenItem, text: string): ResponseStreamEvent {
    addText(item, text);
    return asEvent({
      type: 'response.reasoning_text.delta',
      sequence_number: this.seq++,
      item_id: item.id,
      output_index: item.index,
      content_index: 0,
      delta: text,
    });
  }

  private argsDelta(item: OpenItem, text: string): ResponseStreamEvent {
    addText(item, text);
    return asEvent({
      type: 'response.function_call_arguments.delta',
      sequence_number: this.seq++,
      item_id: item.id,
      output_index: item.index,
      delta: text,
    });
  }

  private closeOpen(status: ItemStatus, out: ResponseStreamEvent[]): void {
    const item = this.open;
    if (!item) return;
    this.open = null;
    const text = textOf(item);
    const { id, index } = item;
    let final: ResponseOutputItem;
    // Events are built as literals (no spread): one per item event, and they must stay cheap.
    if (item.kind === 'message') {
      const part = { type: 'output_text' as const, annotations: [], logprobs: [], text };
      append(out, asEvent({ type: 'response.output_text.done', sequence_number: this.seq++, item_id: id, output_index: index, content_index: 0, text, logprobs: [] }));
      append(out, asEvent({ type: 'response.content_part.done', sequence_number: this.seq++, item_id: id, output_index: index, content_index: 0, part }));
      final = { id, type: 'message', status, content: [part], role: 'assistant' } satisfies ResponseOutputMessage;
    } else if (item.kind === 'reasoning') {
      const part = { type: 'reasoning_text' as const, text };
      append(out, asEvent({ type: 'response.reasoning_text.done', sequence_number: this.seq++, item_id: id, output_index: index, content_index: 0, text }));
      append(out, asEvent({ type: 'response.content_part.done', sequence_number: this.seq++, item_id: id, output_index: index, content_index: 0, part }));
      final = { id, type: 'reasoning', summary: [], content: [part], status } satisfies ResponseReasoningItem;
    } else {
      let args = text;
      if (status === 'completed' && text === '') {
        // A call without arguments: one "{}" delta, so strict clients can JSON.parse it (§6.6).
        args = '{}';
        append(out, asEvent({ type: 'response.function_call_arguments.delta', sequence_number: this.seq++, item_id: id, output_index: index, delta: args }));
      }
      // `.done` only follows at least one delta (vLLM's stack check; §7 case 15).
      if (args) {
        append(out, asEvent({ type: 'response.function_call_arguments.done', sequence_number: this.seq++, item_id: id, output_index: index, arguments: args, name: item.name }));
      }
      final = { id, type: 'function_call', status, arguments: args, call_id: item.callId, name: item.name } satisfies ResponseFunctionToolCall;
    }
    append(out, asEvent({ type: 'response.output_item.done', sequence_number: this.seq++, output_index: index, item: final }));
    append(this.done, { item: final, status });
    if (item.kind === 'call' && status === 'completed') this.completedCalls_++;
  }
}
