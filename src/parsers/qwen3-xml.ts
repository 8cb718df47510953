/**
 * The `qwen3_xml` tool-call format (Qwen3-Coder, Qwen3.5; vLLM's `qwen3_coder` / `qwen3_xml`):
 *
 *     <tool_call>
 *     <function=get_weather>
 *     <parameter=city>
 *     Paris
 *     </parameter>
 *     <parameter=days>
 *     3
 *     </parameter>
 *     </function>
 *     </tool_call>
 *
 * repeated for parallel calls, with text allowed before, between and after.
 *
 * Streaming: `call_start` once `<function=NAME>` is complete, then the arguments as JSON text built
 * incrementally — `{` at once, `"key": ` when a parameter opens, the value, `, ` between parameters and
 * `}` at `</function>` (or at `</tool_call>` when `</function>` is missing), followed by `call_end`. The
 * concatenated `call_args` are a JSON object (`{}` for a call without parameters).
 *
 * Values: the format puts a newline after `<parameter=KEY>` and before `</parameter>`; exactly one of
 * each is stripped (a trailing `\n` is held back until it is known whether `</parameter>` follows).
 * The value is converted with the tool's JSON schema (`opts.tools`, the property's `type`, a `type`
 * array, `anyOf`/`oneOf`/`allOf` options, or the JSON types of `enum`/`const`; the first non-null type
 * wins, a `null` among them makes the parameter nullable):
 * - string: a JSON string, streamed as it arrives. Nullable: `null`/`None` (any case, trimmed) is
 *   null — only a few leading characters are held back until that is ruled out.
 * - integer / number: the number (as written when it is JSON already, else normalised: `+5`, `007`,
 *   `.5`); `null`/`None` → null; anything else → a JSON string.
 * - boolean: `true`/`false` in any case (`True`, `FALSE`); `null`/`None` → null; else a JSON string.
 * - object / array: JSON (emitted as written), else a Python literal (`{'a': True, 'b': None}`,
 *   tuples, trailing commas) converted to JSON, else `null`/`None` → null, else a JSON string. A JSON
 *   string that itself holds a Python literal (double-encoded) is decoded once more.
 * - null: `null`/`None` → null, else as without a schema.
 * - no schema (no tools, unknown tool, parameter not among the properties, unrecognised type): the
 *   value is JSON if it is valid JSON that is not a bare string (`42`, `true`, `null`, `[1]`,
 *   `{"a": 1}`), else a JSON string. This is decided as early as possible: a value that cannot be such
 *   JSON any more (`Paris`, `"x"`, `12 apples`) streams as a string; one starting with `{`/`[` is
 *   buffered to its end.
 * Typed non-string values are buffered until the end of the parameter; strings always stream.
 *
 * Markup:
 * - `<tool_call>` opens call markup in text (a bare `<function=` does not: prose that mentions the
 *   syntax stays text, as in vLLM's streaming parser); a suffix that may still become it is held
 *   back. Whitespace-only text next to calls is dropped.
 * - Markup whose function name never completed (or is not a name: empty, or with whitespace, quotes,
 *   braces or `<`), or a `<tool_call>` not followed by `<function=`, is released as text verbatim.
 * - Inside a function, text outside `<parameter=…>…</parameter>` is ignored. `</tool_call>`,
 *   `<tool_call>` or `<function=` there close the open call (missing `</function>`); after
 *   `</function>` anything but whitespace, `</tool_call>` or another call ends the block (missing
 *   `</tool_call>`).
 * - In a value, a closing tag is structural only if what follows it (after whitespace) is markup
 *   that may come next — after `</parameter>`: `<parameter=`, `</function>`, `</tool_call>`,
 *   `<tool_call>`, `<function=`; after `</function>` (no `</parameter>`): `</tool_call>`,
 *   `<tool_call>`, `<function=`; after `</tool_call>`: `<tool_call>` — or the end of the
 *   output. Otherwise it is part of the value (code that contains `</parameter>` survives).
 * - At `end()` a started call is completed (value, `}`, `call_end`; a closing tag at the very end is
 *   structural) unless the output was truncated: then it stays open, as the `OutputParser` contract
 *   says, and what was emitted is a prefix of what the complete output would give.
 *
 * The parser is a state machine over `carry + chunk`, where `carry` only holds a possible marker (or a
 * closing tag and the whitespace after it); content is searched with `indexOf('<')`, so each input
 * character is looked at a bounded number of times.
 */
