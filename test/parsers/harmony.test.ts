/**
 * The harmony format (gpt-oss) on transcripts written the way gpt-oss writes them (the prompt ends with
 * `<|start|>assistant`, so the output starts inside the first header). Every transcript is parsed
 * whole, one code unit at a time, at fixed splits (`parseAll`) and at random splits (fast-check); all
 * must agree, keep the invariants, never put a special token (or a piece of one) or header text in a
 * text/reasoning delta, and account for all of the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HARMONY_FORMAT,
  HARMONY_TOKENS,
  HarmonyParser,
  createHarmonyParser,
  harmonyCallName,
  parseHarmonyHeader,
} from '../../src/parsers/harmony.ts';
import { prefillInto } from '../../src/parsers/scanner.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import {
  type Item,
  accountFor,
  chars,
  checkInvariants,
  feed,
  merge,
  parseAll,
  splitAt,
  summarize,
} from './harness.ts';

const MARKERS: readonly string[] = HARMONY_TOKENS;
const harmony = () => createHarmonyParser();

/** Header words that may sit between the pieces of the output (for the "nothing lost" check). */
function headerWords(input: string): string[] {
  const recipients = input.match(/to=[^\s<]+/g) ?? [];
  return ['assistant', 'analysis', 'commentary', 'final', 'json', 'code', ...recipients];
}

/**
 * No special token, and no piece of one, in a text or reasoning delta (for transcripts whose bodies
 * hold no `<|`, `|` or `>`: a delta starting with `|` or ending in `<` would be a split token).
 */
function checkNoTokenPieces(deltas: readonly OutputDelta[]): void {
  for (const d of deltas) {
    if (d.type !== 'text' && d.type !== 'reasoning') continue;
    if (d.text.includes('<|') || d.text.includes('|>')) throw new Error(`token piece in ${JSON.stringify(d)}`);
    if (d.text.endsWith('<') || d.text.startsWith('|')) throw new Error(`token piece in ${JSON.stringify(d)}`);
  }
}

interface Opts {
  truncated?: boolean;
  prefill?: string;
  /** The bodies hold `<|` / `|>` on purpose: skip the token-piece check. */
  literalPieces?: boolean;
  /** Skip the "nothing lost" check (prefill text is never output, by design). */
  noAccounting?: boolean;
}

/** parseAll with the harmony markers, plus the token-piece check on reasoning too. */
function parse(input: string, opts: Opts = {}): Item[] {
  const make = opts.prefill === undefined ? harmony : withPrefill(opts.prefill);
  const items = parseAll(make, input, {
    markers: MARKERS,
    extra: headerWords((opts.prefill ?? '') + input),
    truncated: opts.truncated,
    prefill: opts.prefill,
    allowMarkersInText: opts.literalPieces,
    noAccounting: opts.noAccounting,
  });
  if (!opts.literalPieces) {
    for (const chunks of [[input], chars(input), splitAt(input, [2, 9, 13, 21, 40])]) {
      checkNoTokenPieces(feed(make, chunks, opts.truncated));
    }
  }
  return items;
}

/** A parser that has read `prefill`; the deltas it implies come out of the first push/end. */
function withPrefill(prefill: string) {
  return () => {
    const p = new HarmonyParser();
    let pending: OutputDelta[] | null = prefillInto(p, prefill);
    const take = (ds: OutputDelta[]) => {
      if (pending === null) return ds;
      const all = [...pending, ...ds];
      pending = null;
      return all;
    };
    return { push: (t: string) => take(p.push(t)), end: (tr?: boolean) => take(p.end(tr)) };
  };
}

/**
 * "Nothing lost" without merging the text of separate messages (a preamble and a final answer are
 * both text): feed the input in pieces that start at each `<|`, and keep the deltas of different
 * pushes apart, so each piece of output is looked up on its own.
 */
function accountApart(input: string, truncated: boolean, extra: readonly string[]): string | null {
  const cuts: number[] = [];
  for (let k = input.indexOf('<|'); k >= 0; k = input.indexOf('<|', k + 1)) cuts.push(k);
  const p = harmony();
  const apart: OutputDelta[] = [];
  const add = (ds: OutputDelta[]) => {
    apart.push(...ds);
    apart.push({ type: 'call_end' }); // a barrier: merge() does not join across it; it is no piece
  };
  for (const c of splitAt(input, cuts)) add(p.push(c));
  add(p.end(truncated));
  return accountFor(input, apart, { markers: MARKERS, extra, cutMarkers: truncated });
}

