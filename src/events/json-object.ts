/**
 * Is `text` a JSON object, exactly as `JSON.parse` would accept it (RFC 8259: whitespace is space, tab,
 * line feed and carriage return; strings hold no raw control characters; numbers have no leading zero,
 * `+`, bare `.` or hex)? The event writer asks this of every function call's arguments before it lets
 * the call out as completed.
 *
 * It checks the text's UTF-8 bytes, which `TextEncoder.encodeInto` writes into a scratch buffer in one
 * native call. The verdict is the same as on the UTF-16 text: every character the grammar names is
 * ASCII, and anything else (a lone surrogate too, which becomes U+FFFD) is allowed inside strings and
 * nowhere else. A zero byte after the text stops every scan, as the end of the text would.
 *
 * Measured (callgrind, Node 20, BENCHMARKS.md session 8): `JSON.parse` builds the whole value only to
 * throw it away; a loop of `charCodeAt` over the text cost 25-60 instructions per character, because
 * each call checks how the string is stored; encoding once and reading bytes costs about 5 per byte
 * plus about 400 for the call. test/events/json-object.test.ts holds it to `JSON.parse` on generated
 * and mutated JSON.
 */
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACK = 0x5b;
const BSLASH = 0x5c;
const RBRACK = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

const encoder = new TextEncoder();
/** Scratch buffer for the encoded text, grown as needed up to MAX_KEPT bytes (larger texts get their own). */
let scratch = new Uint8Array(4096);
const MAX_KEPT = 1 << 20;

// Every loop is bounded by the text's length `n` as well as stopped by the zero byte at `b[n]`: without
// the bound, TurboFan compiled each read to allow for running off the array, and a loop over a string's
// bytes cost 28 instructions a byte instead of 8.

/** Index of the first byte at or after `i` that is not JSON whitespace (at most `n`). */
function skipWs(b: Uint8Array, i: number, n: number): number {
  for (; i < n; i++) {
    const c = b[i];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return i;
  }
  return n;
}

const isDigit = (c: number) => c >= ZERO && c <= NINE;

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** `b[i]` is the opening quote: the index after the closing quote, or -1. */
function scanString(b: Uint8Array, i: number, n: number): number {
  for (i++; i < n; i++) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c < SPACE) return -1; // (the zero byte at the end too)
    if (c === BSLASH) {
      const e = b[++i];
      if (e === 0x75) {
        // \uXXXX (each check fails at the zero byte, so no read goes further)
        if (!(isHex(b[i + 1]) && isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]))) return -1;
        i += 4;
      } else if (!(e === QUOTE || e === BSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return -1;
      }
    }
  }
  return -1;
}

/** `b[i]` starts a number (a digit or '-'): the index after it, or -1. */
function scanNumber(b: Uint8Array, i: number, n: number): number {
  if (b[i] === MINUS) i++;
  let c = b[i];
  if (c === ZERO) i++;
  else if (isDigit(c)) i = digits(b, i + 1, n);
  else return -1;
  if (b[i] === DOT) {
    if (!isDigit(b[++i])) return -1;
    i = digits(b, i + 1, n);
  }
  c = b[i];
  if (c === 0x65 || c === 0x45) {
    c = b[++i];
    if (c === PLUS || c === MINUS) i++;
    if (!isDigit(b[i])) return -1;
    i = digits(b, i + 1, n);
  }
  return i;
}

/** Index of the first byte at or after `i` that is not a digit (at most `n`). */
function digits(b: Uint8Array, i: number, n: number): number {
  while (i < n && isDigit(b[i])) i++;
  return i;
}

/** `b[i]` is the first letter of `true`, `false` or `null`: the index after the word, or -1. */
function scanWord(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === 0x74) return b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65 ? i + 4 : -1;
  if (c === 0x66) return b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65 ? i + 5 : -1;
  return b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c ? i + 4 : -1;
}

/**
 * True when `JSON.parse(text)` succeeds and gives a plain object (not an array, string, number, …).
 * Iterative: the nesting depth is only limited by memory, as `JSON.parse`'s is by its stack.
 */
export function isJsonObjectText(text: string): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit; one more for the zero byte.
  const need = text.length * 3 + 1;
  let b = scratch;
  if (need > b.length) {
    b = new Uint8Array(need);
    if (need <= MAX_KEPT) scratch = b;
  }
  const n = encoder.encodeInto(text, b).written;
  b[n] = 0;
  return check(b, n);
}

function check(b: Uint8Array, n: number): boolean {
  let i = skipWs(b, 0, n);
  if (b[i] !== LBRACE) return false;
  // Open containers, innermost last: true for an object, false for an array.
  const stack: boolean[] = [];
  let inObject = true;
  i++;
  // Just after a container's opening bracket: its close may come instead of a first member.
  let first = true;
  for (;;) {
    i = skipWs(b, i, n);
    const empty = first && b[i] === (inObject ? RBRACE : RBRACK);
    first = false;
    if (!empty) {
      if (inObject) {
        // A member: "key" : value
        if (b[i] !== QUOTE) return false;
        i = scanString(b, i, n);
        if (i < 0) return false;
        i = skipWs(b, i, n);
        if (b[i] !== COLON) return false;
        i = skipWs(b, i + 1, n);
      }
      const c = b[i];
      if (c === LBRACE || c === LBRACK) {
        stack.push(inObject);
        inObject = c === LBRACE;
        first = true;
        i++;
        continue;
      }
      if (c === QUOTE) i = scanString(b, i, n);
      else if (c === MINUS || isDigit(c)) i = scanNumber(b, i, n);
      else if (c === 0x74 || c === 0x66 || c === 0x6e) i = scanWord(b, i);
      else return false;
      if (i < 0) return false;
    }
    // After a value (or at an empty container's close): ',' and the next member, or closes.
    for (;;) {
      i = skipWs(b, i, n);
      const d = b[i];
      if (d === COMMA) {
        i++;
        break;
      }
      if (d !== (inObject ? RBRACE : RBRACK)) return false;
      i++;
      if (stack.length === 0) return skipWs(b, i, n) === n;
      inObject = stack.pop() as boolean;
    }
  }
}
