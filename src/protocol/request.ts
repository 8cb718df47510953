/**
 * Validation and normalization of a `POST /v1/responses` body (docs/responses-protocol.md §1).
 *
 * `parseCreateRequest` takes the untrusted JSON body and returns a `CreateRequest` with OpenAI's defaults
 * filled in, or throws a 400 `ResponsesError` whose `param` is the offending path in OpenAI's style
 * (`input[1].call_id`, `tools[0].name`, `temperature`) and whose message says what was expected and what
 * was got.
 *
 * - The top level is strict: an unknown field is rejected ("Unknown parameter: 'foo'."). So are unknown keys
 *   inside `reasoning`, `text` and `stream_options`.
 * - Input items, tools and `tool_choice` objects are lenient: unknown keys are dropped, because clients replay
 *   SDK output items that carry extra keys (`parsed_arguments`, `annotations`, `logprobs`, …). Required keys
 *   are still checked, and each item is validated against the schema of its own `type` so errors are specific.
 * - Fields that OpenAI documents but this server cannot honour yet are rejected with a message that says so,
 *   never silently ignored.
 */

import { z } from 'zod';
import { ResponsesError, invalidRequest } from './errors.ts';

// ---------------------------------------------------------------------------------------------------------
// Normalized types
// ---------------------------------------------------------------------------------------------------------

export type MessageRole = 'user' | 'assistant' | 'system' | 'developer';
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** A message. `content` is the text of all its text parts (input_text, output_text, refusal) joined with ''. */
export interface MessageItem {
  type: 'message';
  role: MessageRole;
  content: string;
  id?: string;
  status?: ItemStatus;
}

/** A replayed model tool call. `id` is kept as given (any string; prefixes are never checked). */
export interface FunctionCallItem {
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  id?: string;
  status?: ItemStatus;
}

/** A tool result. An `output` given as an array of input_text parts is joined into one string. */
export interface FunctionCallOutputItem {
  type: 'function_call_output';
  call_id: string;
  output: string;
  id?: string;
  status?: ItemStatus;
}

/** Replayed reasoning. `summary` and `content` are [] when absent or null; `encrypted_content` is rejected. */
export interface ReasoningItem {
  type: 'reasoning';
  summary: Array<{ type: 'summary_text'; text: string }>;
  content: Array<{ type: 'reasoning_text'; text: string }>;
  id?: string;
  status?: ItemStatus;
}

export type InputItem = MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningItem;

export interface FunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  /** false when the client did not say. */
  strict: boolean;
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<{ type: 'function'; name: string }> };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
export type ReasoningSummary = 'auto' | 'concise' | 'detailed';

export interface ReasoningConfig {
  effort: ReasoningEffort | null;
  /** `summary`, or the deprecated `generate_summary` when only that was given. */
  summary: ReasoningSummary | null;
}

export interface TextConfig {
  /** Only plain text output is supported (json_schema / json_object are rejected). */
  format: { type: 'text' };
  /** Present only when the client sent a non-null value. */
  verbosity?: 'low' | 'medium' | 'high';
}

export interface CreateRequest {
  /** null: the service uses the loaded model. An empty string is treated as absent. */
  model: string | null;
  /** Never empty. A string `input` becomes one user message. */
  input: InputItem[];
  instructions: string | null;
  stream: boolean;
  stream_options: { include_obfuscation?: boolean } | null;
  temperature: number;
  top_p: number;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  parallel_tool_calls: boolean;
  /** OpenAI's default (true). Nothing is stored by this server either way. */
  store: boolean;
  metadata: Record<string, string>;
  user: string | null;
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  service_tier: string | null;
  truncation: 'disabled';
  reasoning: ReasoningConfig | null;
  text: TextConfig;
  /** The only accepted value is harmless: this server never produces encrypted reasoning. */
  include: Array<'reasoning.encrypted_content'>;
  /** Always 0 (log probabilities are not supported yet). */
  top_logprobs: number;
  tools: FunctionTool[];
  tool_choice: ToolChoice;
}

// ---------------------------------------------------------------------------------------------------------
// Error formatting
// ---------------------------------------------------------------------------------------------------------

type Path = ReadonlyArray<PropertyKey>;

/** `['input', 1, 'call_id']` → `input[1].call_id`. */
export function formatParam(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** A short description of a received value, for "got …". */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  return 'an object';
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
};