import type { Prefillable } from './scanner.ts';
import { markerSet, matchAny, NO_MATCH, PARTIAL_MATCH as PARTIAL } from './markers.ts';
import { SinkParser, S_ARGS, S_TEXT } from './sink.ts';
import type { DeltaSink, OutputDelta, ToolCallParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';
import { indexOfChar, isWs } from './chars.ts';

const TOOL_CALL = '<tool_call>';
const TOOL_CALL_END = '</tool_call>';
const FUNCTION = '<function=';
const FUNCTION_END = '</function>';
const PARAMETER = '<parameter=';
const PARAMETER_END = '</parameter>';

/** Every marker of the format (for tests and callers that check text deltas). */
export const QWEN3_XML_MARKERS: readonly string[] = [
  TOOL_CALL,
  TOOL_CALL_END,
  FUNCTION,
  FUNCTION_END,
  PARAMETER,
  PARAMETER_END,
];

const TEXT_OPENERS = markerSet([TOOL_CALL]);
/** Right after `</function>` (still in the block): the block ends, or another function follows. */
const AFTER_FUNCTION = markerSet([TOOL_CALL_END, FUNCTION]);
const ONLY_FUNCTION = markerSet([FUNCTION]);
const BODY_MARKERS = markerSet([PARAMETER, FUNCTION_END, TOOL_CALL_END, TOOL_CALL, FUNCTION]);
const VALUE_CLOSERS = markerSet([PARAMETER_END, FUNCTION_END, TOOL_CALL_END]);
/** Per value closer (index into VALUE_CLOSERS): markup that makes it structural when it follows. */
const FOLLOWERS = [
  markerSet([PARAMETER, FUNCTION_END, TOOL_CALL_END, TOOL_CALL, FUNCTION]),
  markerSet([TOOL_CALL_END, TOOL_CALL, FUNCTION]),
  markerSet([TOOL_CALL]),
];

// Modes.
const M_TEXT = 0; // text (at a boundary: after a call or at the output start)
const M_BLOCK = 1; // after `<tool_call>`, expecting `<function=`
const M_NAME = 2; // in the function name
const M_BODY = 3; // in a function, between parameters
const M_KEY = 4; // in a parameter name
const M_VALUE = 5; // in a parameter value
const M_PENDING = 6; // after a closing tag in a value: is it structural?

// How the current value is converted.
const V_STR = 0; // a JSON string, streamed (the opening quote is out)
const V_NSTR = 1; // a nullable string: held while it may still be `null` / `None`
const V_AUTO = 2; // no schema: held while it may still be a non-string JSON value
const V_BUF = 3; // buffered to the end of the value, then converted

// Outcomes of marker matching.

const LF = 0x0a;
const LT = 0x3c;
const GT = 0x3e;

type Conv = 'string' | 'integer' | 'number' | 'boolean' | 'container' | 'null' | 'auto';

interface ParamType {
  conv: Conv;
  nullable: boolean;
}

const AUTO: ParamType = { conv: 'auto', nullable: false };

/** Characters that can't be in a function name (besides the closing `>`). */
function isNameBreak(c: number): boolean {
  return isWs(c) || c === LT || c === 0x7b || c === 0x7d || c === 0x22 || c === 0x27;
}

/** JSON escapes of the control characters (as JSON.stringify writes them). */
const CONTROL_ESCAPES: readonly string[] = Array.from({ length: 0x20 }, (_, c) => JSON.stringify(String.fromCharCode(c)).slice(1, -1));

/** The body of a JSON string literal for `s` (what JSON.stringify writes between the quotes). */
function escapeJson(s: string): string {
  const n = s.length;
  let out = '';
  let last = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (c < 0xd800 || c > 0xdfff)) continue;
    if (c < 0x20) rep = CONTROL_ESCAPES[c];
    else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else {
      // A surrogate: a valid pair stays, a lone one is escaped.
      if (c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      rep = '\\u' + c.toString(16);
    }
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

function stripNl(v: string): string {
  return v.charCodeAt(v.length - 1) === LF ? v.slice(0, -1) : v;
}

function isNullWord(v: string): boolean {
  const t = v.trim().toLowerCase();
  return t === 'null' || t === 'none';
}

const NULL_WORDS = ['null', 'none'];
const JSON_WORDS = ['true', 'false', 'null'];
/** Longest held prefix of a value whose kind is still undecided. */
const MAX_UNDECIDED = 64;

/**
 * Could `buf` (trimmed) still become one of `words` (lower case)? Surrounding whitespace is allowed;
 * whitespace after an incomplete word is not.
 */
function couldBeWord(buf: string, words: readonly string[]): boolean {
  const t = buf.trimStart();
  const u = t.trimEnd().toLowerCase();
  if (u === '') return true;
  for (const w of words) {
    if (u === w) return true;
    if (u.length === t.length && w.startsWith(u)) return true;
  }
  return false;
}

const AUTO_HOLD = 0;
const AUTO_STRING = 1;
const AUTO_BUFFER = 2;
const NUMBERISH = /^-?[0-9.eE+-]*[ \t\r\n]*$/;

/**
 * The early decision for a schema-less value read so far. Monotone: once a prefix is AUTO_STRING, the
 * whole value is not a non-string JSON value.
 */
function autoDecision(buf: string): number {
  if (buf.length > MAX_UNDECIDED) return AUTO_BUFFER;
  const t = buf.trimStart();
  if (t === '') return AUTO_HOLD;
  const c = t.charCodeAt(0);
  if (c === 0x7b || c === 0x5b) return AUTO_BUFFER; // { [
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return NUMBERISH.test(t) ? AUTO_HOLD : AUTO_STRING;
  if (c === 0x74 || c === 0x66 || c === 0x6e) {
    // true / false / null (exact case, as JSON wants it)
    const u = t.trimEnd();
    for (const w of JSON_WORDS) if (u === w || (u.length === t.length && w.startsWith(u))) return AUTO_HOLD;
  }
  return AUTO_STRING;
}

/** No schema: the value as JSON if it is valid JSON that is not a bare string, else a JSON string. */
function autoJson(v: string): string {
  try {
    if (typeof JSON.parse(v) !== 'string') return v.trim();
  } catch {
    // not JSON
  }
  return JSON.stringify(v);
}

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INTEGER = /^[+-]?[0-9]+$/;
const LOOSE_NUMBER = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/** The JSON text of a number written as `v`, or null if it is not one. */
function numberJson(v: string): string | null {
  const t = v.trim();
  if (JSON_NUMBER.test(t)) return t;
  if (INTEGER.test(t)) return BigInt(t).toString();
  if (LOOSE_NUMBER.test(t)) {
    const x = Number(t);
    if (Number.isFinite(x)) return JSON.stringify(x);
  }
  return null;
}

/** Convert a complete (typed, non-string) value to JSON text. */
function convert(v: string, conv: Conv): string {
  switch (conv) {
    case 'integer':
    case 'number': {
      const num = numberJson(v);
      if (num !== null) return num;
      return isNullWord(v) ? 'null' : JSON.stringify(v);
    }
    case 'boolean': {
      const t = v.trim().toLowerCase();
      if (t === 'true' || t === 'false') return t;
      return isNullWord(v) ? 'null' : JSON.stringify(v);
    }
    case 'container':
      return containerJson(v);
    case 'null':
      return isNullWord(v) ? 'null' : autoJson(v);
    case 'string':
      return JSON.stringify(v);
    default:
      return autoJson(v);
  }
}

function containerJson(v: string): string {
  const t = v.trim();
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = JSON.parse(t);
    isJson = true;
  } catch {
    // not JSON
  }
  if (isJson) {
    if (typeof parsed !== 'string') return t;
    // Double-encoded: a JSON string holding a Python literal.
    const inner = parsePythonLiteral(parsed);
    return JSON.stringify(inner !== undefined && typeof inner !== 'string' ? inner : parsed);
  }
  const py = parsePythonLiteral(t);
  if (py !== undefined) return JSON.stringify(py);
  return isNullWord(v) ? 'null' : JSON.stringify(v);
}

// --- Python literals -----------------------------------------------------------------------------

const PY_NUMBER = /[+-]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?/y;
const PY_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/**
 * A small subset of Python's `ast.literal_eval` — dicts, lists, tuples, strings (with the common
 * escapes), numbers, True/False/None (and JSON's true/false/null) — as a JSON-compatible value;
 * undefined if `src` is not such a literal.
 */
export function parsePythonLiteral(src: string): unknown {
  let i = 0;
  const n = src.length;
  const fail = (): never => {
    throw new SyntaxError('not a Python literal');
  };
  const ws = () => {
    while (i < n && isWs(src.charCodeAt(i))) i++;
  };
  const key = (k: unknown): string => {
    if (typeof k === 'string') return k;
    if (typeof k === 'number' || typeof k === 'boolean' || k === null) return JSON.stringify(k);
    return fail();
  };
  const str = (): string => {
    const q = src[i++];
    let out = '';
    for (;;) {
      if (i >= n) fail();
      const c = src[i++];
      if (c === q) return out;
      if (c === '\n') fail();
      if (c !== '\\') {
        out += c;
        continue;
      }
      if (i >= n) fail();
      const e = src[i++];
      if (e in PY_ESCAPES) out += PY_ESCAPES[e];
      else if (e === '\n') continue;
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = src.slice(i, i + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) fail();
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) fail();
        out += String.fromCodePoint(cp);
        i += len;
      } else out += '\\' + e;
    }
  };
  const seq = (close: string, depth: number): unknown[] => {
    const arr: unknown[] = [];
    ws();
    if (src[i] === close) {
      i++;
      return arr;
    }
    for (;;) {
      arr.push(value(depth + 1));
      ws();
      const c = src[i++];
      if (c === close) return arr;
      if (c !== ',') fail();
      ws();
      if (src[i] === close) {
        i++;
        return arr;
      }
    }
  };
  const value = (depth: number): unknown => {
    if (depth > 64) fail();
    ws();
    if (i >= n) fail();
    const c = src[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (src[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        const k = key(value(depth + 1));
        ws();
        if (src[i++] !== ':') fail();
        obj[k] = value(depth + 1);
        ws();
        const d = src[i++];
        if (d === '}') return obj;
        if (d !== ',') fail();
        ws();
        if (src[i] === '}') {
          i++;
          return obj;
        }
      }
    }
    if (c === '[') {
      i++;
      return seq(']', depth);
    }
    if (c === '(') {
      i++;
      return seq(')', depth);
    }
    if (c === "'" || c === '"') return str();
    for (const [word, v] of PY_WORDS) {
      if (src.startsWith(word, i)) {
        const after = src.charCodeAt(i + word.length);
        if (!(after >= 0x30 && after <= 0x39) && !(after >= 0x41 && after <= 0x5a) && !(after >= 0x61 && after <= 0x7a) && after !== 0x5f) {
          i += word.length;
          return v;
        }
      }
    }
    PY_NUMBER.lastIndex = i;
    const m = PY_NUMBER.exec(src);
    if (m === null || !/[0-9]/.test(m[0])) return fail();
    i += m[0].length;
    const x = Number(m[0].replace(/_/g, ''));
    if (!Number.isFinite(x)) fail();
    return x;
  };
  try {
    const v = value(0);
    ws();
    return i === n ? v : undefined;
  } catch {
    return undefined;
  }
}

