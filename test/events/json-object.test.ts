/**
 * The writer's check of a call's arguments, `isJsonObjectText`, against `JSON.parse` itself: the same
 * verdict on generated JSON (pretty and compact), on JSON with one character deleted, inserted or
 * replaced, and on hand-picked edge cases of the grammar.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonObjectText } from '../../src/events/json-object.ts';

function reference(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Characters that matter to the grammar, and some that don't belong in it. */
const GRAMMAR = [...'{}[],:"\\ \t\n\r0123456789-+.eEtrufalsn/bu\u0000\u001f\u2028\ud800xX'];
const grammarChar = fc.constantFrom(...GRAMMAR);

const jsonText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v, null, 2)),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v, null, '\t')),
);

/** A JSON text with one edit: a character deleted, inserted or replaced. */
const mutated = fc
  .tuple(jsonText, fc.nat(), fc.integer({ min: 0, max: 2 }), grammarChar)
  .map(([s, at, op, c]) => {
    const i = s.length === 0 ? 0 : at % (s.length + (op === 1 ? 1 : 0));
    if (op === 0) return s.slice(0, i) + s.slice(i + 1);
    if (op === 1) return s.slice(0, i) + c + s.slice(i);
    return s.slice(0, i) + c + s.slice(i + 1);
  });

describe('isJsonObjectText', () => {
  it('agrees with JSON.parse on generated JSON', () => {
    fc.assert(
      fc.property(jsonText, (s) => {
        expect(isJsonObjectText(s)).toBe(reference(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on JSON with one character deleted, inserted or replaced', () => {
    fc.assert(
      fc.property(mutated, (s) => {
        expect(isJsonObjectText(s)).toBe(reference(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with JSON.parse on strings of grammar characters', () => {
    fc.assert(
      fc.property(fc.array(grammarChar, { maxLength: 24 }).map((cs) => `{${cs.join('')}`), (s) => {
        expect(isJsonObjectText(s)).toBe(reference(s));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['{}', true],
    [' \n{ }\t\r', true],
    ['{"a":1}', true],
    ['{"a":[1,{"b":[]}],"c":{}}', true],
    ['{"a":-0.5e+10,"b":0,"c":1E3,"d":true,"e":false,"f":null}', true],
    ['{"a":"\\u00e9\\n\\"\\\\\\/"}', true],
    ['{"a":"\u2028 \ud800 東京"}', true],
    ['[]', false],
    ['"{}"', false],
    ['null', false],
    ['', false],
    ['{', false],
    ['{"a":1,}', false],
    ['{"a":[1,]}', false],
    ['{"a" 1}', false],
    ['{a:1}', false],
    ["{'a':1}", false],
    ['{"a":01}', false],
    ['{"a":+1}', false],
    ['{"a":.5}', false],
    ['{"a":1.}', false],
    ['{"a":1e}', false],
    ['{"a":-}', false],
    ['{"a":"\\x"}', false],
    ['{"a":"\\u12g4"}', false],
    ['{"a":"\t"}', false],
    ['{"a":tru}', false],
    ['{"a":True}', false],
    ['{"a":1}}', false],
    ['{"a":1} x', false],
    ['{"a":[}', false],
    ['{"a":{]}', false],
    ['{"a":1}\u00a0', false],
  ])('%j → %s', (text, expected) => {
    expect(isJsonObjectText(text)).toBe(expected);
    expect(reference(text)).toBe(expected);
  });

  it('a text cut off anywhere inside the object is not one', () => {
    expect(isJsonObjectText('{"a": [1, 2, {"b": "c"}]}')).toBe(true);
    for (const cut of ['{"a": [1, 2, {"b": "c"}]', '{"a": [1, 2, {"b": "c"', '{"a": [1, 2, {"b": "', '{"a": tr', '{"a": "\\u00', '{"a": 1e']) {
      expect(isJsonObjectText(cut)).toBe(false);
    }
  });

  it('takes long and non-ASCII texts', () => {
    const big = JSON.stringify({ text: 'Zürich 東京 \ud83d\ude00 '.repeat(100_000), n: [1, 2, 3] });
    expect(isJsonObjectText(big)).toBe(true);
    expect(isJsonObjectText(big.slice(0, -1))).toBe(false);
    expect(isJsonObjectText('{"é": 1}')).toBe(true);
    expect(isJsonObjectText('{é: 1}')).toBe(false);
    expect(isJsonObjectText('{"a": 1}\ud800')).toBe(false);
  });

  it('takes deep nesting (no recursion)', () => {
    const depth = 100_000;
    expect(isJsonObjectText(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)).toBe(true);
    expect(isJsonObjectText(`{"a":${'['.repeat(depth)}${']'.repeat(depth - 1)}}`)).toBe(false);
  });
});
