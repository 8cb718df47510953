/**
 * One reusable validator for a `/v1/responses` event stream against our target profile
 * (protocol doc §2.3, §6, §7 cases 2–17, 21–23, 25, 26, 28, 36–40; 18–20 with `toolChoice`; 24 with
 * `reasoningFirst`; 27 for truncated calls).
 *
 * It throws a `StreamValidationError` on the first violation, with a message of the form
 * `event 7 (response.output_text.delta): item_id 'msg_x' does not match open item 'msg_y'`.
 * Events are treated as untyped JSON: the input is usually what came off the wire.
 */
import type { Response, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';

export type OutputItem = ResponseOutputItem;

export interface ValidateToolSpec {
  name: string;
  strict?: boolean | null;
  /** JSON schema of the arguments; `null`/absent means a parameterless tool (arguments must be an empty JSON object, `"{}"` when the model wrote none). */
  parameters?: unknown;
}

export interface ValidateStreamOptions {
  /** The request's function tools. Enables: call names must be known, an empty object for parameterless tools, schema checks. */
  tools?: ValidateToolSpec[];
  /** The request's `tool_choice`. Enables §7 cases 18–20. */
  toolChoice?: unknown;
  /** Case 24: reasoning items come strictly before message/function_call items, and reasoning_tokens > 0. */
  reasoningFirst?: boolean;
}

export type TerminalType = 'response.completed' | 'response.incomplete' | 'response.failed';

export interface ValidatedStream {
  /** The terminal event's `response`. */
  response: Response;
  /** Items from `output_item.done`, in output_index order (a truncated call closed `incomplete` included). */
  items: OutputItem[];
  terminal: TerminalType;
  /** Concatenation of all `output_text` deltas. */
  outputText: string;
}

export class StreamValidationError extends Error {
  /** Index of the offending event, or null for a whole-stream problem. */
  readonly eventIndex: number | null;
  constructor(message: string, eventIndex: number | null) {
    super(message);
    this.name = 'StreamValidationError';
    this.eventIndex = eventIndex;
  }
}

/** Event types our server may emit (§6.11). Anything else, notably `response.reasoning_part.*`, is rejected. */
export const ALLOWED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.output_item.done',
  'response.content_part.added',
  'response.content_part.done',
  'response.output_text.delta',
  'response.output_text.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.reasoning_text.delta',
  'response.reasoning_text.done',
  'error',
  'response.completed',
  'response.incomplete',
  'response.failed',
]);

const TERMINAL_TYPES: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

type Obj = Record<string, unknown>;
type Kind = 'message' | 'function_call' | 'reasoning';

const ID_PREFIX: Record<Kind, string> = { message: 'msg_', function_call: 'fc_', reasoning: 'rs_' };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Short, unambiguous rendering of a value for messages: strings in single quotes, the rest as JSON. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined (missing)';
  let s: string;
  if (typeof v === 'string') s = `'${JSON.stringify(v).slice(1, -1)}'`;
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** First difference between two JSON values (`undefined` keys count as missing), or null when equal. */
export function jsonDiff(a: unknown, b: unknown, path = ''): { path: string; a: unknown; b: unknown } | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return { path: `${path}.length`, a: a.length, b: b.length };
    for (let k = 0; k < a.length; k++) {
      const d = jsonDiff(a[k], b[k], `${path}[${k}]`);
      if (d) return d;
    }
    return null;
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const d = jsonDiff(a[key], b[key], `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : { path, a, b };
}

function schemaTypeMatches(value: unknown, t: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'object':
      return isObj(value);
    case 'array':
      return Array.isArray(value);
    default:
      return true; // unknown type keyword: don't judge
  }
}

/**
 * A small JSON-schema check (type, enum, const, properties, required, additionalProperties:false, items, anyOf).
 * `$ref` subtrees are not followed. Returns a description of the first violation, or null.
 */
export function schemaViolation(value: unknown, schema: unknown, path = '$'): string | null {
  if (!isObj(schema) || '$ref' in schema) return null;
  const anyOf = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (anyOf && !anyOf.some((s) => schemaViolation(value, s, path) === null)) {
    return `${path} = ${show(value)} matches none of the anyOf/oneOf alternatives`;
  }
  if ('const' in schema && jsonDiff(schema.const, value) !== null) {
    return `${path} = ${show(value)} is not the const ${show(schema.const)}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => jsonDiff(e, value) === null)) {
    return `${path} = ${show(value)} is not one of ${show(schema.enum)}`;
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => schemaTypeMatches(value, t))) {
      return `${path} = ${show(value)} is not of type ${types.join('|')}`;
    }
  }
  if (isObj(value)) {
    const props = isObj(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const r of schema.required) {
        if (typeof r === 'string' && !(r in value)) return `${path} is missing required property '${r}'`;
      }
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        const d = schemaViolation(v, props[k], `${path}.${k}`);
        if (d) return d;
      } else if (schema.additionalProperties === false) {
        return `${path} has property '${k}' not allowed by additionalProperties:false`;
      } else if (isObj(schema.additionalProperties)) {
        const d = schemaViolation(v, schema.additionalProperties, `${path}.${k}`);
        if (d) return d;
      }
    }
  }
  if (Array.isArray(value) && isObj(schema.items)) {
    for (let k = 0; k < value.length; k++) {
      const d = schemaViolation(value[k], schema.items, `${path}[${k}]`);
      if (d) return d;
    }
  }
  return null;
}