const PY_WORDS: ReadonlyArray<readonly [string, unknown]> = [
  ['True', true],
  ['False', false],
  ['None', null],
  ['true', true],
  ['false', false],
  ['null', null],
];

// --- schemas -------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v; // string, boolean, object
}

function collectTypes(schema: unknown, names: string[], depth: number): void {
  if (!isObject(schema) || depth > 4) return;
  const t = schema.type;
  if (typeof t === 'string') names.push(t);
  else if (Array.isArray(t)) {
    for (const x of t) if (typeof x === 'string') names.push(x);
  } else if (Array.isArray(schema.enum)) {
    for (const x of schema.enum) names.push(jsonTypeName(x));
  } else if ('const' in schema) {
    names.push(jsonTypeName(schema.const));
  } else {
    for (const k of ['anyOf', 'oneOf', 'allOf']) {
      const opts = schema[k];
      if (Array.isArray(opts)) for (const o of opts) collectTypes(o, names, depth + 1);
    }
  }
}

/** A schema type name (JSON Schema's, or the loose ones models' tools use) as a conversion. */
function convOf(name: string): Conv {
  const t = name.trim().toLowerCase();
  if (t === 'string' || t === 'str' || t === 'text' || t === 'varchar' || t === 'char' || t === 'enum') return 'string';
  if (t.startsWith('int') || t.startsWith('uint') || t.startsWith('long') || t.startsWith('short') || t.startsWith('unsigned')) {
    return 'integer';
  }
  if (t.startsWith('num') || t.startsWith('float') || t.startsWith('double') || t.startsWith('decimal')) return 'number';
  if (t === 'boolean' || t === 'bool' || t === 'binary') return 'boolean';
  if (t === 'object' || t === 'array' || t === 'arr' || t.startsWith('dict') || t.startsWith('list')) return 'container';
  if (t === 'null') return 'null';
  return 'auto';
}

