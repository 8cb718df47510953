/**
 * The pythonic tool format (Llama 3.2 pythonic template, Llama 4 with or without
 * `<|python_start|>`, LFM2 `<|tool_call_start|>`) on transcripts written the way these models write
 * them, and on generated transcripts whose calls carry random Python literals. Every transcript is
 * parsed whole, one code unit at a time and at other splits, which must all agree and keep the
 * streaming invariants; the argument text must be JSON (json.dumps-style spacing) equal to the
 * literals written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PYTHONIC_FORMAT, PythonicParser, createPythonicParser, scalarJson } from '../../src/parsers/pythonic.ts';
import { prefillInto } from '../../src/parsers/scanner.ts';
import { ThinkSplitter } from '../../src/parsers/think.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import { type Item, chars, checkInvariants, feed, isJsonObject, merge, mutate, parseAll, recordCalls, splitAt, summarize } from './harness.ts';

/** Multiplies the property-test run counts (e.g. PYTHONIC_RUNS=20 for a soak run). */
const RUNS = Math.max(1, Number(process.env.PYTHONIC_RUNS ?? 1) || 1);

const PY_MARKERS = ['<|python_start|>', '<|python_end|>', '<|tool_call_start|>', '<|tool_call_end|>'];
const py = () => createPythonicParser();
const parse = (input: string, opts: Parameters<typeof parseAll>[2] = {}) =>
  parseAll(py, input, { markers: PY_MARKERS, noAccounting: true, ...opts });

/**
 * The arguments text is formatted like Python's json.dumps: outside strings, each ',' and ':' is
 * followed by exactly one space and there is no other whitespace.
 */
function dumpsStyle(json: string): boolean {
  let inStr = false;
  for (let k = 0; k < json.length; k++) {
    const c = json[k];
    if (inStr) {
      if (c === '\\') k++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === ',' || c === ':') {
      if (json[k + 1] !== ' ' || json[k + 2] === ' ') return false;
      k++;
    } else if (/\s/.test(c)) return false;
  }
  return !inStr;
}

/** Items with the argument texts parsed; asserts they are json.dumps-style JSON. */
function parsed(items: Item[]): Array<{ text: string } | { call: string; args: unknown; open?: true }> {
  return items.map((it) => {
    if (!('call' in it)) return it as { text: string };
    if (it.open) return it;
    expect(dumpsStyle(it.args), it.args).toBe(true);
    return { call: it.call, args: JSON.parse(it.args) as unknown };
  });
}

// --- real transcripts --------------------------------------------------------------------------

