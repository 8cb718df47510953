/**
 * JSON's grammar as a table-driven automaton over UTF-16 code units, for a parser that reads a JSON
 * value a character at a time and wants to know, when the value closes, whether it is valid JSON
 * exactly as `JSON.parse` would take it (the same rules as `isJsonObjectText`, events/json-object.ts).
 *
 * `JSON_STEP[(state << 7) | c]` is the next state for an ASCII character `c`, or an action (≥ J_ACTION)
 * that needs the nesting: opening and closing brackets and commas. The nesting (object or array per
 * level) is the caller's to keep (`jsonAfterComma` uses it). A non-ASCII code unit continues a string
 * and is invalid anywhere else (`jsonWide`). The JSON scanner (scanner.ts) runs it
 * over a call's arguments beside its bracket matching, so that the event writer need not read them again
 * (`DeltaSink.callEnd`'s `checked`).
 */

/** Invalid: the value is not JSON (the caller stops checking). */
export const J_BAD = 0;
/** Expecting a value (after ':' or after ',' in an array). */
export const J_VALUE = 1;
/** Just after '[': a value or ']'. */
export const J_ARR_FIRST = 2;
/** Just after '{': a key or '}'. */
export const J_OBJ_FIRST = 3;
/** After ',' in an object: a key. */
const J_KEY = 4;
const J_COLON = 5;
/** After a value: ',' or the container's close. */
export const J_AFTER = 6;
export const J_STR = 7;
const J_STR_ESC = 8;
const J_STR_U1 = 9; // \u read: 4 hex digits to go (U1..U4)
export const J_KSTR = 13;
const J_KSTR_ESC = 14;
const J_KSTR_U1 = 15;
const J_MINUS = 19;
const J_ZERO = 20;
const J_INT = 21;
const J_DOT = 22;
const J_FRAC = 23;
const J_E = 24;
const J_ESIGN = 25;
const J_EXP = 26;
const J_LIT = 27; // literal letters: 'true' 27-29, 'false' 30-33, 'null' 34-36
const STATES = 37;

/** Actions (table values from here on). */
export const J_ACTION = 64;
export const A_OPEN_OBJ = 64;
export const A_OPEN_ARR = 65;
export const A_CLOSE_OBJ = 66;
export const A_CLOSE_ARR = 67;
export const A_COMMA = 68;

/** The deepest nesting the automaton follows (one bit per level in a 31-bit word); deeper is not checked. */
export const J_MAX_DEPTH = 30;

/** The state after a non-ASCII code unit (c ≥ 128): only a string's content takes one. */
export function jsonWide(state: number): number {
  return state === J_STR || state === J_KSTR ? state : J_BAD;
}

/** States inside a string (content, escapes, key strings). */
export function jsonInString(state: number): boolean {
  return state >= J_STR && state < J_MINUS;
}

/**
 * After invalid input in `state` with character `c`: where plain bracket matching (brackets inside
 * strings ignored, a backslash escapes the next character) goes on. 1: inside a string, after `c`;
 * 2: inside a string, at `c` (read it again); 0: outside strings, at `c`.
 */
export function jsonResume(state: number): number {
  if (state === J_STR || state === J_KSTR || state === J_STR_ESC || state === J_KSTR_ESC) return 1;
  if (jsonInString(state)) return 2; // in \uXXXX: the character is the string's
  return 0;
}

/** The state after ',' where the innermost open container is an object (`inObject`) or an array. */
export function jsonAfterComma(inObject: boolean): number {
  return inObject ? J_KEY : J_VALUE;
}

const WS = [0x20, 0x0a, 0x0d, 0x09];
const DIGITS = '0123456789';
const HEX = '0123456789abcdefABCDEF';
const ESCAPES = '"\\/bfnrt';
const LITERALS = ['true', 'false', 'null'];

function build(): Uint8Array {
  const t = new Uint8Array(STATES * 128); // J_BAD everywhere to begin with
  const set = (state: number, chars: string | number[], to: number) => {
    for (const ch of chars) t[(state << 7) | (typeof ch === 'number' ? ch : ch.charCodeAt(0))] = to;
  };
  // Where a value may begin.
  const valueStart = (state: number) => {
    set(state, '"', J_STR);
    set(state, '-', J_MINUS);
    set(state, '0', J_ZERO);
    set(state, '123456789', J_INT);
    set(state, '{', A_OPEN_OBJ);
    set(state, '[', A_OPEN_ARR);
    let lit = J_LIT;
    for (const word of LITERALS) {
      set(state, word[0], lit);
      for (let k = 1; k < word.length; k++) set(lit + k - 1, word[k], k === word.length - 1 ? J_AFTER : lit + k);
      lit += word.length - 1;
    }
  };
  // Where a value has ended: whitespace, ',' or a close.
  const valueEnd = (state: number) => {
    set(state, WS, J_AFTER);
    set(state, ',', A_COMMA);
    set(state, '}', A_CLOSE_OBJ);
    set(state, ']', A_CLOSE_ARR);
  };
  for (const s of [J_VALUE, J_ARR_FIRST, J_OBJ_FIRST, J_KEY, J_COLON, J_AFTER]) set(s, WS, s);
  valueStart(J_VALUE);
  valueStart(J_ARR_FIRST);
  set(J_ARR_FIRST, ']', A_CLOSE_ARR);
  set(J_OBJ_FIRST, '"', J_KSTR);
  set(J_OBJ_FIRST, '}', A_CLOSE_OBJ);
  set(J_KEY, '"', J_KSTR);
  set(J_COLON, ':', J_VALUE);
  valueEnd(J_AFTER);
  // Strings: any character from U+0020 on but '"' and '\'.
  for (const [str, esc, u1, close] of [
    [J_STR, J_STR_ESC, J_STR_U1, J_AFTER],
    [J_KSTR, J_KSTR_ESC, J_KSTR_U1, J_COLON],
  ]) {
    for (let c = 0x20; c < 128; c++) t[(str << 7) | c] = str;
    set(str, '"', close);
    set(str, '\\', esc);
    set(esc, ESCAPES, str);
    set(esc, 'u', u1);
    for (let k = 0; k < 4; k++) set(u1 + k, HEX, k === 3 ? str : u1 + k + 1);
  }
  // Numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  set(J_MINUS, '0', J_ZERO);
  set(J_MINUS, '123456789', J_INT);
  set(J_INT, DIGITS, J_INT);
  for (const s of [J_ZERO, J_INT]) {
    set(s, '.', J_DOT);
    set(s, 'eE', J_E);
  }
  set(J_DOT, DIGITS, J_FRAC);
  set(J_FRAC, DIGITS, J_FRAC);
  set(J_FRAC, 'eE', J_E);
  set(J_E, '+-', J_ESIGN);
  set(J_E, DIGITS, J_EXP);
  set(J_ESIGN, DIGITS, J_EXP);
  set(J_EXP, DIGITS, J_EXP);
  for (const s of [J_ZERO, J_INT, J_FRAC, J_EXP]) valueEnd(s);
  return t;
}

export const JSON_STEP: Uint8Array = build();
