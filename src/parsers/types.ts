/**
 * What an output parser makes of the model's raw text: an ordered stream of deltas that the event
 * writer turns into Responses events. A call is `call_start` (the name is known), any number of
 * `call_args` (argument bytes, in order) and `call_end` (the arguments value is complete).
 */
export type OutputDelta =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'call_start'; name: string }
  | { type: 'call_args'; text: string }
  | { type: 'call_end' };

/**
 * An incremental parser. It never emits an empty `text`/`reasoning`/`call_args` delta, never emits a
 * fragment of a marker as text, and holds back a suffix only while it can still become a marker.
 */
export interface OutputParser {
  /** Feed the next piece of model text; returns the deltas that are certain now, in order. */
  push(text: string): OutputDelta[];
  /**
   * The model stopped (`truncated`: cut by the token limit). Held-back text is released as text, and
   * call markup whose name was never complete is released as text. A call whose `call_start` was
   * emitted but whose arguments never completed gets no `call_end`: the caller sees it still open.
   */
  end(truncated?: boolean): OutputDelta[];
  /** True while the parser is inside reasoning (used to count reasoning tokens). */
  readonly inReasoning: boolean;
}

/** A format that splits text into text and calls (after reasoning was split off). */
export interface ToolCallParser {
  push(text: string): OutputDelta[];
  end(truncated?: boolean): OutputDelta[];
}

export interface ToolFormatOptions {
  /** Function tools of the request (name, JSON schema), for formats that need the schema. */
  tools?: ReadonlyArray<{ name: string; parameters?: unknown }>;
}

export type ToolFormatFactory = (opts: ToolFormatOptions) => ToolCallParser;

/**
 * A tool-call format: how to parse it, how to force a call with a prefix of the assistant turn
 * (tool_choice), and how to recognise it in a chat template.
 */
export interface ToolFormatSpec {
  /** Registry name (vLLM's `--tool-call-parser` name where there is one). */
  name: string;
  create: ToolFormatFactory;
  /**
   * What the assistant turn is prefilled with for `tool_choice: "required"`: the format's call opener,
   * so the model must write a call (e.g. `<tool_call>\n{"name": "`). null: a prefix cannot force a
   * call in this format (the request gets a 400).
   */
  requiredPrefill: string | null;
  /** The prefill for a named `tool_choice`: everything up to the arguments. null: cannot be forced. */
  namedPrefill: ((name: string) => string) | null;
  /**
   * Detection: the format is the model's when its chat template contains every string of one of
   * these lists (checked in registry order, most specific first).
   */
  templateMarkers: ReadonlyArray<readonly string[]>;
  /** The format parses reasoning itself (harmony's analysis channel): no separate reasoning splitter. */
  ownsReasoning?: boolean;
}

export interface ParserOptions {
  /** Tool-call format name from the registry, or 'none' (everything is text). */
  toolFormat: string;
  /** Reasoning format: 'think' (`<think>…</think>`) or 'none'. */
  reasoningFormat: string;
  /**
   * Text the prompt already wrote at the start of the assistant turn (e.g. `<think>\n`, or a forced
   * call opener): the parser starts as if it had read it. Deltas it implies (a `call_start` for a
   * forced name) are emitted by the first `push`/`end`.
   */
  prefill?: string;
  tools?: ToolFormatOptions['tools'];
}