describe('pythonic: Llama 3.2 (pythonic template)', () => {
  it('one call, single quotes: args streamed as json.dumps-style JSON', () => {
    expect(parse("[get_weather(city='San Francisco', metric='celsius')]")).toEqual([
      { call: 'get_weather', args: '{"city": "San Francisco", "metric": "celsius"}' },
    ]);
  });

  it('parallel calls, double quotes and ints', () => {
    expect(
      parse('[get_weather(city="San Francisco", metric="celsius"), get_user_info(user_id=7890, special="black")]'),
    ).toEqual([
      { call: 'get_weather', args: '{"city": "San Francisco", "metric": "celsius"}' },
      { call: 'get_user_info', args: '{"user_id": 7890, "special": "black"}' },
    ]);
  });

  it('empty arguments give {}', () => {
    expect(parse('[get_time(), get_date( )]')).toEqual([
      { call: 'get_time', args: '{}' },
      { call: 'get_date', args: '{}' },
    ]);
  });

  it('leading whitespace and a trailing newline are dropped around the list', () => {
    expect(parse("\n [ping(host='a')]\n")).toEqual([{ call: 'ping', args: '{"host": "a"}' }]);
  });

  it('nested lists, dicts, tuples, True/False/None, negative and exponent floats', () => {
    const t =
      "[search(query={'bool': {'must': [{'match': {'title': 'x'}}, {'range': {'n': {'gte': 1.5e3}}}]}}, " +
      'size=[1, [2, [3]]], span=(1, 5), one=(7,), empty=(), ok=True, off=False, missing=None, ratio=-0.25, ' +
      'tiny=-1.5E-3, big=1_000_000, hex=0x1F, half=.5, whole=5.)]';
    const items = parse(t);
    expect(items).toEqual([
      {
        call: 'search',
        args:
          '{"query": {"bool": {"must": [{"match": {"title": "x"}}, {"range": {"n": {"gte": 1.5e3}}}]}}, ' +
          '"size": [1, [2, [3]]], "span": [1, 5], "one": [7], "empty": [], "ok": true, "off": false, "missing": null, ' +
          '"ratio": -0.25, "tiny": -1.5e-3, "big": 1000000, "hex": 31, "half": 0.5, "whole": 5.0}',
      },
    ]);
    expect(parsed(items)).toEqual([
      {
        call: 'search',
        args: {
          query: { bool: { must: [{ match: { title: 'x' } }, { range: { n: { gte: 1500 } } }] } },
          size: [1, [2, [3]]],
          span: [1, 5],
          one: [7],
          empty: [],
          ok: true,
          off: false,
          missing: null,
          ratio: -0.25,
          tiny: -0.0015,
          big: 1000000,
          hex: 31,
          half: 0.5,
          whole: 5,
        },
      },
    ]);
  });

  it('non-string dict keys become JSON strings, like json.dumps', () => {
    expect(parse("[f(m={1: 'a', 2.5: 'b', True: 'c', None: 'd'})]")).toEqual([
      { call: 'f', args: '{"m": {"1": "a", "2.5": "b", "true": "c", "null": "d"}}' },
    ]);
  });

  it('unicode, escaped quotes, backslashes and escapes in strings', () => {
    const t =
      "[write_note(text='naïve café 😀 中文', q='say \\'hi\\' and \"bye\"', path='C:\\\\dir\\\\', " +
      "nl='line1\\nline2\\ttab', esc='\\u00e9\\U0001F600\\x41\\101\\0', keep='\\d+ C:\\Users')]";
    const items = parse(t);
    expect(parsed(items)).toEqual([
      {
        call: 'write_note',
        args: {
          text: 'naïve café 😀 中文',
          q: 'say \'hi\' and "bye"',
          path: 'C:\\dir\\',
          nl: 'line1\nline2\ttab',
          esc: 'é😀AA\u0000',
          keep: '\\d+ C:\\Users',
        },
      },
    ]);
  });

  it('triple-quoted, raw and prefixed strings; raw newlines kept', () => {
    const t = "[run(code='''def f():\n    return \"x\" + 'y'\n''', pat=r'\\d+\\.\\w', u=u'ü', b=\"\"\"a\"\"b\"\"\", e='', e2=\"\")]";
    expect(parsed(parse(t))).toEqual([
      {
        call: 'run',
        args: { code: 'def f():\n    return "x" + \'y\'\n', pat: '\\d+\\.\\w', u: 'ü', b: 'a""b', e: '', e2: '' },
      },
    ]);
  });

  it('JSON spellings true/false/null and dotted or hyphenated names are accepted', () => {
    expect(parse('[functions.lookup(a=true, b=null, c=false), get-time(tz="UTC")]')).toEqual([
      { call: 'functions.lookup', args: '{"a": true, "b": null, "c": false}' },
      { call: 'get-time', args: '{"tz": "UTC"}' },
    ]);
  });

  it('multi-line layout and trailing commas', () => {
    const t = "[\n  create_event(\n    title='Standup',\n    attendees=['a@x.io', 'b@x.io',],\n    when={'day': 'mon', 'hour': 9,},\n  ),\n]";
    expect(parse(t)).toEqual([
      { call: 'create_event', args: '{"title": "Standup", "attendees": ["a@x.io", "b@x.io"], "when": {"day": "mon", "hour": 9}}' },
    ]);
  });

  it('text after the list is text', () => {
    expect(parse("[get_weather(city='Oslo')] I have asked for the weather.")).toEqual([
      { call: 'get_weather', args: '{"city": "Oslo"}' },
      { text: ' I have asked for the weather.' },
    ]);
  });
});

describe('pythonic: Llama 4', () => {
  it('bare list, as the pythonic template asks', () => {
    expect(parse('[get_weather(location="Vancouver"), calculate_route(start="Boston", end="New York")]')).toEqual([
      { call: 'get_weather', args: '{"location": "Vancouver"}' },
      { call: 'calculate_route', args: '{"start": "Boston", "end": "New York"}' },
    ]);
  });

  it('wrapped in <|python_start|> … <|python_end|>', () => {
    expect(parse('<|python_start|>[get_weather(location="Vancouver", unit="metric")]<|python_end|>')).toEqual([
      { call: 'get_weather', args: '{"location": "Vancouver", "unit": "metric"}' },
    ]);
  });

  it('wrapped with text before and after', () => {
    expect(parse('Let me look.\n<|python_start|>\n[get_events(location="Singapore")]\n<|python_end|>\nOne moment.')).toEqual([
      { text: 'Let me look.\n' },
      { call: 'get_events', args: '{"location": "Singapore"}' },
      { text: '\nOne moment.' },
    ]);
  });

  it('a list after text is text (only the start of the output opens a bare list)', () => {
    const t = 'Let me check the weather: [get_weather(location="New York")]';
    expect(parse(t)).toEqual([{ text: t }]);
  });
});

describe('pythonic: LFM2', () => {
  it('call then text (the model card transcript)', () => {
    expect(
      parse('<|tool_call_start|>[get_candidate_status(candidate_id="12345")]<|tool_call_end|>Checking the current status of candidate ID 12345.'),
    ).toEqual([
      { call: 'get_candidate_status', args: '{"candidate_id": "12345"}' },
      { text: 'Checking the current status of candidate ID 12345.' },
    ]);
  });

  it('text before, parallel calls, text after', () => {
    const t =
      "Sure, I'll check both.<|tool_call_start|>[get_weather(location='Paris'), get_weather(location='Tokyo')]<|tool_call_end|>" +
      'Checking Paris and Tokyo.';
    expect(parse(t)).toEqual([
      { text: "Sure, I'll check both." },
      { call: 'get_weather', args: '{"location": "Paris"}' },
      { call: 'get_weather', args: '{"location": "Tokyo"}' },
      { text: 'Checking Paris and Tokyo.' },
    ]);
  });

  it('two blocks; whitespace between them is dropped', () => {
    const t = '<|tool_call_start|>[a(x=1)]<|tool_call_end|>\n<|tool_call_start|>[b(y=[True, None])]<|tool_call_end|>\n';
    expect(parse(t)).toEqual([
      { call: 'a', args: '{"x": 1}' },
      { call: 'b', args: '{"y": [true, null]}' },
    ]);
  });

  it('markers inside a string argument are argument text', () => {
    expect(parse('<|tool_call_start|>[echo(s="<|tool_call_end|> and <|python_start|>")]<|tool_call_end|>ok')).toEqual([
      { call: 'echo', args: '{"s": "<|tool_call_end|> and <|python_start|>"}' },
      { text: 'ok' },
    ]);
  });

  it('a missing end marker: the block is over after its list', () => {
    expect(parse("<|tool_call_start|>[f(a='x')] Done.")).toEqual([{ call: 'f', args: '{"a": "x"}' }, { text: ' Done.' }]);
  });

  it('a stray end marker (LFM2 sometimes doubles it) is dropped', () => {
    expect(parse('<|tool_call_start|>[f()]<|tool_call_end|>Done.<|tool_call_end|>')).toEqual([
      { call: 'f', args: '{}' },
      { text: 'Done.' },
    ]);
  });
});

