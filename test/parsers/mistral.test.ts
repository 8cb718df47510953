/**
 * The mistral tool format, both syntaxes, on transcripts written the way Mistral models write them:
 * `[TOOL_CALLS] [{"name": …, "arguments": {…}}, …]` (Mistral-7B-Instruct-v0.3, Nemo: tokenizers before
 * v11) and `[TOOL_CALLS]name[ARGS]{…}` repeated per call (Mistral Small 3.1/3.2, Magistral, Devstral:
 * v11+, optionally with `[CALL_ID]id`). Every transcript is parsed whole, one code unit at a time and at
 * fixed splits (`parseAll`), plus generated transcripts at random splits (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOutputParser } from '../../src/parsers/index.ts';
import { MISTRAL_FORMAT, MISTRAL_V11_FORMAT, createMistralParser } from '../../src/parsers/mistral.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import { type Item, type Make, accountFor, chars, checkInvariants, feed, merge, parseAll, splitAt, summarize, expectNoRetraction } from './harness.ts';


const MARKERS = ['[TOOL_CALLS]', '[ARGS]', '[CALL_ID]'];
const mistral: Make = () => createMistralParser();
const parse = (input: string, opts: Parameters<typeof parseAll>[2] = {}) => {
  // (v11 names are written bare, not as JSON strings: they are markup too)
  const names = [...input.matchAll(/\[TOOL_CALLS\]\s*([^[{\s]+)/g)].map((m) => m[1]);
  const ids = [...input.matchAll(/\[CALL_ID\]([A-Za-z0-9]+)/g)].map((m) => m[1]);
  return parseAll(mistral, input, { markers: MARKERS, ...opts, extra: [...names, ...ids, ...(opts.extra ?? [])] });
};
const withPrefill = (prefill: string, format = 'mistral'): Make => () =>
  createOutputParser({ toolFormat: format, reasoningFormat: 'none', prefill });

describe('mistral: the JSON list syntax (tokenizers before v11)', () => {
  it('plain text passes through exactly', () => {
    const t = 'Paris is the capital of France. Arrays look like [1, 2] and objects like {"a": 1}.';
    expect(parse(t)).toEqual([{ text: t }]);
  });

  it('one call (Mistral-7B-Instruct-v0.3)', () => {
    const t = '[TOOL_CALLS] [{"name": "get_current_weather", "arguments": {"location": "Paris, France", "format": "celsius"}}]';
    expect(parse(t)).toEqual([
      { call: 'get_current_weather', args: '{"location": "Paris, France", "format": "celsius"}' },
    ]);
  });

  it('parallel calls in one list, with an "id" key (Nemo) and arguments before the name', () => {
    const t =
      '[TOOL_CALLS][{"name": "add", "arguments": {"a": 3.5, "b": 4}, "id": "a1B2c3D4e"}, ' +
      '{"arguments": {"city": "San Francisco", "state": "CA", "unit": "celsius"}, "name": "get_current_weather"}]';
    expect(parse(t, { extra: ['"id"', '"a1B2c3D4e"'] })).toEqual([
      { call: 'add', args: '{"a": 3.5, "b": 4}' },
      { call: 'get_current_weather', args: '{"city": "San Francisco", "state": "CA", "unit": "celsius"}' },
    ]);
  });

  it('text before the marker; text after the list', () => {
    const t = 'Hello[TOOL_CALLS] [{"name": "add", "arguments":{"a": 1, "b": 2}}]\nextra trailing data';
    expect(parse(t)).toEqual([
      { text: 'Hello' },
      { call: 'add', args: '{"a": 1, "b": 2}' },
      { text: '\nextra trailing data' },
    ]);
  });

  it('spacing as vLLM tests it, empty arguments, nested arguments', () => {
    expect(parse('[TOOL_CALLS]  [ {"name":"add" , "arguments" : {"a": 3, "b": 4} } ]')).toEqual([
      { call: 'add', args: '{"a": 3, "b": 4}' },
    ]);
    expect(parse('[TOOL_CALLS][{"name": "get_time", "arguments": {}}]')).toEqual([{ call: 'get_time', args: '{}' }]);
    const args = '{"query": {"bool": {"must": [{"match": {"title": "x"}}, {"range": {"n": {"gte": 1}}}]}}, "size": [[1], []]}';
    expect(parse(`[TOOL_CALLS][{"name": "search", "arguments": ${args}}]`)).toEqual([{ call: 'search', args }]);
  });

  it('a lone call object without the list brackets is taken too', () => {
    expect(parse('[TOOL_CALLS] {"name": "f", "arguments": {"x": 1}}')).toEqual([{ call: 'f', args: '{"x": 1}' }]);
  });
});

describe('mistral: the v11 syntax', () => {
  it('one call (Mistral Small 3.2)', () => {
    expect(parse('[TOOL_CALLS]get_current_weather[ARGS]{"city": "San Francisco", "state": "CA", "unit": "celsius"}')).toEqual([
      { call: 'get_current_weather', args: '{"city": "San Francisco", "state": "CA", "unit": "celsius"}' },
    ]);
  });

  it('parallel calls, one [TOOL_CALLS] each', () => {
    const t = '[TOOL_CALLS]add[ARGS]{"a": 3.5, "b": 4}[TOOL_CALLS]multiply[ARGS]{"a": 3, "b": 6}';
    expect(parse(t)).toEqual([
      { call: 'add', args: '{"a": 3.5, "b": 4}' },
      { call: 'multiply', args: '{"a": 3, "b": 6}' },
    ]);
  });

  it('with call ids ([CALL_ID]), which are skipped', () => {
    const t = '[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[CALL_ID]Z9y8X7w6v[ARGS]{}';
    expect(parse(t)).toEqual([
      { call: 'get_weather', args: '{"city": "Paris"}' },
      { call: 'get_time', args: '{}' },
    ]);
  });

  it('text before the calls; text after them', () => {
    const t = "I'll check both cities.[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Oslo\"}\n\nDone.";
    expect(parse(t)).toEqual([
      { text: "I'll check both cities." },
      { call: 'get_weather', args: '{"city": "Paris"}' },
      { call: 'get_weather', args: '{"city": "Oslo"}' },
      { text: '\n\nDone.' },
    ]);
  });

  it('unicode, escaped quotes, braces and markers inside strings', () => {
    const args =
      '{"command": "print(\\"hello world!\\")\\nre.compile(r\'{}\')", "text": "naïve 😀 中文 \\ud83d\\ude00", "m": "[TOOL_CALLS]x[ARGS]{", "b": "]}\\\\"}';
    const items = parse(`hi{hi[TOOL_CALLS]bash[ARGS]${args}`);
    expect(items).toEqual([{ text: 'hi{hi' }, { call: 'bash', args }]);
    expect(JSON.parse(args).m).toBe('[TOOL_CALLS]x[ARGS]{');
  });

  it('the arguments may follow the name directly (special tokens dropped by the decoder)', () => {
    expect(parse('[TOOL_CALLS]add_this_and_that{"a": 3.5, "b": 4}')).toEqual([
      { call: 'add_this_and_that', args: '{"a": 3.5, "b": 4}' },
    ]);
  });

  it('the two syntaxes in one output', () => {
    const t = '[TOOL_CALLS]a[ARGS]{"x": [1, {"y": []}]}[TOOL_CALLS][{"name": "b", "arguments": {"z": "]"}}]';
    expect(parse(t)).toEqual([
      { call: 'a', args: '{"x": [1, {"y": []}]}' },
      { call: 'b', args: '{"z": "]"}' },
    ]);
  });
});

describe('mistral: incremental emission and held-back suffixes', () => {
  it('v11: call_start at [ARGS], the arguments as they arrive, call_end when they close', () => {
    const p = mistral();
    expect(p.push('Sure.[TOOL_')).toEqual([{ type: 'text', text: 'Sure.' }]);
    expect(p.push('CALLS]get_wea')).toEqual([]);
    expect(p.push('ther[AR')).toEqual([]);
    expect(p.push('GS]')).toEqual([{ type: 'call_start', name: 'get_weather' }]);
    expect(p.push('{"city": "Pa')).toEqual([{ type: 'call_args', text: '{"city": "Pa' }]);
    expect(p.push('ris", "days": [1, 2')).toEqual([{ type: 'call_args', text: 'ris", "days": [1, 2' }]);
    expect(p.push(']}')).toEqual([{ type: 'call_args', text: ']}' }, { type: 'call_end' }]);
    expect(p.push('[TOOL_CALLS]noop[ARGS]{}')).toEqual([
      { type: 'call_start', name: 'noop' },
      { type: 'call_args', text: '{}' },
      { type: 'call_end' },
    ]);
    expect(p.end()).toEqual([]);
  });

  it('list: call_start at the end of the name; the wrapper brace and bracket are not arguments', () => {
    const p = mistral();
    expect(p.push('[TOOL_CALLS] [{"name": "f')).toEqual([]);
    expect(p.push('", "arguments": {"a"')).toEqual([
      { type: 'call_start', name: 'f' },
      { type: 'call_args', text: '{"a"' },
    ]);
    expect(p.push(': 1}}, {"name": "g", "arguments": {}}]')).toEqual([
      { type: 'call_args', text: ': 1}' },
      { type: 'call_end' },
      { type: 'call_start', name: 'g' },
      { type: 'call_args', text: '{}' },
      { type: 'call_end' },
    ]);
    expect(p.end()).toEqual([]);
  });

  it('holds back a partial [TOOL_CALLS] only while it can still become one', () => {
    const p = mistral();
    expect(p.push('See [1] and [TOOL')).toEqual([{ type: 'text', text: 'See [1] and ' }]);
    expect(p.push('S]')).toEqual([{ type: 'text', text: '[TOOLS]' }]);
    expect(p.push(' [TOOL_CALL')).toEqual([{ type: 'text', text: ' ' }]);
    expect(p.end()).toEqual([{ type: 'text', text: '[TOOL_CALL' }]);
  });
});

describe('mistral: malformed and truncated output', () => {
  it('cut inside the name or the markers: released as text verbatim', () => {
    for (const t of ['[TOOL_CALLS]', 'Ok [TOOL_CALLS]get_wea', '[TOOL_CALLS]get_weather[AR', '[TOOL_CALLS]f[CALL_ID]abc', '[TOOL_CALLS] [{"name": "get']) {
      expect(parse(t, { truncated: true, allowMarkersInText: true })).toEqual([{ text: t }]);
    }
  });

  it('cut inside the arguments: the call stays open', () => {
    expect(parse('[TOOL_CALLS]get_weather[ARGS]{"city": "Pa', { truncated: true })).toEqual([
      { call: 'get_weather', args: '{"city": "Pa', open: true },
    ]);
    expect(parse('[TOOL_CALLS]f[ARGS]{"a": [', { truncated: true })).toEqual([{ call: 'f', args: '{"a": [', open: true }]);
    expect(parse('[TOOL_CALLS][{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {"b"', { truncated: true })).toEqual([
      { call: 'f', args: '{"a": 1}' },
      { call: 'g', args: '{"b"', open: true },
    ]);
  });

  it('prose after [TOOL_CALLS] or a list that is not calls is text', () => {
    for (const t of ['[TOOL_CALLS] I cannot call tools.', '[TOOL_CALLS] not json at all', '[TOOL_CALLS][not json]', '[TOOL_CALLS]a b[ARGS]{}']) {
      expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
    }
  });

  it('a bad call id or name character releases the block; a following good call still parses', () => {
    const t = '[TOOL_CALLS]f[CALL_ID]!![TOOL_CALLS]g(x)[TOOL_CALLS]h[ARGS]{}';
    expect(parse(t, { allowMarkersInText: true })).toEqual([
      { text: '[TOOL_CALLS]f[CALL_ID]!![TOOL_CALLS]g(x)' },
      { call: 'h', args: '{}' },
    ]);
  });

  it('[ARGS] not followed by a JSON value: the call ends without arguments, the rest is text', () => {
    expect(parse('[TOOL_CALLS]f[ARGS]hello world')).toEqual([{ call: 'f', args: '' }, { text: 'hello world' }]);
  });

  it('a doubled [TOOL_CALLS]: the first one is text, the second opens the calls', () => {
    expect(parse('[TOOL_CALLS][TOOL_CALLS][{"name": "a", "arguments": {}}]', { allowMarkersInText: true })).toEqual([
      { text: '[TOOL_CALLS]' },
      { call: 'a', args: '{}' },
    ]);
  });

  it('unbalanced v11 arguments end at the next [TOOL_CALLS] outside any string', () => {
    const t = '[TOOL_CALLS]a[ARGS]{"x": [1, 2[TOOL_CALLS]b[ARGS]{"s": "[TOOL_CALLS]"}';
    expect(parse(t)).toEqual([
      { call: 'a', args: '{"x": [1, 2' },
      { call: 'b', args: '{"s": "[TOOL_CALLS]"}' },
    ]);
  });

  it('a name that runs on too long is text', () => {
    const t = `[TOOL_CALLS]${'x'.repeat(300)}[ARGS]{}`;
    const items = parse(t, { allowMarkersInText: true, noAccounting: true });
    expect(items).toEqual([{ text: t }]);
  });

  it('never emits empty deltas', () => {
    const deltas = feed(mistral, ['', '[TOOL_CALLS]', '', 'f', '', '[ARGS]', '', '{}', '']);
    expect(deltas).toEqual([{ type: 'call_start', name: 'f' }, { type: 'call_args', text: '{}' }, { type: 'call_end' }]);
  });
});

describe('mistral: prefills (tool_choice)', () => {
  it('required: [TOOL_CALLS], then the model picks either syntax', () => {
    expect(MISTRAL_FORMAT.requiredPrefill).toBe('[TOOL_CALLS]');
    expect(MISTRAL_V11_FORMAT.requiredPrefill).toBe('[TOOL_CALLS]');
    for (const rest of ['get_weather[ARGS]{"city": "Paris"}', '[{"name": "get_weather", "arguments": {"city": "Paris"}}]']) {
      for (const chunks of [[rest], chars(rest), splitAt(rest, [2, 7, 15])]) {
        const deltas = feed(withPrefill('[TOOL_CALLS]'), chunks);
        checkInvariants(deltas, { markers: MARKERS });
        expect(summarize(deltas)).toEqual([{ call: 'get_weather', args: '{"city": "Paris"}' }]);
      }
    }
  });

  it('named (pre-v11): the call starts at once; the model writes the arguments and closes the list', () => {
    const prefill = MISTRAL_FORMAT.namedPrefill!('get_weather');
    expect(prefill).toBe('[TOOL_CALLS][{"name": "get_weather", "arguments": ');
    const p = withPrefill(prefill)();
    expect(p.push('{"city"')).toEqual([
      { type: 'call_start', name: 'get_weather' },
      { type: 'call_args', text: '{"city"' },
    ]);
    expect([...p.push(': "Paris"}}]'), ...p.end()]).toEqual([{ type: 'call_args', text: ': "Paris"}' }, { type: 'call_end' }]);
  });

  it('named (v11): [TOOL_CALLS]<name>[ARGS], the model writes the arguments', () => {
    const prefill = MISTRAL_V11_FORMAT.namedPrefill!('get_weather');
    expect(prefill).toBe('[TOOL_CALLS]get_weather[ARGS]');
    const p = withPrefill(prefill, 'mistral_v11')();
    expect(p.push('{"city"')).toEqual([
      { type: 'call_start', name: 'get_weather' },
      { type: 'call_args', text: '{"city"' },
    ]);
    expect([...p.push(': "Paris"}'), ...p.end()]).toEqual([{ type: 'call_args', text: ': "Paris"}' }, { type: 'call_end' }]);
  });

  it('required prefill, but the model writes prose: none of the prefill comes out as text', () => {
    expect(summarize(feed(withPrefill('[TOOL_CALLS]'), ['I cannot do that.']))).toEqual([{ text: 'I cannot do that.' }]);
  });
});

describe('mistral: template markers', () => {
  it('v11 needs [ARGS]; the older format only [TOOL_CALLS]', () => {
    expect(MISTRAL_V11_FORMAT.templateMarkers).toEqual([['[TOOL_CALLS]', '[ARGS]']]);
    expect(MISTRAL_FORMAT.templateMarkers).toEqual([['[TOOL_CALLS]']]);
  });
});

// --- generated transcripts ---------------------------------------------------------------------

const STEMS = /\[TOOL_CALLS|\[ARGS|\[CALL_ID/;

const fragment = fc.oneof(
  fc.constantFrom('[', '[TOOL', '[TOOL_', '[TOOL_CALL', '[AR', '[ARG', '[CALL_', ']', '{', '}', '"', '\\', ',', '[1, 2]'),
  fc.constantFrom('\n', '\n\n', ' ', '\t', 'é', '😀', '中文', 'a', 'Hello, world.', '```json\n[{"x": 1}]\n```', 'get_weather'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const textArb = fc
  .array(fragment, { maxLength: 6 })
  .map((a) => a.join(''))
  .filter((t) => !STEMS.test(t));

const jsonObjectText = fc.oneof(
  fc
    .tuple(
      fc.dictionary(
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.constantFrom('[TOOL_CALLS]', '[ARGS]', '[CALL_ID]', '}', '{', ']', '[', '"', '\\', 'f[ARGS]{}'),
        ),
        { maxKeys: 5 },
      ),
      fc.constantFrom<number | string>(0, 2, '\t'),
    )
    .map(([o, indent]) => JSON.stringify(o, null, indent)),
  fc.json({ maxDepth: 3 }).filter((s) => s.startsWith('{')),
  fc.constantFrom('{}', '{ }', '{"a": {"b": [1, {"c": "]}"}]}}', '{"s": "a\\"b\\\\"}', '{"x": [[], [[1]], {"y": "[TOOL_CALLS]"}]}'),
);

const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/);
const idArb = fc.stringMatching(/^[A-Za-z0-9]{9}$/);

interface GenCall {
  name: string;
  args: string;
}

type Segment =
  | { text: string }
  | { list: GenCall[]; markup: string }
  | { v11: GenCall; markup: string; id: string };

const listArb: fc.Arbitrary<Segment> = fc
  .record({
    calls: fc.array(
      fc.record({
        name: nameArb,
        args: jsonObjectText,
        argsFirst: fc.boolean(),
        id: fc.option(idArb, { freq: 3 }),
        colon: fc.constantFrom(': ', ':'),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    lead: fc.constantFrom('', ' ', '  '),
    sep: fc.constantFrom(', ', ',', ',\n '),
  })
  .map(({ calls, lead, sep }) => {
    const objs = calls.map(({ name, args, argsFirst, id, colon }) => {
      const members = [`"name"${colon}${JSON.stringify(name)}`];
      const a = `"arguments"${colon}${args}`;
      if (argsFirst) members.unshift(a);
      else members.push(a);
      if (id !== null) members.push(`"id"${colon}${JSON.stringify(id)}`);
      return `{${members.join(', ')}}`;
    });
    return { list: calls.map(({ name, args }) => ({ name, args })), markup: `[TOOL_CALLS]${lead}[${objs.join(sep)}]` };
  });

const v11Arb: fc.Arbitrary<Segment> = fc
  .record({ name: nameArb, args: jsonObjectText, id: fc.option(idArb, { freq: 3 }) })
  .map(({ name, args, id }) => ({
    v11: { name, args },
    id: id ?? '',
    markup: `[TOOL_CALLS]${name}${id === null ? '' : `[CALL_ID]${id}`}[ARGS]${args}`,
  }));

interface Transcript {
  input: string;
  expected: Item[];
  extra: string[];
}

/** Markup that is not a call (and can't become one, whatever follows): released as text verbatim. */
const malformedArb: fc.Arbitrary<Segment> = fc
  .tuple(
    fc.constantFrom('', '\n', ' '),
    fc.constantFrom(
      ' I cannot call tools.',
      '[1, 2]',
      '[{"foo": 1}]',
      '[{"name": 5}]',
      'get_weather(city="Paris")',
      'f[CALL_ID]!',
      'a b[ARGS]{}',
    ),
  )
  .map(([ws, body]) => ({ text: `${ws}[TOOL_CALLS]${body}` }));

