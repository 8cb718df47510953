/**
 * Parsers write deltas into a `DeltaSink` (types.ts). This module has the base class the built-in
 * parsers share (merging of string deltas within one push, and `push`/`end` as collected arrays), the
 * collector, and the adapter for formats that only return arrays.
 */
import type { DeltaSink, OutputDelta, ToolCallParser } from './types.ts';

/** Kinds of string delta a parser may hold while it reads one push. */
export const S_NONE = 0;
export const S_TEXT = 1;
export const S_REASONING = 2;
export const S_ARGS = 3;
export type StrKind = typeof S_TEXT | typeof S_REASONING | typeof S_ARGS;

/** Builds the `OutputDelta[]` of `push`/`end`: one delta per call, in order. */
export class DeltaCollector implements DeltaSink {
  readonly deltas: OutputDelta[] = [];
  text(text: string): void {
    this.deltas.push({ type: 'text', text });
  }
  reasoning(text: string): void {
    this.deltas.push({ type: 'reasoning', text });
  }
  callStart(name: string): void {
    this.deltas.push({ type: 'call_start', name });
  }
  callArgs(text: string): void {
    this.deltas.push({ type: 'call_args', text });
  }
  callEnd(): void {
    this.deltas.push({ type: 'call_end' });
  }
}

/** Writes `deltas` into `sink`, in order (empty strings are left out). */
export function replay(deltas: readonly OutputDelta[], sink: DeltaSink): void {
  for (const d of deltas) {
    switch (d.type) {
      case 'text':
        if (d.text !== '') sink.text(d.text);
        break;
      case 'reasoning':
        if (d.text !== '') sink.reasoning(d.text);
        break;
      case 'call_args':
        if (d.text !== '') sink.callArgs(d.text);
        break;
      case 'call_start':
        sink.callStart(d.name);
        break;
      default:
        sink.callEnd();
    }
  }
}

/** A sink that takes nothing (a parser's sink between pushes). */
const NO_SINK: DeltaSink = {
  text() {},
  reasoning() {},
  callStart() {},
  callArgs() {},
  callEnd() {},
};

/**
 * The base of the built-in parsers. A subclass implements `pushTo`/`endTo`: it sets `sink`, writes with
 * `emitStr`/`emitCallStart`/`emitCallEnd` (or straight into the sink on a fast path, where nothing is
 * pending), and calls `flushStr` before it returns. String deltas of one kind that follow each other
 * within a push become one.
 */
export abstract class SinkParser implements ToolCallParser {
  protected sink: DeltaSink = NO_SINK;
  private outKind = S_NONE;
  private outText = '';

  abstract pushTo(text: string, sink: DeltaSink): void;
  abstract endTo(sink: DeltaSink, truncated?: boolean): void;

  push(text: string): OutputDelta[] {
    const c = new DeltaCollector();
    this.pushTo(text, c);
    return c.deltas;
  }

  end(truncated?: boolean): OutputDelta[] {
    const c = new DeltaCollector();
    this.endTo(c, truncated);
    return c.deltas;
  }

  /** Runs `read` with a collector as the sink; returns what it wrote, without text (prefill). */
  protected collectQuiet(read: () => void): OutputDelta[] {
    const c = new DeltaCollector();
    this.sink = c;
    read();
    this.flushStr();
    this.sink = NO_SINK;
    return c.deltas.filter((d) => d.type !== 'text');
  }

  protected emitStr(kind: StrKind, text: string): void {
    if (text === '') return;
    if (kind === this.outKind) this.outText += text;
    else {
      if (this.outKind !== S_NONE) this.flushStr();
      this.outKind = kind;
      this.outText = text;
    }
  }

  protected emitCallStart(name: string): void {
    if (this.outKind !== S_NONE) this.flushStr();
    this.sink.callStart(name);
  }

  /** `checked`: see `DeltaSink.callEnd`. */
  protected emitCallEnd(checked = false): void {
    if (this.outKind !== S_NONE) this.flushStr();
    this.sink.callEnd(checked);
  }

  /** Writes the pending string delta, if any. */
  protected flushStr(): void {
    const kind = this.outKind;
    if (kind === S_NONE) return;
    const text = this.outText;
    this.outKind = S_NONE;
    this.outText = '';
    if (kind === S_TEXT) this.sink.text(text);
    else if (kind === S_ARGS) this.sink.callArgs(text);
    else this.sink.reasoning(text);
  }
}

/** A format's parser as one that writes into a sink: its own `pushTo`/`endTo`, or its arrays replayed. */
export function sinkParserOf(p: ToolCallParser): Required<ToolCallParser> {
  if (typeof p.pushTo === 'function' && typeof p.endTo === 'function') return p as Required<ToolCallParser>;
  return {
    push: (text) => p.push(text),
    end: (truncated) => p.end(truncated),
    pushTo: (text, sink) => replay(p.push(text), sink),
    endTo: (sink, truncated) => replay(p.end(truncated), sink),
  };
}