/** How a parameter with this property schema is converted. */
export function paramTypeOf(schema: unknown): ParamType {
  const names: string[] = [];
  collectTypes(schema, names, 0);
  let nullable = false;
  let conv: Conv | null = null;
  for (const name of names) {
    const c = convOf(name);
    if (c === 'null') nullable = true;
    else if (conv === null) conv = c;
  }
  if (conv === null) return { conv: nullable ? 'null' : 'auto', nullable };
  return { conv, nullable };
}

type Props = Record<string, unknown>;

interface ToolInfo {
  /** `parameters.properties` (null: no usable schema). */
  props: Props | null;
  /** Conversions resolved so far, by parameter name. */
  types: Map<string, ParamType>;
}

// --- the parser ----------------------------------------------------------------------------------

export class Qwen3XmlParser extends SinkParser implements Prefillable {
  /** Tool name → its schema. */
  private readonly tools = new Map<string, ToolInfo>();

  private mode = M_TEXT;
  /** Unprocessed tail (a possible marker) read again with the next chunk. */
  private carry = '';

  // Input offsets: `pos` counts the characters pushed, `base` is the offset of `carry + chunk`. Text
  // from before `quietUntil` came from the prefill and is never emitted.
  private pos = 0;
  private base = 0;
  private quietUntil = 0;