interface OpenItem {
  kind: Kind;
  id: string;
  outputIndex: number;
  addedAt: number;
  name?: string;
  callId?: string;
  /** message / reasoning content part: none → open (content_part.added) → text_done → closed (content_part.done). */
  part: 'none' | 'open' | 'text_done' | 'closed';
  /** function_call arguments: streaming → done (function_call_arguments.done). */
  argsDone: boolean;
  deltaCount: number;
  joined: string;
}

interface DoneItem {
  kind: Kind;
  id: string;
  item: Obj;
  status: 'completed' | 'incomplete';
  addedAt: number;
  doneAt: number;
}

type ToolChoice =
  | { mode: 'auto' }
  | { mode: 'none' }
  | { mode: 'required'; allowed?: string[] }
  | { mode: 'named'; name: string }
  | { mode: 'allowed_auto'; allowed: string[] };

function parseToolChoice(tc: unknown): ToolChoice | null {
  if (tc === undefined || tc === null) return null;
  if (tc === 'auto') return { mode: 'auto' };
  if (tc === 'none') return { mode: 'none' };
  if (tc === 'required') return { mode: 'required' };
  if (isObj(tc) && tc.type === 'function' && typeof tc.name === 'string') return { mode: 'named', name: tc.name };
  if (isObj(tc) && tc.type === 'allowed_tools' && Array.isArray(tc.tools)) {
    const allowed = tc.tools.flatMap((t) => (isObj(t) && typeof t.name === 'string' ? [t.name] : []));
    return tc.mode === 'required' ? { mode: 'required', allowed } : { mode: 'allowed_auto', allowed };
  }
  throw new Error(`validateStream: unsupported toolChoice option ${show(tc)}`);
}

class Validator {
  readonly events: unknown[];
  readonly n: number;
  readonly opts: ValidateStreamOptions;
  readonly toolChoice: ToolChoice | null;
  createdId = '';
  open: OpenItem | null = null;
  done: DoneItem[] = [];
  itemIds = new Map<string, number>();
  callIds = new Map<string, number>();
  outputText = '';
  i = 0;
  type = '';

  constructor(events: unknown[], opts: ValidateStreamOptions) {
    this.events = events;
    this.n = events.length;
    this.opts = opts;
    this.toolChoice = parseToolChoice(opts.toolChoice);
  }

  fail(msg: string, at: number = this.i, type?: string): never {
    const t = type ?? (at === this.i ? this.type : String((this.events[at] as Obj | undefined)?.type));
    throw new StreamValidationError(`event ${at} (${t}): ${msg}`, at);
  }

  failStream(msg: string): never {
    throw new StreamValidationError(`stream: ${msg}`, null);
  }