function validJson(items: Item[]): void {
  for (const it of items) if ('call' in it && it.args !== '') expect(() => JSON.parse(it.args)).not.toThrow();
}

// --- transcripts -------------------------------------------------------------------------------

const ANALYSIS_FINAL =
  '<|channel|>analysis<|message|>User asks: "What is 2 + 2?" Simple arithmetic. Provide answer.<|end|>' +
  '<|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>';

const ANALYSIS_CALL =
  '<|channel|>analysis<|message|>Need to use function get_weather.<|end|>' +
  '<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"location":"San Francisco"}<|call|>';

const TWO_CALLS =
  '<|channel|>analysis<|message|>The user wants the weather in Paris and in Tokyo. Call get_weather twice.<|end|>' +
  '<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"location":"Paris, France","unit":"celsius"}<|call|>' +
  '<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"location":"Tokyo, Japan","unit":"celsius"}<|call|>';

const EMPTY_ARGS =
  '<|channel|>analysis<|message|>We need the user location. Use get_location.<|end|>' +
  '<|start|>assistant<|channel|>commentary to=functions.get_location <|constrain|>json<|message|>{}<|call|>';

const UNICODE_ARGS_JSON = '{"query":"café \\"Le Procope\\" 東京 😀 \\u00e9","path":"C:\\\\tmp\\\\x","html":"<b>a</b> < c <| d"}';
const UNICODE_ARGS =
  '<|channel|>analysis<|message|>Search for the café; quotes must be escaped: \\"x\\". 東京 😀<|end|>' +
  `<|start|>assistant<|channel|>commentary to=functions.search <|constrain|>json<|message|>${UNICODE_ARGS_JSON}<|call|>`;

const RECIPIENT_FIRST =
  '<|channel|>analysis<|message|>Need weather.<|end|>' +
  '<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{"location":"Paris"}<|call|>';

const PREAMBLE =
  '<|channel|>analysis<|message|>Plan: write index.html first, then the server.<|end|>' +
  '<|start|>assistant<|channel|>commentary<|message|>**Action plan**:\n1. Generate an HTML file\n2. Generate a JavaScript for the Node.js server\n3. Start the server\n---\nWill start executing the plan step by step<|end|>' +
  '<|start|>assistant<|channel|>commentary to=functions.generate_file<|constrain|>json<|message|>{"template": "basic_html", "path": "index.html"}<|call|>';