  // Text.
  private atBoundary = true; // at the output start or after a call: whitespace is held
  private atOutputStart = true;
  private closerOk = false; // just after `</function>`: a `</tool_call>` closes the block
  private boundaryWs = '';
  private bwsStart = 0;

  // Markup that may still have to be released as text, and where it started.
  private raw = '';
  private rawStart = 0;
  /** The function or parameter name being read. */
  private cap = '';

  // The open call.
  private tool: ToolInfo | null = null;
  private nParams = 0;

  // The open value.
  private vKind = V_STR;
  private vConv: Conv = 'auto';
  private vFresh = false; // nothing read yet: a leading newline is stripped
  private vBuf = '';
  private vTail = ''; // V_STR: a held trailing `\n` or high surrogate

  // A closing tag in a value whose meaning is not known yet.
  private pend = '';
  private pendKind = 0;

  constructor(opts: ToolFormatOptions = {}) {
    super();
    for (const tool of opts.tools ?? []) {
      if (this.tools.has(tool.name)) continue;
      const params = tool.parameters;
      const props = isObject(params) && isObject(params.properties) ? params.properties : null;
      this.tools.set(tool.name, { props, types: new Map() });
    }
  }

  pushTo(text: string, sink: DeltaSink): void {
    if (text === '') return;
    // Fast paths: plain text, and string value content, when the chunk holds no '<'. The modes are
    // checked first: the search costs about as much as reading the chunk, and in other modes `run`
    // searches anyway.
    if (this.carry === '') {
      if (this.mode === M_TEXT && !this.atBoundary && this.pos >= this.quietUntil) {
        if (indexOfChar(text, '<') < 0) {
          this.pos += text.length;
          sink.text(text);
          return;
        }
      } else if (this.mode === M_VALUE && this.vKind === V_STR && !this.vFresh && indexOfChar(text, '<') < 0) {
        this.pos += text.length;
        this.sink = sink;
        this.streamStr(text);
        this.flushStr();
        return;
      }
    }
    this.sink = sink;
    this.run(text, false);
    this.flushStr();
  }

  /** Read text the prompt already wrote: like `push`, but none of it ever comes out as text. */
  prefill(text: string): OutputDelta[] {
    if (text === '') return [];
    this.quietUntil = Math.max(this.quietUntil, this.pos + text.length);
    return this.collectQuiet(() => this.run(text, false));
  }

  endTo(sink: DeltaSink, truncated = false): void {
    this.sink = sink;
    this.run('', true);
    for (let done = false; !done; ) {
      done = true;
      switch (this.mode) {
        case M_PENDING:
          // A closing tag at the very end: structural, unless the output was cut (it might have
          // gone on as part of the value); then the call stays open.
          if (!truncated) {
            this.commit();
            done = false;
          }
          break;
        case M_TEXT:
          // Whitespace-only output with no call is text; whitespace after the last call is dropped.
          if (this.boundaryWs !== '' && this.atOutputStart) this.emitText('', this.pos);
          break;
        case M_BLOCK:
        case M_NAME:
          this.release();
          break;
        case M_BODY:
        case M_KEY:
          if (!truncated) this.closeCall();
          break;
        case M_VALUE:
          if (!truncated) {
            this.finishValue();
            this.closeCall();
          }
          break;
      }
    }
    this.mode = M_TEXT;
    this.boundaryWs = '';
    this.atBoundary = false;
    this.closerOk = false;
    this.flushStr();
  }