/**
 * Parse-level zod error map: says what was expected. Schemas that need a more precise phrase carry their
 * own `error` (which zod prefers); by convention every message here starts with "expected".
 */
function expectation(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}`;
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      if (iss.origin === 'string')
        return iss.minimum === 1 ? 'expected a non-empty string' : `expected at least ${iss.minimum} characters`;
      return `expected a value of at least ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array') return `expected at most ${iss.maximum} items`;
      if (iss.origin === 'string') return `expected at most ${iss.maximum} characters`;
      return `expected a value of at most ${iss.maximum}`;
    case 'invalid_value':
      return iss.values.length === 1 ? `expected ${quoteList(iss.values)}` : `expected one of ${quoteList(iss.values)}`;
    case 'invalid_format':
      return iss.pattern ? `expected a string matching ${iss.pattern}` : `expected a valid ${iss.format}`;
    default:
      return 'expected a valid value';
  }
}

const PARSE_OPTIONS = { error: expectation, reportInput: true } as const;

function issueToError(iss: z.core.$ZodIssue, at: Path): ResponsesError {
  const path = [...at, ...iss.path];
  if (iss.code === 'unrecognized_keys') {
    const param = formatParam([...path, iss.keys[0]]);
    return invalidRequest(param, `Unknown parameter: '${param}'.`, 'unknown_parameter');
  }
  // JSON has no undefined: an issue about an undefined value is about a required key that is absent.
  if (iss.input === undefined && iss.code !== 'custom') return missing(path);
  const param = formatParam(path);
  const got = iss.code === 'custom' && typeof iss.params?.got === 'string' ? iss.params.got : describe(iss.input);
  return invalidRequest(
    param,
    `Invalid value for '${param}': ${iss.message}, got ${got}.`,
    iss.code === 'invalid_type' ? 'invalid_type' : 'invalid_value',
  );
}

/** Validate `value` (found at path `at`) against `schema`; throw the first issue as a 400. */
function check<S extends z.ZodType>(schema: S, value: unknown, at: Path): z.output<S> {
  const result = schema.safeParse(value, PARSE_OPTIONS);
  if (!result.success) throw issueToError(result.error.issues[0], at);
  return result.data;
}

function missing(path: Path, hint = ''): ResponsesError {
  const param = formatParam(path);
  return invalidRequest(param, `Missing required parameter: '${param}'.${hint}`, 'missing_required_parameter');
}

/** Run `fn`; if it throws a `ResponsesError`, append `hint` to its message. */
function withHint<T>(hint: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ResponsesError && hint) throw new ResponsesError(err.status, err.message + hint, err);
    throw err;
  }
}

function unsupportedParameter(param: string, why: string): ResponsesError {
  return invalidRequest(param, `Unsupported parameter: '${param}'. ${why}`, 'unsupported_parameter');
}

function unsupportedValue(param: string, why: string): ResponsesError {
  return invalidRequest(param, `Unsupported value for '${param}': ${why}`, 'unsupported_value');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Schemas: top level
// ---------------------------------------------------------------------------------------------------------

function numberBetween(min: number, max: number, integer = false) {
  const error = `expected ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`;
  const base = integer ? z.number({ error }).int({ error }) : z.number({ error });
  return base.min(min, { error }).max(max, { error });
}

function positiveInteger() {
  const error = 'expected an integer of at least 1';
  return z.number({ error }).int({ error }).min(1, { error });
}

const optionalString = z.string().nullable().optional();
const optionalBoolean = z.boolean().nullable().optional();

/** Custom issues may carry `params.got`: a better "got …" than the raw input (e.g. "17 pairs"). */
export const MetadataSchema = z.record(z.string(), z.string()).superRefine((metadata, ctx) => {
  const keys = Object.keys(metadata);
  if (keys.length > 16) {
    ctx.addIssue({ code: 'custom', message: 'expected at most 16 key-value pairs', params: { got: `${keys.length} pairs` } });
  }
  for (const key of keys) {
    if (key.length > 64) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'expected keys of at most 64 characters',
        params: { got: `a key of ${key.length} characters` },
      });
    } else if (metadata[key].length > 512) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'expected a value of at most 512 characters',
        params: { got: `${metadata[key].length} characters` },
      });
    }
  }
});

const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
const REASONING_SUMMARIES = ['auto', 'concise', 'detailed'] as const;

