/**
 * A configurable, incremental scanner for tool-call formats of the shape
 *
 *     text* ( START body END? text* )*
 *     body := call ( SEP call )*            (or, with `list`:  '[' call ( ',' call )* ']')
 *           | NAME ARGS_MARKER value        (with `bareCall`, e.g. mistral v11 `get_weather[ARGS]{…}`)
 *     call := a JSON object with a name key and an arguments key (other keys are skipped)
 *
 * `hermes` is one configuration of it (`<tool_call>` … `</tool_call>`, one call per block); llama3_json
 * (`<|python_tag|>`/bare `{…}; {…}`), mistral (`[TOOL_CALLS][…]` and `[TOOL_CALLS]name[ARGS]{…}`),
 * phi4_mini_json (`functools[…]`), jamba (`<tool_calls>[…]</tool_calls>`) and friends are others.
 *
 * Streaming contract (see `types.ts`):
 * - text outside blocks becomes `text` deltas; a suffix that may still become a start marker is held
 *   back until it can't; whitespace-only text next to calls is dropped;
 * - `call_start` as soon as the name string is complete, then `call_args` carrying the model's own
 *   bytes of the arguments value as they arrive, then `call_end` as soon as that value is complete;
 * - arguments given as a JSON string are decoded and emitted when complete; `null` or no arguments
 *   key emits no `call_args` (the writer makes that "{}"); arguments written before the name are
 *   buffered until the name is known;
 * - markup that turns out not to be a call (or whose name never completed at `end`) is released as
 *   text verbatim, so nothing the model wrote is lost.
 *
 * Lenient where small models slip: a missing or doubled closing `}` of the call object, a missing end
 * marker before more text, and a marker outside any string inside an unbalanced arguments value (the
 * value ends there instead of swallowing the rest of the output). A call that has started is never
 * retracted: if its object breaks, it gets its `call_end` and what follows is handled as block
 * structure or text.
 *
 * The scanner is a character-level state machine over `carry + chunk`; `carry` only ever holds a
 * partial marker (a few characters), so each input character is looked at a bounded number of times.
 */
import type { DeltaSink, OutputDelta, ToolCallParser } from './types.ts';
import { SinkParser, S_ARGS, S_TEXT } from './sink.ts';
import { isWs } from './chars.ts';
import {
  A_CLOSE_OBJ,
  A_OPEN_ARR,
  A_OPEN_OBJ,
  A_COMMA,
  J_ACTION,
  J_AFTER,
  J_ARR_FIRST,
  J_BAD,
  J_MAX_DEPTH,
  J_OBJ_FIRST,
  JSON_STEP,
  jsonAfterComma,
  jsonInString,
  jsonResume,
  jsonWide,
} from './json-dfa.ts';

export interface JsonCallScannerConfig {
  /** Markers that open a block of calls, e.g. `['<tool_call>']`. Non-empty strings. */
  start: readonly string[];
  /** Marker that closes a block, e.g. `'</tool_call>'`. Without it a block ends after its last call. */
  end?: string;
  /**
   * The calls of a block form a JSON array `[call, call, …]` (mistral, phi4_mini_json, jamba). A lone
   * call object without the brackets is taken too.
   */
  list?: boolean;
  /**
   * Separator between consecutive calls of one block (outside a list), e.g. `';'` for llama3_json.
   * Trimmed; whitespace around it is skipped. With `list` the separator is always `','`. Default (or
   * whitespace only): one call per block — blocks may still follow each other.
   */
  separator?: string;
  /**
   * A block may also open without a start marker where the body itself (`{`, or `[` with `list`) begins
   * the output or directly follows a call (whitespace aside). For llama3_json / bare-JSON formats. A `{`
   * after other text is text.
   */
  bareStart?: boolean;
  /**
   * A block may also be one bare call `NAME ARGS_MARKER value` (mistral v11+:
   * `[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}`): which form a block has is decided by what follows
   * the start marker (the body opener or a name character). `call_start` comes at the arguments marker,
   * then the value streams like a call object's arguments. One call per block.
   */
  bareCall?: BareCallConfig;
  /** Keys naming the function. Default `['name']`. */
  nameKeys?: readonly string[];
  /** Keys holding the arguments. Default `['arguments', 'parameters']`. */
  argsKeys?: readonly string[];
}

export interface BareCallConfig {
  /** Marker between the name and the arguments value, e.g. `'[ARGS]'`. */
  argsMarker: string;
  /**
   * Marker that may follow the name and introduce a call id up to the arguments marker (mistral's
   * `[CALL_ID]`); the id is skipped.
   */
  idMarker?: string;
  /**
   * The value may also follow the name directly (`get_weather{…}`: what is left when a decoder drops the
   * special tokens).
   */
  argsMarkerOptional?: boolean;
}

/** Longest bare name accepted; longer runs of name characters are text. */
const MAX_BARE_NAME = 256;

// Top-level modes.
const M_TEXT = 0; // ordinary text, looking for a start marker
const M_OPEN = 1; // after a start marker: expecting '{' (or '[' with list)
const M_NEXT = 2; // expecting the next call object ('{'), after '[' or a separator
const M_OBJ = 3; // inside a call object
const M_AFTER_CALL = 4; // after a call object: separator, ']' (list), end marker, or the block is over
const M_AFTER_LIST = 5; // after ']' (or a bare call): end marker or the block is over
const M_BARE_NAME = 6; // in the name of a bare call (bareCall)
const M_BARE_ID = 7; // in the call id of a bare call, up to the arguments marker

