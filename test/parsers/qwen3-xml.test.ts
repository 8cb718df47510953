/**
 * The qwen3_xml tool format (Qwen3-Coder, Qwen3.5) on transcripts written the way these models write
 * them, and on generated calls (random schemas and values rendered into the XML form). Every input is
 * parsed whole, one code unit at a time and at fixed and random splits, which must all agree and keep
 * the streaming invariants; the argument text must be valid JSON equal to the expected object.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  QWEN3_XML_FORMAT,
  QWEN3_XML_MARKERS,
  Qwen3XmlParser,
  createQwen3XmlParser,
  parsePythonLiteral,
} from '../../src/parsers/qwen3-xml.ts';
import { prefillInto } from '../../src/parsers/scanner.ts';
import { ThinkSplitter } from '../../src/parsers/think.ts';
import type { OutputDelta, ToolCallParser, ToolFormatOptions } from '../../src/parsers/types.ts';
import { type Item, type Make, chars, checkInvariants, feed, isJsonObject, merge, mutate, parseAll, recordCalls, splitAt, summarize } from './harness.ts';

type Tools = ToolFormatOptions['tools'];
type Tool = { name: string; parameters?: unknown };

const MARKERS = QWEN3_XML_MARKERS;
/** Property tests take a second or two; more on a loaded machine. */
const SLOW = { timeout: 60_000 };
const make = (tools?: Tools): Make => () => createQwen3XmlParser({ tools });

/** A summary item with the arguments parsed (they must be valid JSON). */
type Parsed = { text: string } | { reasoning: string } | { call: string; args: unknown; open?: true };

function parsed(items: Item[]): Parsed[] {
  return items.map((it) => {
    if (!('call' in it)) return it;
    let args: unknown;
    try {
      args = JSON.parse(it.args);
    } catch {
      throw new Error(`arguments of ${it.call} are not JSON: ${JSON.stringify(it.args)}`);
    }
    return it.open ? { call: it.call, args, open: true } : { call: it.call, args };
  });
}

function parse(input: string, tools?: Tools, opts: { allowMarkersInText?: boolean; truncated?: boolean } = {}): Item[] {
  return parseAll(make(tools), input, { markers: MARKERS, noAccounting: true, ...opts });
}

/** Render a call the way Qwen3-Coder writes it. */
function xml(name: string, params: ReadonlyArray<readonly [string, string]>): string {
  const body = params.map(([k, v]) => `<parameter=${k}>\n${v}\n</parameter>\n`).join('');
  return `<tool_call>\n<function=${name}>\n${body}</function>\n</tool_call>`;
}

// --- tools -----------------------------------------------------------------------------------

const WEATHER = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'City name' },
      days: { type: 'integer' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
  },
};
const WRITE = {
  name: 'write_file',
  parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
};
const CONFIGURE = {
  name: 'configure',
  parameters: {
    type: 'object',
    properties: {
      count: { type: 'integer' },
      ratio: { type: 'number' },
      enabled: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      options: { type: 'object' },
      note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      limit: { type: ['integer', 'null'] },
      mode: { enum: ['fast', 'slow'] },
      level: { enum: [1, 2, 3] },
      nothing: { type: 'null' },
    },
  },
};
const LIST = { name: 'list_files', parameters: { type: 'object', properties: {} } };
const TOOLS: Tools = [WEATHER, WRITE, CONFIGURE, LIST];

const CODE =
  'def greet(name: str) -> str:\n' +
  '    """Say "hi" \\ to <name>."""\n' +
  "    if len(name) < 3 and name != '':\n" +
  '        return f"<b>{name}</b> — café 😀 中文\\n"\n' +
  '    return "\\t</b>" if name else \'<tool\'\n';

interface Example {
  title: string;
  input: string;
  tools?: Tools;
  expected: Parsed[];
  /** Exact argument texts of the calls, in order. */
  args?: string[];
  malformed?: boolean;
}

