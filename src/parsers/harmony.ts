/**
 * The `harmony` format of gpt-oss (vLLM's `--tool-call-parser openai`). The prompt ends with
 * `<|start|>assistant`; the model then writes one or more messages:
 *
 *     <|channel|>analysis<|message|>User asks weather. Need tool.<|end|>
 *     <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>
 *
 *     <|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>The answer.<|return|>
 *
 * A message is a header (everything up to `<|message|>`: role, `<|channel|>NAME`, an optional
 * recipient `to=R` before or after the channel, an optional content type `<|constrain|>json` or
 * ` json`) and a body ended by `<|end|>`, `<|call|>` or `<|return|>` (or by the end of the output:
 * engines usually stop on `<|call|>`/`<|return|>` without writing them).
 *
 * Mapping (the format parses reasoning itself: `ownsReasoning`):
 * - a recipient makes the message a call: `call_start` once the header is complete (at
 *   `<|message|>`), named by the part after `functions.`; any other recipient (`browser.search`,
 *   `python`, … — gpt-oss's built-in tools, written on the analysis channel) names the call in full,
 *   so nothing is lost. The body bytes are the arguments, streamed raw as `call_args` (JSON for
 *   functions; whatever the model wrote otherwise), `call_end` at the body's end token. A header
 *   with a recipient that is ended by `<|call|>` without any `<|message|>` is a call without
 *   arguments;
 * - otherwise the `analysis` channel is `reasoning`; `final`, `commentary` (a preamble shown to the
 *   user) and any other or missing channel are `text`;
 * - text that is not in harmony framing — before any header, or after an end token where no
 *   `<|start|>` follows — is text. At the output start (and after an end token) text that may still
 *   be a header continued from the prompt's `<|start|>assistant` (whitespace, `assistant`, `to=R`)
 *   is held until a harmony token shows it is one; anything else is released as text at once.
 *   Whitespace between messages is dropped.
 *
 * Never in a `text` or `reasoning` delta: a special token (`<|start|>`, `<|end|>`, `<|message|>`,
 * `<|channel|>`, `<|constrain|>`, `<|call|>`, `<|return|>`, `<|endoftext|>`) or a fragment of one
 * (a suffix that may still become one is held back), or header text. Stray tokens inside a body
 * (`<|message|>`, `<|constrain|>`) are dropped; `<|start|>`/`<|channel|>` inside a body begin the next
 * message (the end token was left out).
 *
 * `end(truncated)`:
 * - a partial token held back at the end is released where it was headed (reasoning, text or
 *   arguments): the model writes special tokens whole, so it was literal text;
 * - an unfinished header is harmony markup and is dropped (nothing of it was emitted) — including a
 *   call whose name never completed; held text before any header (`to=…`, `assist`) is released as
 *   text unless it is whitespace only;
 * - an open call body gets its `call_end` when the output ended normally (the engine stopped on
 *   `<|call|>`), and stays open when it was `truncated` by the token limit.
 *
 * A header that grows beyond MAX_HEADER characters without `<|message|>` is not a header: its text
 * (without its special tokens) is released as text, and what follows is text.
 *
 * `inReasoning` is true while inside the body of an analysis message.
 *
 * Incremental: the parser holds back only a partial special token (a few characters), a short
 * candidate header at the start / between messages, or the current header; each character is
 * examined a bounded number of times.
 */