const transcriptOf = (segment: fc.Arbitrary<Segment>): fc.Arbitrary<Transcript> => fc
  .array(segment, { maxLength: 6 })
  .map((segments) => {
    let input = '';
    const extra: string[] = ['"id"'];
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
      const calls = 'list' in s ? s.list : [s.v11];
      for (const c of calls) answer.push({ call: c.name, args: c.args });
      if ('v11' in s) extra.push(s.v11.name, s.id);
      if ('list' in s) extra.push(...[...s.markup.matchAll(/"id": ?("[A-Za-z0-9]{9}")/g)].map((m) => m[1]));
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
    return { input, expected, extra: extra.filter((e) => e !== '') };
  });

const transcriptArb = transcriptOf(fc.oneof(textArb.map((text) => ({ text }) as Segment), listArb, v11Arb))
  // (adjacent text segments can join into a marker stem)
  .filter((t) => t.expected.every((item) => !('text' in item) || !STEMS.test(item.text)));
const malformedTranscriptArb = transcriptOf(
  fc.oneof(textArb.map((text) => ({ text }) as Segment), listArb, v11Arb, malformedArb),
);

function check(make: Make, input: string, points: number[], extra: string[], allowMarkersInText = false): OutputDelta[] {
  const whole = feed(make, [input]);
  const single = feed(make, chars(input));
  const random = feed(make, splitAt(input, points));
  for (const d of [whole, single, random]) checkInvariants(d, { markers: MARKERS, allowMarkersInText });
  const merged = merge(whole);
  expect(merge(single)).toEqual(merged);
  expect(merge(random)).toEqual(merged);
  expect(accountFor(input, merged, { markers: MARKERS, extra })).toBeNull();
  for (const item of summarize(merged)) {
    if ('call' in item) expect(() => JSON.parse(item.args)).not.toThrow();
  }
  return merged;
}

