/** Random ids with OpenAI's prefixes. The bodies are hex; clients never check them. */

const HEX = '0123456789abcdef';

function randomHex(length: number): string {
  const bytes = new Uint8Array(Math.ceil(length / 2));
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += HEX[b >> 4] + HEX[b & 15];
  return out.slice(0, length);
}

export type IdKind = 'resp' | 'msg' | 'fc' | 'call' | 'rs';

export function newId(kind: IdKind): string {
  return `${kind}_${randomHex(kind === 'call' ? 24 : 48)}`;
}
