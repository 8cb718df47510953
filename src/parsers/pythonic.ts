/**
 * The `pythonic` tool-call format: calls written as a Python list of function calls with keyword
 * arguments whose values are Python literals.
 *
 *     [get_weather(city='Paris', days=3), get_time()]                       Llama 3.2 (pythonic template)
 *     <|python_start|>[get_weather(city="Paris")]<|python_end|>             Llama 4 (the wrapper is optional)
 *     Sure.<|tool_call_start|>[get_weather(city="Paris")]<|tool_call_end|>Checking…   LFM2 / LFM2.5
 *
 * Blocks:
 * - a wrapped block opens at `<|python_start|>` or `<|tool_call_start|>` anywhere in the text and holds
 *   a list `[call, call, …]`; it closes at `<|python_end|>` / `<|tool_call_end|>` (either one; a missing
 *   end marker is tolerated: the block is over after its `]`);
 * - a bare list opens only at the very start of the output (after whitespace) with `[` followed by
 *   `name(`; anything else (`[1, 2]`, `[see above]`) is text, released as soon as it can no longer be a
 *   call list. The block is over after its `]`; what follows is text.
 *
 * Calls: `call_start` as soon as `name(` is read (names: `[A-Za-z_][A-Za-z0-9_.-]*`, dotted names kept
 * as written). The keyword arguments become a JSON object written incrementally, formatted like
 * Python's `json.dumps` (`{"k": v, "k2": [1, 2]}`, `{}` for `f()`): a key is written at its `=`, string
 * contents as they arrive (decoded from Python and re-escaped for JSON), numbers and `True`/`False`/
 * `None` (and JSON's `true`/`false`/`null`) once complete. Lists and tuples become arrays, dicts
 * objects (non-string keys are quoted: `{1: 'a'}` → `{"1": "a"}`). `call_end` at the call's `)`.
 *
 * Python literal syntax read: `'…'`, `"…"`, `'''…'''`, `"""…"""`, prefixes r/u/b (raw strings keep
 * backslashes), escapes `\n \t \r \b \f \a \v \\ \' \" \ooo \xhh \uhhhh \Uhhhhhhhh` and line
 * continuation; ints (`_` separators, `0x`/`0o`/`0b`, leading zeros tolerated), floats (`.5`, `5.`,
 * exponents), signs. Lenient where small models slip: raw control characters inside a string are
 * kept (escaped for JSON); an unknown or broken escape (`'C:\Users'`) keeps its backslash; trailing
 * commas are fine. One deviation: `(x)` is read as a one-element tuple (it is emitted before the
 * missing comma could tell).
 *
 * Malformed markup:
 * - before `call_start` (no `[`, `[]`, a name not followed by `(`, …): the block is not a call and is
 *   released as text verbatim — for a wrapped block, up to and including its end marker;
 * - after `call_start` (positional argument, an expression such as `a+b` or a variable, a set, an
 *   unbalanced bracket, …): a call is never retracted. Its JSON is closed so it stays valid (an open
 *   value becomes `null`, open containers are closed), it gets its `call_end`, and the rest of the block
 *   from the offending token on is released as text (for a wrapped block up to and including its end
 *   marker). A marker met outside a string inside a call cuts the call the same way, but the marker
 *   keeps its meaning (an end marker closes the block, a start marker opens the next one).
 * - junk between or after complete calls (`[f(), 42]`, `[f() g()]`) is released as text, with the rest of
 *   a wrapped block up to and including its end marker; after a wrapped block's `]`, text without the
 *   end marker is ordinary text (the marker was just missing).
 *
 * Markers inside string arguments are argument text. Outside blocks, a suffix that may still become a
 * marker is held back; a stray end marker is markup and is dropped. At `end()` held text is released,
 * markup whose name never completed is released as text verbatim, and a call whose arguments never
 * completed stays open (no `call_end`).
 *
 * The parser is a character-level state machine over `carry + chunk`, where `carry` only ever holds a
 * partial marker; text and string contents are passed on in slices, so each input character is looked
 * at a bounded number of times.
 */