describe('mistral: properties', () => {
  it('generated transcripts (both syntaxes): every chunking gives the expected items, argument bytes exact', () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected, extra }, points) => {
        expect(summarize(check(mistral, input, points, extra))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('generated transcripts with markup that is not a call: that is text, verbatim', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected, extra }, points) => {
        expect(summarize(check(mistral, input, points, extra, true))).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('what the pushes emitted so far is always a prefix of the final result', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.array(fc.nat(), { maxLength: 30 }), ({ input }, points) => {
        expectNoRetraction(mistral, input, points);
      }),
      { numRuns: 400 },
    );
  });

  it('cut anywhere: invariants hold, nothing is lost, started calls agree with the full run', () => {
    fc.assert(
      fc.property(transcriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input, extra }, cutAt, points) => {
        const cut = input.slice(0, cutAt % (input.length + 1));
        const deltas = feed(mistral, splitAt(cut, points), true);
        checkInvariants(deltas, { allowMarkersInText: true });
        const merged = merge(deltas);
        expect(merge(feed(mistral, [cut], true))).toEqual(merged);
        // (a cut bare name or call id is a partial token of markup)
        const cutExtra = extra.flatMap((e) => Array.from({ length: e.length }, (_, k) => e.slice(0, k + 1)));
        expect(accountFor(cut, merged, { markers: MARKERS, extra: cutExtra, cutMarkers: true })).toBeNull();
        const full = summarize(feed(mistral, [input])).filter((i) => 'call' in i);
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
      fc.property(
        nameArb,
        jsonObjectText,
        transcriptArb,
        fc.array(fc.nat(), { maxLength: 10 }),
        (name, args, rest, points) => {
          const v11 = `[TOOL_CALLS]${name}[ARGS]${args}${rest.input}`;
          const list = `[TOOL_CALLS][{"name": ${JSON.stringify(name)}, "arguments": ${args}}]${rest.input}`;
          const cases: Array<[string, string, string]> = [
            [v11, '[TOOL_CALLS]', 'mistral'],
            [v11, MISTRAL_V11_FORMAT.namedPrefill!(name), 'mistral_v11'],
            [list, '[TOOL_CALLS]', 'mistral'],
            [list, MISTRAL_FORMAT.namedPrefill!(name), 'mistral'],
          ];
          for (const [full, prefill, format] of cases) {
            expect(full.startsWith(prefill)).toBe(true);
            const expected = summarize(feed(mistral, [full]));
            expect(expected[0]).toEqual({ call: name, args });
            const deltas = feed(withPrefill(prefill, format), splitAt(full.slice(prefill.length), points));
            checkInvariants(deltas, { allowMarkersInText: true });
            expect(summarize(deltas)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

