/**
 * Property tests: for hand-written and generated transcripts (random text, reasoning and calls with
 * random JSON arguments), feeding the whole text, one code unit at a time, or at random split points
 * gives the same merged deltas; those are the expected items; argument strings are the exact source
 * bytes and parse as JSON; no text delta holds (a split of) a marker; and the output accounts for
 * all of the input. Truncating anywhere keeps the invariants and loses nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutputDelta } from '../../src/parsers/types.ts';
import {
  type Item,
  type Make,
  accountFor,
  chars,
  checkInvariants,
  feed,
  merge,
  output,
  splitAt,
  summarize,
} from './harness.ts';

const MARKER_STEMS = /<\/?tool_call|<\/?think/;

// --- generators ------------------------------------------------------------------------------

/** Text fragments that stress the held-back rule, joined; never containing a marker stem. */
const fragment = fc.oneof(
  fc.constantFrom('<', '<tool', '<tool_', '<tool_cal', '</', '</tool_', '<thin', '</thi', '<b>', '>', '{', '}', '[', '"', '\\'),
  fc.constantFrom('\n', '\n\n', ' ', '\t', 'é', '😀', '中文', 'a', 'Hello, world.', '```json\n{"x": 1}\n```'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const textArb = fc
  .array(fragment, { maxLength: 6 })
  .map((a) => a.join(''))
  .filter((t) => !MARKER_STEMS.test(t));

/** JSON text of an object, formatted compactly, with spaces, or pretty-printed. */
const jsonObjectText = fc.oneof(
  fc
    .tuple(
      fc.dictionary(
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('</tool_call>', '<tool_call>', '}', '{', '"', '\\', '</think>')),
        { maxKeys: 5 },
      ),
      fc.constantFrom<number | string>(0, 2, '\t'),
    )
    .map(([o, indent]) => JSON.stringify(o, null, indent)),
  fc.json({ maxDepth: 3 }).filter((s) => s.startsWith('{')),
  fc.constantFrom('{}', '{ }', '{"a": {"b": [1, {"c": "]}"}]}}', '{"s": "a\\"b\\\\"}'),
);

interface GenCall {
  name: string;
  /** What the arguments key holds in the markup ('' = no arguments key). */
  argsMarkup: string;
  /** The expected argument text. */
  args: string;
  markup: string;
}

const EXTRA_TOKENS = ['"id"', '"call_0"', '"type"', '"function"', '"meta"', '"k"', '"}"', '0', '1', 'true'];

const callArb: fc.Arbitrary<GenCall> = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/),
    args: fc.oneof(
      { weight: 6, arbitrary: jsonObjectText.map((j) => ({ markup: j, args: j })) },
      { weight: 1, arbitrary: jsonObjectText.map((j) => ({ markup: JSON.stringify(j), args: j })) },
      { weight: 1, arbitrary: fc.constant({ markup: 'null', args: '' }) },
      { weight: 1, arbitrary: fc.constant({ markup: '', args: '' }) },
    ),
    key: fc.constantFrom('arguments', 'parameters'),
    argsFirst: fc.boolean(),
    extra: fc.constantFrom('', '"id": "call_0"', '"type": "function"', '"meta": {"k": [0, "}"], "type": true}'),
    ws: fc.constantFrom(['\n', '\n'], ['', ''], [' ', ' '], ['\n  ', '\n  ']),
    colon: fc.constantFrom(': ', ':', ' : ', ':\n  '),
    inner: fc.constantFrom(['', ''], ['\n  ', '\n']),
  })
  .map(({ name, args, key, argsFirst, extra, ws, colon, inner }) => {
    const members = [`"name"${colon}${JSON.stringify(name)}`];
    if (args.markup !== '') {
      const a = `"${key}"${colon}${args.markup}`;
      if (argsFirst) members.unshift(a);
      else members.push(a);
    }
    if (extra !== '') members.splice(1, 0, extra);
    const body = `{${inner[0]}${members.join(`,${inner[0] === '' ? ' ' : inner[0]}`)}${inner[1]}}`;
    return { name, argsMarkup: args.markup, args: args.args, markup: `<tool_call>${ws[0]}${body}${ws[1]}</tool_call>` };
  });

type Segment = { text: string } | GenCall;

interface Transcript {
  input: string;
  expected: Item[];
}

/** Reasoning text: anything but a close tag (hermes markup inside is fine). */
const reasoningArb = fc
  .array(fc.oneof(fragment, fc.constantFrom('<tool_call>', '</tool_call>', '<think>')), { maxLength: 6 })
  .map((a) => a.join(''))
  .filter((t) => !t.includes('</think'));

/** Markup that is not a call: released as text verbatim. */
const malformedArb = fc
  .tuple(
    fc.constantFrom('', '\n', ' '),
    fc.constantFrom(
      'not json',
      '{"foo": 1}',
      '{"name": 5}',
      '[1]',
      '{"name": "", "arguments": {}}',
      '{"arguments": {"a": 1}}',
      '{"id": "x", "name": null}',
    ),
    fc.constantFrom('', '\n', ' '),
  )
  .map(([a, body, b]) => ({ text: `<tool_call>${a}${body}${b}</tool_call>` }));

