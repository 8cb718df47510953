/**
 * Output parsers: the registry of tool-call formats and their composition with the reasoning
 * splitter. `createOutputParser` is what the service uses for each response.
 */
import { HARMONY_FORMAT } from './harmony.ts';
import { HERMES_FORMAT } from './hermes.ts';
import { LLAMA3_JSON_FORMAT } from './llama3-json.ts';
import { MISTRAL_FORMAT, MISTRAL_V11_FORMAT } from './mistral.ts';
import { PHI4_MINI_JSON_FORMAT } from './phi4-mini.ts';
import { PYTHONIC_FORMAT } from './pythonic.ts';
import { QWEN3_XML_FORMAT } from './qwen3-xml.ts';
import { prefillInto, type Prefillable } from './scanner.ts';
import { DeltaCollector, replay, SinkParser, sinkParserOf } from './sink.ts';
import { ThinkSplitter } from './think.ts';
import type {
  DeltaSink,
  OutputDelta,
  OutputParser,
  ParserOptions,
  ToolCallParser,
  ToolFormatOptions,
  ToolFormatSpec,
} from './types.ts';

export type * from './types.ts';
export { DeltaCollector, SinkParser, replay } from './sink.ts';
export { JsonCallScanner, prefillInto, type JsonCallScannerConfig, type Prefillable } from './scanner.ts';
export { HERMES_CONFIG, HERMES_FORMAT, createHermesParser } from './hermes.ts';
export { ThinkSplitter, type ThinkTags } from './think.ts';
export { HARMONY_FORMAT } from './harmony.ts';
export { PYTHONIC_FORMAT } from './pythonic.ts';
export { QWEN3_XML_FORMAT } from './qwen3-xml.ts';
export { LLAMA3_JSON_FORMAT } from './llama3-json.ts';
export { MISTRAL_FORMAT, MISTRAL_V11_FORMAT } from './mistral.ts';
export { PHI4_MINI_JSON_FORMAT } from './phi4-mini.ts';

/** `toolFormat: 'none'`: everything is text. */
class PlainTextParser extends SinkParser {
  pushTo(text: string, sink: DeltaSink): void {
    if (text !== '') sink.text(text);
  }
  endTo(): void {}
}

const NONE_FORMAT: ToolFormatSpec = {
  name: 'none',
  create: () => new PlainTextParser(),
  requiredPrefill: null,
  namedPrefill: null,
  templateMarkers: [],
};

/** The formats, in detection order (the most specific template markers first). */
const registry = new Map<string, ToolFormatSpec>([
  ['none', NONE_FORMAT],
  ['harmony', HARMONY_FORMAT],
  ['qwen3_xml', QWEN3_XML_FORMAT],
  ['hermes', HERMES_FORMAT],
  ['mistral_v11', MISTRAL_V11_FORMAT],
  ['mistral', MISTRAL_FORMAT],
  ['phi4_mini_json', PHI4_MINI_JSON_FORMAT],
  ['pythonic', PYTHONIC_FORMAT],
  ['llama3_json', LLAMA3_JSON_FORMAT],
]);

const REASONING_FORMATS = ['think', 'none'] as const;

/** Add (or replace) a tool-call format. */
export function registerToolFormat(spec: ToolFormatSpec): void {
  registry.set(spec.name, spec);
}

/** Names of the registered tool-call formats (including 'none'). */
export function toolFormatNames(): string[] {
  return [...registry.keys()];
}

export function reasoningFormatNames(): string[] {
  return [...REASONING_FORMATS];
}

/** A registered format by name; throws naming the known formats if there is none. */
export function getToolFormat(name: string): ToolFormatSpec {
  const spec = registry.get(name);
  if (spec === undefined) {
    throw new Error(`Unknown tool format "${name}"; known formats: ${toolFormatNames().join(', ')}`);
  }
  return spec;
}

/** A tool-call format parser by name; throws naming the known formats if there is none. */
export function createToolCallParser(name: string, opts: ToolFormatOptions = {}): ToolCallParser {
  return getToolFormat(name).create(opts);
}

