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