export const ReasoningConfigSchema = z.strictObject({
  effort: z.enum(REASONING_EFFORTS).nullable().optional(),
  summary: z.enum(REASONING_SUMMARIES).nullable().optional(),
  /** Deprecated alias of `summary`. */
  generate_summary: z.enum(REASONING_SUMMARIES).nullable().optional(),
});

export const TextConfigSchema = z.strictObject({
  // The json_schema variant carries more keys (name, schema, strict, …); it is rejected by type afterwards.
  format: z
    .looseObject({ type: z.enum(['text', 'json_schema', 'json_object']) })
    .nullable()
    .optional(),
  verbosity: z.enum(['low', 'medium', 'high']).nullable().optional(),
});

/** The raw body. `input`, `tools` and `tool_choice` are checked item by item afterwards. */
export const CreateRequestBodySchema = z.strictObject({
  model: optionalString,
  input: z.union([z.string(), z.array(z.unknown())], { error: 'expected a string or an array of input items' }),
  instructions: optionalString,
  stream: optionalBoolean,
  stream_options: z.strictObject({ include_obfuscation: optionalBoolean }).nullable().optional(),
  temperature: numberBetween(0, 2).nullable().optional(),
  top_p: numberBetween(0, 1).nullable().optional(),
  max_output_tokens: positiveInteger().nullable().optional(),
  max_tool_calls: positiveInteger().nullable().optional(),
  parallel_tool_calls: optionalBoolean,
  store: optionalBoolean,
  metadata: MetadataSchema.nullable().optional(),
  user: optionalString,
  safety_identifier: optionalString,
  prompt_cache_key: optionalString,
  service_tier: optionalString,
  truncation: z.enum(['auto', 'disabled']).nullable().optional(),
  reasoning: ReasoningConfigSchema.nullable().optional(),
  text: TextConfigSchema.nullable().optional(),
  include: z.array(z.string()).nullable().optional(),
  top_logprobs: numberBetween(0, 20, true).nullable().optional(),
  tools: z.array(z.unknown()).nullable().optional(),
  tool_choice: z.unknown().optional(),
  // Documented by OpenAI, rejected below unless absent / null / false.
  background: optionalBoolean,
  previous_response_id: optionalString,
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Schemas: input items (lenient objects: unknown keys are stripped)
// ---------------------------------------------------------------------------------------------------------

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']).nullable().optional();
const itemId = z.string().nullable().optional();
const nonEmptyString = z.string().min(1);

export const MessageItemSchema = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(z.unknown())], { error: 'expected a string or an array of content parts' }),
  id: itemId,
  status: itemStatus,
});

export const InputTextPartSchema = z.object({ type: z.literal('input_text'), text: z.string() });
export const OutputTextPartSchema = z.object({ type: z.literal('output_text'), text: z.string() });
export const RefusalPartSchema = z.object({ type: z.literal('refusal'), refusal: z.string() });

export const FunctionCallItemSchema = z.object({
  type: z.literal('function_call'),
  call_id: nonEmptyString,
  name: nonEmptyString,
  arguments: z.string(),
  id: itemId,
  status: itemStatus,
});

export const FunctionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: nonEmptyString,
  output: z.union([z.string(), z.array(z.unknown())], { error: 'expected a string or an array of input_text parts' }),
  id: itemId,
  status: itemStatus,
});

export const ReasoningItemSchema = z.object({
  type: z.literal('reasoning'),
  summary: z
    .array(z.object({ type: z.literal('summary_text'), text: z.string() }))
    .nullable()
    .optional(),
  content: z
    .array(z.object({ type: z.literal('reasoning_text'), text: z.string() }))
    .nullable()
    .optional(),
  encrypted_content: z.string().nullable().optional(),
  id: itemId,
  status: itemStatus,
});

const SUPPORTED_ITEM_TYPES = ['message', 'function_call', 'function_call_output', 'reasoning'] as const;
const MEDIA_PART_TYPES: Record<string, string> = {
  input_image: 'image',
  input_file: 'file',
  input_audio: 'audio',
};

/** Optional `id` / `status`, only when present and non-null. */
function idAndStatus(raw: { id?: string | null; status?: ItemStatus | null }): { id?: string; status?: ItemStatus } {
  const out: { id?: string; status?: ItemStatus } = {};
  if (raw.id != null) out.id = raw.id;
  if (raw.status != null) out.status = raw.status;
  return out;
}