// States inside a call object.
const O_KEY_OR_CLOSE = 0; // after '{'
const O_KEY = 1; // in a key string
const O_COLON = 2;
const O_VALUE = 3; // before a value
const O_NAME = 4; // in the name string
const O_ARGS_RAW = 5; // in an object/array arguments value (streamed raw)
const O_ARGS_STR = 6; // in a string arguments value (decoded at its end)
const O_LITERAL = 7; // in a literal (null / true / number …)
const O_SKIP_STR = 8; // in a string value of another key
const O_SKIP_NEST = 9; // in an object/array value of another key
const O_COMMA_OR_CLOSE = 10; // after a value
const O_KEY_START = 11; // after ','

const K_NAME = 0;
const K_ARGS = 1;
const K_OTHER = 2;

const QUOTE = 0x22;
const BSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

// Outcomes of bracket matching.
const BAL_MORE = 0; // needs more input
const BAL_DONE = 1; // the value closed
const BAL_CUT = 2; // a marker outside any string: the value was cut off
const BAL_PARTIAL = 3; // a possible marker at the end of the input: carried over

const NONE = 0;
const FULL = 1;
const PARTIAL = 2;

/** Characters a JSON literal (and sloppy Python-ish ones: True, None) can be made of. */
function isLiteralChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x2b || // +
    c === 0x2d || // -
    c === 0x2e // .
  );
}

/**
 * Skip whitespace and stray '}' (small models often close the call object twice). What is skipped
 * stays recorded: it is dropped if markup follows and released with the text if text follows.
 */
function skipJunk(s: string, i: number): number {
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isWs(c) && c !== RBRACE) break;
  }
  return i;
}

/** Characters of a bare function name: ASCII letters, digits, `_ - . : /`, and anything non-ASCII. */
function isNameChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x3a) || // 0-9 :
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x5f || // _
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x2f || // /
    c >= 0x80
  );
}

/** Characters of a call id (between mistral's `[CALL_ID]` and `[ARGS]`). */
function isIdChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
}

/** Does `marker` occur at `s[i]` (FULL), could it still (PARTIAL: `s` ends with a prefix), or not. */
function matchAt(s: string, i: number, marker: string): number {
  const avail = s.length - i;
  const len = avail < marker.length ? avail : marker.length;
  for (let k = 0; k < len; k++) if (s.charCodeAt(i + k) !== marker.charCodeAt(k)) return NONE;
  return len === marker.length ? FULL : PARTIAL;
}

/**
 * Start of the longest suffix of `s[from..]` that is a proper prefix of one of `markers`
 * (`s.length` when there is none). Only the last `maxLen - 1` characters are examined.
 */
export function heldSuffixStart(s: string, from: number, markers: readonly string[], maxLen: number): number {
  const n = s.length;
  for (let k = Math.max(from, n - maxLen + 1); k < n; k++) {
    for (const m of markers) if (m.length > n - k && matchAt(s, k, m) === PARTIAL) return k;
  }
  return n;
}

/** A parser that can read a prefill (text the prompt wrote) without ever emitting it as text. */
export interface Prefillable {
  prefill(text: string): OutputDelta[];
}

/**
 * Have `parser` read prefill text: its own `prefill` if it has one, else `push` with the text deltas
 * dropped (exact unless the parser holds part of the prefill back and releases it later).
 */
export function prefillInto(parser: ToolCallParser, text: string): OutputDelta[] {
  if (text === '') return [];
  const p = parser as ToolCallParser & Partial<Prefillable>;
  if (typeof p.prefill === 'function') return p.prefill(text);
  return parser.push(text).filter((d) => d.type !== 'text');
}

/** Decode the body of a JSON string literal (between the quotes); null if it is not valid. */
function decodeJsonString(raw: string): string | null {
  if (raw.indexOf('\\') < 0) {
    for (let k = 0; k < raw.length; k++) if (raw.charCodeAt(k) < 0x20) return null;
    return raw;
  }
  try {
    return JSON.parse('"' + raw + '"') as string;
  } catch {
    return null;
  }
}

export class JsonCallScanner extends SinkParser implements Prefillable {
  private readonly starts: readonly string[];
  private readonly endMarker: string;
  private readonly list: boolean;
  private readonly sep: string;
  private readonly bareStart: boolean;
  private readonly nameKeys: readonly string[];
  private readonly argsKeys: readonly string[];
  private readonly maxStartLen: number;
  /** Markers that, met outside a string inside a raw JSON value, mean the value was cut off. */
  private readonly interrupts: readonly string[];
  private readonly interruptFirst = new Uint8Array(128);
  /** An interrupt marker starts with '[' (e.g. `[TOOL_CALLS]`): checked at '[' inside raw JSON values. */
  private readonly brackInterrupt: boolean = false;
  private readonly bareCall: BareCallConfig | null;
  /** Markers that can end or break off a bare name (arguments, id and start markers). */
  private readonly bareMarkers: readonly string[] = [];
  private readonly bareFirst = new Uint8Array(128);
  /** Characters that begin a start marker. */
  private readonly startFirst = new Uint8Array(65536);
  /** Per start marker: its next index in the current input (-2 unknown, -1 none). */
  private readonly nextIdx: number[];

  private mode = M_TEXT;
  /** Unprocessed tail (a partial marker) carried into the next push. */
  private carry = '';

  // Text mode.
  private atBoundary = true; // at the output start or just after a block: whitespace is held
  private atOutputStart = true;
  private boundaryWs = '';
  private bwsStart = 0; // input offset of boundaryWs

