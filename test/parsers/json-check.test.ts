/**
 * The JSON scanner's check of call arguments as it reads them (scanner.ts `balancedJson`, json-dfa.ts):
 * a call that ends with `callEnd(true)` lets the event writer skip its own check, so `checked` must
 * never be said of arguments `JSON.parse` would reject or that are not an object. Every format built
 * on the scanner, arguments from generated, mutated and hand-picked JSON, cut into random chunks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventWriter, type WireResponse } from '../../src/events/writer.ts';
import { createOutputParser } from '../../src/parsers/index.ts';
import { isJsonObject, mutate, recordCalls, splitAt, type RecordedCall } from './harness.ts';

/** Each scanner format, with the model text of one call of `get_weather` with arguments `args`. */
const FORMATS: Record<string, (args: string) => string> = {
  hermes: (a) => `<tool_call>\n{"name": "get_weather", "arguments": ${a}}\n</tool_call>`,
  llama3_json: (a) => `{"name": "get_weather", "parameters": ${a}}`,
  mistral: (a) => `[TOOL_CALLS][{"name": "get_weather", "arguments": ${a}}]`,
  mistral_v11: (a) => `[TOOL_CALLS]get_weather[ARGS]${a}`,
  phi4_mini_json: (a) => `functools[{"name": "get_weather", "arguments": ${a}}]`,
};

function run(format: string, text: string, cuts: number[]): RecordedCall[] {
  return recordCalls(createOutputParser({ toolFormat: format, reasoningFormat: 'none' }), splitAt(text, cuts));
}

const GRAMMAR = [...'{}[],:"\\ \t\n\r0123456789-+.eEtrufalsn/bu\u0000\u001f\u2028\ud800xX<|'];
const grammarChar = fc.constantFrom(...GRAMMAR);

const objectText = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 4 })).map((v) => JSON.stringify(v, null, 2)),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })).map((v) => JSON.stringify(v, null, '\t')),
);

/** Arguments text starting with `{`, with one character deleted, inserted or replaced after it. */
const mutated = fc.tuple(objectText, fc.nat(), fc.integer({ min: 0, max: 2 }), grammarChar).map(([s, at, op, c]) => mutate(s, at, op, c, 1));

const grammarSoup = fc.array(grammarChar, { maxLength: 24 }).map((cs) => `{${cs.join('')}}`);

/** JSON tokens, good and nearly good, strung together: near-valid arguments far more often than characters are. */
const TOKENS = [
  '{', '}', '[', ']', ',', ':', ' ', '\n', '"k"', '"k": ', '"\\u00e9"', '"\\x"', '"\\"', '"é"', '"\t"',
  '0', '1', '-', '-0.5e+3', '1.', '.5', '01', '1.e5', '1e', '2E-7', '-01', '0.0', '1e+', 'true', 'tru', 'false', 'null', 'nul', 'nulll',
];
const tokenSoup = fc
  .array(fc.constantFrom(...TOKENS), { maxLength: 16 })
  .chain((ts) => fc.constantFrom(`{${ts.join('')}}`, `{"k": ${ts.join('')}}`, `{"k": [${ts.join('')}]}`));

const cuts = fc.array(fc.nat(), { maxLength: 12 });
const format = fc.constantFrom(...Object.keys(FORMATS));

describe('arguments checked by the JSON scanner', () => {
  it('valid JSON objects are checked, whatever the chunking, and the bytes are the model’s', () => {
    fc.assert(
      fc.property(format, objectText, cuts, (f, args, at) => {
        const calls = run(f, FORMATS[f](args), at);
        expect(calls).toEqual([{ args, checked: true }]);
      }),
      { numRuns: 1500 },
    );
  });

  it('checked exactly when JSON.parse takes the arguments as an object (mutated JSON, token and character soup)', () => {
    let checked = 0;
    let unchecked = 0;
    fc.assert(
      fc.property(format, fc.oneof(mutated, tokenSoup, grammarSoup), cuts, (f, args, at) => {
        for (const call of run(f, FORMATS[f](args), at)) {
          expect(call.checked === true, call.args).toBe(isJsonObject(call.args));
          if (call.checked) checked++;
          else unchecked++;
        }
      }),
      { numRuns: 8000 },
    );
    // Neither side is vacuous.
    expect(checked).toBeGreaterThan(500);
    expect(unchecked).toBeGreaterThan(500);
  });

  it.each([
    ['an array', '[1, 2]'],
    ['a string', '"{\\"city\\": \\"Paris\\"}"'],
    ['deeper than the automaton follows (31 levels)', `{"a": ${'['.repeat(30)}${']'.repeat(30)}}`],
    ['a raw control character in a string', '{"a": "x\u0001y"}'],
    ['a bad escape', '{"a": "\\x"}'],
    ['a leading zero', '{"a": 01}'],
    ['a trailing comma', '{"a": 1,}'],
    ['a mismatched close', '{"a": [1}]}'],
  ])('%s is left to the writer (unchecked)', (_, args) => {
    for (const f of Object.keys(FORMATS)) {
      const calls = run(f, FORMATS[f](args), []);
      if (calls.length > 0) expect(calls[0].checked, f).not.toBe(true);
    }
  });

  it('30 levels of nesting are still checked', () => {
    const args = `{"a": ${'['.repeat(29)}${']'.repeat(29)}}`;
    expect(run('hermes', FORMATS.hermes(args), [7, 40])).toEqual([{ args, checked: true }]);
  });

  it('through the event writer: unchecked broken arguments still fail the response, checked ones complete', () => {
    const initial = {
      id: 'resp_t',
      object: 'response',
      created_at: 0,
      status: 'in_progress',
      output: [],
      model: 't',
      tools: [],
      tool_choice: 'auto',
    } as unknown as WireResponse;
    for (const f of Object.keys(FORMATS)) {
      for (const [args, ok] of [
        ['{"city": "Paris", "n": [1, 2.5e3, true, null]}', true],
        ['{"city": "Paris" "n": 1}', false],
        ['{"city": tru}', false],
      ] as const) {
        const parser = createOutputParser({ toolFormat: f, reasoningFormat: 'none' });
        const writer = new EventWriter(initial);
        for (const chunk of splitAt(FORMATS[f](args), [3, 9, 17, 30])) parser.pushTo(chunk, writer);
        parser.endTo(writer);
        const events = [...(writer.drain() ?? []), ...(writer.ended ? [] : writer.finish('stop', { inputTokens: 0, outputTokens: 0 }))];
        const last = events[events.length - 1];
        expect(last.type, `${f}: ${args}`).toBe(ok ? 'response.completed' : 'response.failed');
      }
    }
  });
});