/** Join the text of content parts. `allowed` lists the text part types accepted at this place. */
function joinTextParts(parts: unknown[], at: Path, allowed: readonly string[]): string {
  let text = '';
  parts.forEach((part, j) => {
    const partPath = [...at, j];
    if (!isObject(part)) throw issueLike(partPath, 'expected a content part object', part);
    const type = part.type;
    if (typeof type === 'string' && type in MEDIA_PART_TYPES) {
      throw unsupportedValue(
        formatParam([...partPath, 'type']),
        `${MEDIA_PART_TYPES[type]} input ('${type}') is not supported by this model/runtime yet; send text parts only.`,
      );
    }
    if (typeof type !== 'string' || !allowed.includes(type)) {
      if (type === undefined) throw missing([...partPath, 'type']);
      throw issueLike([...partPath, 'type'], `expected one of ${quoteList(allowed)}`, type);
    }
    if (type === 'input_text') text += check(InputTextPartSchema, part, partPath).text;
    else if (type === 'output_text') text += check(OutputTextPartSchema, part, partPath).text;
    else text += check(RefusalPartSchema, part, partPath).refusal;
  });
  return text;
}

/** A 400 in the same words as a zod issue, for checks made by hand. */
function issueLike(path: Path, expected: string, got: unknown): ResponsesError {
  const param = formatParam(path);
  return invalidRequest(param, `Invalid value for '${param}': ${expected}, got ${describe(got)}.`, 'invalid_value');
}

function parseInputItem(raw: unknown, i: number): InputItem {
  const at: Path = ['input', i];
  if (!isObject(raw)) throw issueLike(at, 'expected an input item object', raw);
  const type = raw.type ?? (raw.role !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message': {
      const m = check(MessageItemSchema, raw, at);
      const content =
        typeof m.content === 'string'
          ? m.content
          : joinTextParts(m.content, [...at, 'content'], ['input_text', 'output_text', 'refusal']);
      return { type: 'message', role: m.role, content, ...idAndStatus(m) };
    }
    case 'function_call': {
      const c = check(FunctionCallItemSchema, raw, at);
      return { type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments, ...idAndStatus(c) };
    }
    case 'function_call_output': {
      const o = check(FunctionCallOutputItemSchema, raw, at);
      const output = typeof o.output === 'string' ? o.output : joinTextParts(o.output, [...at, 'output'], ['input_text']);
      return { type: 'function_call_output', call_id: o.call_id, output, ...idAndStatus(o) };
    }
    case 'reasoning': {
      const r = check(ReasoningItemSchema, raw, at);
      if (r.encrypted_content) {
        throw unsupportedValue(
          formatParam([...at, 'encrypted_content']),
          'encrypted reasoning cannot be decrypted by this server; send the reasoning item without `encrypted_content` (or drop the item).',
        );
      }
      return {
        type: 'reasoning',
        summary: (r.summary ?? []).map((p) => ({ type: 'summary_text' as const, text: p.text })),
        content: (r.content ?? []).map((p) => ({ type: 'reasoning_text' as const, text: p.text })),
        ...idAndStatus(r),
      };
    }
    case 'item_reference':
      throw unsupportedValue(
        formatParam([...at, 'type']),
        "'item_reference' needs a response store, which this server does not have; send the referenced item itself in `input`.",
      );
    case undefined:
      throw missing(
        [...at, 'type'],
        ` Supported item types: ${quoteList(SUPPORTED_ITEM_TYPES)} (an item with a 'role' and no 'type' is a message).`,
      );
    default:
      throw issueLike(
        [...at, 'type'],
        `expected one of the supported input item types ${quoteList(SUPPORTED_ITEM_TYPES)}`,
        type,
      );
  }
}

function parseInput(input: string | unknown[]): InputItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (input.length === 0) throw issueLike(['input'], 'expected at least one input item', input);
  const items = input.map(parseInputItem);
  const callIndex = new Map<string, number>();
  items.forEach((item, j) => {
    if (item.type !== 'function_call') return;
    const first = callIndex.get(item.call_id);
    if (first !== undefined) {
      const param = formatParam(['input', j, 'call_id']);
      throw invalidRequest(
        param,
        `Duplicate call_id '${item.call_id}' in '${param}': it is already used by the function_call at input[${first}]. Each function_call needs its own call_id.`,
        'invalid_value',
      );
    }
    callIndex.set(item.call_id, j);
  });
  return items;
}

