import { describe, expect, it } from 'vitest';
import { newId, type IdKind } from '../../src/protocol/ids.ts';

describe('newId', () => {
  it("has OpenAI's prefix and a hex body (24 characters for call ids, 48 for the others)", () => {
    const kinds: IdKind[] = ['resp', 'msg', 'fc', 'call', 'rs'];
    for (const kind of kinds) {
      const id = newId(kind);
      expect(id).toMatch(new RegExp(`^${kind}_[0-9a-f]{${kind === 'call' ? 24 : 48}}$`));
    }
  });

  it('never repeats, across many refills of the random block', () => {
    // 4096 random bytes are 8192 hex characters: 20000 ids of 48 go through the block over 100 times.
    const ids = new Set<string>();
    for (let i = 0; i < 20000; i++) ids.add(newId(i % 3 === 0 ? 'call' : 'msg'));
    expect(ids.size).toBe(20000);
  });

  it('uses every hex digit about evenly (the bytes are formatted, not truncated)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of newId('msg').slice(4)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe('0123456789abcdef');
    // 96000 digits: 6000 expected each; a formatting bug (a digit never or always written) is far outside.
    for (const n of counts.values()) expect(Math.abs(n - 6000)).toBeLessThan(600);
  });
});