import type { Prefillable } from './scanner.ts';
import { SinkParser, S_ARGS, S_TEXT } from './sink.ts';
import type { DeltaSink, OutputDelta, ToolCallParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';
import { indexOfChar, isDigit, isHex, isWs } from './chars.ts';

const START_MARKERS = ['<|python_start|>', '<|tool_call_start|>'] as const;
const END_MARKERS = ['<|python_end|>', '<|tool_call_end|>'] as const;
/** Start markers first: an index >= N_START is an end marker. */
const MARKERS: readonly string[] = [...START_MARKERS, ...END_MARKERS];
const N_START = START_MARKERS.length;
const M_NONE = -1;
const M_PARTIAL = -2;

/** Names longer than this are not call names: the markup is released as text. */
const MAX_NAME = 256;

// Top-level modes.
const T_TEXT = 0; // text
const T_REST = 1; // text: the rest of a wrapped block that turned out malformed (ends after its end marker)
const B_OPEN = 2; // after a start marker: expecting '['
const B_LIST = 3; // after '[' or ',': expecting a call name (or ']' after a trailing comma)
const B_NAME = 4; // in a call name
const B_ARGS = 5; // inside a call's parentheses
const B_AFTER_CALL = 6; // after a call's ')': ',' or ']'
const B_AFTER_LIST = 7; // after a wrapped block's ']': expecting the end marker

// States inside a call.
const V_KEY_OR_CLOSE = 0; // keyword name or ')'
const V_KEYNAME = 1; // in a keyword name
const V_EQ = 2; // after a keyword name: '='
const V_VALUE = 3; // a value (of a keyword or a dict key)
const V_ELEM_OR_CLOSE = 4; // a list/tuple element or the closing bracket
const V_DKEY_OR_CLOSE = 5; // a dict key or '}'
const V_DCOLON = 6; // after a dict key: ':'
const V_AFTER = 7; // after a value: ',' or the closing bracket
const V_STR = 8; // in a string
const V_STR_Q1 = 9; // after an opening quote (could be '' or ''')
const V_STR_Q2 = 10; // after two quotes
const V_ESC = 11; // after a backslash
const V_ESC_HEX = 12; // in \x.. \u.... \U........
const V_ESC_OCT = 13; // in \ooo
const V_ESC_CR = 14; // after backslash + CR (line continuation)
const V_RAW_ESC = 15; // in a raw string, after a backslash
const V_SCALAR = 16; // in a number / True / None / string prefix

// Containers inside a call.
const F_KW = 0; // the call's keyword arguments: a JSON object, closed by ')'
const F_LIST = 1;
const F_TUPLE = 2;
const F_DICT = 3;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const LPAREN = 0x28;
const RPAREN = 0x29;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const LT = 0x3c;
const PIPE = 0x7c;
const EQ = 0x3d;
const LBRACK = 0x5b;
const BSLASH = 0x5c;
const RBRACK = 0x5d;
const UNDERSCORE = 0x5f;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}
function isIdentStart(c: number): boolean {
  return isLetter(c) || c === UNDERSCORE;
}
function isIdentChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === UNDERSCORE;
}
/** Characters of a call name (Python identifiers, dotted names, and the `-` tool names may have). */
function isNameChar(c: number): boolean {
  return isIdentChar(c) || c === DOT || c === MINUS;
}
/** Characters a number or a bare literal (True, None, a string prefix) is made of. */
function isScalarChar(c: number): boolean {
  return isIdentChar(c) || c === DOT || c === PLUS || c === MINUS;
}
function isAllWs(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (!isWs(s.charCodeAt(k))) return false;
  return true;
}

/** After matchMarker returned M_PARTIAL: the markers (bit m = MARKERS[m]) the tail is a prefix of. */
let partialMask = 0;

/** The marker at `s[k]` (a '<'): its index in MARKERS, M_PARTIAL (`s` ends inside one), or M_NONE. */
function matchMarker(s: string, k: number): number {
  // All markers start with '<|' and differ at their third character ('p' or 't'), then in start/end.
  const avail = s.length - k;
  if (avail < 3) {
    if (avail === 2 && s.charCodeAt(k + 1) !== PIPE) return M_NONE;
    partialMask = (1 << MARKERS.length) - 1;
    return M_PARTIAL;
  }
  if (s.charCodeAt(k + 1) !== PIPE) return M_NONE;
  const c2 = s.charCodeAt(k + 2);
  const first = c2 === 0x70 ? 0 : c2 === 0x74 ? 1 : -1;
  if (first < 0) return M_NONE;
  let mask = 0;
  for (let m = first; m < MARKERS.length; m += N_START) {
    const mk = MARKERS[m];
    const lim = avail < mk.length ? avail : mk.length;
    let t = 3;
    while (t < lim && s.charCodeAt(k + t) === mk.charCodeAt(t)) t++;
    if (t === mk.length) return m;
    if (t === avail) mask |= 1 << m;
  }
  if (mask === 0) return M_NONE;
  partialMask = mask;
  return M_PARTIAL;
}

/** The markers (bit mask) of which `carry + text` is still a proper prefix, given those of `carry`. */
function extendMask(mask: number, cl: number, text: string): number {
  const total = cl + text.length;
  let out = 0;
  outer: for (let m = 0; m < MARKERS.length; m++) {
    if ((mask & (1 << m)) === 0) continue;
    const mk = MARKERS[m];
    if (total >= mk.length) continue;
    for (let t = 0; t < text.length; t++) if (text.charCodeAt(t) !== mk.charCodeAt(cl + t)) continue outer;
    out |= 1 << m;
  }
  return out;
}

function hex4(c: number): string {
  return '\\u' + c.toString(16).padStart(4, '0');
}