  // Input offsets: `pos` counts the characters pushed before the current chunk, `base` is the offset
  // of the current `carry + chunk`. Text from before `quietUntil` came from the prefill: never text.
  private pos = 0;
  private base = 0;
  private quietUntil = 0;

  // Recording of consumed markup that may still have to be released as text: `raw` + input[rawFrom..].
  private raw = '';
  private rawFrom = -1;
  private rawStart = 0; // input offset of raw
  // Capture of the string/literal being read: `cap` + input[capFrom..].
  private cap = '';
  private capFrom = -1;
  // Start in the current input of argument bytes not yet emitted/buffered.
  private argsFrom = -1;

  // Current call object.
  private os = O_KEY_OR_CLOSE;
  private keyKind = K_OTHER;
  private started = false; // call_start emitted
  private ended = false; // call_end emitted
  private argsSeen = false;
  private argsDone = false;
  /** The arguments value read was checked and is a JSON object (see `balancedJson`). */
  private argsChecked = false;
  private argsBuf = ''; // argument text read before the name was known
  private litIsArgs = false;
  private bare = false; // the current call is a bare call (no call object around its arguments)
  private bareNameWs = false; // whitespace followed the bare name: only a marker may come now
  private bareName = ''; // the name of a bare call, while its call id is read
  // Bracket matching.
  private depth = 0;
  private inStr = false;
  private esc = false;
  private balStatus = BAL_MORE;
  /**
   * JSON check of an arguments value, beside the bracket matching: the automaton's state (J_BAD once
   * the value is not a JSON object, or for values that are not checked) and the kind of each open
   * level (bit k set: level k is an object).
   */
  private js = J_BAD;
  private kinds = 0;

  constructor(config: JsonCallScannerConfig) {
    super();
    if (config.start.length === 0 || config.start.some((m) => m === '')) {
      throw new Error('JsonCallScanner: start markers must be non-empty strings');
    }
    this.starts = [...config.start];
    this.endMarker = config.end ?? '';
    this.list = config.list === true;
    this.sep = this.list ? ',' : (config.separator ?? '').trim();
    this.bareStart = config.bareStart === true;
    this.nameKeys = config.nameKeys ?? ['name'];
    this.argsKeys = config.argsKeys ?? ['arguments', 'parameters'];
    this.maxStartLen = Math.max(...this.starts.map((m) => m.length));
    this.nextIdx = this.starts.map(() => -2);
    for (const m of this.starts) this.startFirst[m.charCodeAt(0)] = 1;
    this.interrupts = this.endMarker === '' ? this.starts : [this.endMarker, ...this.starts];
    for (const m of this.interrupts) {
      const c = m.charCodeAt(0);
      if (c === LBRACK && m.length > 1) {
        // '[' opens arrays too: checked where the bracket matcher meets one (a marker never is JSON).
        this.brackInterrupt = true;
        this.interruptFirst[c] = 1;
      } else if (c < 128 && !isWs(c) && !isLiteralChar(c) && '{}[],:"'.indexOf(m[0]) < 0) {
        // Markers starting with another character that is legal outside JSON strings can't be told apart.
        this.interruptFirst[c] = 1;
      }
    }
    this.bareCall = config.bareCall ?? null;
    if (this.bareCall !== null) {
      const b = this.bareCall;
      if (b.argsMarker === '' || b.idMarker === '') throw new Error('JsonCallScanner: bareCall markers must be non-empty');
      this.bareMarkers = [b.argsMarker, ...(b.idMarker !== undefined ? [b.idMarker] : []), ...this.starts];
      for (const m of this.bareMarkers) if (m.charCodeAt(0) < 128) this.bareFirst[m.charCodeAt(0)] = 1;
    }
  }

  pushTo(text: string, sink: DeltaSink): void {
    // Fast paths for the common cases (plain text, argument bytes) when nothing is carried over.
    if (this.carry === '' && text !== '') {
      if (this.mode === M_TEXT && !this.atBoundary) {
        const first = this.startFirst;
        let k = 0;
        const n = text.length;
        while (k < n && first[text.charCodeAt(k)] === 0) k++;
        if (k === n) {
          this.pos += n;
          sink.text(text);
          return;
        }
      } else if (this.mode === M_OBJ && this.os === O_ARGS_RAW && this.started) {
        const j = this.balanced(text, 0, false);
        if (this.balStatus === BAL_MORE) {
          this.pos += text.length;
          sink.callArgs(text);
          return;
        }
        // Completed, interrupted or partial marker: the general path takes it from `j`.
        this.sink = sink;
        this.run(text, false, j);
        this.flushStr();
        return;
      }
    }
    this.sink = sink;
    this.run(text, false, 0);
    this.flushStr();
  }

  /**
   * Read text the prompt already wrote (see `ParserOptions.prefill`): like `push`, but none of it
   * ever comes out as text, not even if it is released later. Returns the other deltas it implies.
   */
  prefill(text: string): OutputDelta[] {
    const out = this.collectQuiet(() => this.run(text, false, 0));
    this.quietUntil = this.pos;
    return out;
  }

