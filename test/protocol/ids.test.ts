import { describe, expect, it } from 'vitest';
import { ItemIds, newId, type IdKind } from '../../src/protocol/ids.ts';

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

describe('ItemIds', () => {
  it("gives each kind OpenAI's prefix and a hex body", () => {
    const ids = new ItemIds();
    expect(ids.message()).toMatch(/^msg_[0-9a-f]{41,}$/);
    expect(ids.reasoning()).toMatch(/^rs_[0-9a-f]{41,}$/);
    expect(ids.call()).toMatch(/^fc_[0-9a-f]{41,}$/);
    expect(ids.callId()).toMatch(/^call_[0-9a-f]{17,}$/);
  });

  it('never repeats within one response, nor across responses', () => {
    const seen = new Set<string>();
    for (let r = 0; r < 50; r++) {
      const ids = new ItemIds();
      for (let i = 0; i < 400; i++) {
        seen.add(ids.message());
        seen.add(ids.reasoning());
        seen.add(ids.call());
        seen.add(ids.callId());
      }
    }
    expect(seen.size).toBe(50 * 400 * 4);
  });

  it('draws a new random body for each response', () => {
    const a = new ItemIds().call();
    const b = new ItemIds().call();
    // Same counter value (0), so only the random body can tell them apart.
    expect(a.slice(0, -1)).not.toBe(b.slice(0, -1));
    expect(a.endsWith('0') && b.endsWith('0')).toBe(true);
  });
});
