/**
 * The parser writing straight into the event writer (`parser.pushTo(chunk, writer)`, then
 * `writer.drain()`: what the service does) gives, chunk for chunk, exactly the events of the same
 * parser's deltas (`parser.push(chunk)`) written one by one with `writer.push`: for every built-in
 * format, with reasoning, a prefill that forces a call, and a format that only returns arrays, at
 * random split points. Ids are random per response, so they are compared by order of appearance.
 */
import fc from 'fast-check';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { EventWriter } from '../../src/events/writer.ts';
import { INITIAL, USAGE } from './response.ts';
import { createOutputParser, registerToolFormat } from '../../src/parsers/index.ts';
import type { OutputDelta, ParserOptions } from '../../src/parsers/types.ts';
import { splitAt } from '../parsers/harness.ts';

const ARGS = '{"city": "Zürich \\"Altstadt\\"", "days": [1, 2], "units": {"t": "c"}}';
const PROSE = 'It is mild <b>today</b> — 東京 is warmer; [x] {y} "z".';

// A format that only has `push`/`end` (as a user's registered format may): adapted, arrays replayed.
registerToolFormat({
  name: 'sink_test_arrays',
  create: () => ({
    push: (t: string): OutputDelta[] => (t === '' ? [] : [{ type: 'text', text: t.toUpperCase() }]),
    end: (): OutputDelta[] => [],
  }),
  requiredPrefill: null,
  namedPrefill: null,
  templateMarkers: [],
});

const CASES: Array<{ name: string; opts: ParserOptions; text: string }> = [
  {
    name: 'hermes, think',
    opts: { toolFormat: 'hermes', reasoningFormat: 'think' },
    text: `<think>\nWeather first.\n</think>\n\n${PROSE}<tool_call>\n{"name": "get_weather", "arguments": ${ARGS}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\n${PROSE}`,
  },
  {
    name: 'hermes, forced call (prefill)',
    opts: {
      toolFormat: 'hermes',
      reasoningFormat: 'none',
      prefill: '<tool_call>\n{"name": "get_weather", "arguments": ',
    },
    text: `${ARGS}}\n</tool_call>`,
  },
  {
    name: 'qwen3_xml, think prefilled',
    opts: { toolFormat: 'qwen3_xml', reasoningFormat: 'think', prefill: '<think>\n' },
    text: `Plan.\n</think>\n\n${PROSE}<tool_call>\n<function=get_weather>\n<parameter=city>\nParis <x>\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>\n${PROSE}`,
  },
  {
    name: 'llama3_json',
    opts: { toolFormat: 'llama3_json', reasoningFormat: 'none' },
    text: `{"name": "get_weather", "parameters": ${ARGS}}; {"name": "get_time", "parameters": {}}`,
  },
  {
    name: 'pythonic',
    opts: { toolFormat: 'pythonic', reasoningFormat: 'none' },
    text: `${PROSE}<|tool_call_start|>[get_weather(city='Zürich \\'A\\'', days=[1, 2], verbose=True), get_time()]<|tool_call_end|>${PROSE}`,
  },
  {
    name: 'mistral',
    opts: { toolFormat: 'mistral', reasoningFormat: 'none' },
    text: `${PROSE}[TOOL_CALLS][{"name": "get_weather", "arguments": ${ARGS}}, {"name": "get_time", "arguments": {}}]`,
  },
  {
    name: 'mistral_v11',
    opts: { toolFormat: 'mistral_v11', reasoningFormat: 'none' },
    text: `${PROSE}[TOOL_CALLS]get_weather[ARGS]${ARGS}[TOOL_CALLS]get_time[ARGS]{}`,
  },
  {
    name: 'phi4_mini_json',
    opts: { toolFormat: 'phi4_mini_json', reasoningFormat: 'none' },
    text: `${PROSE}functools[{"name": "get_weather", "arguments": ${ARGS}}]`,
  },
  {
    name: 'harmony',
    opts: { toolFormat: 'harmony', reasoningFormat: 'none' },
    text: `<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>${ARGS}<|call|><|start|>assistant<|channel|>final<|message|>${PROSE}<|end|>`,
  },
  { name: 'a format with arrays only, think', opts: { toolFormat: 'sink_test_arrays', reasoningFormat: 'think' }, text: `<think>r</think>${PROSE}` },
];

/** The events as batches per chunk, ids replaced by their order of first appearance (and the clock left out). */
function normalize(batches: ResponseStreamEvent[][]): unknown {
  const ids = new Map<string, string>();
  return JSON.parse(
    JSON.stringify(batches, (key, value) => {
      if (key === 'completed_at') return 0;
      if (typeof value !== 'string' || !['id', 'item_id', 'call_id'].includes(key)) return value;
      if (!ids.has(value)) ids.set(value, `id${ids.size}`);
      return ids.get(value);
    }),
  );
}

/** Old path: deltas as arrays, each written with `writer.push`; one batch per chunk. */
function viaArrays(opts: ParserOptions, chunks: string[], truncated: boolean): ResponseStreamEvent[][] {
  const parser = createOutputParser(opts);
  const writer = new EventWriter(INITIAL);
  const batches = [writer.start()];
  for (const chunk of chunks) {
    const batch: ResponseStreamEvent[] = [];
    for (const d of parser.push(chunk)) if (!writer.ended) writer.push(d, batch);
    batches.push(batch);
  }
  const last: ResponseStreamEvent[] = [];
  for (const d of parser.end(truncated)) if (!writer.ended) writer.push(d, last);
  if (!writer.ended) last.push(...writer.finish(truncated ? 'length' : 'stop', USAGE));
  batches.push(last);
  return batches;
}

/** The service's path: the parser writes into the writer; one drained batch per chunk. */
function viaSink(opts: ParserOptions, chunks: string[], truncated: boolean): ResponseStreamEvent[][] {
  const parser = createOutputParser(opts);
  const writer = new EventWriter(INITIAL);
  const batches = [writer.start()];
  for (const chunk of chunks) {
    parser.pushTo(chunk, writer);
    batches.push(writer.drain() ?? []);
  }
  parser.endTo(writer, truncated);
  batches.push(writer.ended ? (writer.drain() ?? []) : writer.finish(truncated ? 'length' : 'stop', USAGE));
  return batches;
}

describe('pushTo into the writer = push, deltas written one by one', () => {
  it.each(CASES)('$name: the same events in the same batches, at any split points', ({ opts, text }) => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 40 }),
        fc.integer({ min: 0, max: text.length }),
        fc.boolean(),
        (points, cut, truncate) => {
          const input = truncate ? text.slice(0, cut) : text;
          const chunks = splitAt(input, points);
          const sink = viaSink(opts, chunks, truncate);
          expect(normalize(sink)).toEqual(normalize(viaArrays(opts, chunks, truncate)));
          // Not vacuous: the whole transcript makes items.
          if (!truncate) expect(sink.flat().filter((e) => e.type === 'response.output_item.done').length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