const EXAMPLES: Example[] = [
  {
    title: 'one call after text',
    input:
      "I'll check the weather in Paris for you.\n\n" +
      xml('get_weather', [
        ['city', 'Paris'],
        ['days', '3'],
      ]),
    expected: [{ text: "I'll check the weather in Paris for you.\n\n" }, { call: 'get_weather', args: { city: 'Paris', days: 3 } }],
    args: ['{"city": "Paris", "days": 3}'],
  },
  {
    title: 'parallel calls; the newline between them is dropped',
    input:
      xml('get_weather', [['city', 'Paris']]) +
      '\n' +
      xml('get_weather', [
        ['city', 'Tokyo'],
        ['unit', 'celsius'],
      ]),
    expected: [
      { call: 'get_weather', args: { city: 'Paris' } },
      { call: 'get_weather', args: { city: 'Tokyo', unit: 'celsius' } },
    ],
    args: ['{"city": "Paris"}', '{"city": "Tokyo", "unit": "celsius"}'],
  },
  {
    title: 'string values with newlines, quotes, backslashes, unicode and < characters',
    input:
      "I'll write the file.\n" +
      xml('write_file', [
        ['path', 'src/greet.py'],
        ['content', CODE],
      ]),
    expected: [{ text: "I'll write the file.\n" }, { call: 'write_file', args: { path: 'src/greet.py', content: CODE } }],
  },
  {
    title: 'numbers, booleans, enums and nulls by schema',
    input: xml('configure', [
      ['count', '42'],
      ['ratio', '-0.5'],
      ['enabled', 'True'],
      ['limit', 'None'],
      ['note', 'null'],
      ['mode', 'fast'],
      ['level', '2'],
      ['nothing', 'None'],
    ]),
    expected: [
      {
        call: 'configure',
        args: { count: 42, ratio: -0.5, enabled: true, limit: null, note: null, mode: 'fast', level: 2, nothing: null },
      },
    ],
    args: ['{"count": 42, "ratio": -0.5, "enabled": true, "limit": null, "note": null, "mode": "fast", "level": 2, "nothing": null}'],
  },
  {
    title: 'loose numbers are normalised; values that do not convert are strings',
    input: xml('configure', [
      ['count', '+007'],
      ['ratio', '.25'],
      ['enabled', 'FALSE'],
      ['limit', '12 items'],
      ['level', 'high'],
      ['note', 'None of these'],
    ]),
    expected: [
      {
        call: 'configure',
        args: { count: 7, ratio: 0.25, enabled: false, limit: '12 items', level: 'high', note: 'None of these' },
      },
    ],
  },
  {
    title: 'arrays and objects as JSON values (pretty-printed too)',
    input: xml('configure', [
      ['tags', '["a", "b c", "<d>"]'],
      ['options', '{\n  "depth": 2,\n  "nested": {"x": [1, 2.5e3, null], "s": "}{"}\n}'],
    ]),
    expected: [
      {
        call: 'configure',
        args: { tags: ['a', 'b c', '<d>'], options: { depth: 2, nested: { x: [1, 2500, null], s: '}{' } } },
      },
    ],
  },
  {
    title: 'arrays and objects as Python literals',
    input: xml('configure', [
      ['tags', "['a', \"it's\", 'x\\ny']"],
      ['options', "{'depth': 2, 'follow': True, 'exclude': None, 'pair': (1, 'two'), 'n': -1.5e-3,}"],
    ]),
    expected: [
      {
        call: 'configure',
        args: { tags: ['a', "it's", 'x\ny'], options: { depth: 2, follow: true, exclude: null, pair: [1, 'two'], n: -0.0015 } },
      },
    ],
  },
  {
    title: 'a call without parameters',
    input: 'Listing.\n' + xml('list_files', []),
    expected: [{ text: 'Listing.\n' }, { call: 'list_files', args: {} }],
    args: ['{}'],
  },
  {
    title: 'text before, between and after calls',
    input:
      'First the weather:\n' +
      xml('get_weather', [['city', 'Oslo']]) +
      '\nThen the file:\n' +
      xml('write_file', [
        ['path', 'a.txt'],
        ['content', 'hi'],
      ]) +
      '\n\nI will report back.',
    expected: [
      { text: 'First the weather:\n' },
      { call: 'get_weather', args: { city: 'Oslo' } },
      { text: '\nThen the file:\n' },
      { call: 'write_file', args: { path: 'a.txt', content: 'hi' } },
      { text: '\n\nI will report back.' },
    ],
  },
  {
    title: 'parameters that are not in the schema',
    input: xml('get_weather', [
      ['city', 'Lyon'],
      ['country', 'FR'],
      ['zoom', '12'],
      ['bbox', '[1, 2, 3, 4]'],
      ['flag', 'true'],
      ['words', '12 monkeys'],
    ]),
    expected: [
      { call: 'get_weather', args: { city: 'Lyon', country: 'FR', zoom: 12, bbox: [1, 2, 3, 4], flag: true, words: '12 monkeys' } },
    ],
  },
  {
    title: 'no tools given: schema-less conversion',
    tools: undefined,
    input: xml('get_weather', [
      ['city', 'Paris'],
      ['days', '3'],
      ['flags', '[1, 2]'],
      ['ok', 'true'],
      ['none', 'null'],
      ['q', '"quoted"'],
      ['py', 'True'],
      ['obj', '{"a": {"b": 1}}'],
      ['code', '{ not json }'],
    ]),
    expected: [
      {
        call: 'get_weather',
        args: { city: 'Paris', days: 3, flags: [1, 2], ok: true, none: null, q: '"quoted"', py: 'True', obj: { a: { b: 1 } }, code: '{ not json }' },
      },
    ],
  },
  {
    title: 'values without the newlines around them (Qwen3.5 style)',
    input: '<tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n<parameter=days>2</parameter>\n</function>\n</tool_call>',
    expected: [{ call: 'get_weather', args: { city: 'Paris', days: 2 } }],
    args: ['{"city": "Paris", "days": 2}'],
  },
  {
    title: 'only one newline is stripped at each end of a value',
    input: xml('write_file', [['content', '\n  indented\n\n']]),
    expected: [{ call: 'write_file', args: { content: '\n  indented\n\n' } }],
  },
  {
    title: 'closing tags inside a string value that are not followed by markup are content',
    input: xml('write_file', [['content', 'x = "</parameter>"\ny = ["</function>", "</tool_call>"]\n</parameter> done']]),
    expected: [{ call: 'write_file', args: { content: 'x = "</parameter>"\ny = ["</function>", "</tool_call>"]\n</parameter> done' } }],
  },
  {
    title: 'empty values',
    input: xml('configure', [
      ['note', ''],
      ['count', ''],
    ]).replace('<parameter=note>\n\n', '<parameter=note>\n'),
    expected: [{ call: 'configure', args: { note: '', count: '' } }],
  },
  {
    title: 'missing </function>: </tool_call> still closes the call',
    input: '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</tool_call>\nOK.',
    expected: [{ call: 'get_weather', args: { city: 'Paris' } }, { text: '\nOK.' }],
  },
  {
    title: 'missing </parameter> before </function>',
    input: '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</function>\n</tool_call>',
    expected: [{ call: 'get_weather', args: { city: 'Paris' } }],
  },
  {
    title: 'missing </tool_call> before more text',
    input: '<tool_call>\n<function=get_weather>\n<parameter=city>\nRome\n</parameter>\n</function>\nDone.',
    expected: [{ call: 'get_weather', args: { city: 'Rome' } }, { text: '\nDone.' }],
  },
  {
    title: 'two functions in one block',
    input:
      '<tool_call>\n<function=get_weather>\n<parameter=city>\nA\n</parameter>\n</function>\n' +
      '<function=get_weather>\n<parameter=city>\nB\n</parameter>\n</function>\n</tool_call>',
    expected: [
      { call: 'get_weather', args: { city: 'A' } },
      { call: 'get_weather', args: { city: 'B' } },
    ],
  },
  {
    title: 'plain text with < characters passes through',
    input: 'if a < b and <b>bold</b> or <tool or <func then </x> {"a": 1}',
    expected: [{ text: 'if a < b and <b>bold</b> or <tool or <func then </x> {"a": 1}' }],
  },
  {
    title: 'hermes-style JSON inside <tool_call> is not this format: released verbatim',
    input: 'Calling.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    expected: [{ text: 'Calling.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' }],
    malformed: true,
  },
  {
    title: 'a function name with a space is not a call',
    input: 'Try this:\n<tool_call>\n<function=my tool>\n</function>\n</tool_call>',
    expected: [{ text: 'Try this:\n<tool_call>\n<function=my tool>\n</function>\n</tool_call>' }],
    malformed: true,
  },
  {
    title: 'prose that mentions <function=…> outside a <tool_call> block is text',
    input: 'Qwen3-Coder writes <function=get_weather> and then <parameter=city>.\nThat is all.',
    expected: [{ text: 'Qwen3-Coder writes <function=get_weather> and then <parameter=city>.\nThat is all.' }],
    malformed: true,
  },
  {
    title: 'an unterminated function name is released at the end',
    input: 'Let me call it.\n<tool_call>\n<function=get_wea',
    expected: [{ text: 'Let me call it.\n<tool_call>\n<function=get_wea' }],
    malformed: true,
  },
  {
    title: 'a broken block, then a real call',
    input: '<tool_call>\noops</tool_call>\n' + xml('get_weather', [['city', 'Nice']]),
    expected: [{ text: '<tool_call>\noops</tool_call>\n' }, { call: 'get_weather', args: { city: 'Nice' } }],
    malformed: true,
  },
];

