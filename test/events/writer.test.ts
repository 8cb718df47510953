/**
 * The event writer on its own: how `push` hands back events (a new array, or the caller's), and that an
 * item's text survives the way it is accumulated (a short rope moved onto the item every 64 deltas) for
 * any number and mix of deltas: the `.done` event and the final item carry exactly what the deltas said;
 * and that a call whose complete arguments are not a JSON object fails the response instead of completing.
 */
import fc from 'fast-check';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { EventWriter } from '../../src/events/writer.ts';
import { INITIAL, USAGE } from './response.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';


/** Every event of a response made of `deltas`, as the service batches them (one batch per delta). */
function write(deltas: OutputDelta[]): ResponseStreamEvent[] {
  const writer = new EventWriter(INITIAL);
  const events = writer.start();
  for (const d of deltas) events.push(...writer.push(d));
  events.push(...writer.finish('stop', USAGE));
  return events;
}

const ofType = <T extends ResponseStreamEvent['type']>(events: ResponseStreamEvent[], type: T) =>
  events.filter((e): e is Extract<ResponseStreamEvent, { type: T }> => e.type === type);

/** Pieces of text: ASCII, two-byte and astral characters, of 1-6 code units (never whitespace only). */
const piece = fc
  .string({ unit: fc.constantFrom('a', 'Z', '"', '\\', '°', 'ü', '東', '😀', ' ', '\n'), minLength: 1, maxLength: 6 })
  .filter((s) => /\S/.test(s));

describe('EventWriter.push', () => {
  it('returns a new one-element array for a delta that makes one event, and appends to the array it is given', () => {
    const writer = new EventWriter(INITIAL);
    writer.start();
    const first = writer.push({ type: 'text', text: 'Hello' });
    // The first text opens the message: item added, content part added, then the delta.
    expect(first.map((e) => e.type)).toEqual(['response.output_item.added', 'response.content_part.added', 'response.output_text.delta']);
    const second = writer.push({ type: 'text', text: ' world' });
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ type: 'response.output_text.delta', delta: ' world' });
    expect(second).not.toBe(first);
    const batch: ResponseStreamEvent[] = [];
    const returned = writer.push({ type: 'text', text: '!' }, batch);
    expect(returned).toBe(batch);
    expect(batch).toHaveLength(1);
    const sequence = [...first, ...second, ...batch].map((e) => e.sequence_number);
    expect(sequence).toEqual([2, 3, 4, 5, 6]);
  });

  it('gives an empty array for a delta with no events (whitespace before any message)', () => {
    const writer = new EventWriter(INITIAL);
    writer.start();
    expect(writer.push({ type: 'text', text: '  ' })).toEqual([]);
    expect(writer.push({ type: 'text', text: 'x' }).at(-1)).toMatchObject({ delta: '  x' });
  });
});

describe('EventWriter as the parser\'s sink', () => {
  it('collects the events of what is written into one batch until drain(); null when there is none', () => {
    const writer = new EventWriter(INITIAL);
    writer.start();
    expect(writer.drain()).toBeNull();
    writer.text('  '); // whitespace before any message: held, no event
    expect(writer.drain()).toBeNull();
    writer.text('Hi');
    writer.text('!');
    const batch = writer.drain();
    expect(batch?.map((e) => e.type)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
    ]);
    expect(batch?.[2]).toMatchObject({ delta: '  Hi' });
    expect(writer.drain()).toBeNull();
    writer.reasoning('hm');
    writer.callStart('f');
    writer.callArgs('{}');
    writer.callEnd();
    expect(writer.drain()?.map((e) => e.type)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
    ]);
    expect(writer.reasoningWrites).toBe(1);
    // finish hands over what was not drained yet, in front of its own events.
    writer.text('x');
    const end = writer.finish('stop', USAGE);
    expect(end[0]).toMatchObject({ type: 'response.output_item.added' });
    expect(end.at(-1)?.type).toBe('response.completed');
    expect(() => writer.finish('stop', USAGE)).toThrow(/terminal/);
  });

  it('callLimit: once that many calls completed, everything written after is dropped', () => {
    const writer = new EventWriter(INITIAL, { callLimit: 1 });
    writer.start();
    writer.callStart('f');
    writer.callArgs('{"a": 1}');
    writer.callEnd();
    writer.text('more');
    writer.callStart('g');
    writer.callEnd();
    const events = [...(writer.drain() ?? []), ...writer.finish('stop', USAGE)];
    expect(writer.completedCalls).toBe(1);
    expect(ofType(events, 'response.output_item.added').map((e) => e.item.type)).toEqual(['function_call']);
    expect(ofType(events, 'response.completed')[0].response.output).toEqual([
      expect.objectContaining({ type: 'function_call', name: 'f', arguments: '{"a": 1}' }),
    ]);
  });

  it('dropText: text makes no message item (a forced call), calls and reasoning still do', () => {
    const writer = new EventWriter(INITIAL, { dropText: true });
    writer.start();
    writer.text('Sure, ');
    writer.reasoning('r');
    writer.callStart('f');
    writer.callEnd();
    writer.text('done');
    const events = [...(writer.drain() ?? []), ...writer.finish('stop', USAGE)];
    expect(ofType(events, 'response.output_item.added').map((e) => e.item.type)).toEqual(['reasoning', 'function_call']);
    expect(events.some((e) => e.type === 'response.output_text.delta')).toBe(false);
  });

  it('broken arguments fail the response inside callEnd: error + response.failed are in the batch, later writes are dropped', () => {
    const writer = new EventWriter(INITIAL);
    writer.start();
    writer.callStart('f');
    writer.callArgs('{"a": ');
    writer.callEnd();
    writer.text('after');
    expect(writer.ended).toBe(true);
    expect(writer.drain()?.map((e) => e.type).slice(-2)).toEqual(['error', 'response.failed']);
    expect(writer.drain()).toBeNull();
    expect(writer.fail({ code: 'x', message: 'y' })).toEqual([]);
  });
});