describe('harmony: transcripts', () => {
  it('analysis then final', () => {
    expect(parse(ANALYSIS_FINAL)).toEqual([
      { reasoning: 'User asks: "What is 2 + 2?" Simple arithmetic. Provide answer.' },
      { text: '2 + 2 = 4.' },
    ]);
  });

  it('analysis then a call', () => {
    const items = parse(ANALYSIS_CALL);
    expect(items).toEqual([
      { reasoning: 'Need to use function get_weather.' },
      { call: 'get_weather', args: '{"location":"San Francisco"}' },
    ]);
    validJson(items);
  });

  it('two calls in a row', () => {
    const items = parse(TWO_CALLS);
    expect(items).toEqual([
      { reasoning: 'The user wants the weather in Paris and in Tokyo. Call get_weather twice.' },
      { call: 'get_weather', args: '{"location":"Paris, France","unit":"celsius"}' },
      { call: 'get_weather', args: '{"location":"Tokyo, Japan","unit":"celsius"}' },
    ]);
    validJson(items);
  });

  it('a call with {}', () => {
    expect(parse(EMPTY_ARGS)).toEqual([
      { reasoning: 'We need the user location. Use get_location.' },
      { call: 'get_location', args: '{}' },
    ]);
  });

  it('unicode, escaped quotes and `<` in the arguments: exact bytes', () => {
    const items = parse(UNICODE_ARGS, { literalPieces: true });
    expect(items).toEqual([
      { reasoning: 'Search for the café; quotes must be escaped: \\"x\\". 東京 😀' },
      { call: 'search', args: UNICODE_ARGS_JSON },
    ]);
    validJson(items);
    expect(JSON.parse((items[1] as { args: string }).args).query).toBe('café "Le Procope" 東京 😀 é');
  });

  it('the recipient before the channel, with ` json`', () => {
    expect(parse(RECIPIENT_FIRST)).toEqual([
      { reasoning: 'Need weather.' },
      { call: 'get_weather', args: '{"location":"Paris"}' },
    ]);
    // ... also right at the output start (the prompt wrote `<|start|>assistant`).
    expect(parse(' to=functions.get_weather<|channel|>commentary json<|message|>{"location":"Paris"}<|call|>')).toEqual([
      { call: 'get_weather', args: '{"location":"Paris"}' },
    ]);
    expect(parse(' to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{}<|call|>')).toEqual([
      { call: 'get_weather', args: '{}' },
    ]);
  });

  it('header variants: no content type, no space before <|constrain|>', () => {
    expect(parse('<|channel|>commentary to=functions.ping<|message|>{}<|call|>')).toEqual([{ call: 'ping', args: '{}' }]);
    expect(parse('<|channel|>commentary to=functions.ping<|constrain|>json<|message|>{}<|call|>')).toEqual([
      { call: 'ping', args: '{}' },
    ]);
  });

  it('a preamble on the commentary channel, then a call', () => {
    expect(parse(PREAMBLE)).toEqual([
      { reasoning: 'Plan: write index.html first, then the server.' },
      {
        text: '**Action plan**:\n1. Generate an HTML file\n2. Generate a JavaScript for the Node.js server\n3. Start the server\n---\nWill start executing the plan step by step',
      },
      { call: 'generate_file', args: '{"template": "basic_html", "path": "index.html"}' },
    ]);
  });

  it('a final answer right away', () => {
    expect(parse('<|channel|>final<|message|>Hello! How can I help?<|return|>')).toEqual([
      { text: 'Hello! How can I help?' },
    ]);
  });

  it('no harmony framing at all: text', () => {
    for (const t of [
      'Hello! How can I help you today?',
      'assistant is a word too',
      'to be or not to be',
      'to=do: buy milk',
      'a',
      '  \n  indented',
      '{"location": "Paris"}',
    ]) {
      expect(parse(t), t).toEqual([{ text: t }]);
    }
    // `<` and pieces of tokens that are not tokens are text
    expect(parse('a < b, <b>bold</b>, x <| y |> z <|unknown|>', { literalPieces: true })).toEqual([
      { text: 'a < b, <b>bold</b>, x <| y |> z <|unknown|>' },
    ]);
  });

  it('plain text, then harmony framing', () => {
    // (text of separate messages merges: checked for loss with the messages kept apart)
    const t = 'Sure.<|channel|>final<|message|>Done.<|return|>';
    expect(parse(t, { noAccounting: true })).toEqual([{ text: 'Sure.Done.' }]);
    expect(accountApart(t, false, headerWords(t))).toBeNull();
    expect(parse('I will call it.<|start|>assistant<|channel|>commentary to=functions.f<|message|>{}<|call|>')).toEqual([
      { text: 'I will call it.' },
      { call: 'f', args: '{}' },
    ]);
  });

  it('newlines between messages (as rendered in the docs) are dropped', () => {
    expect(parse('<|channel|>analysis<|message|>Think.<|end|>\n<|start|>assistant<|channel|>final<|message|>Done.<|return|>\n')).toEqual([
      { reasoning: 'Think.' },
      { text: 'Done.' },
    ]);
  });

  it('built-in tools (other recipients) are calls named by the whole recipient', () => {
    expect(
      parse(
        '<|channel|>analysis<|message|>Search the web.<|end|>' +
          '<|start|>assistant<|channel|>analysis to=browser.search code<|message|>{"query":"gpt-oss","topn":3}<|call|>',
      ),
    ).toEqual([{ reasoning: 'Search the web.' }, { call: 'browser.search', args: '{"query":"gpt-oss","topn":3}' }]);
    expect(parse('<|channel|>analysis to=python code<|message|>print(2 + 2)<|call|>')).toEqual([
      { call: 'python', args: 'print(2 + 2)' },
    ]);
  });

  it('lenient: a left-out end token, stray tokens in a body, a header cut off by an end token', () => {
    const want = [{ reasoning: 'Think.' }, { text: 'Done.' }];
    expect(parse('<|channel|>analysis<|message|>Think.<|start|>assistant<|channel|>final<|message|>Done.')).toEqual(want);
    expect(parse('<|channel|>analysis<|message|>Think.<|channel|>final<|message|>Done.')).toEqual(want);
    const stray = '<|channel|>analysis<|message|>Thi<|message|>nk.<|constrain|><|end|><|start|>assistant<|channel|>final<|message|>Done.';
    expect(parse(stray, { noAccounting: true })).toEqual(want);
    expect(accountApart(stray, false, headerWords(stray))).toBeNull();
    expect(parse('<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|end|><|start|>assistant<|channel|>final<|message|>Done.')).toEqual(want);
    // A call whose end token was left out is closed by the next message.
    expect(parse('<|channel|>commentary to=functions.f<|message|>{}<|start|>assistant<|channel|>final<|message|>Done.')).toEqual([
      { call: 'f', args: '{}' },
      { text: 'Done.' },
    ]);
  });

  it('a header with a recipient ended by <|call|> is a call without arguments', () => {
    expect(parse('<|channel|>commentary to=functions.get_time<|call|>')).toEqual([{ call: 'get_time', args: '' }]);
  });
});