describe('pythonic: text that is not a call', () => {
  it.each([
    '[1, 2, 3] are the first numbers.',
    '[see above] for details.',
    '[Note] Nothing to call.',
    '[ ] todo item',
    '[]',
    '[x for x in range(3)]',
    '[link](https://example.com) is markdown.',
    '[get_weather is a function]',
    'a < b, a <| b, <|python|>, <|tool_call|> and < |',
    'Use [get_weather(city="Paris")] like this.',
    '   ',
  ])('%j is text', (t) => {
    expect(parse(t)).toEqual([{ text: t }]);
  });

  it('a bare [ is held only while it can still be a call list', () => {
    const p = py();
    expect(p.push('[')).toEqual([]);
    expect(p.push('get_')).toEqual([]);
    expect(p.push('weather is')).toEqual([{ type: 'text', text: '[get_weather is' }]);
    const q = py();
    expect(q.push(' [')).toEqual([]);
    expect(q.push('1')).toEqual([{ type: 'text', text: ' [1' }]);
  });

  it('a suffix is held only while it can still become a marker', () => {
    const p = py();
    expect(p.push('Hello <|tool_')).toEqual([{ type: 'text', text: 'Hello ' }]);
    expect(p.push('call')).toEqual([]);
    expect(p.push('_x')).toEqual([{ type: 'text', text: '<|tool_call_x' }]);
    expect(p.push(' <')).toEqual([{ type: 'text', text: ' ' }]);
    expect(p.end()).toEqual([{ type: 'text', text: '<' }]);
  });
});

describe('pythonic: incremental arguments', () => {
  it('call_start at name(, strings streamed as they arrive, numbers once complete, call_end at )', () => {
    const p = py();
    expect(p.push('[get_wea')).toEqual([]);
    expect(p.push('ther(')).toEqual([{ type: 'call_start', name: 'get_weather' }]);
    expect(p.push("city='Par")).toEqual([{ type: 'call_args', text: '{"city": "Par' }]);
    expect(p.push("is', days=1")).toEqual([{ type: 'call_args', text: 'is", "days": ' }]);
    expect(p.push('2')).toEqual([]);
    expect(p.push(', note="a\\"b')).toEqual([{ type: 'call_args', text: '12, "note": "a\\"b' }]);
    expect(p.push('")')).toEqual([{ type: 'call_args', text: '"}' }, { type: 'call_end' }]);
    expect(p.push(']')).toEqual([]);
    expect(p.end()).toEqual([]);
  });

  it('a string argument arriving in many pieces is not buffered', () => {
    const p = py();
    p.push("[write(text='");
    for (const piece of ['Once', ' upon', ' a', ' time']) expect(p.push(piece)).toEqual([{ type: 'call_args', text: piece }]);
  });
});

describe('pythonic: after reasoning (LFM2.5 thinking)', () => {
  const think = () => new ThinkSplitter(createPythonicParser());
  const markers = [...PY_MARKERS, '<think>', '</think>'];

  it('reasoning, then a wrapped call and text', () => {
    const t = '<think>\nThe user wants the weather.\n</think>\n\n<|tool_call_start|>[get_weather(city="Paris")]<|tool_call_end|>Checking.';
    expect(parseAll(think, t, { markers, noAccounting: true })).toEqual([
      { reasoning: 'The user wants the weather.' },
      { call: 'get_weather', args: '{"city": "Paris"}' },
      { text: 'Checking.' },
    ]);
  });

  it('reasoning, then a bare list (the answer starts after </think>)', () => {
    expect(parseAll(think, "<think>call f</think>\n[f(x='y')]", { markers, noAccounting: true })).toEqual([
      { reasoning: 'call f' },
      { call: 'f', args: '{"x": "y"}' },
    ]);
  });
});

// --- malformed and truncated ---------------------------------------------------------------------