/**
 * The tool-call format a chat template writes, from the markers it contains (`<tool_call>` → hermes,
 * `<|python_tag|>` → llama3_json, `[TOOL_CALLS]` → mistral, `<|channel|>` → harmony, …); 'none'
 * when no format matches.
 */
export function detectToolFormat(chatTemplate: string): string {
  for (const spec of registry.values()) {
    if (spec.templateMarkers.some((markers) => markers.every((m) => chatTemplate.includes(m)))) return spec.name;
  }
  return 'none';
}

/** The reasoning format a chat template writes: 'think' when it knows `<think>`, else 'none'. */
export function detectReasoningFormat(chatTemplate: string): string {
  return chatTemplate.includes('<think>') ? 'think' : 'none';
}

/**
 * No reasoning splitter in front: reasoning format 'none', or a format that parses reasoning itself
 * (harmony), whose `inReasoning` is passed through.
 */
class NoReasoning implements OutputParser, Prefillable {
  private readonly inner: Required<ToolCallParser>;
  constructor(private readonly format: ToolCallParser & { readonly inReasoning?: boolean }) {
    this.inner = sinkParserOf(format);
  }
  get inReasoning(): boolean {
    return this.format.inReasoning ?? false;
  }
  prefill(text: string): OutputDelta[] {
    return prefillInto(this.format, text);
  }
  pushTo(text: string, sink: DeltaSink): void {
    this.inner.pushTo(text, sink);
  }
  endTo(sink: DeltaSink, truncated?: boolean): void {
    this.inner.endTo(sink, truncated);
  }
  push(text: string): OutputDelta[] {
    return this.inner.push(text);
  }
  end(truncated?: boolean): OutputDelta[] {
    return this.inner.end(truncated);
  }
}

/**
 * Emits the deltas implied by the prefill in front of the first push/end, merged with that push's
 * string deltas of the same type (so a forced call's prefilled arguments and the model's first bytes
 * of them are one delta).
 */
class Prefilled extends SinkParser implements OutputParser {
  private pending: OutputDelta[] | null;
  constructor(
    private readonly inner: OutputParser,
    pending: OutputDelta[],
  ) {
    super();
    this.pending = pending.length > 0 ? pending : null;
  }
  get inReasoning(): boolean {
    return this.inner.inReasoning;
  }
  pushTo(text: string, sink: DeltaSink): void {
    if (this.pending === null) return this.inner.pushTo(text, sink);
    const c = new DeltaCollector();
    this.inner.pushTo(text, c);
    replay(this.take(c.deltas), sink);
  }
  endTo(sink: DeltaSink, truncated?: boolean): void {
    if (this.pending === null) return this.inner.endTo(sink, truncated);
    const c = new DeltaCollector();
    this.inner.endTo(c, truncated);
    replay(this.take(c.deltas), sink);
  }
  private take(deltas: OutputDelta[]): OutputDelta[] {
    const pending = this.pending;
    if (pending === null) return deltas;
    this.pending = null;
    for (const d of deltas) {
      const last = pending[pending.length - 1];
      if (last.type === d.type && 'text' in last && 'text' in d) last.text += d.text;
      else pending.push(d);
    }
    return pending;
  }
}

/**
 * The parser for one response: the reasoning splitter (if any) in front of the tool-call format.
 * `prefill` is text the prompt already wrote at the start of the assistant turn; the parser starts as
 * if it had read it. The deltas it implies (reasoning, a forced `call_start`, argument bytes) come
 * out of the first push/end; prefill text never comes out as a `text` delta.
 */
export function createOutputParser(opts: ParserOptions): OutputParser {
  const spec = getToolFormat(opts.toolFormat);
  const tool = spec.create({ tools: opts.tools });
  let parser: OutputParser;
  if (spec.ownsReasoning) parser = new NoReasoning(tool);
  else if (opts.reasoningFormat === 'think') parser = new ThinkSplitter(tool);
  else if (opts.reasoningFormat === 'none') parser = new NoReasoning(tool);
  else {
    throw new Error(
      `Unknown reasoning format "${opts.reasoningFormat}"; known formats: ${REASONING_FORMATS.join(', ')}`,
    );
  }
  if (opts.prefill === undefined || opts.prefill === '') return parser;
  return new Prefilled(parser, prefillInto(parser, opts.prefill));
}
