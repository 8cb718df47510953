/**
 * The llama3_json tool format (Llama 3.1 / 3.2 / 3.3 JSON tool calling) on transcripts written the way
 * these models write them: bare `{"name": …, "parameters": …}` (Llama 3.2), `<|python_tag|>{…}`
 * (Llama 3.1), parallel calls separated by `; `. Every transcript is parsed whole, one code unit at a
 * time and at fixed splits (`parseAll`), plus generated transcripts at random splits (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOutputParser } from '../../src/parsers/index.ts';
import { LLAMA3_JSON_FORMAT, createLlama3JsonParser } from '../../src/parsers/llama3-json.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import { type Item, type Make, accountFor, chars, checkInvariants, feed, merge, parseAll, splitAt, summarize, expectNoRetraction } from './harness.ts';


const MARKERS = ['<|python_tag|>'];
const llama: Make = () => createLlama3JsonParser();
const parse = (input: string, opts: Parameters<typeof parseAll>[2] = {}) =>
  parseAll(llama, input, { markers: MARKERS, extra: [';'], ...opts });
const withPrefill = (prefill: string): Make => () =>
  createOutputParser({ toolFormat: 'llama3_json', reasoningFormat: 'none', prefill });

describe('llama3_json: well-formed transcripts', () => {
  it('plain text passes through exactly, braces in prose included', () => {
    const t = 'The capital of France is **Paris**. In JSON: {"capital": "Paris"}; a set {1, 2}.\n';
    expect(parse(t)).toEqual([{ text: t }]);
  });

  it('bare call (Llama 3.2, JSON template)', () => {
    const t = '{"name": "get_current_weather", "parameters": {"location": "San Francisco, CA", "unit": "celsius"}}';
    expect(parse(t)).toEqual([
      { call: 'get_current_weather', args: '{"location": "San Francisco, CA", "unit": "celsius"}' },
    ]);
  });

  it('<|python_tag|> then the call (Llama 3.1)', () => {
    const t = '<|python_tag|>{"name": "get_current_conditions", "parameters": {"location": "San Francisco, CA", "unit": "Fahrenheit"}}';
    expect(parse(t)).toEqual([
      { call: 'get_current_conditions', args: '{"location": "San Francisco, CA", "unit": "Fahrenheit"}' },
    ]);
  });

  it('parallel calls separated by "; " (with and without the tag)', () => {
    const calls = [
      { call: 'get_weather', args: '{"city": "Paris"}' },
      { call: 'get_time', args: '{"timezone": "Europe/Paris"}' },
      { call: 'noop', args: '{}' },
    ];
    const body =
      '{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {"timezone": "Europe/Paris"}}; ' +
      '{"name": "noop", "parameters": {}}';
    expect(parse(body)).toEqual(calls);
    expect(parse(`<|python_tag|>${body}`)).toEqual(calls);
    expect(parse(body.replaceAll('; ', ';'))).toEqual(calls);
  });

  it('calls on separate lines (no separator) are still calls', () => {
    const t = '{"name": "a", "parameters": {"x": 1}}\n{"name": "b", "parameters": {"y": [2]}}\n';
    expect(parse(t)).toEqual([
      { call: 'a', args: '{"x": 1}' },
      { call: 'b', args: '{"y": [2]}' },
    ]);
  });

  it('"arguments" instead of "parameters", and a leading "type": "function"', () => {
    expect(parse('{"name": "f", "arguments": {"a": 1}}')).toEqual([{ call: 'f', args: '{"a": 1}' }]);
    expect(
      parse('{"type": "function", "name": "get_weather", "parameters": {"city": "Oslo"}}', {
        extra: ['"type"', '"function"'],
      }),
    ).toEqual([{ call: 'get_weather', args: '{"city": "Oslo"}' }]);
  });

  it('empty arguments, nested arguments, pretty-printed', () => {
    expect(parse('{"name": "get_time", "parameters": {}}')).toEqual([{ call: 'get_time', args: '{}' }]);
    const args = '{\n    "filter": {"and": [{"tag": "x"}, {"range": {"n": {"gte": 1.5e3}}}]},\n    "limit": [1, [2, [3]]],\n    "ok": true\n  }';
    const [call] = parse(`{\n  "name": "search",\n  "parameters": ${args}\n}`) as [{ call: string; args: string }];
    expect(call).toEqual({ call: 'search', args });
    expect(JSON.parse(call.args)).toMatchObject({ limit: [1, [2, [3]]], ok: true });
  });

  it('unicode, escaped quotes, backslashes and markup inside strings', () => {
    const args =
      '{"text": "naïve café 😀 中文 \\u00e9\\ud83d\\ude00", "q": "say \\"hi\\" {not} [a] \\\\", "tag": "<|python_tag|>", "sep": "; {\\"name\\": \\"x\\"}"}';
    const items = parse(`<|python_tag|>{"name": "write_note", "parameters": ${args}}`);
    expect(items).toEqual([{ call: 'write_note', args }]);
    expect(JSON.parse(args).tag).toBe('<|python_tag|>');
  });

  it('text before a tagged call and after the calls is text', () => {
    const t =
      'Let me look that up.\n<|python_tag|>{"name": "search", "parameters": {"q": "llamas"}}\n\nI will report back.';
    expect(parse(t)).toEqual([
      { text: 'Let me look that up.\n' },
      { call: 'search', args: '{"q": "llamas"}' },
      { text: '\n\nI will report back.' },
    ]);
  });

  it('leading whitespace before a bare call is dropped; whitespace-only output is text', () => {
    expect(parse('\n\n {"name": "f", "parameters": {}}')).toEqual([{ call: 'f', args: '{}' }]);
    expect(parse(' \n')).toEqual([{ text: ' \n' }]);
  });
});

describe('llama3_json: what is not a call', () => {
  it('a { later in prose is text, even if it looks like a call', () => {
    const t = 'You can call it like this: {"name": "get_weather", "parameters": {"city": "Paris"}}';
    expect(parse(t)).toEqual([{ text: t }]);
  });

  it('a bare JSON object without a name is text', () => {
    for (const t of ['{"answer": 42}', '{"result": {"name": "x"}, "ok": true} and more', '{"parameters": {"a": 1}}']) {
      expect(parse(t)).toEqual([{ text: t }]);
    }
  });

  it('a JSON array or a code fence at the start is text', () => {
    const t = '```json\n{"name": "f", "parameters": {}}\n```';
    expect(parse(t)).toEqual([{ text: t }]);
    expect(parse('[1, 2, 3]')).toEqual([{ text: '[1, 2, 3]' }]);
  });

  it('a built-in tool call in Python syntax after <|python_tag|> is released as text', () => {
    const t = '<|python_tag|>brave_search.call(query="current weather in Menlo Park")';
    expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
  });

  it('a separator not followed by a call is text', () => {
    expect(parse('{"name": "f", "parameters": {}}; that is all')).toEqual([
      { call: 'f', args: '{}' },
      { text: '; that is all' },
    ]);
  });
});

describe('llama3_json: incremental emission and held-back suffixes', () => {
  it('call_start when the name is complete, the arguments as they arrive, call_end at their end', () => {
    const p = llama();
    expect(p.push('{"name": "get_wea')).toEqual([]);
    expect(p.push('ther", "param')).toEqual([{ type: 'call_start', name: 'get_weather' }]);
    expect(p.push('eters": {"city": "Pa')).toEqual([{ type: 'call_args', text: '{"city": "Pa' }]);
    expect(p.push('ris"}')).toEqual([{ type: 'call_args', text: 'ris"}' }, { type: 'call_end' }]);
    expect(p.push('}; {"name": "b", "parameters": {')).toEqual([
      { type: 'call_start', name: 'b' },
      { type: 'call_args', text: '{' },
    ]);
    expect(p.push('}}')).toEqual([{ type: 'call_args', text: '}' }, { type: 'call_end' }]);
    expect(p.end()).toEqual([]);
  });

  it('holds back a partial <|python_tag|> only while it can still become one', () => {
    const p = llama();
    expect(p.push('Hi <|py')).toEqual([{ type: 'text', text: 'Hi ' }]);
    expect(p.push('thon')).toEqual([]);
    expect(p.push('n')).toEqual([{ type: 'text', text: '<|pythonn' }]);
    expect(p.push(' <|python_t')).toEqual([{ type: 'text', text: ' ' }]);
    expect(p.end()).toEqual([{ type: 'text', text: '<|python_t' }]);
  });

  it('the tag split across chunks never shows up in a text delta', () => {
    const deltas = feed(llama, ['Sure.', ' <|python', '_tag|>{"name": "f", ', '"parameters": {}}']);
    expect(deltas).toEqual([
      { type: 'text', text: 'Sure.' },
      { type: 'text', text: ' ' },
      { type: 'call_start', name: 'f' },
      { type: 'call_args', text: '{}' },
      { type: 'call_end' },
    ]);
  });
});

describe('llama3_json: malformed and truncated output', () => {
  it('cut inside the name: released as text verbatim', () => {
    expect(parse('{"name": "get_w', { truncated: true })).toEqual([{ text: '{"name": "get_w' }]);
    expect(parse('<|python_tag|>{"na', { truncated: true, allowMarkersInText: true })).toEqual([
      { text: '<|python_tag|>{"na' },
    ]);
    expect(parse('<|python_tag|>', { truncated: true, allowMarkersInText: true })).toEqual([{ text: '<|python_tag|>' }]);
  });

  it('cut inside the arguments: the call stays open', () => {
    expect(parse('{"name": "f", "parameters": {"a": [1, ', { truncated: true })).toEqual([
      { call: 'f', args: '{"a": [1, ', open: true },
    ]);
  });

  it('cut after a separator: the dangling separator is text', () => {
    expect(parse('{"name": "f", "parameters": {}}; {"na', { truncated: true })).toEqual([
      { call: 'f', args: '{}' },
      { text: '; {"na' },
    ]);
  });

  it('the arguments break off at a <|python_tag|> outside any string', () => {
    const t = '{"name": "f", "parameters": {"a": [1<|python_tag|>{"name": "g", "parameters": {}}';
    expect(parse(t)).toEqual([
      { call: 'f', args: '{"a": [1' },
      { call: 'g', args: '{}' },
    ]);
  });

  it('never emits empty deltas', () => {
    const deltas = feed(llama, ['', '{"name": "f", ', '', '"parameters": ', '', '{}', '}', '']);
    expect(deltas).toEqual([{ type: 'call_start', name: 'f' }, { type: 'call_args', text: '{}' }, { type: 'call_end' }]);
  });
});

describe('llama3_json: prefills (tool_choice)', () => {
  it('required: {"name": " + the model writes the rest of the call', () => {
    const prefill = LLAMA3_JSON_FORMAT.requiredPrefill!;
    expect(prefill).toBe('{"name": "');
    const rest = 'get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {}}';
    for (const chunks of [[rest], chars(rest), splitAt(rest, [3, 9, 20])]) {
      const deltas = feed(withPrefill(prefill), chunks);
      checkInvariants(deltas, { markers: MARKERS });
      expect(summarize(deltas)).toEqual([
        { call: 'get_weather', args: '{"city": "Paris"}' },
        { call: 'get_time', args: '{}' },
      ]);
    }
  });

  it('named: the call starts before the model writes anything; its output is the arguments', () => {
    const prefill = LLAMA3_JSON_FORMAT.namedPrefill!('get_"weather"');
    expect(prefill).toBe('{"name": "get_\\"weather\\"", "parameters": ');
    const p = withPrefill(prefill)();
    expect(p.push('{"city": ')).toEqual([
      { type: 'call_start', name: 'get_"weather"' },
      { type: 'call_args', text: '{"city": ' },
    ]);
    expect([...p.push('"Paris"}}'), ...p.end()]).toEqual([{ type: 'call_args', text: '"Paris"}' }, { type: 'call_end' }]);
  });

  it('required prefill, but the model does not write a call: nothing of the prefill comes out as text', () => {
    const deltas = feed(withPrefill('{"name": "'), ['oops']);
    expect(deltas.some((d) => d.type === 'call_start')).toBe(false);
    expect(summarize(deltas)).toEqual([{ text: 'oops' }]);
  });
});

describe('llama3_json: template markers', () => {
  const matches = (tpl: string) => LLAMA3_JSON_FORMAT.templateMarkers.some((ms) => ms.every((m) => tpl.includes(m)));

  it('the JSON tool-calling templates of Llama 3.1/3.2/3.3 (official and vLLM) match', () => {
    const json32 =
      '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}{%- if tools is not none %}{{- "Environment: ipython\\n" }}{%- endif %}' +
      '{{- \'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.\' }}';
    const official31 =
      "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}{%- if builtin_tools is defined and tool_call.name in builtin_tools %}" +
      "{{- '<|python_tag|>' + tool_call.name + '.call(' }}";
    expect(matches(json32)).toBe(true);
    expect(matches(official31)).toBe(true);
  });

  it('plain Llama 3, the pythonic template, Llama 4 and ChatML templates do not', () => {
    const llama3 = "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' %}";
    const pythonic =
      '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}' +
      "{{- 'Respond in the format [func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)] ' }}";
    const llama4 = '{{- "<|header_start|>system<|header_end|>" }}{{- \'{"name": function name, "parameters": dictionary of argument name and its value}\' }}';
    const chatml = '<|im_start|>system\n<tools></tools><tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>';
    for (const tpl of [llama3, pythonic, llama4, chatml]) expect(matches(tpl)).toBe(false);
  });
});

// --- generated transcripts ---------------------------------------------------------------------

const STEMS = /<\|python_tag\|/;

const fragment = fc.oneof(
  fc.constantFrom('<', '<|', '<|py', '<|python_', '<|python_tag', '{', '}', '[', ']', ';', '"', '\\', ':', ','),
  fc.constantFrom('\n', '\n\n', ' ', '\t', 'é', '😀', '中文', 'a', 'Hello, world.', '```json\n{"x": 1}\n```', '{"a": 1}'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const textArb = fc
  .array(fragment, { maxLength: 6 })
  .map((a) => a.join(''))
  .filter((t) => !STEMS.test(t));

/** JSON text of an object, formatted compactly, with spaces, or pretty-printed. */
const jsonObjectText = fc.oneof(
  fc
    .tuple(
      fc.dictionary(
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('<|python_tag|>', '; ', '}', '{', '"', '\\', '{"name": "x"}')),
        { maxKeys: 5 },
      ),
      fc.constantFrom<number | string>(0, 2, '\t'),
    )
    .map(([o, indent]) => JSON.stringify(o, null, indent)),
  fc.json({ maxDepth: 3 }).filter((s) => s.startsWith('{')),
  fc.constantFrom('{}', '{ }', '{"a": {"b": [1, {"c": "]}"}]}}', '{"s": "a\\"b\\\\"}', '{"q": "<|python_tag|>{"}'),
);