describe('pythonic: malformed markup', () => {
  const loose = (t: string) => parse(t, { allowMarkersInText: true });

  it('a wrapped block that is not a call list is released verbatim, end marker included', () => {
    for (const t of [
      '<|python_start|>print("hi")<|python_end|> after',
      '<|tool_call_start|>[]<|tool_call_end|>',
      '<|tool_call_start|>[get_weather]<|tool_call_end|>Hm.',
      '<|python_start|>[123(a=1)]<|python_end|>',
    ]) {
      expect(loose(t)).toEqual([{ text: t }]);
    }
  });

  it('an empty wrapped block before another block', () => {
    expect(loose('<|python_start|><|tool_call_start|>[f()]<|tool_call_end|>')).toEqual([
      { text: '<|python_start|>' },
      { call: 'f', args: '{}' },
    ]);
  });

  it('a positional argument: the call is closed ({}), the rest is text', () => {
    expect(loose("[get_weather('Paris')] ok")).toEqual([{ call: 'get_weather', args: '{}' }, { text: "'Paris')] ok" }]);
    expect(loose('[f(a=1, 2)]')).toEqual([{ call: 'f', args: '{"a": 1}' }, { text: '2)]' }]);
    expect(loose('[f(city)]')).toEqual([{ call: 'f', args: '{}' }, { text: 'city)]' }]);
  });

  it('an expression or a variable: the open value becomes null; the rest of the block is text', () => {
    expect(loose('<|python_start|>[f(a=1, b=x+y)] tail<|python_end|> after')).toEqual([
      { call: 'f', args: '{"a": 1, "b": null}' },
      { text: 'x+y)] tail<|python_end|> after' },
    ]);
    expect(loose('[f(n=1+2)]')).toEqual([{ call: 'f', args: '{"n": null}' }, { text: '1+2)]' }]);
    expect(loose("[f(v=float('inf'))]")).toEqual([{ call: 'f', args: '{"v": null}' }, { text: "float('inf'))]" }]);
    expect(loose("[f(s=f'{x}')]")).toEqual([{ call: 'f', args: '{"s": null}' }, { text: "f'{x}')]" }]);
  });

  it('unbalanced brackets and sets: open containers are closed', () => {
    expect(loose('[f(a=[1, 2)]')).toEqual([{ call: 'f', args: '{"a": [1, 2]}' }, { text: ')]' }]);
    expect(loose('[f(a={1, 2})]')).toEqual([{ call: 'f', args: '{"a": {"1": null}}' }, { text: ', 2})]' }]);
    expect(loose("[f(a={'k': [1, {'j': (2, }}])]")).toEqual([
      { call: 'f', args: '{"a": {"k": [1, {"j": [2]}]}}' },
      { text: '}}])]' },
    ]);
  });

  it('a marker outside strings cuts the call but keeps its meaning', () => {
    expect(parse('<|python_start|>[f(a=1, b=[2<|python_end|>Then text.')).toEqual([
      { call: 'f', args: '{"a": 1, "b": [2]}' },
      { text: 'Then text.' },
    ]);
    expect(parse('<|tool_call_start|>[f(a=<|tool_call_start|>[g()]<|tool_call_end|>')).toEqual([
      { call: 'f', args: '{"a": null}' },
      { call: 'g', args: '{}' },
    ]);
  });

  it('junk after complete calls is text; the calls stand', () => {
    expect(loose('[f(), 42]')).toEqual([{ call: 'f', args: '{}' }, { text: ', 42]' }]);
    expect(loose('<|tool_call_start|>[f() g()]<|tool_call_end|>x')).toEqual([
      { call: 'f', args: '{}' },
      { text: ' g()]<|tool_call_end|>x' },
    ]);
  });

  it('every malformed call still has valid JSON arguments', () => {
    const bad = ['(', '[', '{', "{'a'", "{'a':", "{'a': 1,", '[1,', "'x", 'a', '=', '1 2', '1.2.3', '0x', '--1', '1e'];
    for (const b of bad) {
      const t = `<|python_start|>[f(k=${b}@)]<|python_end|>`;
      const items = loose(t);
      const c = items[0] as { call: string; args: string; open?: true };
      expect(c.call).toBe('f');
      if (b === "'x") {
        // An open string swallows the rest: the call is still open at the end.
        expect(c.open).toBe(true);
        continue;
      }
      expect(c.open, t).toBeUndefined();
      expect(() => JSON.parse(c.args), `${t} → ${c.args}`).not.toThrow();
    }
  });
});

describe('pythonic: truncated output', () => {
  it('a call whose arguments never completed stays open; a complete number is still written', () => {
    expect(parse("[get_weather(city='Par", { truncated: true })).toEqual([
      { call: 'get_weather', args: '{"city": "Par', open: true },
    ]);
    expect(parse('[f(a=12', { truncated: true })).toEqual([{ call: 'f', args: '{"a": 12', open: true }]);
    expect(parse('<|tool_call_start|>[f(a=1<|tool_call_e', { truncated: true })).toEqual([
      { call: 'f', args: '{"a": 1', open: true },
    ]);
  });

  it('markup whose name never completed is released verbatim', () => {
    for (const t of ['[get_wea', '<|tool_call_start|>[get_wea', '<|python_start|>', '<|python_start|>[', ' [']) {
      expect(parse(t, { truncated: true, allowMarkersInText: true })).toEqual([{ text: t }]);
    }
  });

  it('a cut end marker after calls is dropped; a trailing comma too', () => {
    expect(parse('<|tool_call_start|>[f()]<|tool_call_e', { truncated: true })).toEqual([{ call: 'f', args: '{}' }]);
    expect(parse('[f(), ', { truncated: true })).toEqual([{ call: 'f', args: '{}' }]);
    expect(parse('[f(), g', { truncated: true, allowMarkersInText: true })).toEqual([
      { call: 'f', args: '{}' },
      { text: ', g' },
    ]);
  });

  it('a cut marker in text is released as text at the end', () => {
    expect(parse('Hello <|tool_call_st', { truncated: true, allowMarkersInText: true })).toEqual([
      { text: 'Hello <|tool_call_st' },
    ]);
  });
});