describe('qwen3_xml: transcripts', () => {
  for (const ex of EXAMPLES) {
    it(ex.title, () => {
      const tools = 'tools' in ex ? ex.tools : TOOLS;
      const items = parse(ex.input, tools, { allowMarkersInText: ex.malformed });
      expect(parsed(items)).toEqual(ex.expected);
      if (ex.args) {
        expect(items.flatMap((i) => ('call' in i ? [i.args] : []))).toEqual(ex.args);
      }
    });
  }

  it('random splits of every transcript give the same deltas', SLOW, () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.array(fc.nat(), { maxLength: 16 }), (ex, points) => {
        const m = make('tools' in ex ? ex.tools : TOOLS);
        const whole = merge(feed(m, [ex.input]));
        const split = feed(m, splitAt(ex.input, points));
        checkInvariants(split, { markers: MARKERS, allowMarkersInText: ex.malformed });
        expect(merge(split)).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('reasoning first (Qwen3.5 thinks), through the <think> splitter', () => {
    const input = '<think>\nThe user wants the weather. I will call get_weather.\n</think>\n\n' + xml('get_weather', [['city', 'Bern']]);
    const items = parseAll(() => new ThinkSplitter(createQwen3XmlParser({ tools: TOOLS })), input, {
      markers: [...MARKERS, '<think>', '</think>'],
      noAccounting: true,
    });
    expect(parsed(items)).toEqual([
      { reasoning: 'The user wants the weather. I will call get_weather.' },
      { call: 'get_weather', args: { city: 'Bern' } },
    ]);
  });

  it('whitespace-only output without calls is text; whitespace around calls is dropped', () => {
    expect(parse(' \n ')).toEqual([{ text: ' \n ' }]);
    expect(parse('\n\n' + xml('list_files', []) + '\n\n')).toEqual([{ call: 'list_files', args: '{}' }]);
  });

  it('a doubled </tool_call> after a call is text (it is not markup that may come next)', () => {
    const items = parse(xml('list_files', []) + '</tool_call>', TOOLS, { allowMarkersInText: true });
    expect(items).toEqual([{ call: 'list_files', args: '{}' }, { text: '</tool_call>' }]);
  });
});

describe('qwen3_xml: streaming', () => {
  const head = '<tool_call>\n<function=write_file>\n<parameter=content>\n';

  it('call_start as soon as the name is complete, with the opening brace', () => {
    const p = createQwen3XmlParser({ tools: TOOLS });
    expect(p.push('Ok.\n<tool_call>\n<function=write_fi')).toEqual([{ type: 'text', text: 'Ok.\n' }]);
    expect(p.push('le>')).toEqual([
      { type: 'call_start', name: 'write_file' },
      { type: 'call_args', text: '{' },
    ]);
  });

  it('string values stream as they arrive; the trailing newline waits for </parameter>', () => {
    const p = createQwen3XmlParser({ tools: TOOLS });
    const args = (ds: OutputDelta[]) => ds.map((d) => (d.type === 'call_args' ? d.text : `<${d.type}>`)).join('');
    expect(args(p.push(head + 'Hello "wor'))).toBe('<call_start>{"content": "Hello \\"wor');
    expect(args(p.push('ld"\n'))).toBe('ld\\"');
    expect(args(p.push('\n'))).toBe('\\n');
    expect(args(p.push('</parameter>'))).toBe(''); // (is it structural? wait for what follows)
    expect(args(p.push('\n<param'))).toBe(''); // (a parameter tag? wait for the rest)
    expect(args(p.push('eter=path>\na.txt\n</parameter>\n</function>'))).toBe('", "path": "a.txt"}<call_end>');
    expect(p.push('\n</tool_call>')).toEqual([]);
    expect(p.end()).toEqual([]);
  });

  it('typed values are emitted when complete', () => {
    const p = createQwen3XmlParser({ tools: TOOLS });
    p.push('<tool_call>\n<function=configure>\n');
    expect(p.push('<parameter=count>\n12')).toEqual([{ type: 'call_args', text: '"count": ' }]);
    expect(p.push('34\n')).toEqual([]);
    expect(p.push('</parameter>\n<')).toEqual([]);
    expect(p.push('/function>')).toEqual([{ type: 'call_args', text: '1234}' }, { type: 'call_end' }]);
  });

  it('schema-less values stream as soon as they cannot be JSON', () => {
    const p = createQwen3XmlParser();
    expect(p.push('<tool_call>\n<function=f>\n<parameter=a>\n')).toEqual([
      { type: 'call_start', name: 'f' },
      { type: 'call_args', text: '{"a": ' },
    ]);
    expect(p.push('tr')).toEqual([]);
    expect(p.push('ee')).toEqual([{ type: 'call_args', text: '"tree' }]);
  });

  it('text holds back only what can still become a marker', () => {
    const p = createQwen3XmlParser();
    expect(p.push('a <tool_ca')).toEqual([{ type: 'text', text: 'a ' }]);
    expect(p.push('t')).toEqual([{ type: 'text', text: '<tool_cat' }]);
    expect(p.push(' <func')).toEqual([{ type: 'text', text: ' <func' }]); // (only in a block)
    expect(p.push(' <tool_call')).toEqual([{ type: 'text', text: ' ' }]);
    expect(p.end()).toEqual([{ type: 'text', text: '<tool_call' }]);
  });

  it('truncated inside a value: the call stays open with a prefix of the arguments', () => {
    const input = xml('write_file', [
      ['path', 'a.txt'],
      ['content', 'line 1\nline 2'],
    ]);
    const full = summarize(feed(make(TOOLS), [input]))[0] as { args: string };
    const cut = input.slice(0, input.indexOf('line 2') + 4);
    const items = summarize(feed(make(TOOLS), chars(cut), true));
    expect(items).toEqual([{ call: 'write_file', args: '{"path": "a.txt", "content": "line 1\\nline', open: true }]);
    expect(full.args.startsWith((items[0] as { args: string }).args)).toBe(true);
  });

  it('the model stopping inside a call (not truncated) completes it', () => {
    const input = '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n4';
    expect(parsed(parse(input, TOOLS))).toEqual([{ call: 'get_weather', args: { city: 'Paris', days: 4 } }]);
    expect(parsed(parse('<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter', TOOLS))).toEqual([
      { call: 'get_weather', args: { city: 'Paris' } },
    ]);
    expect(parsed(parse('<tool_call>\n<function=get_weather>\n<parameter=ci', TOOLS))).toEqual([{ call: 'get_weather', args: {} }]);
  });
});

// --- generated calls ---------------------------------------------------------------------------

const MARKER_STEMS = /<\/?(tool_call|function|parameter)/;

/** Would a closing tag inside this value (rendered before `</parameter>`) look structural? */
const STRUCTURAL =
  /<\/parameter>\s*(<parameter=|<\/function>|<\/tool_call>|<tool_call>|<function=)|<\/function>\s*(<\/tool_call>|<tool_call>|<function=)|<\/tool_call>\s*(<tool_call>|<function=)/;

const valueFragment = fc.oneof(
  fc.constantFrom('<', '<b>', '</b>', 'a < b', '</parameter>', '</function>', '</tool_call>', '<parameter=x>', '<tool_call>'),
  fc.constantFrom('"', "'", '\\', '\\n', '\n', '\n\n', ' ', '\t', 'é', '😀', '中文', '{', '}', '[1]', 'null', 'None', '42', 'true'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const stringValue = fc
  .array(valueFragment, { maxLength: 6 })
  .map((a) => a.join(''))
  .filter((v) => !STRUCTURAL.test(v + '\n</parameter>'));

/** The documented schema-less rule. */
function schemaless(raw: string): unknown {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'string') return v;
  } catch {
    // a string
  }
  return raw;
}

function pyRepr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') {
    let out = "'";
    for (const ch of v) {
      const c = ch.charCodeAt(0);
      if (ch === '\\') out += '\\\\';
      else if (ch === "'") out += "\\'";
      else if (ch === '\n') out += '\\n';
      else if (c < 0x20) out += '\\x' + c.toString(16).padStart(2, '0');
      else out += ch;
    }
    return out + "'";
  }
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  return '{' + Object.entries(v as object).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
}