const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/);

interface GenCall {
  name: string;
  args: string;
  markup: string;
}

const callArb: fc.Arbitrary<GenCall> = fc
  .record({
    name: nameArb,
    args: jsonObjectText,
    key: fc.constantFrom('parameters', 'parameters', 'arguments'),
    type: fc.boolean(),
    colon: fc.constantFrom(': ', ':', ':\n  '),
    pretty: fc.boolean(),
  })
  .map(({ name, args, key, type, colon, pretty }) => {
    const members = [`"name"${colon}${JSON.stringify(name)}`, `"${key}"${colon}${args}`];
    if (type) members.unshift(`"type"${colon}"function"`);
    const markup = pretty ? `{\n  ${members.join(',\n  ')}\n}` : `{${members.join(', ')}}`;
    return { name, args, markup };
  });

type Segment = { text: string } | { calls: GenCall[]; tag: boolean; seps: string[] };

interface Transcript {
  input: string;
  expected: Item[];
}

const groupArb = fc.record({
  calls: fc.array(callArb, { minLength: 1, maxLength: 3 }),
  tag: fc.boolean(),
  seps: fc.array(fc.constantFrom('; ', ';', ' ; ', ';\n'), { minLength: 3, maxLength: 3 }),
});

/** Markup that is not a call (and can't become one, whatever follows): released as text verbatim. */
const malformedArb: fc.Arbitrary<Segment> = fc
  .tuple(
    fc.constantFrom('', '\n', ' '),
    fc.constantFrom('brave_search.call(query="llamas")', '{"foo": 1}', '[1]', '{"name": 5}', ' not json'),
  )
  .map(([ws, body]) => ({ text: `${ws}<|python_tag|>${body}` }));