describe('pythonic: numbers', () => {
  it.each([
    ['0', '0'],
    ['-0', '0'],
    ['+7', '7'],
    ['007', '7'],
    ['1_000', '1000'],
    ['0xff', '255'],
    ['-0o17', '-15'],
    ['0b101', '5'],
    ['1.', '1.0'],
    ['.5', '0.5'],
    ['-0.0', '-0.0'],
    ['1e5', '1e5'],
    ['2.5E-3', '2.5e-3'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
  ])('%s → %s', (src, json) => {
    expect(scalarJson(src)).toBe(json);
  });

  it.each(['1j', 'inf', 'nan', '1__0', '_1', '1_', '0x', '1e', 'e5', '--1', '1+2', '.', '-', 'TRUE'])('%s is not a literal', (src) => {
    expect(scalarJson(src)).toBeNull();
  });
});

// --- prefill and the spec ------------------------------------------------------------------------

describe('pythonic: prefill', () => {
  function withPrefill(prefill: string, chunks: readonly string[]): OutputDelta[] {
    const p = new PythonicParser();
    const out = [...prefillInto(p, prefill)];
    for (const c of chunks) out.push(...p.push(c));
    out.push(...p.end());
    return out;
  }

  it("'[' (tool_choice required): the model writes the rest of the list", () => {
    const rest = "get_weather(city='Paris'), get_time()]";
    for (const chunks of [[rest], chars(rest)]) {
      expect(summarize(withPrefill('[', chunks))).toEqual([
        { call: 'get_weather', args: '{"city": "Paris"}' },
        { call: 'get_time', args: '{}' },
      ]);
    }
  });

  it("'[f(' (named tool_choice): call_start comes from the prefill, the model writes the arguments", () => {
    const p = new PythonicParser();
    expect(p.prefill(PYTHONIC_FORMAT.namedPrefill!('get_weather'))).toEqual([{ type: 'call_start', name: 'get_weather' }]);
    expect(p.push("city='Paris')]")).toEqual([{ type: 'call_args', text: '{"city": "Paris"}' }, { type: 'call_end' }]);
    expect(p.end()).toEqual([]);
    expect(summarize(withPrefill('[f(', chars('a=[1, 2], b=None)]')))).toEqual([{ call: 'f', args: '{"a": [1, 2], "b": null}' }]);
    expect(summarize(withPrefill('[f(', [')']))).toEqual([{ call: 'f', args: '{}' }]);
  });

  it('a forced name that is not a Python identifier still opens the call', () => {
    expect(summarize(withPrefill('[3d-render(', ['scale=2)]']))).toEqual([{ call: '3d-render', args: '{"scale": 2}' }]);
  });

  it('prefill text never comes out as text, even when the markup is released', () => {
    expect(summarize(withPrefill('[', chars("Sorry, I can't do that.")))).toEqual([{ text: "Sorry, I can't do that." }]);
    expect(summarize(withPrefill('[get_', [' weather']))).toEqual([{ text: ' weather' }]);
    expect(summarize(withPrefill('Sure <|tool_', ['x y']))).toEqual([{ text: 'x y' }]);
  });

  it('the prefill is read once', () => {
    const p = new PythonicParser();
    p.prefill('[f(');
    expect(summarize([{ type: 'call_start', name: 'f' }, ...p.push('a=1), f(b=2)]'), ...p.end()])).toEqual([
      { call: 'f', args: '{"a": 1}' },
      { call: 'f', args: '{"b": 2}' },
    ]);
  });
});

describe('pythonic: spec', () => {
  it('exports the format', () => {
    expect(PYTHONIC_FORMAT.name).toBe('pythonic');
    expect(PYTHONIC_FORMAT.requiredPrefill).toBe('[');
    expect(PYTHONIC_FORMAT.namedPrefill!('get_weather')).toBe('[get_weather(');
    expect(PYTHONIC_FORMAT.create({})).toBeInstanceOf(PythonicParser);
  });

  const detects = (template: string) => PYTHONIC_FORMAT.templateMarkers.some((ms) => ms.every((m) => template.includes(m)));

  it('template markers: Llama 3.2 / Llama 4 pythonic instructions, Llama 4 and LFM2 tokens', () => {
    // Excerpts of the chat templates (vLLM examples/tool_chat_template_llama3.2_pythonic.jinja and
    // tool_chat_template_llama4_pythonic.jinja; LFM2's template and model card).
    expect(detects("{{- 'Respond in the format [func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)] ' }}")).toBe(true);
    expect(detects('Use exact format: [func_name1(param1=value1, param2=value2), func_name2(...)]')).toBe(true);
    expect(detects("{{- '<|python_start|>' }}")).toBe(true);
    expect(detects('List of tools: <|tool_list_start|>[{{ tools }}]<|tool_list_end|>')).toBe(true);
    expect(detects('{{- "<|tool_call_start|>" + tool_calls + "<|tool_call_end|>" }}')).toBe(true);
    expect(detects('<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')).toBe(false);
    expect(detects('<|python_tag|>{"name": ')).toBe(false);
  });
});

// --- generated transcripts -----------------------------------------------------------------------

/** A Python literal: its source text and the value json.loads(json.dumps(value)) gives. */
interface Lit {
  src: string;
  value: unknown;
}

function hex(n: number, w: number): string {
  return n.toString(16).padStart(w, '0');
}

/** Render `s` as a Python string literal in the given style. */
function pyStr(s: string, q: "'" | '"', triple: boolean, escapeNonAscii: boolean, prefix: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += triple ? '\n' : '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += escapeNonAscii ? '\\t' : '\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp > 0x7f && escapeNonAscii) out += cp > 0xffff ? '\\U' + hex(cp, 8) : '\\u' + hex(cp, 4);
    else out += ch;
  }
  const qq = triple ? q.repeat(3) : q;
  // (Quotes inside are always escaped, so a triple-quoted string can't end early: `'''a\''''`.)
  return prefix + qq + out + qq;
}