const jsonish = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

interface GenParam {
  /** The property schema; undefined: the parameter is not in the schema. */
  schema?: unknown;
  raw: string;
  expected: unknown;
}

const containerRender = (v: unknown) =>
  fc.constantFrom(JSON.stringify(v), JSON.stringify(v, null, 2), pyRepr(v));

const paramArb: fc.Arbitrary<GenParam> = fc.oneof(
  stringValue.map((v) => ({ schema: { type: 'string' }, raw: v, expected: v })),
  fc.tuple(fc.option(stringValue.filter((v) => !['null', 'none'].includes(v.trim().toLowerCase()))), fc.constantFrom('None', 'null')).chain(
    ([v, nullWord]) =>
      fc.constantFrom({ anyOf: [{ type: 'string' }, { type: 'null' }] }, { type: ['string', 'null'] }).map((schema) => ({
        schema,
        raw: v ?? nullWord,
        expected: v,
      })),
  ),
  fc.tuple(fc.integer(), fc.constantFrom('', ' ')).map(([n, pad]) => ({ schema: { type: 'integer' }, raw: pad + String(n) + pad, expected: n })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => !Object.is(x, -0))
    .map((x) => ({ schema: { type: 'number' }, raw: String(x), expected: x })),
  fc.tuple(fc.boolean(), fc.boolean()).map(([b, py]) => ({
    schema: { type: 'boolean' },
    raw: py ? (b ? 'True' : 'False') : String(b),
    expected: b,
  })),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).chain((v) =>
    containerRender(v).map((raw) => ({ schema: { type: 'array' }, raw, expected: jsonish(v) })),
  ),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).chain((v) =>
    containerRender(v).map((raw) => ({ schema: { type: 'object' }, raw, expected: jsonish(v) })),
  ),
  fc.oneof(stringValue, fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))).map((raw) => ({
    schema: undefined,
    raw,
    expected: schemaless(raw),
  })),
);