const transcriptOf = (segment: fc.Arbitrary<Segment>): fc.Arbitrary<Transcript> => fc
  .array(segment, { maxLength: 5 })
  .map((segments) => {
    let input = '';
    const answer: Array<{ text: string } | { call: string; args: string }> = [];
    // A bare group (no tag) only where the output so far is whitespace or ends with a call.
    let bareOk = true;
    for (const s of segments) {
      if ('text' in s) {
        input += s.text;
        const last = answer[answer.length - 1];
        if (last !== undefined && 'text' in last) last.text += s.text;
        else answer.push({ text: s.text });
        if (!/^[ \t\n\r]*$/.test(s.text)) bareOk = false;
        continue;
      }
      const tag = s.tag || !bareOk;
      input += (tag ? '<|python_tag|>' : '') + s.calls.map((c, k) => (k > 0 ? s.seps[k - 1] : '') + c.markup).join('');
      for (const c of s.calls) answer.push({ call: c.name, args: c.args });
      bareOk = true;
    }
    // Whitespace-only text is dropped when there is a call; so is stray `}` right after a call (a doubled
    // closing brace of the call object).
    const hasCall = answer.some((a) => 'call' in a);
    const expected: Item[] = answer.filter(
      (a, k) =>
        !('text' in a) ||
        (a.text !== '' &&
          !(hasCall && /^[ \t\n\r]*$/.test(a.text)) &&
          !(k > 0 && 'call' in answer[k - 1] && /^[ \t\n\r}]*$/.test(a.text))),
    );
    return { input, expected };
  });