const textish = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "it's",
      'say "hi"',
      'C:\\dir\\',
      'line1\nline2',
      '\t',
      '\\n is not a newline',
      "'''",
      '"""',
      '<|tool_call_end|>',
      '<|python_start|>',
      ')]',
      '😀 中文 é',
      '\u0000\u001f',
      '\ud800',
    ),
  },
);

const strLit: fc.Arbitrary<Lit> = fc
  .record({
    s: textish,
    q: fc.constantFrom<"'" | '"'>("'", '"'),
    triple: fc.boolean(),
    esc: fc.boolean(),
    prefix: fc.constantFrom('', '', '', 'u'),
  })
  .map(({ s, q, triple, esc, prefix }) => ({ src: pyStr(s, q, triple, esc, prefix), value: s }));

const rawStrLit: fc.Arbitrary<Lit> = fc
  .string({ maxLength: 10 })
  .filter((s) => !/['\n\r\\]/.test(s) && !/[\u0000-\u001f]/.test(s))
  .map((s) => ({ src: `r'${s}'`, value: s }));

const intLit: fc.Arbitrary<Lit> = fc
  .tuple(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.constantFrom('dec', 'plus', 'under', 'hex'))
  .map(([n, style]) => {
    const v = n === 0 ? 0 : n; // no -0 for ints
    if (style === 'plus' && n >= 0) return { src: '+' + n, value: v };
    if (style === 'hex' && n >= 0) return { src: '0x' + n.toString(16), value: v };
    if (style === 'under' && Math.abs(n) >= 1000) {
      const digits = Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '_');
      return { src: (n < 0 ? '-' : '') + digits, value: v };
    }
    return { src: String(n), value: v };
  });

const floatLit: fc.Arbitrary<Lit> = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => {
  if (Object.is(x, -0)) return { src: '-0.0', value: -0 };
  let src = String(x);
  if (!/[.e]/.test(src)) src += '.0';
  return { src, value: x };
});

const constLit: fc.Arbitrary<Lit> = fc.constantFrom<Lit>(
  { src: 'True', value: true },
  { src: 'False', value: false },
  { src: 'None', value: null },
  { src: 'true', value: true },
  { src: 'null', value: null },
);

const sepArb = fc.constantFrom(', ', ',', ',\n    ', ' , ');

const { lit } = fc.letrec<{ lit: Lit }>((tie) => ({
  lit: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'lit' },
    { weight: 4, arbitrary: strLit },
    { weight: 1, arbitrary: rawStrLit },
    { weight: 2, arbitrary: intLit },
    { weight: 2, arbitrary: floatLit },
    { weight: 1, arbitrary: constLit },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(tie('lit'), { maxLength: 4 }), sepArb, fc.boolean(), fc.boolean())
        .map(([items, sep, tuple, trailing]) => {
          const body = items.map((x) => x.src).join(sep);
          const tail = (trailing && items.length > 0) || (tuple && items.length === 1) ? ',' : '';
          return { src: tuple ? `(${body}${tail})` : `[${body}${tail}]`, value: items.map((x) => x.value) };
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.uniqueArray(
            fc.tuple(
              fc.oneof(
                fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__').map((k) => ({ key: k, src: pyStr(k, "'", false, false, '') })),
                fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__').map((k) => ({ key: k, src: pyStr(k, '"', false, true, '') })),
                fc.integer({ min: -99, max: 999 }).map((n) => ({ key: String(n), src: String(n) })),
              ),
              tie('lit'),
            ),
            { maxLength: 4, selector: ([k]) => k.key },
          ),
          sepArb,
          fc.constantFrom(': ', ':', ' : '),
        )
        .map(([entries, sep, colon]) => ({
          src: `{${entries.map(([k, v]) => `${k.src}${colon}${v.src}`).join(sep)}}`,
          value: Object.fromEntries(entries.map(([k, v]) => [k.key, v.value])),
        })),
    },
  ),
}));

interface GenCall {
  name: string;
  src: string;
  args: Record<string, unknown>;
}