describe('item text across any number of deltas', () => {
  it('a message: the done text and the final item are the deltas joined, past many 64-delta pieces', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 400, size: 'max' }), (pieces) => {
        const events = write(pieces.map((text) => ({ type: 'text', text })));
        const expected = pieces.join('');
        expect(ofType(events, 'response.output_text.delta').map((e) => e.delta).join('')).toBe(expected);
        expect(ofType(events, 'response.output_text.done')[0].text).toBe(expected);
        const done = ofType(events, 'response.completed')[0].response.output;
        expect(done).toHaveLength(1);
        expect(done[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: expected }] });
      }),
      { numRuns: 60 },
    );
  });

  it('reasoning then a call: the reasoning text and the call arguments come out whole', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 200, size: 'max' }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 40 }),
        fc.integer({ min: 1, max: 7 }),
        (reasoning, args, size) => {
          const json = JSON.stringify(args);
          const argDeltas: OutputDelta[] = [];
          for (let i = 0; i < json.length; i += size) argDeltas.push({ type: 'call_args', text: json.slice(i, i + size) });
          const events = write([
            ...reasoning.map((text): OutputDelta => ({ type: 'reasoning', text })),
            { type: 'call_start', name: 'f' },
            ...argDeltas,
            { type: 'call_end' },
          ]);
          expect(ofType(events, 'response.reasoning_text.done')[0].text).toBe(reasoning.join(''));
          expect(ofType(events, 'response.function_call_arguments.done')[0].arguments).toBe(json);
          const output = ofType(events, 'response.completed')[0].response.output;
          expect(output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
          expect(output[1]).toMatchObject({ arguments: json, name: 'f', status: 'completed' });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("EventWriter: a call's complete arguments must be a JSON object", () => {
  /** The events of one call with `args` in 3-character deltas, then a normal stop. */
  function call(args: string): ResponseStreamEvent[] {
    const deltas: OutputDelta[] = [{ type: 'call_start', name: 'get_weather' }];
    for (let i = 0; i < args.length; i += 3) deltas.push({ type: 'call_args', text: args.slice(i, i + 3) });
    deltas.push({ type: 'call_end' });
    // As the service does: once the writer has ended the response (failed), nothing more is written.
    const writer = new EventWriter(INITIAL);
    const events = writer.start();
    for (const d of deltas) events.push(...writer.push(d));
    if (!writer.ended) events.push(...writer.finish('stop', USAGE));
    return events;
  }

  it.each(['{"city": "Paris", "days": [1, 2]}', ' { } ', '{"a": "\\u00e9", "b": -1.5e3, "c": null}'])('%j: the call completes', (args) => {
    const events = call(args);
    expect(ofType(events, 'response.function_call_arguments.done')[0].arguments).toBe(args);
    expect(events.at(-1)?.type).toBe('response.completed');
  });

  it.each(['[1, 2]', '"Paris"', '{"city": "Paris",}', '{"city": Paris}', '{"city": "Paris"} {}', '{"city": "Paris"'])(
    '%j: error + response.failed (tool_arguments_invalid), the item keeps what the model wrote',
    (args) => {
      const events = call(args);
      expect(events.map((e) => e.type).slice(-2)).toEqual(['error', 'response.failed']);
      // (the wire shape nests code and message under `error`: responses-protocol.md §6)
      const { error } = ofType(events, 'error')[0] as unknown as { error: { code: string; message: string } };
      expect(error.code).toBe('tool_arguments_invalid');
      expect(error.message).toContain("'get_weather'");
      expect(ofType(events, 'response.function_call_arguments.done').map((e) => e.arguments)).toEqual([args]);
      const failed = ofType(events, 'response.failed')[0].response;
      expect(failed.output).toEqual([expect.objectContaining({ type: 'function_call', status: 'incomplete', arguments: args })]);
    },
  );
});
