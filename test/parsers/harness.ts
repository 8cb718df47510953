/**
 * Shared helpers for the parser tests: feeding a parser in pieces, merging deltas, summarising them,
 * checking the streaming invariants, and checking that the output accounts for all of the input.
 */
import { expect } from 'vitest';
import { createOutputParser } from '../../src/parsers/index.ts';
import type { DeltaSink, OutputDelta, OutputParser, ParserOptions, ToolCallParser } from '../../src/parsers/types.ts';

export const HERMES_MARKERS = ['<tool_call>', '</tool_call>'];
export const THINK_MARKERS = ['<think>', '</think>'];
export const ALL_MARKERS = [...HERMES_MARKERS, ...THINK_MARKERS];

export type Make = () => ToolCallParser;

/** A parser factory for `createOutputParser` with hermes + think defaults. */
export function output(opts: Partial<ParserOptions> = {}): () => OutputParser {
  return () => createOutputParser({ toolFormat: 'hermes', reasoningFormat: 'think', ...opts });
}

/** Feed `chunks` one push at a time, then `end(truncated)`; the flat list of deltas, unmerged. */
export function feed(make: Make, chunks: readonly string[], truncated = false): OutputDelta[] {
  const p = make();
  const out: OutputDelta[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.end(truncated));
  return out;
}

