/**
 * Is `text` a JSON object, exactly as `JSON.parse` would accept it (RFC 8259: whitespace is space, tab,
 * line feed and carriage return; strings hold no raw control characters; numbers have no leading zero,
 * `+`, bare `.` or hex)? The event writer asks this of every function call's arguments before it lets
 * the call out as completed.
 *
 * A check that builds nothing, where `JSON.parse` builds the whole value to throw it away. Counted with
 * callgrind (Node 20, minified bundle, BENCHMARKS.md session 8) on the parser bench's weather arguments
 * (134 characters: nested object, array, escapes): 6.2k instructions against 10.0k; on 13 numeric
 * members 5.6k against 9.0k. (`JSON.parse` wins on one long plain string, 3.1k against 4.3k for 126
 * characters, which arguments rarely are.) Reading UTF-8 bytes from `TextEncoder.encodeInto` instead of
 * `charCodeAt` was tried: 8% fewer on the weather arguments, more on the string, not worth a buffer.
 * test/events/json-object.test.ts holds it to `JSON.parse` on generated and mutated JSON.
 */
import { isDigit, isHex, isWs } from '../parsers/chars.ts';

const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const COLON = 0x3a;
const LBRACK = 0x5b;
const BSLASH = 0x5c;
const RBRACK = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

function skipWs(s: string, i: number): number {
  const n = s.length;
  while (i < n && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** `s[i]` is the opening quote: the index after the closing quote, or -1. */
function scanString(s: string, i: number): number {
  const n = s.length;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < SPACE) return -1;
    if (c === BSLASH) {
      const e = s.charCodeAt(++i); // NaN past the end: no case matches
      if (e === 0x75) {
        // \uXXXX
        if (!(isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)))) return -1;
        i += 4;
      } else if (!(e === QUOTE || e === BSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return -1;
      }
    }
  }
  return -1;
}

/** `s[i]` starts a number (a digit or '-'): the index after it, or -1. */
function scanNumber(s: string, i: number): number {
  if (s.charCodeAt(i) === MINUS) i++;
  let c = s.charCodeAt(i);
  if (c === ZERO) i++;
  else if (isDigit(c)) while (isDigit(s.charCodeAt(++i)));
  else return -1;
  if (s.charCodeAt(i) === DOT) {
    if (!isDigit(s.charCodeAt(++i))) return -1;
    while (isDigit(s.charCodeAt(++i)));
  }
  c = s.charCodeAt(i);
  if (c === 0x65 || c === 0x45) {
    c = s.charCodeAt(++i);
    if (c === PLUS || c === MINUS) i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(++i)));
  }
  return i;
}

function scanWord(s: string, i: number, word: string): number {
  return s.startsWith(word, i) ? i + word.length : -1;
}

/**
 * True when `JSON.parse(text)` succeeds and gives a plain object (not an array, string, number, …).
 * Iterative, so deep nesting cannot overflow the stack.
 */
export function isJsonObjectText(s: string): boolean {
  const n = s.length;
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== LBRACE) return false;
  // Open containers, innermost last: true for an object, false for an array.
  const stack: boolean[] = [];
  let inObject = true;
  i++;
  // Just after a container's opening bracket: its close may come instead of a first member.
  let first = true;
  for (;;) {
    i = skipWs(s, i);
    const empty = first && s.charCodeAt(i) === (inObject ? RBRACE : RBRACK);
    first = false;
    if (!empty) {
      if (inObject) {
        // A member: "key" : value
        if (s.charCodeAt(i) !== QUOTE) return false;
        i = scanString(s, i);
        if (i < 0) return false;
        i = skipWs(s, i);
        if (s.charCodeAt(i) !== COLON) return false;
        i = skipWs(s, i + 1);
      }
      const c = s.charCodeAt(i);
      if (c === LBRACE || c === LBRACK) {
        stack.push(inObject);
        inObject = c === LBRACE;
        first = true;
        i++;
        continue;
      }
      if (c === QUOTE) i = scanString(s, i);
      else if (c === MINUS || isDigit(c)) i = scanNumber(s, i);
      else if (c === 0x74) i = scanWord(s, i, 'true');
      else if (c === 0x66) i = scanWord(s, i, 'false');
      else if (c === 0x6e) i = scanWord(s, i, 'null');
      else return false;
      if (i < 0) return false;
    }
    // After a value (or at an empty container's close): ',' and the next member, or closes.
    for (;;) {
      i = skipWs(s, i);
      const d = s.charCodeAt(i);
      if (d === COMMA) {
        i++;
        break;
      }
      if (d !== (inObject ? RBRACE : RBRACK)) return false;
      i++;
      if (stack.length === 0) return skipWs(s, i) === n;
      inObject = stack.pop() as boolean;
    }
  }
}