interface GenCall {
  name: string;
  markup: string;
  args: Record<string, unknown>;
  properties: Record<string, unknown>;
}

const callArb = (noSchema: boolean): fc.Arbitrary<Omit<GenCall, 'name'> & { base: string }> =>
  fc
    .record({
      base: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/),
      params: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), paramArb), {
        maxLength: 5,
        selector: ([k]) => k,
      }),
      // How the tags are laid out: Qwen3-Coder (newlines around values) or compact.
      compact: fc.boolean(),
      sep: fc.constantFrom('\n', ''),
    })
    .map(({ base, params, compact, sep }) => {
      const args: Record<string, unknown> = {};
      const properties: Record<string, unknown> = {};
      let body = '';
      for (const [key, p] of params) {
        const tight = compact && !p.raw.startsWith('\n') && !p.raw.endsWith('\n');
        body += tight ? `<parameter=${key}>${p.raw}</parameter>${sep}` : `<parameter=${key}>\n${p.raw}\n</parameter>${sep}`;
        args[key] = noSchema ? schemaless(p.raw) : p.expected;
        if (p.schema !== undefined) properties[key] = p.schema;
      }
      return { base, markup: `<tool_call>\n<function=${'\0'}>${sep}${body}</function>\n</tool_call>`, args, properties };
    });

const textArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('<', '<tool', '<tool_', '<func', '</', '</tool_', '<b>', '>', '{', '"', '\\', '\n', '\n\n', ' ', 'é', '😀', 'Hello.'),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 5 },
  )
  .map((a) => a.join(''))
  .filter((t) => !MARKER_STEMS.test(t));

interface Transcript {
  input: string;
  tools: Tool[];
  expected: Parsed[];
}

const transcriptArb = (noSchema: boolean): fc.Arbitrary<Transcript> =>
  fc.array(fc.oneof(textArb.map((text) => ({ text })), callArb(noSchema)), { maxLength: 5 }).map((segments) => {
    let input = '';
    const tools: Tool[] = [];
    const answer: Parsed[] = [];
    segments.forEach((s, k) => {
      const last = answer[answer.length - 1];
      if ('text' in s) {
        input += s.text;
        if (last !== undefined && 'text' in last) last.text += s.text;
        else answer.push({ text: s.text });
        return;
      }
      const name = `${s.base}_${k}`;
      input += s.markup.replace('\0', name);
      tools.push({ name, parameters: { type: 'object', properties: s.properties } });
      answer.push({ call: name, args: s.args });
    });
    const hasCall = answer.some((a) => 'call' in a);
    const expected = answer.filter((a) => !('text' in a) || !(a.text === '' || (hasCall && /^[ \t\n\r]*$/.test(a.text))));
    return { input, tools, expected };
  });

function checkChunkings(m: Make, input: string, points: number[]): OutputDelta[] {
  const whole = feed(m, [input]);
  const single = feed(m, chars(input));
  const random = feed(m, splitAt(input, points));
  for (const d of [whole, single, random]) checkInvariants(d, { markers: MARKERS });
  const merged = merge(whole);
  expect(merge(single)).toEqual(merged);
  expect(merge(random)).toEqual(merged);
  return merged;
}