const transcriptOf = (segment: fc.Arbitrary<Segment>): fc.Arbitrary<Transcript> => fc
  .record({
    reasoning: fc.option(fc.tuple(fc.constantFrom('', '\n', '\n\n'), reasoningArb, fc.constantFrom('', '\n\n', '\n')), { freq: 3 }),
    segments: fc.array(segment, { maxLength: 6 }),
  })
  .map(({ reasoning, segments }) => {
    let input = '';
    const expected: Item[] = [];
    if (reasoning !== null) {
      const [ws1, r, ws2] = reasoning;
      input += `<think>${ws1}${r}</think>${ws2}`;
      const stripped = r.replace(/^[ \t\n\r]+/, '').replace(/[ \t\n\r]+$/, '');
      if (stripped !== '') expected.push({ reasoning: stripped });
    }
    // Expected answer items: adjacent texts merged; after </think>, leading whitespace is dropped;
    // whitespace-only texts are dropped when there is any call.
    const answer: Array<{ text: string } | { call: string; args: string }> = [];
    for (const s of segments as Segment[]) {
      input += 'markup' in s ? s.markup : s.text;
      const last = answer[answer.length - 1];
      if (!('markup' in s)) {
        if (last !== undefined && 'text' in last) last.text += s.text;
        else answer.push({ text: s.text });
      } else answer.push({ call: s.name, args: s.args });
    }
    if (reasoning !== null && answer.length > 0 && 'text' in answer[0]) {
      answer[0].text = answer[0].text.replace(/^[ \t\n\r]+/, '');
    }
    const hasCall = answer.some((a) => 'call' in a);
    for (const a of answer) {
      // (the parser's whitespace is JSON's: space, tab, CR, LF)
      if ('text' in a && (a.text === '' || (hasCall && /^[ \t\n\r]*$/.test(a.text)))) continue;
      expected.push(a);
    }
    return { input, expected };
  })
  // Text pieces can join into `<think>` / `</think>` (e.g. '<' + 'think>'): legitimate text, but the
  // marker checks below would flag it, so such transcripts are left out.
  .filter(({ expected }) => expected.every((e) => !('text' in e) || !/<\/?think/.test(e.text)));

const transcriptArb = transcriptOf(fc.oneof(textArb.map((text) => ({ text })), callArb));
const malformedTranscriptArb = transcriptOf(fc.oneof(textArb.map((text) => ({ text })), callArb, malformedArb));

// --- the checks ------------------------------------------------------------------------------

const hermes: Make = output();

function check(make: Make, input: string, points: number[], opts: { allowMarkersInText?: boolean } = {}): OutputDelta[] {
  const whole = feed(make, [input]);
  const single = feed(make, chars(input));
  const random = feed(make, splitAt(input, points));
  for (const d of [whole, single, random]) checkInvariants(d, opts);
  const merged = merge(whole);
  expect(merge(single)).toEqual(merged);
  expect(merge(random)).toEqual(merged);
  expect(accountFor(input, merged, { extra: EXTRA_TOKENS })).toBeNull();
  for (const item of summarize(merged)) {
    if ('call' in item && item.args !== '') expect(() => JSON.parse(item.args)).not.toThrow();
  }
  return merged;
}

const EXAMPLES = [
  'Plain answer with a < b, <b>bold</b> and {braces}.',
  '<think>\nHmm, 2+2.\n</think>\n\nIt is 4.',
  "I'll look it up.\n<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"rust \\\"async\\\" {x}\"}}\n</tool_call>",
  '<tool_call>\n{"name": "a", "arguments": {}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {"n": [1, [2, {"c": null}]]}}\n</tool_call>',
  '<think>\nCall the tool.\n</think>\n\n<tool_call>\n{"arguments": {"city": "Zürich 😀"}, "name": "weather"}\n</tool_call>\nDone.',
  '<tool_call>\n{"name": "f"}\n</tool_call>',
];

