/**
 * Character classes shared by the parsers and the writer's JSON check, on UTF-16 code units
 * (`charCodeAt`). Whitespace is JSON's: space, line feed, carriage return and tab.
 */

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Spans up to this long are searched by `indexOfChar`'s own loop. */
const SHORT_SPAN = 32;

/**
 * `s.indexOf(ch, from)` for a one-character `ch`. The builtin goes through the runtime's string search
 * (C++) before it reads a character, about 150 instructions per call in Node 20: on 4-character chunks
 * that was a tenth of qwen3_xml's instructions on the parser bench. A loop reads a short span for a
 * few instructions per character; long spans still go to the builtin. Counted (BENCHMARKS.md, session
 * 11): harmony 280 → 267 instructions per byte, pythonic 310 → 306; qwen3_xml unchanged (its callers
 * did not inline the loop, which then cost about what the builtin had).
 */
export function indexOfChar(s: string, ch: string, from = 0): number {
  const n = s.length;
  if (n - from > SHORT_SPAN) return s.indexOf(ch, from);
  const c = ch.charCodeAt(0);
  for (let i = from; i < n; i++) if (s.charCodeAt(i) === c) return i;
  return -1;
}