describe('harmony: end of output', () => {
  it('the end token may be left out (the engine stopped on it)', () => {
    expect(parse('<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>Done.')).toEqual([
      { reasoning: 'Think.' },
      { text: 'Done.' },
    ]);
    // A call body at a normal end is complete ...
    expect(parse('<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a":1}')).toEqual([
      { call: 'f', args: '{"a":1}' },
    ]);
    // ... cut by the token limit it stays open.
    expect(parse('<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a":', { truncated: true })).toEqual([
      { call: 'f', args: '{"a":', open: true },
    ]);
  });

  it('an unfinished header is dropped', () => {
    expect(parse('<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>commentary to=functions.get_we', { truncated: true })).toEqual([
      { reasoning: 'Think.' },
    ]);
    expect(parse('<|channel|>analy', { truncated: true })).toEqual([]);
    expect(parse('<|chan', { truncated: true })).toEqual([]);
  });

  it('a cut-off token at the end goes where it was headed', () => {
    expect(parse('<|channel|>analysis<|message|>Think.<|en', { truncated: true, literalPieces: true })).toEqual([
      { reasoning: 'Think.<|en' },
    ]);
    expect(parse('<|channel|>final<|message|>a <', { truncated: true, literalPieces: true })).toEqual([{ text: 'a <' }]);
    expect(parse('<|channel|>commentary to=functions.f<|message|>{"a":"<|ca', { truncated: true, literalPieces: true })).toEqual([
      { call: 'f', args: '{"a":"<|ca', open: true },
    ]);
  });

  it('held text that could have been a header is released as text', () => {
    expect(parse('assist')).toEqual([{ text: 'assist' }]);
    expect(parse(' to=functions.f')).toEqual([{ text: ' to=functions.f' }]);
    expect(parse('<|channel|>final<|message|>Done.<|end|>\n\n')).toEqual([{ text: 'Done.' }]);
  });

  it('an overlong header is released as text, without its tokens', () => {
    const junk = 'x'.repeat(1100);
    const items = parse(`<|channel|>final ${junk}`);
    expect(items).toEqual([{ text: `final ${junk}` }]);
  });
});

describe('harmony: inReasoning', () => {
  it('is true inside an analysis body only', () => {
    const p = new HarmonyParser();
    const seen: boolean[] = [];
    for (const piece of ['<|channel|>', 'analysis', '<|message|>', 'Think', '.', '<|end|>', '<|start|>', 'assistant', '<|channel|>', 'final', '<|message|>', 'Hi', '<|return|>']) {
      p.push(piece);
      seen.push(p.inReasoning);
    }
    expect(seen).toEqual([false, false, true, true, true, false, false, false, false, false, false, false, false]);
    p.end();
    expect(p.inReasoning).toBe(false);
  });
});