/** One UTF-16 code unit as JSON string content. */
function jsonChar(c: number): string {
  switch (c) {
    case DQUOTE:
      return '\\"';
    case BSLASH:
      return '\\\\';
    case LF:
      return '\\n';
    case CR:
      return '\\r';
    case TAB:
      return '\\t';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
  }
  return c < 0x20 ? hex4(c) : String.fromCharCode(c);
}

/** A code point from an escape as JSON string content (lone surrogates stay escapes). */
function jsonCodePoint(cp: number): string {
  if (cp >= 0xd800 && cp <= 0xdfff) return hex4(cp);
  if (cp < 0x10000) return jsonChar(cp);
  return String.fromCodePoint(cp);
}

function isStringPrefix(tok: string): boolean {
  if (tok.length > 2) return false;
  const t = tok.toLowerCase();
  return t === 'r' || t === 'u' || t === 'b' || t === 'br' || t === 'rb';
}

const FLOAT_RE = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const RADIX_RE = /^0[xX][0-9a-fA-F]+$|^0[oO][0-7]+$|^0[bB][01]+$/;

/** The JSON text of a Python number or bare literal; null if it is neither. */
export function scalarJson(tok: string): string | null {
  switch (tok) {
    case 'True':
    case 'true':
      return 'true';
    case 'False':
    case 'false':
      return 'false';
    case 'None':
    case 'null':
      return 'null';
  }
  // Fast path: a number that is already JSON (no '+', '_', 'E', radix prefix, leading zero, bare '.').
  const len = tok.length;
  let k = tok.charCodeAt(0) === MINUS ? 1 : 0;
  const d0 = k;
  while (k < len && isDigit(tok.charCodeAt(k))) k++;
  if (k > d0 && (tok.charCodeAt(d0) !== 0x30 || k === d0 + 1)) {
    let ok = true;
    if (k < len && tok.charCodeAt(k) === DOT) {
      const f0 = ++k;
      while (k < len && isDigit(tok.charCodeAt(k))) k++;
      ok = k > f0;
    }
    if (ok && k < len && tok.charCodeAt(k) === 0x65) {
      k++;
      if (k < len && (tok.charCodeAt(k) === PLUS || tok.charCodeAt(k) === MINUS)) k++;
      const e0 = k;
      while (k < len && isDigit(tok.charCodeAt(k))) k++;
      ok = k > e0;
    }
    if (ok && k === len) return tok === '-0' ? '0' : tok; // (json.dumps(-0) is 0; -0.0 stays)
  }
  let t = tok;
  let neg = false;
  const c0 = t.charCodeAt(0);
  if (c0 === PLUS || c0 === MINUS) {
    neg = c0 === MINUS;
    t = t.slice(1);
  }
  if (t === '') return null;
  if (t.indexOf('_') >= 0) {
    if (/__|^_|_$|_\.|\._/.test(t)) return null;
    t = t.replace(/_/g, '');
  }
  if (RADIX_RE.test(t)) {
    const v = BigInt(t);
    return (neg && v !== 0n ? '-' : '') + v.toString();
  }
  const m = FLOAT_RE.exec(t);
  if (m === null) return null;
  const ip = m[1];
  const frac = m[2];
  const exp = m[3];
  if (ip === '' && (frac === undefined || frac === '')) return null;
  const intPart = ip.replace(/^0+(?=\d)/, '') || '0';
  if (frac === undefined && exp === undefined) return (neg && /^0+$/.test(intPart) ? '' : neg ? '-' : '') + intPart;
  let out = (neg ? '-' : '') + intPart;
  if (frac !== undefined) out += '.' + (frac === '' ? '0' : frac);
  if (exp !== undefined) out += 'e' + exp;
  return out;
}

export class PythonicParser extends SinkParser implements Prefillable {
  private mode = T_TEXT;
  /** Unprocessed tail (a partial marker) carried into the next push. */
  private carry = '';
  /** Which markers `carry` is a proper prefix of (bit m: MARKERS[m]). */
  private carryMask = 0;

  // Input offsets: `pos` counts the characters pushed before the current chunk, `base` is the offset
  // of the current `carry + chunk`. Text from before `quietUntil` came from the prefill: never text.
  private pos = 0;
  private base = 0;
  private quietUntil = 0;
  private inPrefill = false;

  // Text.
  private atBoundary = true; // at the output start or just after a block: whitespace is held
  private atOutputStart = true;
  private boundaryWs = '';
  private bwsStart = 0;

  // The current block.
  private wrapped = false;
  private callsInBlock = 0;
  /** Markup that may still have to be released as text: `raw` + input[rawFrom..]. */
  private raw = '';
  private rawFrom = -1;
  private rawStart = 0;
  /** The token being read (name, keyword, number …): `sc` + input[scFrom..], from offset scStart. */
  private sc = '';
  private scFrom = -1;
  private scStart = 0;
  private scIsKey = false;