  endTo(sink: DeltaSink, _truncated?: boolean): void {
    this.sink = sink;
    this.run('', true);
    switch (this.mode) {
      case M_TEXT:
        // Whitespace-only output with no call is text; whitespace after the last call is dropped.
        if (this.boundaryWs !== '' && this.atOutputStart) this.emitText('', this.pos);
        this.boundaryWs = '';
        break;
      case M_OPEN:
      case M_NEXT:
      case M_BARE_NAME:
      case M_BARE_ID:
        this.release('', 0);
        break;
      case M_OBJ:
        // A call whose name never completed is released as text; a started one stays open.
        if (!this.started) this.release('', 0);
        break;
      default:
        // After a call: trailing whitespace / a cut-off end marker is markup and is dropped.
        break;
    }
    this.raw = '';
    this.rawFrom = -1;
    this.mode = M_TEXT;
    this.atBoundary = false;
    this.flushStr();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Process `carry + chunk`. When the fast path in `push` already ran the bracket matcher over the
   * chunk (carry empty) and it stopped at `resume`, that step is finished first.
   */
  private run(chunk: string, final: boolean, resume = 0): void {
    const s = this.carry === '' ? chunk : this.carry + chunk;
    this.base = this.pos - this.carry.length;
    this.pos += chunk.length;
    this.carry = '';
    if (this.rawFrom >= 0) this.rawFrom = 0;
    if (this.capFrom >= 0) this.capFrom = 0;
    if (this.argsFrom >= 0) this.argsFrom = 0;
    for (let k = 0; k < this.nextIdx.length; k++) this.nextIdx[k] = -2;
    const n = s.length;
    let i = 0;
    if (this.balStatus !== BAL_MORE) i = this.balancedDone(s, resume);
    while (i < n && this.carry === '') {
      switch (this.mode) {
        case M_TEXT:
          i = this.text(s, i, final);
          break;
        case M_OPEN:
          i = this.open(s, i, final);
          break;
        case M_BARE_NAME:
          i = this.bareNameStep(s, i, final);
          break;
        case M_BARE_ID:
          i = this.bareIdStep(s, i, final);
          break;
        case M_NEXT:
          i = this.next(s, i);
          break;
        case M_OBJ:
          i = this.obj(s, i, final);
          break;
        case M_AFTER_CALL:
          i = this.afterCall(s, i, final);
          break;
        default:
          i = this.afterBody(s, i, final);
          break;
      }
    }
    // Keep what was read of the recorded/captured regions; the carry is read again next time.
    const stop = n - this.carry.length;
    if (this.rawFrom >= 0) {
      this.raw += s.slice(this.rawFrom, stop);
      this.rawFrom = 0;
    }
    if (this.capFrom >= 0) {
      this.cap += s.slice(this.capFrom, stop);
      this.capFrom = 0;
    }
    if (this.argsFrom >= 0) {
      this.args(s.slice(this.argsFrom, stop));
      this.argsFrom = 0;
    }
  }

  /** Emit `text`, which starts at input offset `start` (after the boundary whitespace, if any). */
  private emitText(text: string, start: number): void {
    if (this.boundaryWs !== '') {
      text = this.boundaryWs + text;
      start = this.bwsStart;
      this.boundaryWs = '';
    }
    this.atBoundary = false;
    this.atOutputStart = false;
    if (start < this.quietUntil) text = text.slice(this.quietUntil - start);
    this.emitStr(S_TEXT, text);
  }

  private args(text: string): void {
    if (this.started) this.emitStr(S_ARGS, text);
    else this.argsBuf += text;
  }

  // --- text ------------------------------------------------------------------------------------

  private text(s: string, i: number, final: boolean): number {
    const n = s.length;
    if (this.atBoundary) {
      let j = i;
      while (j < n && isWs(s.charCodeAt(j))) j++;
      if (j > i) {
        if (this.boundaryWs === '') this.bwsStart = this.base + i;
        this.boundaryWs += s.slice(i, j);
      }
      if (j === n) return n;
      i = j;
      if (this.bareStart && s.charCodeAt(i) === (this.list ? LBRACK : LBRACE)) {
        this.openBlock('', i);
        return i;
      }
    }
    // Earliest start marker at or after i (the longest one if several start there).
    let at = -1;
    let len = 0;
    for (let k = 0; k < this.starts.length; k++) {
      let p = this.nextIdx[k];
      if (p === -2 || (p >= 0 && p < i)) p = this.nextIdx[k] = s.indexOf(this.starts[k], i);
      if (p >= 0 && (at < 0 || p < at || (p === at && this.starts[k].length > len))) {
        at = p;
        len = this.starts[k].length;
      }
    }
    if (at >= 0) {
      if (at > i) this.emitText(s.slice(i, at), this.base + i);
      this.openBlock(s.slice(at, at + len), at + len);
      return at + len;
    }
    const h = final ? n : heldSuffixStart(s, i, this.starts, this.maxStartLen);
    if (h > i) this.emitText(s.slice(i, h), this.base + i);
    if (h < n) this.carry = s.slice(h);
    return n;
  }

  /** A block opens: its markup is recorded from here until a call starts. */
  private openBlock(marker: string, from: number): void {
    // Whitespace before the block is dropped if the block is a call, restored if it is released.
    this.rawStart = this.boundaryWs !== '' ? this.bwsStart : this.base + from - marker.length;
    this.raw = this.boundaryWs + marker;
    this.boundaryWs = '';
    this.rawFrom = from;
    this.atBoundary = false;
    this.atOutputStart = false;
    this.mode = M_OPEN;
  }

  /** The recorded markup up to `s[j]` (exclusive) is not a call: release it as text. */
  private release(s: string, j: number): void {
    const text = this.rawFrom >= 0 ? this.raw + s.slice(this.rawFrom, j) : this.raw;
    this.raw = '';
    this.rawFrom = -1;
    this.cap = '';
    this.capFrom = -1;
    this.argsFrom = -1;
    this.argsBuf = '';
    this.mode = M_TEXT;
    this.atBoundary = false;
    this.emitText(text, this.rawStart);
  }

  // --- block structure -------------------------------------------------------------------------

  private open(s: string, i: number, final: boolean): number {
    const n = s.length;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i === n) return n;
    const c = s.charCodeAt(i);
    if (this.list && c === LBRACK) {
      if (this.brackInterrupt) {
        // `[TOOL_CALLS][TOOL_CALLS]…`: the first marker is text, the second opens the block.
        const m = this.matchStart(s, i);
        if (m === FULL) {
          this.release(s, i);
          return i;
        }
        if (m === PARTIAL && !final) {
          this.carry = s.slice(i);
          return n;
        }
      }
      this.mode = M_NEXT;
      return i + 1;
    }
    if (c === LBRACE) {
      // (with `list`, a lone call object without the brackets is taken too)
      this.beginCall();
      return i + 1;
    }
    if (this.bareCall !== null && isNameChar(c)) {
      this.mode = M_BARE_NAME;
      this.bareNameWs = false;
      this.cap = '';
      this.capFrom = i;
      return i;
    }
    this.release(s, i);
    return i;
  }