/** Split `s` at the given positions (any numbers; taken modulo s.length + 1, sorted, deduplicated). */
export function splitAt(s: string, points: readonly number[]): string[] {
  const cuts = [...new Set(points.map((p) => p % (s.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let prev = 0;
  for (const c of cuts) {
    parts.push(s.slice(prev, c));
    prev = c;
  }
  parts.push(s.slice(prev));
  return parts;
}

/** Every UTF-16 code unit on its own (surrogate pairs split too: the harshest chunking). */
export function chars(s: string): string[] {
  return s.split('');
}

/** Merge consecutive deltas of the same kind (text, reasoning, call_args). */
export function merge(deltas: readonly OutputDelta[]): OutputDelta[] {
  const out: OutputDelta[] = [];
  for (const d of deltas) {
    const last = out[out.length - 1];
    if (last !== undefined && last.type === d.type && 'text' in last && 'text' in d) {
      out[out.length - 1] = { ...last, text: last.text + d.text };
    } else out.push({ ...d });
  }
  return out;
}

export type Item =
  | { text: string }
  | { reasoning: string }
  | { call: string; args: string; open?: true };

/** A readable summary: text / reasoning items and calls with their whole argument text. */
export function summarize(deltas: readonly OutputDelta[]): Item[] {
  const items: Item[] = [];
  let call: { call: string; args: string; open?: true } | null = null;
  for (const d of merge(deltas)) {
    switch (d.type) {
      case 'text':
        items.push({ text: d.text });
        break;
      case 'reasoning':
        items.push({ reasoning: d.text });
        break;
      case 'call_start':
        call = { call: d.name, args: '', open: true };
        items.push(call);
        break;
      case 'call_args':
        if (call === null) throw new Error('call_args outside a call');
        call.args += d.text;
        break;
      case 'call_end':
        if (call === null) throw new Error('call_end outside a call');
        delete call.open;
        call = null;
        break;
    }
  }
  return items;
}

export interface CheckOptions {
  /** Markers that must never appear in (or be split across) text deltas. */
  markers?: readonly string[];
  /** Skip the marker checks (malformed / truncated markup is released as text on purpose). */
  allowMarkersInText?: boolean;
}

/** The streaming invariants every delta list must satisfy. Throws on violation. */
export function checkInvariants(deltas: readonly OutputDelta[], opts: CheckOptions = {}): void {
  const markers = opts.markers ?? ALL_MARKERS;
  let inCall = false;
  for (const [k, d] of deltas.entries()) {
    if ('text' in d && d.text === '') throw new Error(`empty ${d.type} delta at ${k}`);
    switch (d.type) {
      case 'call_start':
        if (inCall) throw new Error(`call_start at ${k} inside a call`);
        if (d.name === '') throw new Error(`empty name at ${k}`);
        inCall = true;
        break;
      case 'call_args':
        if (!inCall) throw new Error(`call_args at ${k} outside a call`);
        break;
      case 'call_end':
        if (!inCall) throw new Error(`call_end at ${k} outside a call`);
        inCall = false;
        break;
      default:
        // A call is closed before anything else comes; only the last call may stay open (truncated).
        if (inCall) throw new Error(`${d.type} at ${k} inside a call`);
    }
  }
  if (opts.allowMarkersInText) return;
  // No text delta contains a marker (or its opening part) ...
  const stems = markers.map((m) => m.slice(0, -1));
  for (const d of deltas) {
    if (d.type !== 'text') continue;
    for (const s of stems) if (d.text.includes(s)) throw new Error(`text delta ${JSON.stringify(d.text)} contains ${s}`);
  }
  // ... and no marker is split across consecutive text deltas.
  for (let k = 0; k + 1 < deltas.length; k++) {
    const a = deltas[k];
    const b = deltas[k + 1];
    if (a.type !== 'text' || b.type !== 'text') continue;
    for (const m of markers) {
      for (let j = 1; j < m.length; j++) {
        if (a.text.endsWith(m.slice(0, j)) && b.text.startsWith(m.slice(j))) {
          throw new Error(`marker ${m} split across text deltas ${JSON.stringify(a.text)} | ${JSON.stringify(b.text)}`);
        }
      }
    }
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * "Nothing lost": the text, reasoning and argument pieces of `deltas`, in order, are found in `input`
 * (arguments also in their JSON-encoded form, for string arguments), and everything between them is
 * markup: whitespace, markers, JSON punctuation, `null`, the call object keys, the call names as JSON
 * strings, and the `extra` tokens. With `cutMarkers`, the input may end inside one of those tokens
 * (truncation).
 * Returns null when it does, an explanation otherwise.
 */
export function accountFor(
  input: string,
  deltas: readonly OutputDelta[],
  opts: { markers?: readonly string[]; extra?: readonly string[]; cutMarkers?: boolean } = {},
): string | null {
  const markers = opts.markers ?? ALL_MARKERS;
  const items = merge(deltas);
  const names = items.flatMap((d) => (d.type === 'call_start' ? [JSON.stringify(d.name)] : []));
  const tokens = [
    ...markers,
    '"name"',
    '"arguments"',
    '"parameters"',
    'null',
    ...names,
    ...(opts.extra ?? []),
  ].sort((a, b) => b.length - a.length);
  const alt = ['\\s', '[{}\\[\\]:,]', ...tokens.map(escapeRe)].join('|');
  const gap = new RegExp(`^(?:${alt})*$`);
  // A cut output may end inside any token of markup.
  const partials = tokens.flatMap((m) => Array.from({ length: m.length - 1 }, (_, j) => escapeRe(m.slice(0, j + 1))));
  const lastGap = opts.cutMarkers ? new RegExp(`^(?:${alt})*(?:${partials.join('|')})?$`) : gap;

  const pieces: string[][] = [];
  for (const d of items) {
    if (d.type === 'text' || d.type === 'reasoning') pieces.push([d.text]);
    else if (d.type === 'call_args') pieces.push([d.text, JSON.stringify(d.text)]);
  }
  const failed = new Set<string>();
  const search = (k: number, cursor: number): boolean => {
    const key = `${k}:${cursor}`;
    if (failed.has(key)) return false;
    if (k === pieces.length) {
      if (lastGap.test(input.slice(cursor))) return true;
    } else {
      for (const alt of pieces[k]) {
        for (let pos = input.indexOf(alt, cursor); pos >= 0; pos = input.indexOf(alt, pos + 1)) {
          if (gap.test(input.slice(cursor, pos)) && search(k + 1, pos + alt.length)) return true;
        }
      }
    }
    failed.add(key);
    return false;
  };
  if (search(0, 0)) return null;
  return `output does not account for the input.\ninput:  ${JSON.stringify(input)}\noutput: ${JSON.stringify(items)}`;
}

/**
 * Parse `input` whole, one code unit at a time and at a few fixed splits; assert all agree (merged),
 * check the invariants on each, and return the summary.
 */
export function parseAll(
  make: Make,
  input: string,
  opts: CheckOptions & { truncated?: boolean; extra?: readonly string[]; prefill?: string; noAccounting?: boolean } = {},
): Item[] {
  const chunkings = [[input], chars(input), splitAt(input, [1, 5, 11, 17]), splitAt(input, [3, 7, 12, 30, 31])];
  let first: OutputDelta[] | null = null;
  for (const chunks of chunkings) {
    const deltas = feed(make, chunks, opts.truncated);
    checkInvariants(deltas, opts);
    const merged = merge(deltas);
    if (first === null) first = merged;
    else expect(merged, `chunks ${JSON.stringify(chunks)}`).toEqual(first);
  }
  if (opts.noAccounting) return summarize(first!);
  const problem = accountFor((opts.prefill ?? '') + input, first!, {
    markers: opts.markers,
    extra: opts.extra,
    cutMarkers: opts.truncated,
  });
  expect(problem).toBeNull();
  return summarize(first!);
}

/** Feeding `input` split at `points`: each push's deltas continue what the whole run produces. */
export function expectNoRetraction(make: Make, input: string, points: number[]): void {
  const final = merge(feed(make, [input]));
  const p = make();
  // Walk the final deltas along with what is pushed: item k, `off` characters of it seen.
  let k = 0;
  let off = 0;
  const step = (d: OutputDelta) => {
    if (off > 0 && !('text' in d && final[k].type === d.type && off < (final[k] as { text: string }).text.length)) {
      k++;
      off = 0;
    }
    const f = final[k];
    expect(f?.type).toBe(d.type);
    if ('text' in d) {
      expect((f as { text: string }).text.startsWith(d.text, off)).toBe(true);
      off += d.text.length;
    } else {
      expect(d).toEqual(f);
      k++;
    }
  };
  for (const c of splitAt(input, points)) p.push(c).forEach(step);
  p.end().forEach(step);
  if (off > 0) k++;
  expect(k).toBe(final.length);
}

/** True when `JSON.parse(text)` gives a plain object: what a call's arguments must be. */
export function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** A call as a sink saw it: its argument text and the `checked` of its `callEnd`. */
export interface RecordedCall {
  args: string;
  checked: boolean | undefined;
}

/** Feeds `chunks` through `parser.pushTo`/`endTo` and records the calls that ended (see `RecordedCall`). */
export function recordCalls(parser: Pick<OutputParser, 'pushTo' | 'endTo'>, chunks: readonly string[], truncated = false): RecordedCall[] {
  const calls: RecordedCall[] = [];
  let open: RecordedCall | null = null;
  const sink: DeltaSink = {
    text() {},
    reasoning() {},
    callStart() {
      open = { args: '', checked: undefined };
    },
    callArgs(text) {
      if (open) open.args += text;
    },
    callEnd(checked) {
      if (open) calls.push({ ...open, checked });
      open = null;
    },
  };
  for (const c of chunks) parser.pushTo(c, sink);
  parser.endTo(sink, truncated);
  return calls;
}

/** `s` with one edit at `at` (taken modulo the length): 0 deletes a character, 1 inserts `c`, 2 replaces one with `c`. */
export function mutate(s: string, at: number, op: number, c: string, from = 0): string {
  const span = s.length - from + (op === 1 ? 1 : 0);
  const i = span <= 0 ? s.length : from + (at % span);
  if (op === 0) return s.slice(0, i) + s.slice(i + 1);
  if (op === 1) return s.slice(0, i) + c + s.slice(i);
  return s.slice(0, i) + c + s.slice(i + 1);
}