  // ---------------------------------------------------------------------------------------------

  private run(chunk: string, final: boolean): void {
    const s = this.carry === '' ? chunk : this.carry + chunk;
    this.base = this.pos - this.carry.length;
    this.pos += chunk.length;
    this.carry = '';
    const n = s.length;
    let i = 0;
    while (i < n && this.carry === '') {
      switch (this.mode) {
        case M_TEXT:
          i = this.text(s, i, final);
          break;
        case M_BLOCK:
          i = this.block(s, i, final);
          break;
        case M_NAME:
          i = this.name(s, i);
          break;
        case M_BODY:
          i = this.body(s, i, final);
          break;
        case M_KEY:
          i = this.key(s, i);
          break;
        case M_VALUE:
          i = this.value(s, i, final);
          break;
        default:
          i = this.pending(s, i, final);
          break;
      }
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
    this.closerOk = false;
    if (start < this.quietUntil) text = text.slice(this.quietUntil - start);
    this.emitStr(S_TEXT, text);
  }

  // --- text and block structure ----------------------------------------------------------------

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
      if (this.closerOk) {
        if (s.charCodeAt(i) === LT) {
          const m = matchAny(s, i, AFTER_FUNCTION);
          if (m === 0) {
            this.closeBlock();
            return i + TOOL_CALL_END.length;
          }
          if (m === 1) {
            this.openMarkup(FUNCTION, i);
            return i + FUNCTION.length;
          }
          if (m === PARTIAL) {
            if (!final) {
              this.carry = s.slice(i);
              return n;
            }
            if (matchAny(s, i, ONLY_FUNCTION) === NO_MATCH) {
              // The output ends inside the end marker: it is markup, dropped.
              this.closeBlock();
              return n;
            }
          }
        }
        this.closerOk = false;
      }
    }
    for (let j = i; ; ) {
      const lt = indexOfChar(s, '<', j);
      if (lt < 0) {
        this.emitText(s.slice(i), this.base + i);
        return n;
      }
      const m = matchAny(s, lt, TEXT_OPENERS);
      if (m >= 0) {
        if (lt > i) this.emitText(s.slice(i, lt), this.base + i);
        this.openMarkup(TEXT_OPENERS.markers[m], lt);
        return lt + TEXT_OPENERS.markers[m].length;
      }
      if (m === PARTIAL && !final) {
        if (lt > i) this.emitText(s.slice(i, lt), this.base + i);
        this.carry = s.slice(lt);
        return n;
      }
      j = lt + 1;
    }
  }

  /** `<tool_call>` (or `<function=` in a block) at `s[at]` opens markup, recorded until a call starts. */
  private openMarkup(marker: string, at: number): void {
    // Whitespace before it is dropped if a call follows, restored if the markup is released.
    this.rawStart = this.boundaryWs !== '' ? this.bwsStart : this.base + at;
    this.raw = this.boundaryWs + marker;
    this.boundaryWs = '';
    this.atBoundary = false;
    this.atOutputStart = false;
    this.closerOk = false;
    this.cap = '';
    this.mode = marker === TOOL_CALL ? M_BLOCK : M_NAME;
  }

  /** The recorded markup is not a call: it is text. */
  private release(): void {
    const text = this.raw;
    this.raw = '';
    this.cap = '';
    this.mode = M_TEXT;
    this.atBoundary = false;
    this.emitText(text, this.rawStart);
  }

  private closeBlock(): void {
    this.mode = M_TEXT;
    this.atBoundary = true;
    this.boundaryWs = '';
    this.closerOk = false;
  }

  private block(s: string, i: number, final: boolean): number {
    const n = s.length;
    let j = i;
    while (j < n && isWs(s.charCodeAt(j))) j++;
    this.raw += s.slice(i, j);
    if (j === n) return n;
    if (s.charCodeAt(j) === LT) {
      const m = matchAny(s, j, ONLY_FUNCTION);
      if (m === 0) {
        this.raw += FUNCTION;
        this.mode = M_NAME;
        this.cap = '';
        return j + FUNCTION.length;
      }
      if (m === PARTIAL && !final) {
        this.carry = s.slice(j);
        return n;
      }
    }
    this.release();
    return j;
  }

  private name(s: string, i: number): number {
    const n = s.length;
    for (let k = i; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c === GT) {
        const name = this.cap + s.slice(i, k);
        if (name === '') {
          this.release();
          return k;
        }
        this.cap = '';
        this.startCall(name);
        return k + 1;
      }
      if (isNameBreak(c)) {
        this.raw += s.slice(i, k);
        this.release();
        return k;
      }
    }
    const rest = s.slice(i);
    this.cap += rest;
    this.raw += rest;
    return n;
  }

  // --- calls -----------------------------------------------------------------------------------

  private startCall(name: string): void {
    this.raw = '';
    this.tool = this.tools.get(name) ?? null;
    this.nParams = 0;
    this.emitCallStart(name);
    this.emitArgs('{');
    this.mode = M_BODY;
  }

  private closeCall(): void {
    this.emitArgs('}');
    // The arguments are JSON this parser wrote: keys through JSON.stringify, string values escaped as
    // they stream, other values converted (`convert`) to text JSON.parse took or JSON.stringify wrote.
    // Checked (DeltaSink.callEnd): the writer need not read them again.
    this.emitCallEnd(true);
    this.tool = null;
  }

  /** After `</function>`: text at a boundary, where `</tool_call>` may still close the block. */
  private afterFunction(): void {
    this.mode = M_TEXT;
    this.atBoundary = true;
    this.boundaryWs = '';
    this.closerOk = true;
  }

  private body(s: string, i: number, final: boolean): number {
    const n = s.length;
    for (let j = i; ; ) {
      const lt = indexOfChar(s, '<', j);
      if (lt < 0) return n; // (text between parameters is ignored)
      const m = matchAny(s, lt, BODY_MARKERS);
      if (m === NO_MATCH || (m === PARTIAL && final)) {
        j = lt + 1;
        continue;
      }
      if (m === PARTIAL) {
        this.carry = s.slice(lt);
        return n;
      }
      const marker = BODY_MARKERS.markers[m];
      const next = lt + marker.length;
      if (marker === PARAMETER) {
        this.mode = M_KEY;
        this.cap = '';
      } else {
        this.closeCall();
        if (marker === FUNCTION_END) this.afterFunction();
        else if (marker === TOOL_CALL_END) this.closeBlock();
        else this.openMarkup(marker, lt); // a new call without `</function>`
      }
      return next;
    }
  }

  private key(s: string, i: number): number {
    const n = s.length;
    for (let k = i; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c === GT) {
        const key = (this.cap + s.slice(i, k)).trim();
        this.cap = '';
        if (key === '') this.mode = M_BODY;
        else this.openParam(key);
        return k + 1;
      }
      if (c === LF || c === LT) {
        // Not a parameter tag: ignored.
        this.cap = '';
        this.mode = M_BODY;
        return k;
      }
    }
    this.cap += s.slice(i);
    return n;
  }

  private openParam(key: string): void {
    const t = this.paramType(key);
    let head = (this.nParams++ > 0 ? ', ' : '') + JSON.stringify(key) + ': ';
    this.vConv = t.conv;
    this.vBuf = '';
    this.vTail = '';
    this.vFresh = true;
    if (t.conv === 'string') {
      if (t.nullable) this.vKind = V_NSTR;
      else {
        this.vKind = V_STR;
        head += '"';
      }
    } else this.vKind = t.conv === 'auto' ? V_AUTO : V_BUF;
    this.emitArgs(head);
    this.mode = M_VALUE;
  }

  private paramType(key: string): ParamType {
    const tool = this.tool;
    if (tool === null || tool.props === null) return AUTO;
    let t = tool.types.get(key);
    if (t === undefined) {
      t = Object.hasOwn(tool.props, key) ? paramTypeOf(tool.props[key]) : AUTO;
      tool.types.set(key, t);
    }
    return t;
  }

  // --- values ----------------------------------------------------------------------------------

  private value(s: string, i: number, final: boolean): number {
    const n = s.length;
    if (this.vFresh) {
      this.vFresh = false;
      if (s.charCodeAt(i) === LF && ++i === n) return n;
    }
    let from = i;
    for (let j = i; ; ) {
      const lt = indexOfChar(s, '<', j);
      if (lt < 0) {
        if (from < n) this.addContent(s.slice(from));
        return n;
      }
      const m = matchAny(s, lt, VALUE_CLOSERS);
      if (m === NO_MATCH) {
        j = lt + 1;
        continue;
      }
      if (lt > from) this.addContent(s.slice(from, lt));
      from = lt;
      if (m === PARTIAL) {
        if (!final) {
          this.carry = s.slice(lt);
          return n;
        }
        // The output ends inside a closing tag: markup, dropped; the value is over.
        this.pend = '';
        this.pendKind = 0;
        this.mode = M_PENDING;
        return n;
      }
      this.pend = VALUE_CLOSERS.markers[m];
      this.pendKind = m;
      this.mode = M_PENDING;
      return lt + this.pend.length;
    }
  }

  /** After a closing tag in a value: structural if markup (or the end) follows, else content. */
  private pending(s: string, i: number, final: boolean): number {
    const n = s.length;
    let j = i;
    while (j < n && isWs(s.charCodeAt(j))) j++;
    this.pend += s.slice(i, j);
    if (j === n) return n;
    const m = s.charCodeAt(j) === LT ? matchAny(s, j, FOLLOWERS[this.pendKind]) : NO_MATCH;
    if (m >= 0) {
      this.commit();
      return j;
    }
    if (m === PARTIAL) {
      // (At the end, a cut-off follower is markup: `end` decides, as for a tag at the very end.)
      if (!final) this.carry = s.slice(j);
      return n;
    }
    const literal = this.pend;
    this.pend = '';
    this.mode = M_VALUE;
    this.addContent(literal);
    return j;
  }

  /** The pending closing tag is structural. */
  private commit(): void {
    const kind = this.pendKind;
    this.pend = '';
    this.finishValue();
    if (kind === 0) this.mode = M_BODY;
    else {
      this.closeCall();
      if (kind === 1) this.afterFunction();
      else this.closeBlock();
    }
  }

  private addContent(piece: string): void {
    switch (this.vKind) {
      case V_STR:
        this.streamStr(piece);
        return;
      case V_BUF:
        this.vBuf += piece;
        return;
      case V_NSTR:
        this.vBuf += piece;
        if (this.vBuf.length <= MAX_UNDECIDED && couldBeWord(this.vBuf, NULL_WORDS)) return;
        break;
      default: {
        this.vBuf += piece;
        const d = autoDecision(this.vBuf);
        if (d === AUTO_HOLD) return;
        if (d === AUTO_BUFFER) {
          this.vKind = V_BUF;
          return;
        }
      }
    }
    // It is a string after all: stream it.
    this.vKind = V_STR;
    this.emitArgs('"');
    const held = this.vBuf;
    this.vBuf = '';
    this.streamStr(held);
  }

  /** String content: emitted JSON-escaped, except a trailing `\n` or high surrogate, held back. */
  private streamStr(piece: string): void {
    const s = this.vTail === '' ? piece : this.vTail + piece;
    const k = s.length;
    if (k === 0) return;
    const c = s.charCodeAt(k - 1);
    if (c === LF || (c >= 0xd800 && c <= 0xdbff)) {
      this.vTail = s.slice(k - 1);
      if (k > 1) this.emitArgs(escapeJson(s.slice(0, k - 1)));
    } else {
      this.vTail = '';
      this.emitArgs(escapeJson(s));
    }
  }

  private finishValue(): void {
    switch (this.vKind) {
      case V_STR: {
        const t = this.vTail;
        this.emitArgs(t === '' || t === '\n' ? '"' : escapeJson(t) + '"');
        break;
      }
      case V_NSTR: {
        const v = stripNl(this.vBuf);
        this.emitArgs(isNullWord(v) ? 'null' : JSON.stringify(v));
        break;
      }
      case V_AUTO:
        this.emitArgs(autoJson(stripNl(this.vBuf)));
        break;
      default:
        this.emitArgs(convert(stripNl(this.vBuf), this.vConv));
    }
    this.vBuf = '';
    this.vTail = '';
    this.vKind = V_STR;
  }
}

export function createQwen3XmlParser(opts: ToolFormatOptions = {}): ToolCallParser {
  return new Qwen3XmlParser(opts);
}

export const QWEN3_XML_FORMAT: ToolFormatSpec = {
  name: 'qwen3_xml',
  create: createQwen3XmlParser,
  requiredPrefill: '<tool_call>\n<function=',
  namedPrefill: (name) => `<tool_call>\n<function=${name}>\n`,
  // Qwen3-Coder / Qwen3.5 templates write '<tool_call>\n<function=' + name + '>\n'; plain hermes
  // templates have <tool_call> but no <function=. (Register before hermes: its marker matches too.)
  templateMarkers: [['<tool_call>', '<function=']],
};