const callArb: fc.Arbitrary<GenCall> = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}(\.[A-Za-z_][A-Za-z0-9_]{0,6})?$/),
    kwargs: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/), lit), {
      maxLength: 4,
      selector: ([k]) => k,
    }),
    sep: sepArb,
    eq: fc.constantFrom('=', '=', ' = '),
    trailing: fc.boolean(),
  })
  .map(({ name, kwargs, sep, eq, trailing }) => {
    const body = kwargs.map(([k, v]) => `${k}${eq}${v.src}`).join(sep) + (trailing && kwargs.length > 0 ? ',' : '');
    return { name, src: `${name}(${body})`, args: Object.fromEntries(kwargs.map(([k, v]) => [k, v.value])) };
  });

type Style = 'bare' | 'llama4' | 'lfm2';

const listSrc = (calls: GenCall[], sep: string, pad: [string, string]) => `[${pad[0]}${calls.map((c) => c.src).join(sep)}${pad[1]}]`;

const blockArb: fc.Arbitrary<Block> = fc.record({
  calls: fc.array(callArb, { minLength: 1, maxLength: 3 }),
  sep: sepArb,
  pad: fc.constantFrom<[string, string]>(['', ''], ['', ''], ['\n  ', '\n'], [' ', ' ']),
  ws: fc.constantFrom<[string, string]>(['', ''], ['', ''], ['\n', '\n'], [' ', '']),
  style: fc.constantFrom<Style>('llama4', 'lfm2'),
});

/** Text fragments that stress holding back (marker prefixes, brackets), never a whole marker. */
const fragment = fc.oneof(
  fc.constantFrom('<', '<|', '<|python_', '<|tool_call_e', '<|tool_call_sta', '|>', '[', ']', '(', ')', "'", '"', '\\', '=', 'f(', '[x('),
  fc.constantFrom('\n', ' ', '\t', 'é', '😀', '中文', 'Checking the weather.', 'Sure!', 'a < b'),
  fc.string({ maxLength: 8 }),
);
const STEMS = /<\|python_(start|end)\||<\|tool_call_(start|end)\|/;
const textArb = fc
  .array(fragment, { minLength: 1, maxLength: 5 })
  .map((a) => a.join(''))
  .filter((t) => !STEMS.test(t));

interface Block {
  calls: GenCall[];
  sep: string;
  pad: [string, string];
  ws: [string, string];
  style: Style;
}

type Segment = { text: string } | { block: Block };

interface Transcript {
  input: string;
  expected: Array<{ text: string } | { call: string; args: unknown }>;
}

