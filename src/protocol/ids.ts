/** Random ids with OpenAI's prefixes. The bodies are hex; clients never check them. */

// Random bytes come from the platform's CSPRNG a block at a time and are turned into one hex string
// (ASCII codes in a byte array, decoded at once); each id is a slice of it. Drawing and formatting
// bytes per id cost 0.5–0.7 µs here (a string per byte pair, joined); then about 0.13 µs. Each byte's
// two hex digits are one 16-bit code from a 256-entry table (built through a byte view, so it holds
// for either byte order). The loop reads the random bytes four at a time and writes two 32-bit words:
// a loop over typed arrays costs about 35 instructions per iteration in Node 20 whatever it does, so
// one byte per iteration was 3.5 ns per byte and this is 1.1–1.6 (BENCHMARKS.md, session 9). On a
// big-endian machine the two codes of a word land swapped: the digits are random either way.
const BLOCK = 4096;
const HEX = new TextEncoder().encode('0123456789abcdef');
const PAIRS = new Uint16Array(256);
{
  const pairBytes = new Uint8Array(PAIRS.buffer);
  for (let b = 0; b < 256; b++) {
    pairBytes[2 * b] = HEX[b >> 4];
    pairBytes[2 * b + 1] = HEX[b & 15];
  }
}
const bytes = new Uint8Array(BLOCK);
const words = new Uint32Array(bytes.buffer);
const codes = new Uint32Array(BLOCK / 2);
const codeBytes = new Uint8Array(codes.buffer);
const ascii = new TextDecoder('latin1');
let hex = '';
let used = 0;

/**
 * The loop alone in a function: when V8 compiles a function in the middle of a hot loop (on-stack
 * replacement), code after the loop that has not run yet has no type feedback: with `ascii.decode`
 * after the loop, the function deoptimized on every refill and was compiled again each time.
 */
function toHex(src: Uint32Array, dst: Uint32Array, pairs: Uint16Array): void {
  for (let i = 0; i < src.length; i++) {
    const w = src[i];
    dst[2 * i] = pairs[w & 255] | (pairs[(w >>> 8) & 255] << 16);
    dst[2 * i + 1] = pairs[(w >>> 16) & 255] | (pairs[w >>> 24] << 16);
  }
}

function refill(): void {
  crypto.getRandomValues(bytes);
  toHex(words, codes, PAIRS);
  hex = ascii.decode(codeBytes);
  used = 0;
}

function randomHex(length: number): string {
  if (used + length > hex.length) refill();
  const out = hex.slice(used, used + length);
  used += length;
  return out;
}

export type IdKind = 'resp' | 'msg' | 'fc' | 'call' | 'rs';

export function newId(kind: IdKind): string {
  return `${kind}_${randomHex(kind === 'call' ? 24 : 48)}`;
}

/**
 * The ids of one response's items: each kind's prefix and a random body drawn once per response
 * (40 hex digits, 160 bits; 16 for call ids), then a counter in decimal (digits are hex digits too):
 * `fc_<40 hex><n>`, `call_<16 hex><n>`. Unique within the response by the counter and across
 * responses by the random body.
 *
 * A fresh random id per item cost about 800 instructions (the platform's random bytes and their
 * formatting, amortized over a block) and call-dense output writes two per call: on the parser
 * bench's llama3_json transcript (a call every ~100 characters) the writer spent 11% of its
 * instructions on ids. This is one string concatenation per id (BENCHMARKS.md, session 11).
 */
export class ItemIds {
  private n = 0;
  private readonly msgBase: string;
  private readonly rsBase: string;
  private readonly fcBase: string;
  private readonly callBase: string;

  constructor() {
    const body = randomHex(40);
    this.msgBase = `msg_${body}`;
    this.rsBase = `rs_${body}`;
    this.fcBase = `fc_${body}`;
    this.callBase = `call_${randomHex(16)}`;
  }

  message(): string {
    return this.msgBase + this.n++;
  }

  reasoning(): string {
    return this.rsBase + this.n++;
  }

  /** A function call's item id (its `call_id` is `callId()`). */
  call(): string {
    return this.fcBase + this.n++;
  }

  callId(): string {
    return this.callBase + this.n++;
  }
}
