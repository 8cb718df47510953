/**
 * The `<think>…</think>` reasoning splitter, incremental. Text inside the tags becomes `reasoning`
 * deltas; everything after `</think>` goes to the tool-call format parser.
 *
 * - Only a `<think>` at the very start of the output (after optional whitespace) opens reasoning; a
 *   later `<think>` is ordinary text. (A template that writes `<think>\n` into the prompt is handled by
 *   prefilling the parser with it.)
 * - Whitespace right after `<think>`, right before `</think>` and between `</think>` and the answer
 *   (Qwen3 writes `<think>\nreasoning\n</think>\n\nanswer`) is not emitted, so the reasoning is what
 *   templates put back between `<think>\n` and `\n</think>` on replay; it is otherwise intact.
 * - A suffix that may still become `</think>` is held back; an unterminated `<think>` at the end
 *   leaves its reasoning as reasoning (a cut-off `</thi` is released as reasoning text).
 */
import { heldSuffixStart, prefillInto } from './scanner.ts';
import { replay, SinkParser, sinkParserOf, S_REASONING as K_REASONING } from './sink.ts';
import type { DeltaSink, OutputDelta, OutputParser, ToolCallParser } from './types.ts';
import { indexOfChar, isWs } from './chars.ts';

const S_START = 0; // nothing but whitespace read yet
const S_REASONING = 1;
const S_AFTER = 2; // after the close tag, skipping whitespace
const S_TEXT = 3; // everything goes to the inner parser

export interface ThinkTags {
  open: string;
  close: string;
}

export class ThinkSplitter extends SinkParser implements OutputParser {
  private state = S_START;
  private carry = '';
  private skipWs = false;
  /** Reading the prefill: what goes to the inner parser is prefill too. */
  private quiet = false;
  /** How many leading characters of `carry` came from the prefill (held at the start). */
  private quietCarry = 0;
  private readonly open: string;
  private readonly close: string;
  private readonly closeList: readonly string[];
  private readonly inner: Required<ToolCallParser>;

  constructor(inner: ToolCallParser, tags: ThinkTags = { open: '<think>', close: '</think>' }) {
    super();
    this.inner = sinkParserOf(inner);
    this.open = tags.open;
    this.close = tags.close;
    this.closeList = [tags.close];
  }

  get inReasoning(): boolean {
    return this.state === S_REASONING;
  }

  pushTo(text: string, sink: DeltaSink): void {
    if (this.state === S_TEXT) {
      if (text !== '') this.inner.pushTo(text, sink);
      return;
    }
    if (this.state === S_REASONING && !this.skipWs && this.carry === '' && text !== '') {
      // Fast path: nothing in the chunk can begin the close tag, and it does not end in whitespace
      // (which is held back in case the close tag follows).
      if (indexOfChar(text, this.close[0]) < 0 && !isWs(text.charCodeAt(text.length - 1))) {
        sink.reasoning(text);
        return;
      }
    }
    this.sink = sink;
    this.run(text, false);
    this.flushStr();
  }

  /** Read text the prompt already wrote: like `push`, but none of it ever comes out as text. */
  prefill(text: string): OutputDelta[] {
    this.quiet = true;
    const out = this.collectQuiet(() => this.run(text, false));
    this.quiet = false;
    this.quietCarry = this.carry.length;
    return out;
  }

  endTo(sink: DeltaSink, truncated?: boolean): void {
    this.sink = sink;
    if (this.state !== S_TEXT) this.run('', true);
    this.flushStr();
    this.inner.endTo(sink, truncated);
  }

  private run(chunk: string, final: boolean): void {
    const s = this.carry === '' ? chunk : this.carry + chunk;
    this.carry = '';
    const quietCarry = this.quietCarry;
    this.quietCarry = 0;
    const n = s.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case S_START: {
          let j = i;
          while (j < n && isWs(s.charCodeAt(j))) j++;
          let m = 0; // 0: not the open tag, 1: it is, 2: could still be
          if (j < n) {
            const len = Math.min(n - j, this.open.length);
            m = s.startsWith(this.open.slice(0, len), j) ? (len === this.open.length ? 1 : 2) : 0;
          } else m = 2;
          if (m === 1) {
            this.state = S_REASONING;
            this.skipWs = true;
            i = j + this.open.length;
          } else if (m === 2 && !final) {
            this.carry = s.slice(i); // leading whitespace + a possible partial `<think>`
            this.quietCarry = quietCarry; // (i is 0 here: nothing was consumed)
            i = n;
          } else {
            this.state = S_TEXT;
          }
          break;
        }
        case S_REASONING: {
          if (this.skipWs) {
            while (i < n && isWs(s.charCodeAt(i))) i++;
            if (i === n) break;
            this.skipWs = false;
          }
          const at = s.indexOf(this.close, i);
          if (at >= 0) {
            const k = trimEnd(s, i, at);
            if (k > i) this.emitStr(K_REASONING, s.slice(i, k));
            this.state = S_AFTER;
            i = at + this.close.length;
          } else {
            const h = final ? n : trimEnd(s, i, heldSuffixStart(s, i, this.closeList, this.close.length));
            if (h > i) this.emitStr(K_REASONING, s.slice(i, h));
            if (h < n) this.carry = s.slice(h);
            i = n;
          }
          break;
        }
        case S_AFTER: {
          while (i < n && isWs(s.charCodeAt(i))) i++;
          if (i < n) this.state = S_TEXT;
          break;
        }
        default: {
          // Reasoning read so far goes out before what the inner parser writes.
          this.flushStr();
          if (this.quiet) {
            replay(prefillInto(this.inner, s.slice(i)), this.sink);
          } else {
            if (i < quietCarry) {
              // Held prefill text (only whitespace or a partial `<think>`) is prefill for the inner parser.
              replay(prefillInto(this.inner, s.slice(i, quietCarry)), this.sink);
              i = quietCarry;
            }
            if (i < n) this.inner.pushTo(i === 0 ? s : s.slice(i), this.sink);
          }
          i = n;
        }
      }
    }
  }
}

/** The end of `s.slice(from, to)` without its trailing whitespace. */
function trimEnd(s: string, from: number, to: number): number {
  while (to > from && isWs(s.charCodeAt(to - 1))) to--;
  return to;
}