// ---------------------------------------------------------------------------------------------------------
// Schemas: tools and tool_choice (lenient objects)
// ---------------------------------------------------------------------------------------------------------

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const toolNameError = "expected a name of 1 to 64 characters from a-z, A-Z, 0-9, '_' and '-'";

export const FunctionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string({ error: toolNameError }).regex(TOOL_NAME, { error: toolNameError }),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object' }).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

export const NamedToolChoiceSchema = z.object({ type: z.literal('function'), name: nonEmptyString });

export const AllowedToolsChoiceSchema = z.object({
  type: z.literal('allowed_tools'),
  mode: z.enum(['auto', 'required']),
  tools: z.array(z.unknown()).min(1),
});

function hostedTool(path: Path, type: unknown): ResponsesError {
  return unsupportedValue(
    formatParam(path),
    `got ${describe(type)}. Hosted tools (web_search, file_search, code_interpreter, computer_use_preview, image_generation, mcp, shell, custom, …) are not supported; only function tools (type 'function'), which run in the page, are.`,
  );
}

/** Chat-completions nests `{function: {name}}`; the Responses API is flat. */
function flatHint(raw: Record<string, unknown>): string {
  return isObject(raw.function) && !('name' in raw)
    ? " (The Responses API takes a flat {\"type\": \"function\", \"name\": …}, not chat-completions' nested {\"function\": {…}}.)"
    : '';
}

function parseTool(raw: unknown, i: number): FunctionTool {
  const at: Path = ['tools', i];
  if (!isObject(raw)) throw issueLike(at, 'expected a tool object', raw);
  if (raw.type === undefined) throw missing([...at, 'type'], flatHint(raw));
  if (raw.type !== 'function') throw hostedTool([...at, 'type'], raw.type);
  const tool = withHint(flatHint(raw), () => check(FunctionToolSchema, raw, at));
  return {
    type: 'function',
    name: tool.name,
    description: tool.description ?? null,
    parameters: tool.parameters ?? null,
    strict: tool.strict ?? false,
  };
}

function parseTools(tools: unknown[]): FunctionTool[] {
  const parsed = tools.map(parseTool);
  const seen = new Map<string, number>();
  parsed.forEach((tool, j) => {
    const first = seen.get(tool.name);
    if (first !== undefined) {
      const param = formatParam(['tools', j, 'name']);
      throw invalidRequest(
        param,
        `Duplicate tool name '${tool.name}' in '${param}': tools[${first}] already has that name. Tool names must be unique.`,
        'invalid_value',
      );
    }
    seen.set(tool.name, j);
  });
  return parsed;
}

function requireKnownTool(name: string, tools: FunctionTool[], path: Path): void {
  if (tools.some((t) => t.name === name)) return;
  const param = formatParam(path);
  throw invalidRequest(
    param,
    `Invalid value for '${param}': no function tool named '${name}' in 'tools' (tools given: ${
      tools.length ? quoteList(tools.map((t) => t.name)) : 'none'
    }).`,
    'invalid_value',
  );
}

function parseToolChoice(raw: unknown, tools: FunctionTool[]): ToolChoice {
  if (raw === undefined || raw === null) return 'auto';
  if (raw === 'none' || raw === 'auto') return raw;
  if (raw !== 'required' && !isObject(raw)) {
    throw issueLike(['tool_choice'], "expected 'none', 'auto', 'required' or a tool choice object", raw);
  }
  if (tools.length === 0) {
    throw invalidRequest(
      'tool_choice',
      `Invalid value for 'tool_choice': ${
        raw === 'required' ? "'required'" : 'a specific tool choice'
      } needs at least one function tool in 'tools', but 'tools' is empty. Add the tools or use 'auto' / 'none'.`,
      'invalid_value',
    );
  }
  if (raw === 'required') return 'required';
  const choice = raw as Record<string, unknown>;
  if (choice.type === 'function') {
    const named = withHint(flatHint(choice), () => check(NamedToolChoiceSchema, choice, ['tool_choice']));
    requireKnownTool(named.name, tools, ['tool_choice', 'name']);
    return { type: 'function', name: named.name };
  }
  if (choice.type === 'allowed_tools') {
    const allowed = check(AllowedToolsChoiceSchema, choice, ['tool_choice']);
    const entries = allowed.tools.map((entry, i) => {
      const at: Path = ['tool_choice', 'tools', i];
      if (isObject(entry) && entry.type !== undefined && entry.type !== 'function') {
        throw hostedTool([...at, 'type'], entry.type);
      }
      const named = check(NamedToolChoiceSchema, entry, at);
      requireKnownTool(named.name, tools, [...at, 'name']);
      return { type: 'function' as const, name: named.name };
    });
    return { type: 'allowed_tools', mode: allowed.mode, tools: entries };
  }
  if (choice.type === undefined) throw missing(['tool_choice', 'type']);
  throw hostedTool(['tool_choice', 'type'], choice.type);
}