const transcriptArb = transcriptOf(fc.oneof(textArb.map((text) => ({ text }) as Segment), groupArb as fc.Arbitrary<Segment>))
  // (adjacent text segments can join into a marker stem)
  .filter((t) => t.expected.every((item) => !('text' in item) || !STEMS.test(item.text)));
const malformedTranscriptArb = transcriptOf(
  fc.oneof(textArb.map((text) => ({ text }) as Segment), groupArb as fc.Arbitrary<Segment>, malformedArb),
);

function check(make: Make, input: string, points: number[], allowMarkersInText = false): OutputDelta[] {
  const whole = feed(make, [input]);
  const single = feed(make, chars(input));
  const random = feed(make, splitAt(input, points));
  for (const d of [whole, single, random]) checkInvariants(d, { markers: MARKERS, allowMarkersInText });
  const merged = merge(whole);
  expect(merge(single)).toEqual(merged);
  expect(merge(random)).toEqual(merged);
  expect(accountFor(input, merged, { markers: MARKERS, extra: [';', '"type"', '"function"'] })).toBeNull();
  for (const item of summarize(merged)) {
    if ('call' in item) expect(() => JSON.parse(item.args)).not.toThrow();
  }
  return merged;
}

describe('llama3_json: properties', () => {
  it('generated transcripts: every chunking gives the expected items, argument bytes exact', () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected }, points) => {
        expect(summarize(check(llama, input, points))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('generated transcripts with markup that is not a call: that is text, verbatim', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected }, points) => {
        expect(summarize(check(llama, input, points, true))).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('what the pushes emitted so far is always a prefix of the final result', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.array(fc.nat(), { maxLength: 30 }), ({ input }, points) => {
        expectNoRetraction(llama, input, points);
      }),
      { numRuns: 400 },
    );
  });

  it('cut anywhere: invariants hold, nothing is lost, started calls agree with the full run', () => {
    fc.assert(
      fc.property(transcriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input }, cutAt, points) => {
        const cut = input.slice(0, cutAt % (input.length + 1));
        const deltas = feed(llama, splitAt(cut, points), true);
        checkInvariants(deltas, { allowMarkersInText: true });
        const merged = merge(deltas);
        expect(merge(feed(llama, [cut], true))).toEqual(merged);
        expect(accountFor(cut, merged, { markers: MARKERS, extra: [';', '"type"', '"function"'], cutMarkers: true })).toBeNull();
        const full = summarize(feed(llama, [input])).filter((i) => 'call' in i);
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

  it('forced calls: required and named prefill + the model continuation give the forced call', () => {
    fc.assert(
      fc.property(callArb, transcriptArb, fc.array(fc.nat(), { maxLength: 10 }), (call, rest, points) => {
        // (what follows: the generated transcript after a separator, calls or text)
        const tail = rest.input === '' ? '' : `; ${rest.input}`;
        const full = `{"name": ${JSON.stringify(call.name)}, "parameters": ${call.args}}${tail}`;
        const expected = summarize(feed(llama, [full]));
        expect(expected[0]).toEqual({ call: call.name, args: call.args });
        for (const prefill of [LLAMA3_JSON_FORMAT.requiredPrefill!, LLAMA3_JSON_FORMAT.namedPrefill!(call.name)]) {
          expect(full.startsWith(prefill)).toBe(true);
          const deltas = feed(withPrefill(prefill), splitAt(full.slice(prefill.length), points));
          checkInvariants(deltas, { markers: MARKERS, allowMarkersInText: true });
          expect(summarize(deltas)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});