describe('harmony: prefill', () => {
  it('the spec', () => {
    expect(HARMONY_FORMAT.name).toBe('harmony');
    expect(HARMONY_FORMAT.ownsReasoning).toBe(true);
    expect(HARMONY_FORMAT.requiredPrefill).toBe('<|channel|>commentary to=functions.');
    expect(HARMONY_FORMAT.namedPrefill!('get_weather')).toBe(
      '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>',
    );
    expect(HARMONY_FORMAT.templateMarkers).toEqual([['<|channel|>', '<|message|>']]);
    const p = HARMONY_FORMAT.create({});
    expect(typeof (p as HarmonyParser).prefill).toBe('function');
    expect((p as HarmonyParser).inReasoning).toBe(false);
  });

  it('required: the model writes the name and the arguments', () => {
    const prefill = HARMONY_FORMAT.requiredPrefill!;
    expect(parse('get_weather <|constrain|>json<|message|>{"location":"Paris"}<|call|>', { prefill })).toEqual([
      { call: 'get_weather', args: '{"location":"Paris"}' },
    ]);
    // the prefill itself emits nothing
    expect(prefillInto(new HarmonyParser(), prefill)).toEqual([]);
  });

  it('named: call_start comes from the prefill, the model writes the arguments', () => {
    const prefill = HARMONY_FORMAT.namedPrefill!('get_weather');
    expect(prefillInto(new HarmonyParser(), prefill)).toEqual([{ type: 'call_start', name: 'get_weather' }]);
    expect(parse('{"location":"Paris"}<|call|>', { prefill })).toEqual([{ call: 'get_weather', args: '{"location":"Paris"}' }]);
    expect(parse('{"location":"Paris"}', { prefill })).toEqual([{ call: 'get_weather', args: '{"location":"Paris"}' }]);
  });

  it('prefill text never comes out as text', () => {
    expect(parse('Hi there', { prefill: '<|channel|>final<|message|>' })).toEqual([{ text: 'Hi there' }]);
    expect(parse('Think more.<|end|><|start|>assistant<|channel|>final<|message|>Ok', { prefill: '<|channel|>analysis<|message|>' })).toEqual([
      { reasoning: 'Think more.' },
      { text: 'Ok' },
    ]);
    // Held prefill text (a possible header) is not released as text later.
    expect(parse('nd more', { prefill: 'a', noAccounting: true })).toEqual([{ text: 'nd more' }]);
    expect(parse('lo', { prefill: 'Hel', noAccounting: true })).toEqual([{ text: 'lo' }]);
    // A prefill ending inside a body held back in a partial token.
    expect(parse('b|> c', { prefill: '<|channel|>final<|message|>x <|', literalPieces: true, noAccounting: true })).toEqual([{ text: 'b|> c' }]);
  });
});

describe('harmony: header parsing', () => {
  it('channel, recipient, content type', () => {
    expect(parseHarmonyHeader('assistant<|channel|>commentary to=functions.f <|constrain|>json')).toEqual({
      channel: 'commentary',
      recipient: 'functions.f',
    });
    expect(parseHarmonyHeader(' to=functions.f<|channel|>commentary json')).toEqual({ channel: 'commentary', recipient: 'functions.f' });
    expect(parseHarmonyHeader('<|channel|>final')).toEqual({ channel: 'final', recipient: '' });
    expect(parseHarmonyHeader('<|channel|>commentary<|constrain|>json')).toEqual({ channel: 'commentary', recipient: '' });
    expect(parseHarmonyHeader('assistant')).toEqual({ channel: '', recipient: '' });
    expect(harmonyCallName('functions.get_weather')).toBe('get_weather');
    expect(harmonyCallName('browser.search')).toBe('browser.search');
    expect(harmonyCallName('functions.')).toBe('functions.');
  });
});

// --- properties --------------------------------------------------------------------------------

const TRANSCRIPTS = [ANALYSIS_FINAL, ANALYSIS_CALL, TWO_CALLS, EMPTY_ARGS, UNICODE_ARGS, RECIPIENT_FIRST, PREAMBLE];

/** Body text: stresses `<`, `|`, `>` and unicode, never holding `<|`, starting with `|` or ending with `<`. */
const bodyArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('<', '|', '>', '<b>', '|>', '< |', 'a<b', '\n', ' ', 'é', '😀', '中文', 'Paris', 'end', 'channel'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 6 },
  )
  .map((a) => a.join(''))
  .filter((t) => !t.includes('<|') && !t.startsWith('|') && !t.endsWith('<'));

const argsArb = fc
  .oneof(
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map((o) => JSON.stringify(o)),
    fc.constantFrom('{}', '{"q":"<b>a</b> < c"}', '{"s":"a\\"b\\\\","u":"\\u00e9😀"}', '{\n  "x": [1, 2]\n}'),
  )
  .filter((t) => !t.includes('<|'));

type Msg =
  | { kind: 'analysis' | 'final' | 'preamble'; body: string }
  | { kind: 'call'; name: string; args: string; header: number }
  | { kind: 'python'; args: string };

const msgArb: fc.Arbitrary<Msg> = fc.oneof(
  fc.record({ kind: fc.constantFrom('analysis' as const, 'final' as const, 'preamble' as const), body: bodyArb }),
  fc.record({
    kind: fc.constant('call' as const),
    name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
    args: argsArb,
    header: fc.nat({ max: 4 }),
  }),
  fc.record({ kind: fc.constant('python' as const), args: fc.constantFrom('print(1 < 2)', 'import os\nos.listdir(".")') }),
);