// ---------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------

/** Validate an untrusted `POST /v1/responses` body. Throws a 400 `ResponsesError` on the first problem. */
export function parseCreateRequest(body: unknown): CreateRequest {
  if (!isObject(body)) {
    throw invalidRequest(null, `The request body must be a JSON object, got ${describe(body)}.`, 'invalid_type');
  }
  const b = check(CreateRequestBodySchema, body, []);

  // Documented by OpenAI, not available here: reject rather than ignore.
  if (b.background) {
    throw unsupportedParameter(
      'background',
      'Background responses need a response store, which this server does not have; omit it (or send false) and keep the connection open, with `stream: true` for incremental output.',
    );
  }
  if (b.previous_response_id != null) {
    throw unsupportedParameter(
      'previous_response_id',
      'There is no response store yet; send the full conversation in `input` instead.',
    );
  }
  if (b.conversation != null) {
    throw unsupportedParameter(
      'conversation',
      'Conversations are not stored by this server; send the full conversation in `input` instead.',
    );
  }
  if (b.prompt != null) {
    throw unsupportedParameter(
      'prompt',
      'Stored prompt templates are not available on this server; put the text in `instructions` and `input` instead.',
    );
  }
  if (b.truncation === 'auto') {
    throw unsupportedValue(
      'truncation',
      "'auto' is not supported yet; use 'disabled' (the default) and keep the input within the model's context window.",
    );
  }
  const format = b.text?.format;
  if (format && format.type !== 'text') {
    throw unsupportedValue(
      'text.format',
      `type '${format.type}' (structured output) is not supported yet because constrained decoding is not available on this runtime; use {"type": "text"} and describe the wanted JSON in the instructions.`,
    );
  }
  const include = b.include ?? [];
  include.forEach((value, i) => {
    if (value !== 'reasoning.encrypted_content') {
      throw unsupportedValue(
        `include[${i}]`,
        `'${value}' is not supported; the only accepted value is 'reasoning.encrypted_content' (and this server never produces encrypted content).`,
      );
    }
  });
  if (b.top_logprobs != null && b.top_logprobs > 0) {
    throw unsupportedValue(
      'top_logprobs',
      `log probabilities are not supported yet; send 0 or omit it, got ${b.top_logprobs}.`,
    );
  }

  const input = parseInput(b.input);
  const tools = parseTools(b.tools ?? []);
  const tool_choice = parseToolChoice(b.tool_choice, tools);

  const text: TextConfig = { format: { type: 'text' } };
  if (b.text?.verbosity != null) text.verbosity = b.text.verbosity;

  return {
    model: b.model || null,
    input,
    instructions: b.instructions ?? null,
    stream: b.stream ?? false,
    stream_options: b.stream_options
      ? b.stream_options.include_obfuscation != null
        ? { include_obfuscation: b.stream_options.include_obfuscation }
        : {}
      : null,
    temperature: b.temperature ?? 1,
    top_p: b.top_p ?? 1,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: b.max_tool_calls ?? null,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    store: b.store ?? true,
    metadata: b.metadata ?? {},
    user: b.user ?? null,
    safety_identifier: b.safety_identifier ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    service_tier: b.service_tier ?? null,
    truncation: 'disabled',
    reasoning: b.reasoning
      ? { effort: b.reasoning.effort ?? null, summary: b.reasoning.summary ?? b.reasoning.generate_summary ?? null }
      : null,
    text,
    include: include as Array<'reasoning.encrypted_content'>,
    top_logprobs: 0,
    tools,
    tool_choice,
  };
}