describe('qwen3_xml: generated calls', () => {
  it('random schemas and values: every chunking gives the expected calls', SLOW, () => {
    fc.assert(
      fc.property(transcriptArb(false), fc.array(fc.nat(), { maxLength: 20 }), ({ input, tools, expected }, points) => {
        const merged = checkChunkings(make(tools), input, points);
        expect(parsed(summarize(merged))).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('no tools given: schema-less conversion of every value', SLOW, () => {
    fc.assert(
      fc.property(transcriptArb(true), fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected }, points) => {
        const merged = checkChunkings(make(undefined), input, points);
        expect(parsed(summarize(merged))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('cut anywhere (truncated): invariants hold and started calls agree with the full run', SLOW, () => {
    fc.assert(
      fc.property(transcriptArb(false), fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input, tools }, cutAt, points) => {
        const m = make(tools);
        const cut = input.slice(0, cutAt % (input.length + 1));
        const deltas = feed(m, splitAt(cut, points), true);
        checkInvariants(deltas, { markers: MARKERS, allowMarkersInText: true });
        const merged = merge(deltas);
        expect(merge(feed(m, [cut], true))).toEqual(merged);
        const full = summarize(feed(m, [input])).filter((i) => 'call' in i) as Array<{ call: string; args: string }>;
        const mine = summarize(merged).filter((i) => 'call' in i) as Array<{ call: string; args: string; open?: true }>;
        expect(mine.length).toBeLessThanOrEqual(full.length);
        mine.forEach((c, k) => {
          expect(c.call).toBe(full[k].call);
          if (c.open) expect(full[k].args.startsWith(c.args)).toBe(true);
          else expect(c.args).toBe(full[k].args);
        });
        // Not truncated, the model stopping anywhere still gives complete JSON arguments.
        for (const item of summarize(feed(m, splitAt(cut, points)))) {
          if ('call' in item) {
            expect(item.open).toBeUndefined();
            expect(() => JSON.parse(item.args)).not.toThrow();
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('every call ends checked (DeltaSink.callEnd), and its arguments are a JSON object: mangled, with and without schemas', SLOW, () => {
    const junk = fc.constantFrom('<', '>', '/', '\n', '"', '\\', '{', '}', '[', ']', ',', ':', "'", '1', '.', '-', 'e', 'x', 'true', 'None', '</parameter>', '<parameter=a>', '</function>');
    let calls = 0;
    fc.assert(
      fc.property(
        fc.boolean().chain((noSchema) => transcriptArb(noSchema)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), junk), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        ({ input, tools }, edits, points, truncated) => {
          let s = input;
          for (const [at, op, c] of edits) s = mutate(s, at, op, c);
          for (const call of recordCalls(new Qwen3XmlParser({ tools }), splitAt(s, points), truncated)) {
            calls++;
            expect(call.checked).toBe(true);
            expect(isJsonObject(call.args), call.args).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(calls).toBeGreaterThan(100);
  });

  it('any value under any schema type converts to JSON (checked arguments hold)', () => {
    const schemas = [undefined, 'string', 'integer', 'number', 'boolean', 'array', 'object', 'null', ['string', 'null'], ['integer', 'string']];
    const tricky = fc.oneof(
      fc.constantFrom('+1', '.5', '1.', '-.5e3', '1_000', '0x1F', '1e5', '1E+5', '-0', '01', '007', 'NaN', 'Infinity', '-Infinity', '1e999', '12345678901234567890'),
      fc.constantFrom('True', 'false', 'none', 'None', 'null', 'yes', '', ' ', '\n'),
      fc.constantFrom("{'a': 1}", '[1, 2', '{"a": }', '"[1]"', "('a', 2)", '[True, None]', "{'k': (1,)}", '"\\"', '"\ud800"', '[1e999]', '{1: 2}'),
      stringValue,
    );
    fc.assert(
      fc.property(fc.constantFrom(...schemas), tricky, fc.array(fc.nat(), { maxLength: 6 }), (type, raw, points) => {
        const tools = type === undefined ? undefined : [{ name: 'f', parameters: { type: 'object', properties: { p: { type } } } }];
        const input = `<tool_call>\n<function=f>\n<parameter=p>\n${raw}\n</parameter>\n</function>\n</tool_call>`;
        const calls = recordCalls(new Qwen3XmlParser({ tools }), splitAt(input, points));
        expect(calls).toHaveLength(1);
        expect(calls[0].checked).toBe(true);
        expect(isJsonObject(calls[0].args), `${JSON.stringify(type)} ${raw} → ${calls[0].args}`).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});

// --- prefill -----------------------------------------------------------------------------------

function prefilled(tools: Tools, prefill: string): { parser: ToolCallParser; pending: OutputDelta[] } {
  const parser = createQwen3XmlParser({ tools });
  return { parser, pending: prefillInto(parser, prefill) };
}

function run(parser: ToolCallParser, pending: OutputDelta[], chunks: string[]): OutputDelta[] {
  const out = [...pending];
  for (const c of chunks) out.push(...parser.push(c));
  out.push(...parser.end());
  return out;
}

describe('qwen3_xml: prefill and the format spec', () => {
  it('spec', () => {
    expect(QWEN3_XML_FORMAT.name).toBe('qwen3_xml');
    expect(QWEN3_XML_FORMAT.requiredPrefill).toBe('<tool_call>\n<function=');
    expect(QWEN3_XML_FORMAT.namedPrefill?.('get_weather')).toBe('<tool_call>\n<function=get_weather>\n');
  });

  it('template markers: Qwen3-Coder templates match, hermes templates do not', () => {
    const matches = (t: string) => QWEN3_XML_FORMAT.templateMarkers.some((ms) => ms.every((m) => t.includes(m)));
    const coder =
      "{%- for tool_call in message.tool_calls %}{{- '\\n<tool_call>\\n<function=' + tool_call.name + '>\\n' }}" +
      "{%- for args_name, args_value in tool_call.arguments|items %}{{- '<parameter=' + args_name + '>\\n' }}" +
      "{{- args_value }}{{- '\\n</parameter>\\n' }}{%- endfor %}{{- '</function>\\n</tool_call>' }}{%- endfor %}";
    const hermes =
      "{%- for tool_call in message.tool_calls %}{{- '<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}" +
      "{{- '\", \"arguments\": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}{%- endfor %}";
    expect(matches(coder)).toBe(true);
    expect(matches(hermes)).toBe(false);
  });

  it('tool_choice required: the prefilled opener, then the model writes the name', () => {
    const prefill = QWEN3_XML_FORMAT.requiredPrefill!;
    const full = prefill + 'get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>';
    const { parser, pending } = prefilled(TOOLS, prefill);
    expect(pending).toEqual([]);
    const rest = full.slice(prefill.length);
    const out = merge(run(parser, pending, chars(rest)));
    expect(out).toEqual(merge(feed(make(TOOLS), [full])));
    expect(parsed(summarize(out))).toEqual([{ call: 'get_weather', args: { city: 'Paris' } }]);
  });

  it('tool_choice required, but the model writes no name: its text only, never the prefill', () => {
    const { parser, pending } = prefilled(TOOLS, QWEN3_XML_FORMAT.requiredPrefill!);
    expect(merge(run(parser, pending, ['I cannot', ' do that.']))).toEqual([{ type: 'text', text: 'I cannot do that.' }]);
  });

  it('named tool_choice: the call starts from the prefill', () => {
    const prefill = QWEN3_XML_FORMAT.namedPrefill!('get_weather');
    const { parser, pending } = prefilled(TOOLS, prefill);
    expect(pending).toEqual([
      { type: 'call_start', name: 'get_weather' },
      { type: 'call_args', text: '{' },
    ]);
    const out = run(parser, pending, ['<parameter=city>\nOs', 'lo\n</parameter>\n<parameter=days>\n2\n</parameter>\n</function>\n</tool_call>']);
    checkInvariants(out, { markers: MARKERS });
    expect(parsed(summarize(out))).toEqual([{ call: 'get_weather', args: { city: 'Oslo', days: 2 } }]);
  });

  it('prefill cut anywhere: same non-text deltas; the text is the full text minus prefill text', SLOW, () => {
    fc.assert(
      fc.property(transcriptArb(false), fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input, tools }, cutAt, points) => {
        const k = cutAt % (input.length + 1);
        const { parser, pending } = prefilled(tools, input.slice(0, k));
        const mine = run(parser, pending, splitAt(input.slice(k), points));
        checkInvariants(mine, { markers: MARKERS });
        const full = merge(feed(make(tools), [input]));
        const nonText = (ds: OutputDelta[]) => merge(ds.filter((d) => d.type !== 'text'));
        expect(nonText(mine)).toEqual(nonText(full));
        const text = (ds: OutputDelta[]) => ds.flatMap((d) => (d.type === 'text' ? [d.text] : [])).join('');
        expect(text(full).endsWith(text(mine))).toBe(true);
        expect(text(full).length - text(mine).length).toBeLessThanOrEqual(k);
      }),
      { numRuns: 400 },
    );
  });
});

describe('qwen3_xml: Python literals', () => {
  it('converts the literals models write', () => {
    expect(parsePythonLiteral("{'a': 1, 'b': [True, False, None], 'c': (1,), 'd': {}, 'e': 'x\\'y', 1: 2}")).toEqual({
      a: 1,
      b: [true, false, null],
      c: [1],
      d: {},
      e: "x'y",
      '1': 2,
    });
    expect(parsePythonLiteral('[1_000, -2.5e3, "\\u00e9\\x41\\n"]')).toEqual([1000, -2500, 'éA\n']);
    expect(parsePythonLiteral('[1, 2,]')).toEqual([1, 2]);
  });

  it('rejects what is not a literal', () => {
    for (const s of ['', 'abc', '{1, 2}', '[1, 2', "{'a' 1}", 'Truex', 'os.system("x")', "'unterminated"]) {
      expect(parsePythonLiteral(s)).toBeUndefined();
    }
  });
});