/** The text gpt-oss writes for `msgs` (the first header continues the prompt's `<|start|>assistant`). */
function render(msgs: readonly Msg[], sep: string, lastEnd: boolean): { input: string; expected: OutputDelta[] } {
  let input = '';
  const expected: OutputDelta[] = [];
  msgs.forEach((m, k) => {
    const last = k === msgs.length - 1;
    if (k > 0) input += sep + '<|start|>assistant';
    let end: string;
    switch (m.kind) {
      case 'call': {
        const to = `to=functions.${m.name}`;
        input += [
          `<|channel|>commentary ${to} <|constrain|>json<|message|>`,
          `<|channel|>commentary ${to}<|constrain|>json<|message|>`,
          `<|channel|>commentary ${to} json<|message|>`,
          `<|channel|>commentary ${to}<|message|>`,
          ` ${to}<|channel|>commentary json<|message|>`,
        ][m.header];
        input += m.args;
        end = '<|call|>';
        expected.push({ type: 'call_start', name: m.name }, { type: 'call_args', text: m.args }, { type: 'call_end' });
        break;
      }
      case 'python':
        input += '<|channel|>analysis to=python code<|message|>' + m.args;
        end = '<|call|>';
        expected.push({ type: 'call_start', name: 'python' }, { type: 'call_args', text: m.args }, { type: 'call_end' });
        break;
      default: {
        const channel = m.kind === 'analysis' ? 'analysis' : m.kind === 'final' ? 'final' : 'commentary';
        input += `<|channel|>${channel}<|message|>` + m.body;
        end = m.kind === 'final' ? '<|return|>' : '<|end|>';
        if (m.body !== '') expected.push({ type: m.kind === 'analysis' ? 'reasoning' : 'text', text: m.body });
      }
    }
    if (!last || lastEnd) input += end;
  });
  return { input, expected: expected.filter((d) => !('text' in d) || d.text !== '') };
}

const NUM_RUNS = 300;

describe('harmony: properties', () => {
  it('the transcripts at random splits give the same merged deltas', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRANSCRIPTS), fc.array(fc.nat(), { maxLength: 30 }), (t, cuts) => {
        const whole = merge(feed(harmony, [t]));
        const deltas = feed(harmony, splitAt(t, cuts));
        checkInvariants(deltas, { markers: MARKERS, allowMarkersInText: t === UNICODE_ARGS });
        if (t !== UNICODE_ARGS) checkNoTokenPieces(deltas);
        expect(merge(deltas)).toEqual(whole);
        for (const it of summarize(deltas)) if ('call' in it) expect(() => JSON.parse(it.args)).not.toThrow();
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('generated conversations: expected items, exact argument bytes, no token pieces', () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('', '', '\n'),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 40 }),
        (msgs, sep, lastEnd, cuts) => {
          const { input, expected } = render(msgs, sep, lastEnd);
          // The merged items are exactly the bodies: no token piece or header text got in.
          const want = summarize(expected);
          for (const chunks of [[input], splitAt(input, cuts), chars(input)]) {
            const deltas = feed(harmony, chunks);
            checkInvariants(deltas, { markers: MARKERS });
            expect(summarize(deltas)).toEqual(want);
          }
          for (const it of want) if ('call' in it && it.call !== 'python') expect(() => JSON.parse(it.args)).not.toThrow();
          expect(accountApart(input, false, headerWords(input))).toBeNull();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('truncated anywhere: invariants hold, chunkings agree, nothing lost', () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (msgs, at, cuts) => {
          const full = render(msgs, '', true).input;
          const input = full.slice(0, at % (full.length + 1));
          const whole = feed(harmony, [input], true);
          checkInvariants(whole, { markers: MARKERS, allowMarkersInText: true });
          for (const chunks of [splitAt(input, cuts), chars(input)]) {
            expect(merge(feed(harmony, chunks, true))).toEqual(merge(whole));
          }
          expect(accountApart(input, true, headerWords(full))).toBeNull();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('prefill + continuation at random splits equals the prefill pushed as output (minus its text)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRANSCRIPTS.filter((t) => t !== UNICODE_ARGS)),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (t, at, cuts) => {
          const k = at % (t.length + 1);
          const prefill = t.slice(0, k);
          const rest = t.slice(k);
          const whole = summarize(feed(harmony, [t])).filter((it) => !('text' in it));
          const got = summarize(feed(withPrefill(prefill), splitAt(rest, cuts))).filter((it) => !('text' in it));
          // Reasoning, calls and arguments implied by the prefill still come out.
          expect(got).toEqual(whole);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
