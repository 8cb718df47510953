/**
 * The phi4_mini_json tool format (Phi-4-mini-instruct) on transcripts written the way the model writes
 * them: `functools[{"name": …, "arguments": {…}}, …]`, no closing marker. Every transcript is parsed
 * whole, one code unit at a time and at fixed splits (`parseAll`), plus generated transcripts at random
 * splits (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOutputParser } from '../../src/parsers/index.ts';
import { PHI4_MINI_JSON_FORMAT, createPhi4MiniJsonParser } from '../../src/parsers/phi4-mini.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import {
  type Item,
  type Make,
  accountFor,
  chars,
  checkInvariants,
  feed,
  merge,
  parseAll,
  splitAt,
  summarize,
} from './harness.ts';


const MARKERS = ['functools['];
// (the scanner's start marker is `functools`, the list's `[` is JSON punctuation)
const ACCOUNT_MARKERS = ['functools'];
const phi4: Make = () => createPhi4MiniJsonParser();
const parse = (input: string, opts: Parameters<typeof parseAll>[2] = {}) =>
  parseAll(phi4, input, { markers: MARKERS, extra: ACCOUNT_MARKERS, ...opts });
const withPrefill = (prefill: string): Make => () =>
  createOutputParser({ toolFormat: 'phi4_mini_json', reasoningFormat: 'none', prefill });

describe('phi4_mini_json: well-formed transcripts', () => {
  it('plain text passes through exactly', () => {
    const t = 'The capital of Poland is Warsaw. A list: [1, 2]; an object: {"a": 1}.';
    expect(parse(t)).toEqual([{ text: t }]);
  });

  it('one call', () => {
    expect(parse('functools[{"name": "get_weather_updates", "arguments": {"location": "London"}}]')).toEqual([
      { call: 'get_weather_updates', args: '{"location": "London"}' },
    ]);
  });

  it('parallel calls in one list', () => {
    const t =
      'functools[{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}, ' +
      '{"name": "get_time", "arguments": {"timezone": "Europe/Paris"}}, {"name": "ping", "arguments": {}}]';
    expect(parse(t)).toEqual([
      { call: 'get_weather', args: '{"city": "Paris", "unit": "celsius"}' },
      { call: 'get_time', args: '{"timezone": "Europe/Paris"}' },
      { call: 'ping', args: '{}' },
    ]);
  });

  it('text before and after the list', () => {
    const t = "I'll look up the stock price.\nfunctools[{\"name\": \"get_stock_price\", \"arguments\": {\"symbol\": \"MSFT\"}}]\nOne moment.";
    expect(parse(t)).toEqual([
      { text: "I'll look up the stock price.\n" },
      { call: 'get_stock_price', args: '{"symbol": "MSFT"}' },
      { text: '\nOne moment.' },
    ]);
  });

  it('nested, pretty-printed, floats as the template asks (7.0)', () => {
    const args = '{\n    "order": {"items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]},\n    "discount": 7.0\n  }';
    const t = `functools[\n  {\n    "name": "place_order",\n    "arguments": ${args}\n  }\n]`;
    const [call] = parse(t) as [{ call: string; args: string }];
    expect(call).toEqual({ call: 'place_order', args });
    expect(JSON.parse(call.args).order.items).toHaveLength(2);
  });

  it('unicode, escaped quotes, brackets and the marker inside strings', () => {
    const args = '{"text": "Zürich 😀 中文 \\u00e9", "code": "from functools import partial\\nprint(\\"[x]\\")", "m": "functools[{"}';
    expect(parse(`functools[{"name": "run", "arguments": ${args}}]`)).toEqual([{ call: 'run', args }]);
  });

  it('a space before the list; a lone call object without the brackets', () => {
    expect(parse('functools [{"name": "f", "arguments": {"a": 1}}]')).toEqual([{ call: 'f', args: '{"a": 1}' }]);
    expect(parse('functools{"name": "f", "arguments": {"a": 1}}')).toEqual([{ call: 'f', args: '{"a": 1}' }]);
  });
});

describe('phi4_mini_json: incremental emission and held-back suffixes', () => {
  it('call_start when the name is complete, the arguments as they arrive, call_end at their end', () => {
    const p = phi4();
    expect(p.push('Sure. functo')).toEqual([{ type: 'text', text: 'Sure. ' }]);
    expect(p.push('ols[{"name": "get_wea')).toEqual([]);
    expect(p.push('ther", "arguments": {"city": ')).toEqual([
      { type: 'call_start', name: 'get_weather' },
      { type: 'call_args', text: '{"city": ' },
    ]);
    expect(p.push('"Paris"}}, {"name": "t", "arguments": {}}]')).toEqual([
      { type: 'call_args', text: '"Paris"}' },
      { type: 'call_end' },
      { type: 'call_start', name: 't' },
      { type: 'call_args', text: '{}' },
      { type: 'call_end' },
    ]);
    expect(p.end()).toEqual([]);
  });

  it('"functools" in prose is text once it can no longer open calls', () => {
    const p = phi4();
    expect(p.push('Use functools')).toEqual([{ type: 'text', text: 'Use ' }]);
    expect(p.push('.partial here')).toEqual([{ type: 'text', text: 'functools.partial here' }]);
    const t = 'The functools module has lru_cache and functools.reduce; functool';
    expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
  });
});

describe('phi4_mini_json: malformed and truncated output', () => {
  it('cut before a name completed: released as text verbatim', () => {
    for (const t of ['functools[', 'functools[{"name": "get_w', 'Ok functools']) {
      expect(parse(t, { truncated: true, allowMarkersInText: true })).toEqual([{ text: t }]);
    }
  });

  it('cut inside the arguments: the call stays open; earlier calls are complete', () => {
    expect(parse('functools[{"name": "f", "arguments": {}}, {"name": "g", "arguments": {"q": "x', { truncated: true })).toEqual([
      { call: 'f', args: '{}' },
      { call: 'g', args: '{"q": "x', open: true },
    ]);
  });

  it('a list that is not calls is text', () => {
    for (const t of ['functools[1, 2, 3]', 'functools[{"foo": 1}]', 'functools["get_weather"]']) {
      expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
    }
  });

  it('a missing closing bracket: the calls are complete, following text is text', () => {
    expect(parse('functools[{"name": "f", "arguments": {"a": 1}}\nDone.')).toEqual([
      { call: 'f', args: '{"a": 1}' },
      { text: '\nDone.' },
    ]);
  });

  it('never emits empty deltas', () => {
    const deltas = feed(phi4, ['', 'functools', '', '[{"name": "f", ', '', '"arguments": {}', '', '}]', '']);
    expect(deltas).toEqual([{ type: 'call_start', name: 'f' }, { type: 'call_args', text: '{}' }, { type: 'call_end' }]);
  });
});

describe('phi4_mini_json: prefills (tool_choice) and template markers', () => {
  it('required: functools[{"name": " + the model writes the rest', () => {
    expect(PHI4_MINI_JSON_FORMAT.requiredPrefill).toBe('functools[{"name": "');
    const rest = 'get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {}}]';
    for (const chunks of [[rest], chars(rest), splitAt(rest, [4, 13, 40])]) {
      const deltas = feed(withPrefill(PHI4_MINI_JSON_FORMAT.requiredPrefill!), chunks);
      checkInvariants(deltas, { markers: MARKERS });
      expect(summarize(deltas)).toEqual([
        { call: 'get_weather', args: '{"city": "Paris"}' },
        { call: 'get_time', args: '{}' },
      ]);
    }
  });

  it('named: the call starts at once; the model writes the arguments', () => {
    const prefill = PHI4_MINI_JSON_FORMAT.namedPrefill!('get_weather');
    expect(prefill).toBe('functools[{"name": "get_weather", "arguments": ');
    const p = withPrefill(prefill)();
    expect(p.push('{"city": "Par')).toEqual([
      { type: 'call_start', name: 'get_weather' },
      { type: 'call_args', text: '{"city": "Par' },
    ]);
    expect([...p.push('is"}}]'), ...p.end()]).toEqual([{ type: 'call_args', text: 'is"}' }, { type: 'call_end' }]);
  });

  it('template markers: the official <|tool|>…<|/tool|> template, or the format spelled out', () => {
    const official =
      "{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}" +
      "{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}" +
      "{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}";
    const matches = (tpl: string) => PHI4_MINI_JSON_FORMAT.templateMarkers.some((ms) => ms.every((m) => tpl.includes(m)));
    expect(matches(official)).toBe(true);
    expect(matches('...formatted as functools[{"name": [function name], "arguments": [function arguments as JSON]}, ...]')).toBe(true);
    expect(matches('<|im_start|>system\n<tools></tools><|im_end|>')).toBe(false);
  });
});

// --- generated transcripts ---------------------------------------------------------------------

const fragment = fc.oneof(
  fc.constantFrom('f', 'func', 'functo', 'functool', 'functool ', '[', ']', '{', '}', '"', '\\', ',', '[1, 2]'),
  fc.constantFrom('\n', '\n\n', ' ', '\t', 'é', '😀', '中文', 'a', 'Hello, world.', '```json\n[{"x": 1}]\n```'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const textArb = fc
  .array(fragment, { maxLength: 6 })
  .map((a) => a.join(''))
  .filter((t) => !t.includes('functools'));

const jsonObjectText = fc.oneof(
  fc
    .tuple(
      fc.dictionary(
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('functools[', 'functools', '}', '{', ']', '[', '"', '\\')),
        { maxKeys: 5 },
      ),
      fc.constantFrom<number | string>(0, 2, '\t'),
    )
    .map(([o, indent]) => JSON.stringify(o, null, indent)),
  fc.json({ maxDepth: 3 }).filter((s) => s.startsWith('{')),
  fc.constantFrom('{}', '{ }', '{"a": {"b": [1, {"c": "]}"}]}}', '{"s": "a\\"b\\\\"}', '{"f": 7.0, "l": [[], [[]]]}'),
);

const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/);

interface GenCall {
  name: string;
  args: string;
}

type Segment = { text: string } | { calls: GenCall[]; markup: string };

const listArb: fc.Arbitrary<Segment> = fc
  .record({
    calls: fc.array(
      fc.record({ name: nameArb, args: jsonObjectText, argsFirst: fc.boolean(), colon: fc.constantFrom(': ', ':') }),
      { minLength: 1, maxLength: 3 },
    ),
    ws: fc.constantFrom(['', '', ''], ['', '\n  ', '\n'], [' ', '', '']),
    sep: fc.constantFrom(', ', ',', ',\n  '),
  })
  .map(({ calls, ws, sep }) => {
    const objs = calls.map(({ name, args, argsFirst, colon }) => {
      const members = [`"name"${colon}${JSON.stringify(name)}`, `"arguments"${colon}${args}`];
      if (argsFirst) members.reverse();
      return `{${members.join(', ')}}`;
    });
    return {
      calls: calls.map(({ name, args }) => ({ name, args })),
      markup: `functools${ws[0]}[${ws[1]}${objs.join(sep)}${ws[2]}]`,
    };
  });

interface Transcript {
  input: string;
  expected: Item[];
}

const transcriptArb: fc.Arbitrary<Transcript> = fc
  .array(fc.oneof(textArb.map((text) => ({ text }) as Segment), listArb), { maxLength: 6 })
  .map((segments) => {
    let input = '';
    const answer: Array<{ text: string } | { call: string; args: string }> = [];
    for (const s of segments) {
      if ('text' in s) {
        input += s.text;
        const last = answer[answer.length - 1];
        if (last !== undefined && 'text' in last) last.text += s.text;
        else answer.push({ text: s.text });
        continue;
      }
      input += s.markup;
      for (const c of s.calls) answer.push({ call: c.name, args: c.args });
    }
    // Whitespace-only text is dropped when there is a call; so is stray `}` right after a call.
    const hasCall = answer.some((a) => 'call' in a);
    const expected: Item[] = answer.filter(
      (a, k) =>
        !('text' in a) ||
        (a.text !== '' &&
          !(hasCall && /^[ \t\n\r]*$/.test(a.text)) &&
          !(k > 0 && 'call' in answer[k - 1] && /^[ \t\n\r}]*$/.test(a.text))),
    );
    return { input, expected };
  })
  // Text right after a list that begins with "functools" would be read as the next block's marker;
  // the fragments can spell it across segments: such transcripts are left out.
  .filter(({ input }) => input.split('functools').length - 1 === (input.match(/functools\s*\[\s*\{/g) ?? []).length);

function check(make: Make, input: string, points: number[]): OutputDelta[] {
  const whole = feed(make, [input]);
  const single = feed(make, chars(input));
  const random = feed(make, splitAt(input, points));
  for (const d of [whole, single, random]) checkInvariants(d, { markers: MARKERS });
  const merged = merge(whole);
  expect(merge(single)).toEqual(merged);
  expect(merge(random)).toEqual(merged);
  expect(accountFor(input, merged, { markers: ACCOUNT_MARKERS })).toBeNull();
  for (const item of summarize(merged)) {
    if ('call' in item) expect(() => JSON.parse(item.args)).not.toThrow();
  }
  return merged;
}

describe('phi4_mini_json: properties', () => {
  it('generated transcripts: every chunking gives the expected items, argument bytes exact', () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected }, points) => {
        expect(summarize(check(phi4, input, points))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('cut anywhere: invariants hold, nothing is lost, started calls agree with the full run', () => {
    fc.assert(
      fc.property(transcriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input }, cutAt, points) => {
        const cut = input.slice(0, cutAt % (input.length + 1));
        const deltas = feed(phi4, splitAt(cut, points), true);
        checkInvariants(deltas, { allowMarkersInText: true });
        const merged = merge(deltas);
        expect(merge(feed(phi4, [cut], true))).toEqual(merged);
        expect(accountFor(cut, merged, { markers: ACCOUNT_MARKERS, cutMarkers: true })).toBeNull();
        const full = summarize(feed(phi4, [input])).filter((i) => 'call' in i);
        const mine = summarize(merged).filter((i) => 'call' in i);
        expect(mine.length).toBeLessThanOrEqual(full.length);
        mine.forEach((c, k) => {
          const f = full[k] as { call: string; args: string };
          const m = c as { call: string; args: string; open?: true };
          expect(m.call).toBe(f.call);
          if (m.open) expect(f.args.startsWith(m.args)).toBe(true);
          else expect(m.args).toBe(f.args);
        });
      }),
      { numRuns: 400 },
    );
  });

  it('forced calls: required and named prefills + the model continuation give the full run', () => {
    fc.assert(
      fc.property(nameArb, jsonObjectText, transcriptArb, fc.array(fc.nat(), { maxLength: 10 }), (name, args, rest, points) => {
        const full = `functools[{"name": ${JSON.stringify(name)}, "arguments": ${args}}]${rest.input}`;
        const expected = summarize(feed(phi4, [full]));
        expect(expected[0]).toEqual({ call: name, args });
        for (const prefill of [PHI4_MINI_JSON_FORMAT.requiredPrefill!, PHI4_MINI_JSON_FORMAT.namedPrefill!(name)]) {
          expect(full.startsWith(prefill)).toBe(true);
          const deltas = feed(withPrefill(prefill), splitAt(full.slice(prefill.length), points));
          checkInvariants(deltas, { allowMarkersInText: true });
          expect(summarize(deltas)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