  run(): ValidatedStream {
    if (!Array.isArray(this.events)) this.failStream('events is not an array');
    if (this.n === 0) this.failStream('no events');
    let terminal: { type: TerminalType; response: Obj } | null = null;

    for (this.i = 0; this.i < this.n; this.i++) {
      const ev = this.events[this.i];
      this.type = '?';
      if (!isObj(ev)) this.fail(`event is not a JSON object: ${show(ev)}`);
      if (typeof ev.type !== 'string' || ev.type === '') this.fail(`missing string "type" (got ${show(ev.type)})`);
      this.type = ev.type;

      // Case 2: sequence numbers 0..n-1.
      if (ev.sequence_number !== this.i) {
        this.fail(`sequence_number ${show(ev.sequence_number)} but expected ${this.i} (must be 0,1,2,… with no gaps)`);
      }
      // Case 25: only the event types we emit.
      if (!ALLOWED_EVENT_TYPES.has(ev.type)) {
        const hint = ev.type.startsWith('response.reasoning_part.')
          ? ' (vLLM-only event; use content_part.added/done with a reasoning_text part)'
          : '';
        this.fail(`event type '${ev.type}' is not allowed${hint}; allowed: ${[...ALLOWED_EVENT_TYPES].join(', ')}`);
      }
      // Case 36: no top-level error key on normal events (the SDK throws on a truthy one).
      if (ev.type !== 'error' && 'error' in ev && ev.error) {
        this.fail(`normal event carries a truthy top-level "error" key ${show(ev.error)}; clients treat it as an error`);
      }
      // Cases 3, 4: created first, in_progress second and only there.
      if (this.i === 0 && ev.type !== 'response.created') this.fail('the first event must be response.created');
      if (this.i === 1 && ev.type !== 'response.in_progress') {
        this.fail('expected response.in_progress as the second event (event 1)');
      }
      if (ev.type === 'response.created' && this.i !== 0) this.fail('response.created may only appear once, as event 0');
      if (ev.type === 'response.in_progress' && this.i !== 1) {
        this.fail('response.in_progress may only appear once, as event 1');
      }

      switch (ev.type) {
        case 'response.created':
          this.onCreated(ev);
          break;
        case 'response.in_progress':
          this.onInProgress(ev);
          break;
        case 'response.output_item.added':
          this.onItemAdded(ev);
          break;
        case 'response.output_item.done':
          this.onItemDone(ev);
          break;
        case 'response.content_part.added':
          this.onPartAdded(ev);
          break;
        case 'response.content_part.done':
          this.onPartDone(ev);
          break;
        case 'response.output_text.delta':
        case 'response.reasoning_text.delta':
          this.onTextDelta(ev);
          break;
        case 'response.output_text.done':
        case 'response.reasoning_text.done':
          this.onTextDone(ev);
          break;
        case 'response.function_call_arguments.delta':
          this.onArgsDelta(ev);
          break;
        case 'response.function_call_arguments.done':
          this.onArgsDone(ev);
          break;
        case 'error':
          this.onError(ev);
          break;
        case 'response.completed':
        case 'response.incomplete':
        case 'response.failed':
          terminal = { type: ev.type, response: this.onTerminal(ev, ev.type) };
          break;
      }
    }

    if (!terminal) {
      this.fail(
        'the stream ended without a terminal event (response.completed | response.incomplete | response.failed)',
        this.n - 1,
      );
    }
    return {
      response: terminal.response as unknown as Response,
      items: this.done.map((d) => d.item as unknown as OutputItem),
      terminal: terminal.type,
      outputText: this.outputText,
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------

  response(ev: Obj): Obj {
    const r = ev.response;
    if (!isObj(r)) this.fail(`missing "response" object (got ${show(r)})`);
    if (r.object !== 'response') this.fail(`response.object ${show(r.object)} but expected 'response'`);
    if (this.createdId && r.id !== this.createdId) {
      this.fail(`response.id ${show(r.id)} does not match the created id '${this.createdId}'`);
    }
    return r;
  }

  initialResponse(r: Obj): void {
    if (r.status !== 'in_progress') this.fail(`response.status ${show(r.status)} but expected 'in_progress'`);
    if (!Array.isArray(r.output) || r.output.length !== 0) {
      this.fail(`response.output must be [] (got ${show(r.output)})`);
    }
    if (!('error' in r) || r.error !== null) this.fail(`response.error must be present and null (got ${show(r.error)})`);
    if (r.usage != null) this.fail(`response.usage must be null before the terminal event (got ${show(r.usage)})`);
    if (r.incomplete_details != null) {
      this.fail(`response.incomplete_details must be null (got ${show(r.incomplete_details)})`);
    }
  }

  onCreated(ev: Obj): void {
    const r = this.response(ev);
    if (typeof r.id !== 'string' || !r.id.startsWith('resp_') || r.id.length <= 5) {
      this.fail(`response.id ${show(r.id)} must be a non-empty id with prefix 'resp_'`);
    }
    if (!isNonNegInt(r.created_at)) this.fail(`response.created_at ${show(r.created_at)} must be integer unix seconds`);
    this.initialResponse(r);
    this.createdId = r.id;
  }

  onInProgress(ev: Obj): void {
    this.initialResponse(this.response(ev));
  }

  // ---- items -------------------------------------------------------------------------------------------------

  onItemAdded(ev: Obj): void {
    const item = ev.item;
    const itemId = isObj(item) ? item.id : undefined;
    if (this.open) {
      this.fail(
        `output_item.added for ${show(itemId)} while item '${this.open.id}' (output_index ${this.open.outputIndex}, ` +
          `added at event ${this.open.addedAt}) is still open; items must be strictly sequential, not interleaved`,
      );
    }
    const expected = this.done.length;
    if (ev.output_index !== expected) {
      this.fail(`output_index ${show(ev.output_index)} but expected ${expected} (must be 0,1,2,… in added order)`);
    }
    if (!isObj(item)) this.fail(`missing "item" object (got ${show(item)})`);
    const kind = item.type;
    if (kind !== 'message' && kind !== 'function_call' && kind !== 'reasoning') {
      this.fail(`item.type ${show(kind)} is not one of 'message', 'function_call', 'reasoning'`);
    }
    this.checkItemId(item.id, kind);
    const open: OpenItem = {
      kind,
      id: item.id as string,
      outputIndex: expected,
      addedAt: this.i,
      part: 'none',
      argsDone: false,
      deltaCount: 0,
      joined: '',
    };

    if (this.opts.reasoningFirst && kind === 'reasoning') {
      const prior = this.done.find((d) => d.kind !== 'reasoning');
      if (prior) {
        this.fail(`reasoning item '${open.id}' comes after ${prior.kind} item '${prior.id}'; reasoning must come first`);
      }
    }

    if (kind === 'message') {
      if (item.role !== 'assistant') this.fail(`message item.role ${show(item.role)} but expected 'assistant'`);
      if (item.status !== 'in_progress') this.fail(`message item.status ${show(item.status)} but expected 'in_progress'`);
      if (!Array.isArray(item.content) || item.content.length !== 0) {
        this.fail(`message item.content must be [] on output_item.added (got ${show(item.content)})`);
      }
      const tc = this.toolChoice;
      if (tc && (tc.mode === 'required' || tc.mode === 'named')) {
        this.fail(`message item '${open.id}' emitted although tool_choice ${show(this.opts.toolChoice)} forces a tool call`);
      }
    } else if (kind === 'reasoning') {
      if (!Array.isArray(item.summary) || item.summary.length !== 0) {
        this.fail(`reasoning item.summary must be [] (got ${show(item.summary)})`);
      }
      if (!Array.isArray(item.content) || item.content.length !== 0) {
        this.fail(`reasoning item.content must be [] on output_item.added (got ${show(item.content)})`);
      }
      if (item.status !== undefined && item.status !== 'in_progress') {
        this.fail(`reasoning item.status ${show(item.status)} but expected 'in_progress' (or absent)`);
      }
    } else {
      const callId = item.call_id;
      if (typeof callId !== 'string' || !callId.startsWith('call_') || callId.length <= 5) {
        this.fail(`function_call item.call_id ${show(callId)} must be a non-empty id with prefix 'call_'`);
      }
      if (callId === item.id) this.fail(`function_call item.call_id '${callId}' must differ from item.id`);
      const prev = this.callIds.get(callId);
      if (prev !== undefined) this.fail(`duplicate call_id '${callId}' (already used by the item added at event ${prev})`);
      this.callIds.set(callId, this.i);
      if (typeof item.name !== 'string' || item.name === '') {
        this.fail(`function_call item.name must be a non-empty string (got ${show(item.name)})`);
      }
      if (item.arguments !== '') this.fail(`function_call item.arguments must be '' on output_item.added (got ${show(item.arguments)})`);
      if (item.status !== 'in_progress') this.fail(`function_call item.status ${show(item.status)} but expected 'in_progress'`);
      const tools = this.opts.tools;
      if (tools && !tools.some((t) => t.name === item.name)) {
        this.fail(`function_call name '${item.name}' is not one of the request tools [${tools.map((t) => t.name).join(', ')}]`);
      }
      const tc = this.toolChoice;
      if (tc?.mode === 'none') this.fail(`function_call item '${open.id}' emitted although tool_choice is 'none'`);
      if (tc?.mode === 'named' && item.name !== tc.name) {
        this.fail(`function_call name '${item.name}' but tool_choice forces '${tc.name}'`);
      }
      if ((tc?.mode === 'required' || tc?.mode === 'allowed_auto') && tc.allowed && !tc.allowed.includes(item.name)) {
        this.fail(`function_call name '${item.name}' is not in the allowed_tools [${tc.allowed.join(', ')}]`);
      }
      open.name = item.name;
      open.callId = callId;
    }
    this.open = open;
  }

  checkItemId(id: unknown, kind: Kind): asserts id is string {
    const prefix = ID_PREFIX[kind];
    if (typeof id !== 'string' || id.length === 0) this.fail(`item.id must be a non-empty string (got ${show(id)})`);
    if (!id.startsWith(prefix) || id.length <= prefix.length) {
      this.fail(`${kind} item.id '${id}' must have prefix '${prefix}'`);
    }
    const prev = this.itemIds.get(id);
    if (prev !== undefined) this.fail(`duplicate item id '${id}' (already added at event ${prev})`);
    this.itemIds.set(id, this.i);
  }

  /** Item-scoped event: must target the open item (cases 9, 15, 17) and be allowed for its kind. */
  scoped(ev: Obj, kinds: Kind[]): OpenItem {
    const open = this.open;
    if (!open) this.fail(`no output item is open (item_id ${show(ev.item_id)}); item events must come between output_item.added and output_item.done`);
    if (ev.item_id !== open.id) this.fail(`item_id ${show(ev.item_id)} does not match open item '${open.id}'`);
    if (ev.output_index !== open.outputIndex) {
      this.fail(`output_index ${show(ev.output_index)} does not match open item '${open.id}' (output_index ${open.outputIndex})`);
    }
    if (!kinds.includes(open.kind)) this.fail(`not allowed inside ${open.kind} item '${open.id}'`);
    return open;
  }

  contentIndex(ev: Obj): void {
    if (ev.content_index !== 0) this.fail(`content_index ${show(ev.content_index)} but expected 0`);
  }

  partType(kind: Kind): string {
    return kind === 'message' ? 'output_text' : 'reasoning_text';
  }

  onPartAdded(ev: Obj): void {
    const open = this.scoped(ev, ['message', 'reasoning']);
    this.contentIndex(ev);
    if (open.part !== 'none') this.fail(`second content_part.added for '${open.id}'; exactly one content part (content_index 0) is expected`);
    const part = ev.part;
    const want = this.partType(open.kind);
    if (!isObj(part)) this.fail(`missing "part" object (got ${show(part)})`);
    if (part.type !== want) this.fail(`part.type ${show(part.type)} but expected '${want}' for a ${open.kind} item`);
    if (part.text !== '') this.fail(`part.text must be '' on content_part.added (got ${show(part.text)})`);
    if (open.kind === 'message') {
      if (!Array.isArray(part.annotations) || part.annotations.length !== 0) {
        this.fail(`part.annotations must be [] (got ${show(part.annotations)})`);
      }
      if (part.logprobs !== undefined && !Array.isArray(part.logprobs)) {
        this.fail(`part.logprobs must be an array when present (got ${show(part.logprobs)})`);
      }
    }
    open.part = 'open';
  }

  onTextDelta(ev: Obj): void {
    const isMsg = ev.type === 'response.output_text.delta';
    const open = this.scoped(ev, [isMsg ? 'message' : 'reasoning']);
    this.contentIndex(ev);
    if (open.part === 'none') this.fail(`delta before content_part.added for '${open.id}'`);
    if (open.part !== 'open') this.fail(`delta after ${isMsg ? 'output_text' : 'reasoning_text'}.done for '${open.id}'`);
    if (typeof ev.delta !== 'string') this.fail(`delta must be a string (got ${show(ev.delta)})`);
    if (ev.delta === '') this.fail('empty delta; never emit empty deltas');
    if (isMsg) {
      if (!Array.isArray(ev.logprobs)) this.fail(`missing logprobs array (got ${show(ev.logprobs)}); use [] when not requested`);
      this.outputText += ev.delta;
    }
    open.deltaCount++;
    open.joined += ev.delta;
  }

  onTextDone(ev: Obj): void {
    const isMsg = ev.type === 'response.output_text.done';
    const open = this.scoped(ev, [isMsg ? 'message' : 'reasoning']);
    this.contentIndex(ev);
    if (open.part === 'none') this.fail(`done before content_part.added for '${open.id}'`);
    if (open.part !== 'open') this.fail(`second ${ev.type} for '${open.id}'`);
    if (isMsg && open.deltaCount === 0) {
      this.fail(`output_text.done without any preceding output_text.delta for '${open.id}' (a message needs ≥1 non-empty delta)`);
    }
    if (ev.text !== open.joined) this.fail(`text ${show(ev.text)} does not equal the concatenated deltas ${show(open.joined)}`);
    if (isMsg && !Array.isArray(ev.logprobs)) this.fail(`missing logprobs array (got ${show(ev.logprobs)})`);
    open.part = 'text_done';
  }

  onPartDone(ev: Obj): void {
    const open = this.scoped(ev, ['message', 'reasoning']);
    this.contentIndex(ev);
    const textDone = open.kind === 'message' ? 'output_text.done' : 'reasoning_text.done';
    if (open.part === 'none') this.fail(`content_part.done without content_part.added for '${open.id}'`);
    if (open.part === 'open') this.fail(`content_part.done before ${textDone} for '${open.id}'`);
    if (open.part === 'closed') this.fail(`second content_part.done for '${open.id}'`);
    const part = ev.part;
    const want = this.partType(open.kind);
    if (!isObj(part)) this.fail(`missing "part" object (got ${show(part)})`);
    if (part.type !== want) this.fail(`part.type ${show(part.type)} but expected '${want}'`);
    if (part.text !== open.joined) this.fail(`part.text ${show(part.text)} does not equal the concatenated deltas ${show(open.joined)}`);
    if (open.kind === 'message' && !Array.isArray(part.annotations)) {
      this.fail(`part.annotations must be an array (got ${show(part.annotations)})`);
    }
    open.part = 'closed';
  }

  onArgsDelta(ev: Obj): void {
    const open = this.scoped(ev, ['function_call']);
    if (open.argsDone) this.fail(`function_call_arguments.delta after function_call_arguments.done for '${open.id}'`);
    if (typeof ev.delta !== 'string') this.fail(`delta must be a string (got ${show(ev.delta)})`);
    if (ev.delta === '') this.fail('empty delta; never emit empty argument deltas');
    open.deltaCount++;
    open.joined += ev.delta;
  }

  onArgsDone(ev: Obj): void {
    const open = this.scoped(ev, ['function_call']);
    if (open.argsDone) this.fail(`second function_call_arguments.done for '${open.id}'`);
    if (open.deltaCount === 0) {
      this.fail(`function_call_arguments.done without a preceding function_call_arguments.delta for '${open.id}'`);
    }
    if (ev.arguments !== open.joined) {
      this.fail(`arguments ${show(ev.arguments)} do not equal the concatenated deltas ${show(open.joined)}`);
    }
    if (ev.name === undefined) this.fail(`missing name (expected '${open.name}', the item's name)`);
    if (ev.name !== open.name) this.fail(`name ${show(ev.name)} does not match the item's name '${open.name}'`);
    open.argsDone = true;
  }

  onItemDone(ev: Obj): void {
    const open = this.open;
    const item = ev.item;
    if (!open) this.fail(`output_item.done for ${show(isObj(item) ? item.id : undefined)} but no item is open`);
    if (ev.output_index !== open.outputIndex) {
      this.fail(`output_index ${show(ev.output_index)} does not match open item '${open.id}' (output_index ${open.outputIndex})`);
    }
    if (!isObj(item)) this.fail(`missing "item" object (got ${show(item)})`);
    if (item.id !== open.id) this.fail(`item.id ${show(item.id)} does not match open item '${open.id}'`);
    if (item.type !== open.kind) this.fail(`item.type ${show(item.type)} but the item was added as '${open.kind}'`);
    const status = item.status;
    if (status !== 'completed' && status !== 'incomplete') {
      this.fail(`item.status ${show(status)} but expected 'completed' or 'incomplete'`);
    }

    if (open.kind === 'message') {
      if (open.part !== 'closed') {
        this.fail(`output_item.done before the content part of '${open.id}' was closed (content_part.done missing)`);
      }
      if (item.role !== 'assistant') this.fail(`item.role ${show(item.role)} but expected 'assistant'`);
      const content = item.content;
      if (!Array.isArray(content) || content.length !== 1 || !isObj(content[0])) {
        this.fail(`message item.content must hold exactly one output_text part (got ${show(content)})`);
      }
      const part = content[0] as Obj;
      if (part.type !== 'output_text') this.fail(`item.content[0].type ${show(part.type)} but expected 'output_text'`);
      if (part.text !== open.joined) {
        this.fail(`item.content[0].text ${show(part.text)} does not equal the concatenated deltas ${show(open.joined)}`);
      }
      if (!Array.isArray(part.annotations)) this.fail(`item.content[0].annotations must be an array (got ${show(part.annotations)})`);
    } else if (open.kind === 'reasoning') {
      if (open.part !== 'closed') {
        this.fail(`output_item.done before the reasoning_text part of '${open.id}' was closed (content_part.done missing)`);
      }
      if (!Array.isArray(item.summary)) this.fail(`reasoning item.summary must be an array (got ${show(item.summary)})`);
      const content = item.content;
      if (!Array.isArray(content) || content.length !== 1 || !isObj(content[0])) {
        this.fail(`reasoning item.content must hold exactly one reasoning_text part (got ${show(content)})`);
      }
      const part = content[0] as Obj;
      if (part.type !== 'reasoning_text') this.fail(`item.content[0].type ${show(part.type)} but expected 'reasoning_text'`);
      if (part.text !== open.joined) {
        this.fail(`item.content[0].text ${show(part.text)} does not equal the concatenated deltas ${show(open.joined)}`);
      }
    } else {
      if (item.call_id !== open.callId) this.fail(`item.call_id ${show(item.call_id)} does not match the added call_id '${open.callId}'`);
      if (item.name !== open.name) this.fail(`item.name ${show(item.name)} does not match the added name '${open.name}'`);
      if (item.arguments !== open.joined) {
        this.fail(`item.arguments ${show(item.arguments)} do not equal the concatenated deltas ${show(open.joined)}`);
      }
      if (status === 'completed') {
        if (!open.argsDone) this.fail(`output_item.done before function_call_arguments.done for '${open.id}'`);
        this.checkArguments(open.name!, open.joined);
      } else if (open.deltaCount > 0 && !open.argsDone) {
        this.fail(`incomplete call '${open.id}' has argument deltas but no function_call_arguments.done`);
      }
    }
    this.done.push({ kind: open.kind, id: open.id, item, status, addedAt: open.addedAt, doneAt: this.i });
    this.open = null;
  }

  /** Cases 12, 14, 19: arguments of a completed call. */
  checkArguments(name: string, args: string): void {
    const tool = this.opts.tools?.find((t) => t.name === name);
    if (tool && tool.parameters == null) {
      // The model's own bytes are kept (`{ }` is fine); they must be an empty JSON object.
      let empty = false;
      try {
        const v: unknown = JSON.parse(args);
        empty = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
      } catch {
        empty = false;
      }
      if (!empty) this.fail(`tool '${name}' has no parameters, so arguments must be an empty JSON object like "{}" (got ${show(args)})`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch (e) {
      this.fail(`arguments ${show(args)} of completed call to '${name}' are not valid JSON (${(e as Error).message})`);
    }
    if (!isObj(parsed)) this.fail(`arguments of '${name}' must be a JSON object (got ${show(args)})`);
    const forced = this.toolChoice?.mode === 'named';
    if (tool && (tool.strict === true || forced)) {
      const v = schemaViolation(parsed, tool.parameters);
      if (v) this.fail(`arguments of '${name}' do not match its parameters schema: ${v}`);
    }
  }

  // ---- errors and terminal -----------------------------------------------------------------------------------

  onError(ev: Obj): void {
    const next = this.events[this.i + 1];
    if (this.i !== this.n - 2 || !isObj(next) || next.type !== 'response.failed') {
      this.fail('an error event must be immediately followed by response.failed as the last event');
    }
    const err = ev.error;
    if (!isObj(err)) this.fail(`error event must carry a nested "error" object {code, message, param} (got ${show(err)})`);
    if (typeof err.message !== 'string' || err.message === '') this.fail(`error.message must be a non-empty string (got ${show(err.message)})`);
    if (!('code' in err) || (err.code !== null && typeof err.code !== 'string')) {
      this.fail(`error.code must be present, string or null (got ${show(err.code)})`);
    }
    if (!('param' in err) || (err.param !== null && typeof err.param !== 'string')) {
      this.fail(`error.param must be present, string or null (got ${show(err.param)})`);
    }
  }

  onTerminal(ev: Obj, type: TerminalType): Obj {
    if (this.i !== this.n - 1) {
      const next = this.events[this.i + 1];
      this.fail(
        `terminal event must be the last event, but ${this.n - 1 - this.i} event(s) follow ` +
          `(next: ${show(isObj(next) ? next.type : next)}); exactly one terminal event is allowed`,
      );
    }
    const r = this.response(ev);
    if (!Array.isArray(r.output)) this.fail(`response.output must be an array (got ${show(r.output)})`);

    if (type === 'response.failed') {
      const prev = this.events[this.i - 1];
      if (!isObj(prev) || prev.type !== 'error') this.fail('response.failed must be immediately preceded by an error event');
      if (r.status !== 'failed') this.fail(`response.status ${show(r.status)} but expected 'failed'`);
      if (!isObj(r.error) || typeof r.error.message !== 'string' || r.error.message === '') {
        this.fail(`response.error must be {code, message} with a non-empty message (got ${show(r.error)})`);
      }
      const errEv = (prev as Obj).error as Obj;
      if (r.error.message !== errEv.message) {
        this.fail(`response.error.message ${show(r.error.message)} differs from the error event's message ${show(errEv.message)}`);
      }
      this.checkFailedOutput(r.output);
      if (r.usage != null) this.checkUsage(r.usage);
      return r;
    }

    if (this.open) {
      this.fail(`item '${this.open.id}' (output_index ${this.open.outputIndex}) is still open at the terminal event; close it first`);
    }
    if (r.error !== null) this.fail(`response.error must be null (got ${show(r.error)})`);

    if (type === 'response.completed') {
      if (r.status !== 'completed') this.fail(`response.status ${show(r.status)} but expected 'completed'`);
      if (r.incomplete_details != null) this.fail(`response.incomplete_details must be null (got ${show(r.incomplete_details)})`);
      for (const d of this.done) {
        if (d.status !== 'completed') {
          this.fail(`item '${d.id}' closed with status 'incomplete' but the response ended with response.completed`, d.doneAt);
        }
      }
      this.checkUsage(r.usage);
    } else {
      if (r.status !== 'incomplete') this.fail(`response.status ${show(r.status)} but expected 'incomplete'`);
      const det = r.incomplete_details;
      if (!isObj(det) || typeof det.reason !== 'string' || det.reason === '') {
        this.fail(`response.incomplete_details.reason must be a non-empty string (got ${show(det)})`);
      }
      this.done.forEach((d, k) => {
        if (d.status === 'incomplete' && k !== this.done.length - 1) {
          this.fail(`item '${d.id}' is closed 'incomplete' but is not the last item`, d.doneAt);
        }
      });
      if (r.usage != null) this.checkUsage(r.usage);
    }

    // Case 21 / 27: terminal output = done items, except a truncated call inside response.incomplete.
    const expected = this.done.filter((d) => !(type === 'response.incomplete' && d.kind === 'function_call' && d.status === 'incomplete'));
    const dropped = this.done.find((d) => !expected.includes(d));
    for (let k = 0; k < Math.max(expected.length, r.output.length); k++) {
      const got: unknown = r.output[k];
      const want = expected[k];
      if (isObj(got) && dropped && got.id === dropped.id) {
        this.fail(
          `response.output[${k}] contains the truncated function call '${dropped.id}' (closed 'incomplete' at event ` +
            `${dropped.doneAt}); it must be left out of the terminal output`,
        );
      }
      if (!want) this.fail(`response.output has ${r.output.length} items but ${expected.length} were streamed (extra item ${show(isObj(got) ? got.id : got)})`);
      if (got === undefined) {
        this.fail(`response.output has ${r.output.length} items but ${expected.length} were streamed (missing '${want.id}' from event ${want.doneAt})`);
      }
      const diff = jsonDiff(got, want.item);
      if (diff) {
        this.fail(
          `response.output[${k}]${diff.path} is ${show(diff.a)} but output_item.done (event ${want.doneAt}) had ${show(diff.b)}`,
        );
      }
    }

    if (type === 'response.completed') this.checkToolChoiceCounts();
    if (this.opts.reasoningFirst && this.done.some((d) => d.kind === 'reasoning') && isObj(r.usage)) {
      const details = r.usage.output_tokens_details;
      const rt = isObj(details) ? details.reasoning_tokens : undefined;
      if (!(typeof rt === 'number' && rt > 0)) {
        this.fail(`usage.output_tokens_details.reasoning_tokens ${show(rt)} must be > 0 when reasoning was streamed`);
      }
    }
    return r;
  }

  /** response.failed: its output may list only streamed, closed items (a subsequence, in order, unchanged). */
  checkFailedOutput(output: unknown[]): void {
    let from = 0;
    output.forEach((got, k) => {
      const id = isObj(got) ? got.id : undefined;
      const at = this.done.findIndex((d, j) => j >= from && d.id === id);
      if (at < 0) this.fail(`response.output[${k}] ${show(id)} is not a streamed, closed item (in order)`);
      const d = this.done[at]!;
      const diff = jsonDiff(got, d.item);
      if (diff) this.fail(`response.output[${k}]${diff.path} is ${show(diff.a)} but output_item.done (event ${d.doneAt}) had ${show(diff.b)}`);
      from = at + 1;
    });
  }

  /** Case 22. */
  checkUsage(u: unknown): void {
    if (!isObj(u)) this.fail(`response.usage must be an object (got ${show(u)})`);
    for (const k of ['input_tokens', 'output_tokens', 'total_tokens'] as const) {
      if (!isNonNegInt(u[k])) this.fail(`usage.${k} must be a non-negative integer (got ${show(u[k])})`);
    }
    const total = (u.input_tokens as number) + (u.output_tokens as number);
    if (u.total_tokens !== total) {
      this.fail(`usage.total_tokens ${show(u.total_tokens)} but input_tokens + output_tokens = ${total}`);
    }
    const inD = u.input_tokens_details;
    if (!isObj(inD) || !isNonNegInt(inD.cached_tokens)) {
      this.fail(`usage.input_tokens_details.cached_tokens must be a non-negative integer (got ${show(inD)})`);
    }
    const outD = u.output_tokens_details;
    if (!isObj(outD) || !isNonNegInt(outD.reasoning_tokens)) {
      this.fail(`usage.output_tokens_details.reasoning_tokens must be a non-negative integer (got ${show(outD)})`);
    }
  }

  /** Cases 18, 19 (counts checked only for a completed response; truncation may legitimately drop the call). */
  checkToolChoiceCounts(): void {
    const tc = this.toolChoice;
    if (!tc) return;
    const calls = this.done.filter((d) => d.kind === 'function_call');
    if (tc.mode === 'required' && calls.length === 0) {
      this.fail(`tool_choice ${show(this.opts.toolChoice)} requires at least one function_call item, none was streamed`);
    }
    if (tc.mode === 'named' && calls.length !== 1) {
      this.fail(`tool_choice forces '${tc.name}': expected exactly one function_call item, got ${calls.length}`);
    }
    if ((tc.mode === 'required' || tc.mode === 'named') && this.outputText.trim() !== '') {
      this.fail(`tool_choice forces a tool call but output_text deltas contain text ${show(this.outputText)}`);
    }
  }
}

/**
 * Validates a complete event stream (already JSON-decoded) against our target profile and returns the terminal
 * `response` plus the items from `output_item.done`. Throws `StreamValidationError` on the first violation.
 */
export function validateStream(events: ResponseStreamEvent[], opts: ValidateStreamOptions = {}): ValidatedStream {
  return new Validator(events as unknown[], opts).run();
}
