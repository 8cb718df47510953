/** Random ids with OpenAI's prefixes. The bodies are hex; clients never check them. */

// Random bytes come from the platform's CSPRNG a block at a time and are turned into one hex string
// (ASCII codes in a byte array, decoded at once); each id is a slice of it. Drawing and formatting
// bytes per id cost 0.5–0.7 µs here (a string per byte pair, joined), now about 0.13 µs (a function call's two ids were
// about a third of what the writer spends on a short item; bench/parsers.ts).
const BLOCK = 4096;
const HEX = new TextEncoder().encode('0123456789abcdef');
const bytes = new Uint8Array(BLOCK);
const codes = new Uint8Array(BLOCK * 2);
const ascii = new TextDecoder();
let hex = '';
let used = 0;

function randomHex(length: number): string {
  if (used + length > hex.length) {
    crypto.getRandomValues(bytes);
    for (let i = 0; i < BLOCK; i++) {
      codes[2 * i] = HEX[bytes[i] >> 4];
      codes[2 * i + 1] = HEX[bytes[i] & 15];
    }
    hex = ascii.decode(codes);
    used = 0;
  }
  const out = hex.slice(used, used + length);
  used += length;
  return out;
}

export type IdKind = 'resp' | 'msg' | 'fc' | 'call' | 'rs';

export function newId(kind: IdKind): string {
  return `${kind}_${randomHex(kind === 'call' ? 24 : 48)}`;
}