describe('properties: split invariance', () => {
  it('hand-written transcripts', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.array(fc.nat(), { maxLength: 12 }), (input, points) => {
        check(hermes, input, points);
      }),
      { numRuns: 300 },
    );
  });

  it('generated transcripts: every chunking gives the expected items', () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected }, points) => {
        const merged = check(hermes, input, points);
        expect(summarize(merged)).toEqual(expected);
      }),
      { numRuns: 600 },
    );
  });

  it('generated transcripts with malformed blocks: those are text, verbatim', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.array(fc.nat(), { maxLength: 20 }), ({ input, expected }, points) => {
        const merged = check(hermes, input, points, { allowMarkersInText: true });
        expect(summarize(merged)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('generated transcripts under reasoningFormat none (no think block)', () => {
    const make = output({ reasoningFormat: 'none' });
    fc.assert(
      fc.property(
        transcriptArb.filter((t) => !t.input.includes('<think>')),
        fc.array(fc.nat(), { maxLength: 20 }),
        ({ input, expected }, points) => {
          expect(summarize(check(make, input, points))).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('prefilling a leading <think>\\n or a call opener changes nothing', () => {
    fc.assert(
      fc.property(transcriptArb, fc.array(fc.nat(), { maxLength: 10 }), ({ input }, points) => {
        const full = merge(feed(hermes, [input]));
        for (const prefill of ['<think>\n', '<think>', '<tool_call>\n{"name": "', '<tool_call>']) {
          if (!input.startsWith(prefill)) continue;
          const make = output({ prefill });
          const rest = input.slice(prefill.length);
          expect(merge(feed(make, splitAt(rest, points)))).toEqual(full);
          expect(merge(feed(make, chars(rest)))).toEqual(full);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('prefill cut anywhere: same non-text deltas; the text is the full text minus prefill text', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input }, cutAt, points) => {
        const k = cutAt % (input.length + 1);
        const prefill = input.slice(0, k);
        const rest = input.slice(k);
        const full = merge(feed(hermes, [input]));
        const mine = feed(output({ prefill }), splitAt(rest, points));
        checkInvariants(mine, { allowMarkersInText: true });
        expect(merge(feed(output({ prefill }), [rest]))).toEqual(merge(mine));
        const nonText = (ds: OutputDelta[]) => merge(ds.filter((d) => d.type !== 'text'));
        expect(nonText(mine)).toEqual(nonText(full));
        const text = (ds: OutputDelta[]) => ds.flatMap((d) => (d.type === 'text' ? [d.text] : [])).join('');
        const fullText = text(full);
        const myText = text(mine);
        expect(fullText.endsWith(myText)).toBe(true);
        expect(fullText.length - myText.length).toBeLessThanOrEqual(k);
      }),
      { numRuns: 600 },
    );
  });

  it('forced call: prefilled up to the arguments', () => {
    fc.assert(
      fc.property(callArb, textArb, fc.array(fc.nat(), { maxLength: 10 }), (call, after, points) => {
        const prefill = `<tool_call>\n{"name": ${JSON.stringify(call.name)}, "arguments": `;
        const model = `${call.argsMarkup === '' ? 'null' : call.argsMarkup}}\n</tool_call>${after}`;
        const merged = merge(feed(output({ prefill }), splitAt(model, points)));
        checkInvariants(merged);
        const items = summarize(merged);
        expect(items[0]).toEqual({ call: call.name, args: call.args });
        expect(merge(feed(output(), [prefill + model]))).toEqual(merged);
      }),
      { numRuns: 300 },
    );
  });
});

describe('properties: truncation', () => {
  it('cut anywhere: invariants hold, nothing is lost, and what was emitted agrees with the full run', () => {
    fc.assert(
      fc.property(transcriptArb, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), ({ input }, cutAt, points) => {
        const cut = input.slice(0, cutAt % (input.length + 1));
        const deltas = feed(hermes, splitAt(cut, points), true);
        checkInvariants(deltas, { allowMarkersInText: true });
        const merged = merge(deltas);
        expect(merge(feed(hermes, [cut], true))).toEqual(merged);
        // (string arguments are only emitted once complete: skip the accounting when there are any)
        const noPartialStringArgs = !/"(arguments|parameters)"\s*:\s*"/.test(cut);
        if (noPartialStringArgs) expect(accountFor(cut, merged, { extra: EXTRA_TOKENS, cutMarkers: true })).toBeNull();
        // Calls that were started agree with the full run: same names, args a prefix, ended ⇒ equal.
        const full = summarize(feed(hermes, [input])).filter((i) => 'call' in i);
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
      { numRuns: 600 },
    );
  });
});

describe('properties: pushes never retract', () => {
  it('what the pushes emitted so far is always a prefix of the final result', () => {
    fc.assert(
      fc.property(malformedTranscriptArb, fc.array(fc.nat(), { maxLength: 30 }), ({ input }, points) => {
        const final = merge(feed(hermes, [input]));
        const p = hermes();
        // Walk the final deltas along with what is pushed: item k, `off` characters of it seen.
        let k = 0;
        let off = 0;
        const step = (d: OutputDelta) => {
          if (off > 0 && !('text' in d && final[k].type === d.type && off < (final[k] as { text: string }).text.length)) {
            k++;
            off = 0;
          }
          const f = final[k];
          expect(f?.type).toBe(d.type);
          if ('text' in d) {
            expect((f as { text: string }).text.startsWith(d.text, off)).toBe(true);
            off += d.text.length;
          } else {
            expect(d).toEqual(f);
            k++;
          }
        };
        for (const c of splitAt(input, points)) p.push(c).forEach(step);
        p.end().forEach(step);
        if (off > 0) k++;
        expect(k).toBe(final.length);
      }),
      { numRuns: 500 },
    );
  });
});