  private matchStart(s: string, j: number): number {
    let best = NONE;
    for (const m of this.starts) {
      const r = matchAt(s, j, m);
      if (r === FULL) return FULL;
      if (r === PARTIAL) best = PARTIAL;
    }
    return best;
  }

  // --- bare calls (`NAME [ARGS] value`) --------------------------------------------------------

  /**
   * Which bare-call marker is at `s[j]`: index into `bareMarkers` (FULL), -2 while one may still
   * follow (a prefix at the end of the input, not final), -1 none.
   */
  private bareMarkerAt(s: string, j: number, final: boolean): number {
    let partial = false;
    const ms = this.bareMarkers;
    for (let k = 0; k < ms.length; k++) {
      const r = matchAt(s, j, ms[k]);
      if (r === FULL) return k;
      if (r === PARTIAL) partial = true;
    }
    return partial && !final ? -2 : -1;
  }

  private bareNameStep(s: string, i: number, final: boolean): number {
    const n = s.length;
    const cfg = this.bareCall!;
    const first = this.bareFirst;
    for (let j = i; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c < 128 && first[c] === 1) {
        const k = this.bareMarkerAt(s, j, final);
        if (k === -2) {
          this.carry = s.slice(j);
          return n;
        }
        if (k === 0 || (k === 1 && cfg.idMarker !== undefined)) {
          const name = (this.cap + s.slice(this.capFrom, j)).trim();
          this.cap = '';
          this.capFrom = -1;
          if (k === 0) {
            this.beginBareCall(name);
            return j + cfg.argsMarker.length;
          }
          this.bareName = name;
          this.mode = M_BARE_ID;
          return j + cfg.idMarker!.length;
        }
        if (k >= 0) {
          // A start marker: this block is broken off; the marker opens the next one.
          this.release(s, j);
          return j;
        }
      }
      if (c === LBRACE && cfg.argsMarkerOptional === true) {
        const name = (this.cap + s.slice(this.capFrom, j)).trim();
        this.cap = '';
        this.capFrom = -1;
        this.beginBareCall(name);
        return j;
      }
      if (isWs(c)) this.bareNameWs = true;
      else if (this.bareNameWs || !isNameChar(c) || this.cap.length + (j - this.capFrom) >= MAX_BARE_NAME) {
        this.release(s, j);
        return j;
      }
    }
    return n;
  }

  private bareIdStep(s: string, i: number, final: boolean): number {
    const n = s.length;
    const first = this.bareFirst;
    for (let j = i; j < n; j++) {
      const c = s.charCodeAt(j);
      if (isIdChar(c) || isWs(c)) continue;
      if (c < 128 && first[c] === 1) {
        const k = this.bareMarkerAt(s, j, final);
        if (k === -2) {
          this.carry = s.slice(j);
          return n;
        }
        if (k === 0) {
          this.beginBareCall(this.bareName);
          return j + this.bareCall!.argsMarker.length;
        }
      }
      this.release(s, j);
      return j;
    }
    return n;
  }

  /** The arguments marker of a bare call: the call starts, its value is read like call object arguments. */
  private beginBareCall(name: string): void {
    this.bareName = '';
    this.beginCall();
    this.bare = true;
    this.os = O_VALUE;
    this.keyKind = K_ARGS;
    this.startCall(name);
  }

  private next(s: string, i: number): number {
    const n = s.length;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i === n) return n;
    const c = s.charCodeAt(i);
    if (c === LBRACE) {
      this.beginCall();
      return i + 1;
    }
    if (this.list && c === RBRACK) {
      this.enterAfterList(i + 1);
      return i + 1;
    }
    this.release(s, i);
    return i;
  }

  private beginCall(): void {
    this.mode = M_OBJ;
    this.bare = false;
    this.os = O_KEY_OR_CLOSE;
    this.started = false;
    this.ended = false;
    this.argsSeen = false;
    this.argsDone = false;
    this.argsChecked = false;
    this.argsBuf = '';
  }

  private enterAfterCall(from: number): void {
    this.mode = M_AFTER_CALL;
    this.raw = '';
    this.rawFrom = from;
    this.rawStart = this.base + from;
  }

  private enterAfterList(from: number): void {
    this.mode = M_AFTER_LIST;
    this.raw = '';
    this.rawFrom = from;
    this.rawStart = this.base + from;
  }

  private afterCall(s: string, i: number, final: boolean): number {
    const n = s.length;
    i = skipJunk(s, i);
    if (i === n) return n;
    if (this.sep !== '') {
      const m = matchAt(s, i, this.sep);
      if (m === FULL) {
        this.mode = M_NEXT; // recording continues: released as text if no call follows
        return i + this.sep.length;
      }
      if (m === PARTIAL && !final) {
        this.carry = s.slice(i);
        return n;
      }
    }
    if (this.list && s.charCodeAt(i) === RBRACK) {
      this.enterAfterList(i + 1);
      return i + 1;
    }
    return this.afterBody(s, i, final);
  }

  /** After the calls of a block: the end marker closes it; anything else means it is over. */
  private afterBody(s: string, i: number, final: boolean): number {
    const n = s.length;
    i = skipJunk(s, i);
    if (i === n) return n;
    if (this.endMarker !== '') {
      const m = matchAt(s, i, this.endMarker);
      if (m === FULL) {
        this.closeBlock();
        return i + this.endMarker.length;
      }
      if (m === PARTIAL) {
        if (!final) {
          this.carry = s.slice(i);
          return n;
        }
        // The output was cut inside the end marker: it is markup, dropped.
        this.closeBlock();
        return n;
      }
    }
    // No end marker: the block is over; the whitespace read since the last call is boundary text.
    this.boundaryWs = this.raw + s.slice(this.rawFrom, i);
    this.bwsStart = this.rawStart;
    this.raw = '';
    this.rawFrom = -1;
    this.mode = M_TEXT;
    this.atBoundary = true;
    return i;
  }

  private closeBlock(): void {
    this.raw = '';
    this.rawFrom = -1;
    this.mode = M_TEXT;
    this.atBoundary = true;
    this.boundaryWs = '';
  }

  // --- call object -----------------------------------------------------------------------------

  private startCall(name: string): void {
    this.started = true;
    this.emitCallStart(name);
    this.emitStr(S_ARGS, this.argsBuf);
    this.argsBuf = '';
    if (this.argsDone) this.endCall();
    // From now on nothing is released: stop recording.
    this.raw = '';
    this.rawFrom = -1;
  }

  private endCall(): void {
    this.ended = true;
    this.emitCallEnd(this.argsChecked);
  }

  /** `s[j]` can't continue the call object. */
  private malformed(s: string, j: number): void {
    if (!this.started) {
      this.release(s, j);
      return;
    }
    // The call is already out: close it and let the block structure deal with what follows.
    this.cap = '';
    this.capFrom = -1;
    if (this.argsFrom >= 0) {
      this.args(s.slice(this.argsFrom, j));
      this.argsFrom = -1;
    }
    if (!this.ended) this.endCall();
    if (this.bare) this.enterAfterList(j);
    else this.enterAfterCall(j);
  }

  /** The arguments value is complete; `checked`: it was read as a JSON object and is one. */
  private argsComplete(checked = false): void {
    this.argsDone = true;
    this.argsChecked = checked;
    if (this.started && !this.ended) this.endCall();
  }

  private obj(s: string, i: number, final: boolean): number {
    const n = s.length;
    while (i < n && this.mode === M_OBJ) {
      switch (this.os) {
        case O_KEY_OR_CLOSE:
        case O_KEY_START:
        case O_COMMA_OR_CLOSE:
        case O_COLON: {
          if (this.bare) {
            // (only O_COMMA_OR_CLOSE is reachable) The value of a bare call is complete: so is the call.
            if (!this.ended) this.endCall();
            this.enterAfterList(i);
            break;
          }
          const c = s.charCodeAt(i);
          if (isWs(c)) {
            i++;
          } else if (c === RBRACE) {
            // (a trailing comma before '}' is tolerated)
            i++;
            if (this.os === O_COLON) this.malformed(s, i - 1);
            else if (!this.started) this.release(s, i); // no name: not a call
            else {
              if (!this.ended) this.endCall(); // no (usable) arguments key: the writer makes "{}"
              this.enterAfterCall(i);
            }
          } else if (this.os === O_COLON) {
            if (c === COLON) {
              this.os = O_VALUE;
              i++;
            } else this.malformed(s, i);
          } else if (this.os === O_COMMA_OR_CLOSE) {
            if (c === COMMA) {
              this.os = O_KEY_START;
              i++;
            } else this.malformed(s, i);
          } else if (c === QUOTE) {
            this.os = O_KEY;
            this.cap = '';
            this.capFrom = i + 1;
            this.esc = false;
            i++;
          } else this.malformed(s, i);
          break;
        }

        case O_VALUE: {
          const c = s.charCodeAt(i);
          if (isWs(c)) {
            i++;
            break;
          }
          const kind = this.keyKind;
          if (this.bare && c !== LBRACE && c !== LBRACK && c !== QUOTE) {
            // Not a JSON value after `[ARGS]`: the call ends without arguments, what follows is text.
            this.malformed(s, i);
            break;
          }
          if (kind === K_NAME) {
            if (c === QUOTE) {
              this.os = O_NAME;
              this.cap = '';
              this.capFrom = i + 1;
              this.esc = false;
              i++;
            } else this.malformed(s, i);
          } else if (c === QUOTE) {
            this.os = kind === K_ARGS ? O_ARGS_STR : O_SKIP_STR;
            this.cap = '';
            this.capFrom = kind === K_ARGS ? i + 1 : -1;
            this.esc = false;
            if (kind === K_ARGS) this.argsSeen = true;
            i++;
          } else if (c === LBRACE || c === LBRACK) {
            this.os = kind === K_ARGS ? O_ARGS_RAW : O_SKIP_NEST;
            this.depth = 1;
            this.inStr = false;
            this.esc = false;
            // Arguments that open an object are checked as they are read; other values are not.
            this.js = kind === K_ARGS && c === LBRACE ? J_OBJ_FIRST : J_BAD;
            this.kinds = 1;
            if (kind === K_ARGS) {
              this.argsSeen = true;
              this.argsFrom = i; // the arguments' own first byte
            }
            i++;
          } else if (isLiteralChar(c)) {
            this.os = O_LITERAL;
            this.litIsArgs = kind === K_ARGS;
            if (kind === K_ARGS) this.argsSeen = true;
            this.cap = '';
            this.capFrom = i;
            i++;
          } else this.malformed(s, i);
          break;
        }

        case O_KEY:
        case O_NAME:
        case O_ARGS_STR:
        case O_SKIP_STR: {
          // Keys and names are short and plain: a control character makes them malformed. In them,
          // and in values of other keys before the call has started, a marker means the markup was
          // broken off. (Argument strings may hold anything.)
          const strict = this.os === O_KEY || this.os === O_NAME;
          const watch = strict || (this.os === O_SKIP_STR && !this.started);
          let esc = this.esc;
          let j = i;
          let closed = false;
          let bad = false;
          for (; j < n; j++) {
            const c = s.charCodeAt(j);
            if (esc) esc = false;
            else if (c === BSLASH) esc = true;
            else if (c === QUOTE) {
              closed = true;
              break;
            } else if (strict && c < 0x20) {
              bad = true;
              break;
            } else if (watch && c < 128 && this.interruptFirst[c] === 1) {
              const m = this.matchInterrupt(s, j);
              if (m === FULL || (m === PARTIAL && final)) {
                bad = true;
                break;
              }
              if (m === PARTIAL) {
                this.carry = s.slice(j); // read again with what follows
                break;
              }
            }
          }
          this.esc = esc;
          if (bad) {
            this.malformed(s, j);
            i = j;
            break;
          }
          if (!closed) {
            i = n;
            break;
          }
          const raw = this.capFrom >= 0 ? this.cap + s.slice(this.capFrom, j) : '';
          this.cap = '';
          this.capFrom = -1;
          i = j + 1;
          this.stringDone(raw, s, i);
          break;
        }

        case O_LITERAL: {
          let j = i;
          while (j < n && isLiteralChar(s.charCodeAt(j))) j++;
          if (j === n) {
            i = n;
            break;
          }
          if (this.litIsArgs) {
            const lit = this.cap + s.slice(this.capFrom, j);
            if (lit === 'null') this.argsComplete(); // no arguments: the writer makes "{}"
            else this.argsSeen = false; // not an arguments value: ignored
          }
          this.cap = '';
          this.capFrom = -1;
          this.os = O_COMMA_OR_CLOSE;
          i = j;
          break;
        }

        default: {
          // O_ARGS_RAW / O_SKIP_NEST: bracket matching that ignores brackets inside strings.
          const j = this.balanced(s, i, final);
          i = this.balancedDone(s, j);
          break;
        }
      }
    }
    return i;
  }

  /**
   * Bracket matching (ignoring brackets inside strings) from `s[i]`; sets `balStatus` and returns
   * where it stopped: the end of `s` (BAL_MORE), just after the closing bracket (BAL_DONE), or at a
   * (partial) marker that can't be inside a JSON value (BAL_CUT / BAL_PARTIAL). An arguments object is
   * checked as JSON on the way (`balancedJson`) until it turns out not to be.
   */
  private balanced(s: string, i: number, final: boolean): number {
    if (this.js !== J_BAD) {
      const j = this.balancedJson(s, i, final);
      if (this.js !== J_BAD) return j;
      i = j; // not JSON: plain bracket matching from here
    }
    return this.balancedPlain(s, i, final);
  }

  /**
   * `balanced` for an arguments object that is valid JSON so far: JSON's grammar as an automaton
   * (json-dfa.ts), which also finds the closing bracket. The writer checks every call's arguments
   * before it lets the call complete (events/writer.ts); a call whose arguments were checked here
   * ends with `callEnd(true)` and the writer does not read them again: on call-dense output that
   * check was a third of the writer's instructions, more than this automaton costs (BENCHMARKS.md,
   * session 11). At the first character that is not JSON it stops, sets `js` to J_BAD and returns where
   * plain bracket matching goes on (`inStr` set as that loop would have it).
   */
  private balancedJson(s: string, i: number, final: boolean): number {
    const n = s.length;
    const step = JSON_STEP;
    let st = this.js;
    let depth = this.depth;
    let kinds = this.kinds;
    let j = i;
    let status = BAL_MORE;
    let bad = -1;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      const t = c < 128 ? step[(st << 7) | c] : jsonWide(st);
      if (t < J_ACTION) {
        if (t !== J_BAD) {
          st = t;
          continue;
        }
        // Not JSON here; outside strings it may be a marker that cuts the value off.
        if (c < 128 && this.interruptFirst[c] === 1 && !jsonInString(st)) {
          const cut = this.cutAtMarker(s, j, final);
          if (cut !== BAL_MORE) {
            status = cut;
            break;
          }
        }
        bad = j;
        break;
      }
      if (t === A_OPEN_OBJ || t === A_OPEN_ARR) {
        if (t === A_OPEN_ARR && this.brackInterrupt) {
          const cut = this.cutAtBracket(s, j, final);
          if (cut !== BAL_MORE) {
            status = cut;
            break;
          }
        }
        if (depth === J_MAX_DEPTH) {
          bad = j; // too deep to follow: not checked
          break;
        }
        if (t === A_OPEN_OBJ) {
          kinds |= 1 << depth;
          st = J_OBJ_FIRST;
        } else {
          kinds &= ~(1 << depth);
          st = J_ARR_FIRST;
        }
        depth++;
        continue;
      }
      const inObject = ((kinds >>> (depth - 1)) & 1) === 1;
      if (t === A_COMMA) {
        st = jsonAfterComma(inObject);
        continue;
      }
      // A close: it must be the innermost container's.
      if ((t === A_CLOSE_OBJ) !== inObject) {
        bad = j;
        break;
      }
      st = J_AFTER;
      if (--depth === 0) {
        j++;
        status = BAL_DONE;
        break;
      }
    }
    this.depth = depth;
    this.kinds = kinds;
    this.balStatus = status;
    if (bad < 0) {
      this.js = st;
      return j;
    }
    const resume = jsonResume(st);
    this.js = J_BAD;
    this.inStr = resume !== 0;
    this.esc = false;
    return resume === 1 ? bad + 1 : bad;
  }

  /**
   * Outside any string, at a character a marker may begin with: BAL_CUT if a marker starts at `s[j]`
   * (or may, and no more text comes), BAL_PARTIAL if one may (more text decides), else BAL_MORE.
   */
  private cutAtMarker(s: string, j: number, final: boolean): number {
    const m = this.matchInterrupt(s, j);
    if (m === FULL || (m === PARTIAL && final)) return BAL_CUT;
    if (m === PARTIAL) return BAL_PARTIAL;
    return BAL_MORE;
  }

  /**
   * At a '[' outside any string, where a marker may begin with '[' (never JSON there): BAL_CUT if a
   * marker starts at `s[j]` and cuts the value off, BAL_PARTIAL if one may (more text decides), else
   * BAL_MORE.
   */
  private cutAtBracket(s: string, j: number, final: boolean): number {
    const m = this.matchInterrupt(s, j);
    if (m === FULL) return BAL_CUT;
    if (m === PARTIAL && !final) return BAL_PARTIAL;
    return BAL_MORE;
  }

  /** `balanced` without the JSON check. */
  private balancedPlain(s: string, i: number, final: boolean): number {
    const n = s.length;
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    let j = i;
    let status = BAL_MORE;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (inStr) {
        if (esc) esc = false;
        else if (c === BSLASH) esc = true;
        else if (c === QUOTE) inStr = false;
      } else if (c === QUOTE) inStr = true;
      else if (c === LBRACE || c === LBRACK) {
        if (c === LBRACK && this.brackInterrupt) {
          const cut = this.cutAtBracket(s, j, final);
          if (cut !== BAL_MORE) {
            status = cut;
            break;
          }
        }
        depth++;
      } else if (c === RBRACE || c === RBRACK) {
        if (--depth === 0) {
          j++;
          status = BAL_DONE;
          break;
        }
      } else if (c < 128 && this.interruptFirst[c] === 1) {
        const cut = this.cutAtMarker(s, j, final);
        if (cut !== BAL_MORE) {
          status = cut;
          break;
        }
      }
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    this.balStatus = status;
    return j;
  }

  /** Act on the outcome of `balanced` (which stopped at `j`); returns where to go on. */
  private balancedDone(s: string, j: number): number {
    const status = this.balStatus;
    this.balStatus = BAL_MORE;
    if (status === BAL_MORE) return s.length;
    if (status === BAL_PARTIAL) {
      this.carry = s.slice(j);
      return s.length;
    }
    if (status === BAL_DONE) {
      if (this.os === O_ARGS_RAW) {
        this.args(s.slice(this.argsFrom, j));
        this.argsFrom = -1;
        this.argsComplete(this.js !== J_BAD);
      }
      this.os = O_COMMA_OR_CLOSE;
      return j;
    }
    // A marker outside any string: the value was cut off (unbalanced brackets).
    this.malformed(s, j);
    return j;
  }

  private matchInterrupt(s: string, j: number): number {
    let best = NONE;
    for (const m of this.interrupts) {
      const r = matchAt(s, j, m);
      if (r === FULL) return FULL;
      if (r === PARTIAL) best = PARTIAL;
    }
    return best;
  }

  /** A string value/key closed; `i` is just after its closing quote. */
  private stringDone(raw: string, s: string, i: number): void {
    switch (this.os) {
      case O_KEY: {
        const key = decodeJsonString(raw) ?? raw;
        if (this.nameKeys.includes(key) && !this.started) this.keyKind = K_NAME;
        else if (this.argsKeys.includes(key) && !this.argsSeen) this.keyKind = K_ARGS;
        else this.keyKind = K_OTHER;
        this.os = O_COLON;
        return;
      }
      case O_NAME: {
        const name = decodeJsonString(raw);
        if (name === null || name.trim() === '') {
          this.malformed(s, i);
          return;
        }
        this.os = O_COMMA_OR_CLOSE;
        this.startCall(name);
        return;
      }
      case O_ARGS_STR: {
        // Arguments given as a JSON-encoded string: its decoded content is the arguments text.
        this.os = O_COMMA_OR_CLOSE;
        this.args(decodeJsonString(raw) ?? raw);
        this.argsComplete();
        return;
      }
      default:
        this.os = O_COMMA_OR_CLOSE;
    }
  }
}
