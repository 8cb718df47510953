/** Random ids with OpenAI's prefixes. The bodies are hex; clients never check them. */

const HEX = '0123456789abcdef';

// Random bytes are drawn from the platform's CSPRNG in blocks: one call per id would dominate the
// cost of writing a response with many short items.
const pool = new Uint8Array(4096);
let used = pool.length;

const HEX_CODES = Array.from(HEX, (c) => c.charCodeAt(0));
const codes: number[] = [];

function randomHex(length: number): string {
  const bytes = Math.ceil(length / 2);
  if (used + bytes > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  codes.length = 0;
  for (let i = used; i < used + bytes; i++) codes.push(HEX_CODES[pool[i] >> 4], HEX_CODES[pool[i] & 15]);
  used += bytes;
  codes.length = length;
  return String.fromCharCode(...codes);
}

export type IdKind = 'resp' | 'msg' | 'fc' | 'call' | 'rs';

export function newId(kind: IdKind): string {
  return `${kind}_${randomHex(kind === 'call' ? 24 : 48)}`;
}
