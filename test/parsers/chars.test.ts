import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexOfChar } from '../../src/parsers/chars.ts';

describe('indexOfChar', () => {
  it('agrees with String.prototype.indexOf on short and long spans, one- and two-byte strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 8 }), fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 48 })),
        fc.constantFrom('<', 'a', '{', 'é', '東'),
        fc.integer({ min: -2, max: 90 }),
        (s, ch, from) => {
          const start = Math.max(0, from);
          expect(indexOfChar(s + ch + s, ch, start)).toBe((s + ch + s).indexOf(ch, start));
          expect(indexOfChar(s, ch, start)).toBe(s.indexOf(ch, start));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
