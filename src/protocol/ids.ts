/** Random ids with OpenAI's prefixes. The bodies are hex; clients never check them. */

// Random bytes come from the platform's CSPRNG a block at a time and are turned into one hex string;
// each id is a slice of it. Drawing and formatting bytes per id cost about 0.7 µs, two thirds of the
// writer's cost for a short item (bench/parsers.ts).
const BLOCK = 4096;
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const bytes = new Uint8Array(BLOCK);
let hex = '';
let used = 0;

function randomHex(length: number): string {
  if (used + length > hex.length) {
    crypto.getRandomValues(bytes);
    const pairs = new Array<string>(BLOCK);
    for (let i = 0; i < BLOCK; i++) pairs[i] = HEX2[bytes[i]];
    hex = pairs.join('');
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