const transcriptArb: fc.Arbitrary<Transcript> = fc
  .record({
    bare: fc.option(fc.tuple(fc.constantFrom('', '\n', ' '), fc.array(callArb, { minLength: 1, maxLength: 3 }), sepArb), { freq: 3 }),
    segments: fc.array(fc.oneof(textArb.map((text) => ({ text })), blockArb.map((block) => ({ block }))), { maxLength: 5 }),
  })
  .map(({ bare, segments }) => {
    let input = '';
    const raw: Array<{ text: string } | { call: string; args: unknown }> = [];
    const addText = (t: string) => {
      const last = raw[raw.length - 1];
      if (last !== undefined && 'text' in last) last.text += t;
      else raw.push({ text: t });
    };
    if (bare !== null) {
      const [ws, calls, sep] = bare;
      input += ws + listSrc(calls, sep, ['', '']);
      addText(ws);
      for (const c of calls) raw.push({ call: c.name, args: c.args });
    }
    for (const seg of segments as Segment[]) {
      if ('text' in seg) {
        let t = seg.text;
        // Text at the very start must not open a bare list.
        if (bare === null && /^\s*$/.test(input) && /^\s*\[/.test(t)) t = 'Note ' + t;
        input += t;
        addText(t);
      } else {
        const { calls, sep, pad, ws, style } = seg.block;
        const [open, close] = style === 'llama4' ? ['<|python_start|>', '<|python_end|>'] : ['<|tool_call_start|>', '<|tool_call_end|>'];
        input += open + ws[0] + listSrc(calls, sep, pad) + ws[1] + close;
        for (const c of calls) raw.push({ call: c.name, args: c.args });
      }
    }
    // Whitespace-only text next to calls is dropped (whitespace-only output with no call is text).
    const anyCall = raw.some((x) => 'call' in x);
    const expected = raw.filter((x) => !('text' in x) || (x.text !== '' && (!anyCall || !/^[ \t\n\r]*$/.test(x.text))));
    return { input, expected, texts: raw.flatMap((x) => ('text' in x ? [x.text] : [])) };
  })
  .filter(({ texts }) => texts.every((t) => !STEMS.test(t)))
  .map(({ input, expected }) => ({ input, expected }));

/** Feed whole, per code unit and at the given splits: all agree and keep the invariants. */
function check(input: string, points: readonly number[], opts: { truncated?: boolean; allowMarkersInText?: boolean } = {}) {
  let first: OutputDelta[] | null = null;
  for (const chunks of [[input], chars(input), splitAt(input, points)]) {
    const deltas = feed(py, chunks, opts.truncated);
    checkInvariants(deltas, { markers: PY_MARKERS, allowMarkersInText: opts.allowMarkersInText });
    const merged = merge(deltas);
    if (first === null) first = merged;
    else expect(merged, `chunks ${JSON.stringify(chunks)}`).toEqual(first);
  }
  return first!;
}

describe('pythonic: properties', () => {
  it('generated literals: whole, per code unit and at random splits agree; args are the literals as JSON', () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 25 }), ({ input, expected }, points) => {
        expect(parsed(summarize(check(input, points)))).toEqual(expected);
      }),
      { numRuns: 400 * RUNS },
    );
  });

  it('one call with random literals, streamed in random pieces', () => {
    fc.assert(
      fc.property(callArb, fc.array(fc.nat(), { maxLength: 40 }), (c, points) => {
        const input = `[${c.src}]`;
        expect(parsed(summarize(check(input, points)))).toEqual([{ call: c.name, args: c.args }]);
      }),
      { numRuns: 400 * RUNS },
    );
  });

  it('truncated anywhere: invariants hold, chunkings agree, finished calls are those of the full output', () => {
    fc.assert(
      fc.property(transcriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 10 }), ({ input }, cut, points) => {
        const full = summarize(merge(feed(py, [input]))).filter((x) => 'call' in x);
        const k = cut % (input.length + 1);
        const items = summarize(check(input.slice(0, k), points, { truncated: true, allowMarkersInText: true }));
        const calls = items.filter((x): x is { call: string; args: string; open?: true } => 'call' in x);
        for (const [j, c] of calls.entries()) {
          if (c.open) {
            expect(j).toBe(calls.length - 1);
            expect(full[j]).toMatchObject({ call: c.call });
          } else {
            expect(() => JSON.parse(c.args)).not.toThrow();
            expect(c).toEqual(full[j]);
          }
        }
      }),
      { numRuns: 400 * RUNS },
    );
  });

  it('mangled transcripts (characters dropped or inserted): invariants hold, chunkings agree, args stay JSON', () => {
    const junk = fc.constantFrom('(', ')', '[', ']', '{', '}', ',', '=', "'", '"', '\\', ' ', 'x', '1', '+', '<|python_end|>', '<|tool_call_start|>', '<');
    fc.assert(
      fc.property(
        transcriptArb,
        fc.array(fc.tuple(fc.nat(), fc.option(junk)), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        ({ input }, edits, points) => {
          let s = input;
          for (const [at, ins] of edits) {
            const k = at % (s.length + 1);
            s = ins === null ? s.slice(0, k) + s.slice(k + 1) : s.slice(0, k) + ins + s.slice(k);
          }
          const items = summarize(check(s, points, { allowMarkersInText: true }));
          const calls = items.filter((x): x is { call: string; args: string; open?: true } => 'call' in x);
          for (const [j, c] of calls.entries()) {
            if (c.open) expect(j).toBe(calls.length - 1);
            else expect(() => JSON.parse(c.args), c.args).not.toThrow();
          }
        },
      ),
      { numRuns: 500 * RUNS },
    );
  });

  it('every call ends checked (DeltaSink.callEnd), and its arguments are a JSON object: generated, mangled, truncated', () => {
    const junk = fc.constantFrom('(', ')', '[', ']', '{', '}', ',', '=', ':', "'", '"', '\\', ' ', 'x', '1', '.', '-', 'e', '_', '0x', 'True', 'None', '<|python_end|>', '<');
    let calls = 0;
    fc.assert(
      fc.property(
        transcriptArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), junk), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        ({ input }, edits, points, truncated) => {
          let s = input;
          for (const [at, op, c] of edits) s = mutate(s, at, op, c);
          for (const call of recordCalls(new PythonicParser(), splitAt(s, points), truncated)) {
            calls++;
            expect(call.checked).toBe(true);
            expect(isJsonObject(call.args), call.args).toBe(true);
          }
        },
      ),
      { numRuns: 500 * RUNS },
    );
    expect(calls).toBeGreaterThan(100);
  });

  it("prefilling '[' or '[name(' changes nothing", () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 10 }), ({ input }, points) => {
        const full = merge(feed(py, [input]));
        const m = /^\[[A-Za-z_][\w.]*\(/.exec(input);
        if (m === null) return;
        for (const prefill of ['[', m[0]]) {
          const rest = input.slice(prefill.length);
          for (const chunks of [splitAt(rest, points), chars(rest)]) {
            const p = new PythonicParser();
            const out = [...p.prefill(prefill)];
            for (const c of chunks) out.push(...p.push(c));
            out.push(...p.end());
            expect(merge(out)).toEqual(full);
          }
        }
      }),
      { numRuns: 300 * RUNS },
    );
  });

  it('prefill cut anywhere: the same non-text deltas; the text is the full text minus the prefill part', () => {
    fc.assert(
      fc.property(transcriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input }, cut, points) => {
        const k = cut % (input.length + 1);
        const full = merge(feed(py, [input]));
        const p = new PythonicParser();
        const out = [...p.prefill(input.slice(0, k))];
        for (const c of splitAt(input.slice(k), points)) out.push(...p.push(c));
        out.push(...p.end());
        checkInvariants(out, { markers: PY_MARKERS, allowMarkersInText: true });
        const mine = merge(out);
        const nonText = (ds: OutputDelta[]) => merge(ds.filter((d) => d.type !== 'text'));
        expect(nonText(mine)).toEqual(nonText(full));
        const text = (ds: OutputDelta[]) => ds.flatMap((d) => (d.type === 'text' ? [d.text] : [])).join('');
        expect(text(full).endsWith(text(mine))).toBe(true);
      }),
      { numRuns: 300 * RUNS },
    );
  });
});