import type { Prefillable } from './scanner.ts';
import { markerSet, matchAny, NO_MATCH, PARTIAL_MATCH } from './markers.ts';
import { SinkParser, S_ARGS, S_REASONING, S_TEXT } from './sink.ts';
import type { DeltaSink, OutputDelta, OutputParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';
import { indexOfChar, isWs } from './chars.ts';

/** The special tokens the parser recognises in the text. */
export const HARMONY_TOKENS = [
  '<|start|>',
  '<|end|>',
  '<|message|>',
  '<|channel|>',
  '<|constrain|>',
  '<|return|>',
  '<|call|>',
  '<|endoftext|>',
] as const;

const T_START = 0;
const T_END = 1;
const T_MESSAGE = 2;
const T_CHANNEL = 3;
const T_CONSTRAIN = 4;
const T_RETURN = 5;
const T_CALL = 6;
const T_EOT = 7;

const NO_TOKEN = NO_MATCH;
const PARTIAL_TOKEN = PARTIAL_MATCH;

const LT = 0x3c;

// Modes.
const M_PRE = 0; // at the output start or between messages: holding a possible header continuation
const M_HEADER = 1; // inside a header, up to `<|message|>`
const M_BODY = 2; // inside a message body (or unframed text)

// Body kinds.
const K_TEXT = 0;
const K_REASONING = 1;
const K_CALL = 2;
const K_PLAIN = 3; // text outside harmony framing

/** Longest text held before a header at the output start / between messages. */
const MAX_PRE = 256;
/** Longest header (characters, tokens included). */
export const MAX_HEADER = 1024;

const FUNCTIONS = 'functions.';

function isBlank(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (!isWs(s.charCodeAt(k))) return false;
  return true;
}

/** The special tokens, looked up by their third character (the one after `<|`). */
const TOKENS = markerSet(HARMONY_TOKENS);

/**
 * Which special token starts at `s[k]` (where `s[k] === '<'`): its index, PARTIAL_TOKEN when `s`
 * ends with a proper prefix of one, NO_TOKEN otherwise.
 */
function tokenAt(s: string, k: number): number {
  return matchAny(s, k, TOKENS);
}

function headerCandidate(p: string): boolean {
  const n = p.length;
  if (n > MAX_PRE) return false;
  let i = 0;
  while (i < n) {
    while (i < n && isWs(p.charCodeAt(i))) i++;
    if (i === n) break;
    let j = i;
    while (j < n && !isWs(p.charCodeAt(j))) j++;
    const w = p.slice(i, j);
    if (!w.startsWith('to=')) {
      if (j < n) {
        if (w !== 'assistant') return false;
      } else if (!'assistant'.startsWith(w) && !'to='.startsWith(w)) return false;
    }
    i = j;
  }
  return true;
}

export interface HarmonyHeader {
  /** The channel (`analysis`, `commentary`, `final`), '' if none. */
  channel: string;
  /** The recipient (`functions.get_weather`, `browser.search`, `python`), '' if none. */
  recipient: string;
}

/** Parse a header (the text between `<|start|>` and `<|message|>`, special tokens included). */
export function parseHarmonyHeader(h: string): HarmonyHeader {
  const CH = HARMONY_TOKENS[T_CHANNEL];
  let channel = '';
  let rest = h;
  const ci = h.indexOf(CH);
  if (ci >= 0) {
    const from = ci + CH.length;
    let j = from;
    while (j < h.length && !isWs(h.charCodeAt(j)) && h.charCodeAt(j) !== LT) j++;
    channel = h.slice(from, j);
    rest = h.slice(0, ci) + ' ' + h.slice(j);
  }
  let recipient = '';
  let bare = '';
  for (const w of rest.split(/<\|channel\|>|<\|constrain\|>|\s+/)) {
    if (w.length > 3 && w.startsWith('to=')) {
      recipient = w.slice(3);
      break;
    }
    // Lenient: a bare `functions.NAME` (the `to=` left out).
    if (bare === '' && w.length > FUNCTIONS.length && w.startsWith(FUNCTIONS)) bare = w;
  }
  return { channel, recipient: recipient || bare };
}

/** The call name for a recipient: the part after `functions.`, else the whole recipient. */
export function harmonyCallName(recipient: string): string {
  return recipient.length > FUNCTIONS.length && recipient.startsWith(FUNCTIONS)
    ? recipient.slice(FUNCTIONS.length)
    : recipient;
}

export class HarmonyParser extends SinkParser implements OutputParser, Prefillable {
  private mode = M_PRE;
  private kind = K_PLAIN;
  /** A partial special token carried into the next push (it starts with '<'). */
  private carry = '';
  /** M_PRE: held text that may still be a header, and its input offset. */
  private pend = '';
  private pendStart = 0;
  /** M_HEADER: the header so far (special tokens included, verbatim), and its input offset. */
  private hdr = '';
  private hdrStart = 0;
  /** Characters read so far (prefill included). Text from before `quietUntil` is prefill: never text. */
  private pos = 0;
  private quietUntil = 0;

  get inReasoning(): boolean {
    return this.mode === M_BODY && this.kind === K_REASONING;
  }

  pushTo(text: string, sink: DeltaSink): void {
    if (text === '') return;
    if (this.mode === M_BODY && this.carry === '' && indexOfChar(text, '<') < 0) {
      // Fast path: a body piece that can't hold (the start of) a special token.
      const at = this.pos;
      this.pos += text.length;
      const kind = this.kind;
      if (kind === K_REASONING) sink.reasoning(text);
      else if (kind === K_CALL) sink.callArgs(text);
      else if (at >= this.quietUntil) sink.text(text);
      else {
        this.sink = sink;
        this.emit(text, at);
        this.flushStr();
      }
      return;
    }
    this.sink = sink;
    this.run(text);
    this.flushStr();
  }

  /** Read text the prompt already wrote (e.g. a forced call header): like `push`, but never text. */
  prefill(text: string): OutputDelta[] {
    if (text === '') return [];
    this.quietUntil = this.pos + text.length;
    return this.collectQuiet(() => this.run(text));
  }

  endTo(sink: DeltaSink, truncated = false): void {
    this.sink = sink;
    const c = this.carry;
    const cStart = this.pos - c.length;
    this.carry = '';
    switch (this.mode) {
      case M_BODY:
        this.emit(c, cStart);
        if (this.kind === K_CALL && !truncated) this.emitCallEnd();
        break;
      case M_PRE:
        if (!isBlank(this.pend) || c === '<') {
          if (this.pend === '') this.pendStart = cStart;
          this.pend += c;
          this.releasePend();
        }
        break;
      default:
        break; // an unfinished header: markup, dropped
    }
    this.pend = '';
    this.hdr = '';
    this.mode = M_PRE;
    this.kind = K_PLAIN;
    this.flushStr();
  }

  private run(chunk: string): void {
    const carry = this.carry;
    const s = carry === '' ? chunk : carry + chunk;
    const base = this.pos - carry.length;
    this.pos += chunk.length;
    this.carry = '';
    const n = s.length;
    let i = 0;
    while (i < n) {
      if (this.mode === M_BODY) i = this.body(s, i, base);
      else if (this.mode === M_HEADER) i = this.header(s, i, base);
      else i = this.pre(s, i, base);
    }
  }

  // --- states ----------------------------------------------------------------------------------

  private body(s: string, i: number, base: number): number {
    const n = s.length;
    let j = i;
    for (;;) {
      const k = indexOfChar(s, '<', j);
      if (k < 0) {
        this.emit(i === 0 ? s : s.slice(i), base + i);
        return n;
      }
      const t = tokenAt(s, k);
      if (t === NO_TOKEN) {
        j = k + 1;
        continue;
      }
      if (k > i) this.emit(s.slice(i, k), base + i);
      if (t === PARTIAL_TOKEN) {
        this.carry = s.slice(k);
        return n;
      }
      const next = k + HARMONY_TOKENS[t].length;
      switch (t) {
        case T_MESSAGE:
          if (this.kind === K_PLAIN) this.kind = K_TEXT; // the header before it was not seen as one
          break;
        case T_CONSTRAIN:
          if (this.kind === K_PLAIN) this.startHeader(HARMONY_TOKENS[t], base + k);
          break;
        case T_START:
          this.closeBody();
          this.startHeader('', base + next);
          break;
        case T_CHANNEL:
          this.closeBody();
          this.startHeader(HARMONY_TOKENS[t], base + k);
          break;
        default: // end, call, return, endoftext
          this.closeBody();
          this.mode = M_PRE;
      }
      return next;
    }
  }

  private header(s: string, i: number, base: number): number {
    const n = s.length;
    let k = indexOfChar(s, '<', i);
    if (k < 0) k = n;
    if (k > i) {
      this.hdr += s.slice(i, k);
      if (this.hdr.length > MAX_HEADER) {
        this.headerOverflow();
        return k;
      }
    }
    if (k === n) return n;
    const t = tokenAt(s, k);
    if (t === PARTIAL_TOKEN) {
      this.carry = s.slice(k);
      return n;
    }
    if (t === NO_TOKEN) {
      this.hdr += '<';
      if (this.hdr.length > MAX_HEADER) this.headerOverflow();
      return k + 1;
    }
    const tok = HARMONY_TOKENS[t];
    switch (t) {
      case T_MESSAGE:
        this.openBody(parseHarmonyHeader(this.hdr));
        this.hdr = '';
        break;
      case T_CHANNEL:
      case T_CONSTRAIN:
        this.hdr += tok;
        if (this.hdr.length > MAX_HEADER) this.headerOverflow();
        break;
      case T_START:
        this.startHeader('', base + k + tok.length); // the header before was never completed
        break;
      case T_CALL: {
        // `to=functions.f<|call|>`: a call without arguments.
        const h = parseHarmonyHeader(this.hdr);
        if (h.recipient !== '') {
          this.emitCallStart(harmonyCallName(h.recipient));
          this.emitCallEnd();
        }
        this.hdr = '';
        this.mode = M_PRE;
        break;
      }
      default: // end, return, endoftext: a header without a body, dropped
        this.hdr = '';
        this.mode = M_PRE;
    }
    return k + tok.length;
  }

  private pre(s: string, i: number, base: number): number {
    const n = s.length;
    let k = indexOfChar(s, '<', i);
    if (k < 0) k = n;
    if (k > i) {
      if (this.pend === '') this.pendStart = base + i;
      this.pend += s.slice(i, k);
      if (!headerCandidate(this.pend)) {
        this.releasePend();
        this.mode = M_BODY;
        this.kind = K_PLAIN;
        return k;
      }
    }
    if (k === n) return n;
    const t = tokenAt(s, k);
    if (t === PARTIAL_TOKEN) {
      this.carry = s.slice(k);
      return n;
    }
    if (t === NO_TOKEN) {
      // '<' can't be in a header: this is text.
      if (this.pend === '') this.pendStart = base + k;
      this.pend += '<';
      this.releasePend();
      this.mode = M_BODY;
      this.kind = K_PLAIN;
      return k + 1;
    }
    const tok = HARMONY_TOKENS[t];
    switch (t) {
      case T_START:
        this.dropPend();
        this.startHeader('', base + k + tok.length);
        break;
      case T_CHANNEL:
      case T_CONSTRAIN: {
        // The held text was the start of the header (`assistant to=…`).
        const start = this.pend === '' ? base + k : this.pendStart;
        const h = this.pend + tok;
        this.pend = '';
        this.startHeader(h, start);
        break;
      }
      case T_MESSAGE: {
        const h = this.pend;
        this.pend = '';
        this.openBody(parseHarmonyHeader(h));
        break;
      }
      default: // end, call, return, endoftext: nothing to end
        this.dropPend();
    }
    return k + tok.length;
  }

  // --- transitions -----------------------------------------------------------------------------

  private startHeader(h: string, start: number): void {
    this.mode = M_HEADER;
    this.hdr = h;
    this.hdrStart = start;
  }

  private openBody(h: HarmonyHeader): void {
    this.mode = M_BODY;
    if (h.recipient !== '') {
      this.kind = K_CALL;
      this.emitCallStart(harmonyCallName(h.recipient));
    } else this.kind = h.channel === 'analysis' ? K_REASONING : K_TEXT;
  }

  private closeBody(): void {
    if (this.kind === K_CALL) this.emitCallEnd();
    this.kind = K_PLAIN;
  }

  /** The header is too long to be one: its text (without special tokens) is text. */
  private headerOverflow(): void {
    const h = this.hdr;
    const cut = this.quietUntil - this.hdrStart; // characters of it that came from the prefill
    let text = '';
    let i = 0;
    while (i < h.length) {
      let k = h.indexOf('<|', i);
      if (k < 0) k = h.length;
      if (k > i && k > cut) text += h.slice(Math.max(i, cut), k);
      if (k === h.length) break;
      const t = tokenAt(h, k);
      if (t >= 0) i = k + HARMONY_TOKENS[t].length;
      else {
        if (k >= cut) text += '<';
        i = k + 1;
      }
    }
    this.hdr = '';
    this.mode = M_BODY;
    this.kind = K_PLAIN;
    this.emitStr(S_TEXT, text);
  }

  private releasePend(): void {
    const p = this.pend;
    this.pend = '';
    const cut = this.quietUntil - this.pendStart;
    this.emitStr(S_TEXT, cut > 0 ? p.slice(cut) : p);
  }

  /** Held text before markup: dropped if whitespace, else released as text. */
  private dropPend(): void {
    if (isBlank(this.pend)) this.pend = '';
    else this.releasePend();
  }

  /** Body text `str` (read at input offset `at`) for the current body kind. */
  private emit(str: string, at: number): void {
    if (str === '') return;
    switch (this.kind) {
      case K_REASONING:
        this.emitStr(S_REASONING, str);
        return;
      case K_CALL:
        this.emitStr(S_ARGS, str);
        return;
      default: {
        const cut = this.quietUntil - at;
        this.emitStr(S_TEXT, cut > 0 ? str.slice(cut) : str);
      }
    }
  }
}

export function createHarmonyParser(_opts: ToolFormatOptions = {}): HarmonyParser {
  return new HarmonyParser();
}

export const HARMONY_FORMAT: ToolFormatSpec = {
  name: 'harmony',
  create: createHarmonyParser,
  requiredPrefill: '<|channel|>commentary to=functions.',
  namedPrefill: (name) => `<|channel|>commentary to=functions.${name} <|constrain|>json<|message|>`,
  templateMarkers: [['<|channel|>', '<|message|>']],
  ownsReasoning: true,
};