  // The current call.
  private vs = V_KEY_OR_CLOSE;
  /** The open containers (kind, elements so far) of the call, `top` the innermost (-1: none). */
  private readonly ftype: number[] = [];
  private readonly fcount: number[] = [];
  private top = -1;
  /** A key and its separator were written and the value has not begun. */
  private needValue = false;
  private key = '';
  // The current string.
  private q = DQUOTE;
  private triple = false;
  private rawStr = false;
  private strIsKey = false;
  private qcount = 0;
  // The current escape.
  private escNeed = 0;
  private escBuf = '';
  private escLetter = '';
  private escVal = 0;
  private escCnt = 0;

  pushTo(text: string, sink: DeltaSink): void {
    if (text === '') return;
    if (this.carry !== '') {
      // The carry is a partial marker: while the text only extends it, there is nothing to do yet.
      const mask = extendMask(this.carryMask, this.carry.length, text);
      if (mask !== 0) {
        this.carry += text;
        this.carryMask = mask;
        this.pos += text.length;
        return;
      }
    } else {
      // Fast paths: plain text, and string argument contents.
      if (this.mode === T_TEXT && !this.atBoundary) {
        if (indexOfChar(text, '<') < 0) {
          this.pos += text.length;
          this.atOutputStart = false;
          sink.text(text);
          return;
        }
      } else if (this.mode === B_ARGS && this.vs === V_STR && this.qcount === 0) {
        const q = this.q;
        let j = 0;
        const n = text.length;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c < 0x20 || c === DQUOTE || c === BSLASH || c === q) break;
        }
        if (j === n) {
          this.pos += n;
          sink.callArgs(text);
          return;
        }
      }
    }
    this.sink = sink;
    this.run(text, false);
    this.flushStr();
  }

  /** Read text the prompt already wrote (e.g. `[` or `[get_weather(`): its text never comes out. */
  prefill(text: string): OutputDelta[] {
    if (text === '') return [];
    this.inPrefill = true;
    const out = this.collectQuiet(() => this.run(text, false));
    this.inPrefill = false;
    this.quietUntil = this.pos;
    return out;
  }

  endTo(sink: DeltaSink, _truncated?: boolean): void {
    this.sink = sink;
    this.run('', true);
    switch (this.mode) {
      case T_TEXT:
        // Whitespace-only output is text; whitespace after a block is dropped.
        if (this.boundaryWs !== '' && this.atOutputStart) this.emitText('', this.pos);
        break;
      case B_OPEN:
      case B_LIST:
      case B_NAME:
        // Markup whose name never completed is text; a trailing ',' after calls is dropped.
        if (this.callsInBlock === 0 || this.mode === B_NAME) this.emitText(this.raw, this.rawStart);
        break;
      case B_ARGS:
        // The call stays open; a number that was complete is still worth writing.
        if (this.vs === V_SCALAR && !this.scIsKey) {
          const json = scalarJson(this.sc);
          if (json !== null) {
            this.beginElem(false);
            this.emitArgs(json);
          }
        }
        break;
      default:
        break;
    }
    this.mode = T_TEXT;
    this.raw = '';
    this.rawFrom = -1;
    this.sc = '';
    this.scFrom = -1;
    this.boundaryWs = '';
    this.atBoundary = false;
    this.atOutputStart = false;
    this.flushStr();
  }

  // ---------------------------------------------------------------------------------------------

  private run(chunk: string, final: boolean): void {
    const s = this.carry === '' ? chunk : this.carry + chunk;
    this.base = this.pos - this.carry.length;
    this.pos += chunk.length;
    this.carry = '';
    if (this.rawFrom >= 0) this.rawFrom = 0;
    if (this.scFrom >= 0) this.scFrom = 0;
    const n = s.length;
    let i = 0;
    while (i < n && this.carry === '') {
      switch (this.mode) {
        case T_TEXT:
        case T_REST:
          i = this.text(s, i, final);
          break;
        case B_OPEN:
          i = this.open(s, i);
          break;
        case B_LIST:
          i = this.list(s, i, final);
          break;
        case B_NAME:
          i = this.name(s, i, final);
          break;
        case B_ARGS:
          i = this.args(s, i, final);
          break;
        default:
          i = this.after(s, i, final);
          break;
      }
    }
    // Keep what was read of the recorded regions; the carry is read again next time.
    const stop = n - this.carry.length;
    if (this.rawFrom >= 0) {
      this.raw += s.slice(this.rawFrom, stop);
      this.rawFrom = 0;
    }
    if (this.scFrom >= 0) {
      this.sc += s.slice(this.scFrom, stop);
      this.scFrom = 0;
    }
  }

  private emitArgs(text: string): void {
    this.emitStr(S_ARGS, text);
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
      if (this.atOutputStart && s.charCodeAt(i) === LBRACK) return this.openBlock(i, 1, false);
    }
    for (let k = indexOfChar(s, '<', i); k >= 0; k = indexOfChar(s, '<', k + 1)) {
      const m = matchMarker(s, k);
      if (m === M_NONE || (m === M_PARTIAL && final)) continue;
      if (k > i) this.emitText(s.slice(i, k), this.base + i);
      if (m === M_PARTIAL) {
        this.carry = s.slice(k);
        this.carryMask = partialMask;
        return n;
      }
      const end = k + MARKERS[m].length;
      if (m < N_START) return this.openBlock(k, MARKERS[m].length, true);
      if (this.mode === T_REST) {
        // The end of a released block: its end marker is part of the text.
        this.emitText(MARKERS[m], this.base + k);
        this.mode = T_TEXT;
        this.atBoundary = true;
      }
      // (A stray end marker in text is markup: dropped.)
      return end;
    }
    if (n > i) this.emitText(i === 0 ? s : s.slice(i), this.base + i);
    return n;
  }

  // --- block structure -------------------------------------------------------------------------

  /** A block opens at `s[k]` (its marker or bare '[' is `len` long); its markup is recorded. */
  private openBlock(k: number, len: number, wrapped: boolean): number {
    this.rawStart = this.boundaryWs !== '' ? this.bwsStart : this.base + k;
    this.raw = this.boundaryWs;
    this.rawFrom = k;
    this.boundaryWs = '';
    this.atBoundary = false;
    this.atOutputStart = false;
    this.wrapped = wrapped;
    this.callsInBlock = 0;
    this.mode = wrapped ? B_OPEN : B_LIST;
    return k + len;
  }

  /**
   * `s[j]` can't continue the block outside a call. Before any call, the recorded markup is released
   * as text (and, for a wrapped block, the rest of it up to its end marker); after calls, what was
   * read since the last one is text unless it is only whitespace.
   */
  private bail(s: string, j: number): number {
    const junk = this.rawFrom >= 0 ? this.raw + s.slice(this.rawFrom, j) : this.raw;
    const start = this.rawStart;
    this.raw = '';
    this.rawFrom = -1;
    this.sc = '';
    this.scFrom = -1;
    // After a wrapped block's ']' only its end marker was missing: what follows is ordinary text.
    const rest = this.wrapped && this.mode !== B_AFTER_LIST;
    if (this.callsInBlock > 0 && isAllWs(junk)) {
      this.boundaryWs = junk;
      this.bwsStart = start;
      this.atBoundary = true;
    } else this.emitText(junk, start);
    this.mode = rest ? T_REST : T_TEXT;
    return j;
  }

  private closeBlock(): void {
    this.raw = '';
    this.rawFrom = -1;
    this.mode = T_TEXT;
    this.atBoundary = true;
    this.boundaryWs = '';
  }

  /** After the list's ']'. */
  private closeList(j: number): number {
    if (this.wrapped) {
      this.mode = B_AFTER_LIST;
      this.raw = '';
      this.rawFrom = j;
      this.rawStart = this.base + j;
    } else this.closeBlock();
    return j;
  }

  /** A '<' after calls of the block: a marker closes the block; anything else is text. */
  private afterMarker(s: string, i: number, final: boolean): number {
    const m = matchMarker(s, i);
    if (m === M_PARTIAL) {
      if (!final) {
        this.carry = s.slice(i);
        this.carryMask = partialMask;
        return s.length;
      }
      this.closeBlock(); // the output was cut inside a marker: markup, dropped
      return s.length;
    }
    if (m === M_NONE) return this.bail(s, i);
    this.closeBlock();
    return m >= N_START ? i + MARKERS[m].length : i;
  }

  private open(s: string, i: number): number {
    const n = s.length;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i === n) return n;
    if (s.charCodeAt(i) === LBRACK) {
      this.mode = B_LIST;
      return i + 1;
    }
    return this.bail(s, i);
  }

  private list(s: string, i: number, final: boolean): number {
    const n = s.length;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i === n) return n;
    const c = s.charCodeAt(i);
    if (isIdentStart(c) || (this.inPrefill && isNameChar(c))) {
      this.sc = '';
      this.scFrom = i;
      this.mode = B_NAME;
      return i;
    }
    if (this.callsInBlock > 0) {
      if (c === RBRACK) return this.closeList(i + 1);
      if (c === LT) return this.afterMarker(s, i, final);
    }
    return this.bail(s, i);
  }

  private name(s: string, i: number, final: boolean): number {
    const n = s.length;
    let j = i;
    while (j < n && isNameChar(s.charCodeAt(j))) j++;
    if (this.sc.length + (j - this.scFrom) > MAX_NAME) return this.bail(s, j);
    if (j === n) return n;
    const c = s.charCodeAt(j);
    if (c === LPAREN) {
      const name = this.sc + s.slice(this.scFrom, j);
      this.sc = '';
      this.scFrom = -1;
      this.startCall(name);
      return j + 1;
    }
    this.sc = '';
    this.scFrom = -1;
    if (c === LT && this.callsInBlock > 0) return this.afterMarker(s, j, final);
    return this.bail(s, j);
  }

  private after(s: string, i: number, final: boolean): number {
    const n = s.length;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i === n) return n;
    const c = s.charCodeAt(i);
    if (this.mode === B_AFTER_CALL) {
      if (c === COMMA) {
        this.mode = B_LIST; // recording continues: released as text if no call follows
        return i + 1;
      }
      if (c === RBRACK) return this.closeList(i + 1);
    }
    if (c === LT) return this.afterMarker(s, i, final);
    return this.bail(s, i);
  }

  // --- calls -----------------------------------------------------------------------------------

  private startCall(name: string): void {
    this.emitCallStart(name);
    // From now on nothing before this point is released.
    this.raw = '';
    this.rawFrom = -1;
    this.top = 0;
    this.ftype[0] = F_KW;
    this.fcount[0] = 0;
    this.needValue = false;
    this.vs = V_KEY_OR_CLOSE;
    this.mode = B_ARGS;
  }

  private endCall(): void {
    // The arguments are JSON this parser wrote, closed valid on every path (`closeArgs`): checked
    // (DeltaSink.callEnd), the writer need not read them again.
    this.emitCallEnd(true);
    this.callsInBlock++;
  }

  /** Close the JSON written so far so that it is a valid value. */
  private closeArgs(): void {
    let tail = '';
    const vs = this.vs;
    if (vs >= V_STR && vs <= V_RAW_ESC) {
      tail += '"';
      if (this.strIsKey) tail += ': null';
    } else if (vs === V_DCOLON) tail += ': null';
    else if (this.needValue) tail += 'null';
    for (let k = this.top; k >= 0; k--) {
      const t = this.ftype[k];
      tail += t === F_DICT ? '}' : t === F_KW ? (this.fcount[k] === 0 ? '{}' : '}') : ']';
    }
    this.top = -1;
    this.needValue = false;
    this.emitArgs(tail);
  }

  /** The call can't go on: close it (never retracted). */
  private cutCall(): void {
    this.closeArgs();
    this.endCall();
    this.sc = '';
    this.scFrom = -1;
  }

  /** `s[j]` is malformed inside a call: close the call; the rest of the block, from the token, is text. */
  private bad(s: string, j: number): number {
    const pending = this.scFrom >= 0;
    const tokText = this.sc;
    const tokFrom = this.scFrom;
    const tokStart = this.scStart;
    this.cutCall();
    this.mode = this.wrapped ? T_REST : T_TEXT;
    this.atBoundary = false;
    if (!pending) return j;
    if (tokText !== '') this.emitText(tokText, tokStart);
    return tokFrom;
  }

  /** An unexpected character outside strings in a call: a marker cuts the call, anything else is bad. */
  private unexpected(s: string, i: number, final: boolean): number {
    if (s.charCodeAt(i) === LT) {
      const m = matchMarker(s, i);
      if (m === M_PARTIAL) {
        if (!final) {
          this.carry = s.slice(i);
          this.carryMask = partialMask;
        }
        // (At the end: the output was cut inside a marker; the call stays open.)
        return s.length;
      }
      if (m !== M_NONE) {
        this.cutCall();
        this.closeBlock();
        return m >= N_START ? i + MARKERS[m].length : i;
      }
    }
    return this.bad(s, i);
  }

  /** Before an element/key of a list, tuple or dict: the separator; a value's key was written already. */
  private beginElem(asKey: boolean): void {
    const top = this.top;
    const t = this.ftype[top];
    if (t === F_LIST || t === F_TUPLE || (t === F_DICT && asKey)) {
      if (this.fcount[top] > 0) this.emitArgs(', ');
      this.fcount[top]++;
    }
    this.needValue = false;
  }

  private pushFrame(t: number): void {
    const top = ++this.top;
    this.ftype[top] = t;
    this.fcount[top] = 0;
  }

  private closer(): number {
    const t = this.ftype[this.top];
    return t === F_LIST ? RBRACK : t === F_DICT ? RBRACE : RPAREN;
  }

  /** The closing bracket of the innermost container is at `s[i]`. */
  private closeFrame(i: number): number {
    const t = this.ftype[this.top];
    const count = this.fcount[this.top];
    this.top--;
    if (t === F_KW) {
      this.emitArgs(count === 0 ? '{}' : '}');
      this.endCall();
      this.mode = B_AFTER_CALL;
      this.raw = '';
      this.rawFrom = i + 1;
      this.rawStart = this.base + i + 1;
      return i + 1;
    }
    this.emitArgs(t === F_DICT ? '}' : ']');
    this.vs = V_AFTER;
    return i + 1;
  }

  private openStr(q: number, raw: boolean, asKey: boolean): void {
    this.beginElem(asKey);
    this.emitArgs('"');
    this.q = q;
    this.rawStr = raw;
    this.triple = false;
    this.qcount = 0;
    this.strIsKey = asKey;
    this.vs = V_STR_Q1;
  }

  private closeStr(): void {
    this.emitArgs('"');
    this.vs = this.strIsKey ? V_DCOLON : V_AFTER;
  }

  private startValue(s: string, i: number, asKey: boolean, final: boolean): number {
    const c = s.charCodeAt(i);
    if (c === DQUOTE || c === SQUOTE) {
      this.openStr(c, false, asKey);
      return i + 1;
    }
    if (isScalarChar(c)) {
      this.sc = '';
      this.scFrom = i;
      this.scStart = this.base + i;
      this.scIsKey = asKey;
      this.vs = V_SCALAR;
      return i;
    }
    if (!asKey) {
      if (c === LBRACK || c === LPAREN) {
        this.beginElem(false);
        this.emitArgs('[');
        this.pushFrame(c === LBRACK ? F_LIST : F_TUPLE);
        this.vs = V_ELEM_OR_CLOSE;
        return i + 1;
      }
      if (c === LBRACE) {
        this.beginElem(false);
        this.emitArgs('{');
        this.pushFrame(F_DICT);
        this.vs = V_DKEY_OR_CLOSE;
        return i + 1;
      }
    }
    return this.unexpected(s, i, final);
  }

  private args(s: string, i: number, final: boolean): number {
    const n = s.length;
    while (i < n && this.mode === B_ARGS && this.carry === '') {
      switch (this.vs) {
        case V_STR:
          i = this.str(s, i);
          break;
        case V_SCALAR:
          i = this.scalar(s, i);
          break;
        case V_STR_Q1:
          if (s.charCodeAt(i) === this.q) {
            this.vs = V_STR_Q2;
            i++;
          } else this.vs = V_STR;
          break;
        case V_STR_Q2:
          if (s.charCodeAt(i) === this.q) {
            this.triple = true;
            this.vs = V_STR;
            i++;
          } else this.closeStr(); // ''
          break;
        case V_ESC:
          i = this.esc(s, i);
          break;
        case V_ESC_HEX:
          i = this.escHex(s, i);
          break;
        case V_ESC_OCT: {
          const c = s.charCodeAt(i);
          if (c >= 0x30 && c <= 0x37 && this.escCnt < 3) {
            this.escVal = this.escVal * 8 + (c - 0x30);
            this.escCnt++;
            i++;
          } else {
            this.emitArgs(jsonCodePoint(this.escVal));
            this.vs = V_STR;
          }
          break;
        }
        case V_ESC_CR:
          if (s.charCodeAt(i) === LF) i++;
          this.vs = V_STR;
          break;
        case V_RAW_ESC:
          // In a raw string the backslash (already written) and the next character are both kept.
          this.emitArgs(jsonChar(s.charCodeAt(i)));
          this.vs = V_STR;
          i++;
          break;
        case V_KEYNAME: {
          let j = i;
          while (j < n && isIdentChar(s.charCodeAt(j))) j++;
          if (j === n) return n;
          this.key = this.sc + s.slice(this.scFrom, j);
          this.vs = V_EQ; // the capture goes on: released as text if no '=' follows
          i = j;
          break;
        }
        default: {
          const c = s.charCodeAt(i);
          if (isWs(c)) {
            i++;
            break;
          }
          i = this.structural(s, i, c, final);
        }
      }
    }
    return i;
  }

  private structural(s: string, i: number, c: number, final: boolean): number {
    switch (this.vs) {
      case V_KEY_OR_CLOSE:
        if (c === RPAREN) return this.closeFrame(i);
        if (isIdentStart(c)) {
          this.sc = '';
          this.scFrom = i;
          this.scStart = this.base + i;
          this.vs = V_KEYNAME;
          return i;
        }
        return this.unexpected(s, i, final);
      case V_EQ:
        if (c === EQ) {
          this.emitArgs((this.fcount[0] > 0 ? ', "' : '{"') + this.key + '": ');
          this.fcount[0]++;
          this.needValue = true;
          this.sc = '';
          this.scFrom = -1;
          this.vs = V_VALUE;
          return i + 1;
        }
        return this.unexpected(s, i, final);
      case V_VALUE:
        return this.startValue(s, i, false, final);
      case V_ELEM_OR_CLOSE:
        if (c === this.closer()) return this.closeFrame(i);
        return this.startValue(s, i, false, final);
      case V_DKEY_OR_CLOSE:
        if (c === RBRACE) return this.closeFrame(i);
        return this.startValue(s, i, true, final);
      case V_DCOLON:
        if (c === COLON) {
          this.emitArgs(': ');
          this.needValue = true;
          this.vs = V_VALUE;
          return i + 1;
        }
        return this.unexpected(s, i, final);
      default: {
        // V_AFTER
        if (c === COMMA) {
          const t = this.ftype[this.top];
          this.vs = t === F_KW ? V_KEY_OR_CLOSE : t === F_DICT ? V_DKEY_OR_CLOSE : V_ELEM_OR_CLOSE;
          return i + 1;
        }
        if (c === this.closer()) return this.closeFrame(i);
        return this.unexpected(s, i, final);
      }
    }
  }

  /** String contents: passed on in runs, re-escaped for JSON. */
  private str(s: string, i: number): number {
    const n = s.length;
    const q = this.q;
    if (this.qcount > 0) {
      // Quotes read in a triple-quoted string: its end, or content.
      if (s.charCodeAt(i) === q) {
        if (++this.qcount === 3) this.closeStr();
        return i + 1;
      }
      this.emitArgs(jsonChar(q).repeat(this.qcount));
      this.qcount = 0;
    }
    let j = i;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c < 0x20 || c === DQUOTE || c === BSLASH || c === q) break;
    }
    if (j > i) this.emitArgs(i === 0 && j === n ? s : s.slice(i, j));
    if (j === n) return n;
    const c = s.charCodeAt(j);
    if (c === q) {
      if (this.triple) this.qcount = 1;
      else this.closeStr();
    } else if (c === BSLASH) {
      if (this.rawStr) {
        this.emitArgs('\\\\');
        this.vs = V_RAW_ESC;
      } else this.vs = V_ESC;
    } else this.emitArgs(jsonChar(c)); // '"' in a '…' string, or a raw control character
    return j + 1;
  }

  private esc(s: string, i: number): number {
    const c = s.charCodeAt(i);
    this.vs = V_STR;
    switch (c) {
      case LF: // line continuation
        break;
      case CR:
        this.vs = V_ESC_CR;
        break;
      case BSLASH:
        this.emitArgs('\\\\');
        break;
      case SQUOTE:
        this.emitArgs("'");
        break;
      case DQUOTE:
        this.emitArgs('\\"');
        break;
      case 0x6e: // n
        this.emitArgs('\\n');
        break;
      case 0x74: // t
        this.emitArgs('\\t');
        break;
      case 0x72: // r
        this.emitArgs('\\r');
        break;
      case 0x62: // b
        this.emitArgs('\\b');
        break;
      case 0x66: // f
        this.emitArgs('\\f');
        break;
      case 0x61: // a
        this.emitArgs('\\u0007');
        break;
      case 0x76: // v
        this.emitArgs('\\u000b');
        break;
      case 0x78: // x
      case 0x75: // u
      case 0x55: // U
        this.escNeed = c === 0x78 ? 2 : c === 0x75 ? 4 : 8;
        this.escBuf = '';
        this.escLetter = s[i];
        this.vs = V_ESC_HEX;
        break;
      default:
        if (c >= 0x30 && c <= 0x37) {
          this.escVal = c - 0x30;
          this.escCnt = 1;
          this.vs = V_ESC_OCT;
          break;
        }
        // Not an escape: Python keeps the backslash; the character is read as content.
        this.emitArgs('\\\\');
        return i;
    }
    return i + 1;
  }

  private escHex(s: string, i: number): number {
    const n = s.length;
    let j = i;
    const room = this.escNeed - this.escBuf.length;
    while (j < n && j - i < room && isHex(s.charCodeAt(j))) j++;
    this.escBuf += s.slice(i, j);
    if (this.escBuf.length === this.escNeed) {
      const cp = parseInt(this.escBuf, 16);
      this.emitArgs(cp <= 0x10ffff ? jsonCodePoint(cp) : '\\\\' + this.escLetter + this.escBuf);
      this.vs = V_STR;
      return j;
    }
    if (j === n) return n;
    // Not a valid escape (e.g. 'C:\Users'): keep it as written.
    this.emitArgs('\\\\' + this.escLetter + this.escBuf);
    this.vs = V_STR;
    return j;
  }

  /** A number, a bare literal or a string prefix. */
  private scalar(s: string, i: number): number {
    const n = s.length;
    let j = i;
    while (j < n && isScalarChar(s.charCodeAt(j))) j++;
    if (j === n) return n;
    const tok = this.sc + s.slice(this.scFrom, j);
    const c = s.charCodeAt(j);
    if ((c === SQUOTE || c === DQUOTE) && isStringPrefix(tok)) {
      this.sc = '';
      this.scFrom = -1;
      this.openStr(c, tok.indexOf('r') >= 0 || tok.indexOf('R') >= 0, this.scIsKey);
      return j + 1;
    }
    const json = scalarJson(tok);
    if (json === null) return this.bad(s, j);
    this.sc = '';
    this.scFrom = -1;
    this.beginElem(this.scIsKey);
    if (this.scIsKey) {
      this.emitArgs('"' + json + '"');
      this.vs = V_DCOLON;
    } else {
      this.emitArgs(json);
      this.vs = V_AFTER;
    }
    return j;
  }
}

export function createPythonicParser(_opts: ToolFormatOptions = {}): ToolCallParser {
  return new PythonicParser();
}

export const PYTHONIC_FORMAT: ToolFormatSpec = {
  name: 'pythonic',
  create: createPythonicParser,
  requiredPrefill: '[',
  namedPrefill: (name) => '[' + name + '(',
  templateMarkers: [
    // Llama 3.2 / Llama 4 pythonic templates (vLLM examples): "Respond in the format [func_name1(params_name1=…"
    // and "Use exact format: [func_name1(param1=value1, …".
    ['[func_name1(param'],
    // Llama 4, LFM2 / LFM2.5.
    ['<|python_start|>'],
    ['<|tool_call_start|>'],
    ['<|tool_list_start|>'],
  ],
};
