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
 * Where a parser writes what it reads, in order: the same deltas as `OutputDelta`, as calls instead of
 * objects. The event writer is one (it turns each call into events at once, with no delta objects or
 * arrays in between: at one delta per token that is most of a plain-text token's cost); a collector
 * that builds `OutputDelta[]` is another (`push`/`end`). Text passed to `text`, `reasoning` and
 * `callArgs` is never empty.
 */
export interface DeltaSink {
  text(text: string): void;
  reasoning(text: string): void;
  callStart(name: string): void;
  callArgs(text: string): void;
  /**
   * The call's arguments are complete. `checked`: the arguments the parser wrote for this call are,
   * together, one JSON object exactly as `JSON.parse` takes it — the parser checked them as it read them
   * (the JSON scanner) or wrote the JSON itself (pythonic, qwen3_xml) — so the event writer need not
   * read them again. Without it (the default; always through `push`/`end` arrays) the writer checks
   * them. Each format that says it has a property test holding it to `JSON.parse` on broken input.
   */
  callEnd(checked?: boolean): void;
}

/**
 * An incremental parser. It never emits an empty `text`/`reasoning`/`call_args` delta, never emits a
 * fragment of a marker as text, and holds back a suffix only while it can still become a marker.
 * Within one `push` (or `pushTo`), string deltas of the same type that follow each other are merged.
 */
export interface OutputParser {
  /** Feed the next piece of model text; writes the deltas that are certain now into `sink`, in order. */
  pushTo(text: string, sink: DeltaSink): void;
  /**
   * The model stopped (`truncated`: cut by the token limit). Held-back text is released as text, and
   * call markup whose name was never complete is released as text. A call whose `call_start` was
   * emitted but whose arguments never completed gets no `call_end`: the caller sees it still open.
   */
  endTo(sink: DeltaSink, truncated?: boolean): void;
  /** `pushTo`, with the deltas returned as an array. */
  push(text: string): OutputDelta[];
  /** `endTo`, with the deltas returned as an array. */
  end(truncated?: boolean): OutputDelta[];
  /** True while the parser is inside reasoning (used to count reasoning tokens). */
  readonly inReasoning: boolean;
}

/**
 * A format that splits text into text and calls (after reasoning was split off). `push`/`end` are
 * what a format must have; the built-in formats also write straight into a sink (`pushTo`/`endTo`),
 * and a format without them is adapted (its arrays replayed into the sink).
 */
export interface ToolCallParser {
  push(text: string): OutputDelta[];
  end(truncated?: boolean): OutputDelta[];
  pushTo?(text: string, sink: DeltaSink): void;
  endTo?(sink: DeltaSink, truncated?: boolean): void;
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
