/**
 * The registry, composition and prefill of `createOutputParser`.
 */
import { describe, expect, it } from 'vitest';
import {
  createOutputParser,
  createToolCallParser,
  detectToolFormat,
  registerToolFormat,
  toolFormatNames,
} from '../../src/parsers/index.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import { chars, feed, output, parseAll, summarize } from './harness.ts';

describe('registry', () => {
  it('knows none and hermes', () => {
    expect(toolFormatNames()).toEqual(expect.arrayContaining(['none', 'hermes']));
  });

  it('an unknown format throws an error naming the known ones', () => {
    expect(() => createOutputParser({ toolFormat: 'nope', reasoningFormat: 'none' })).toThrow(/nope.*none.*hermes/);
    expect(() => createToolCallParser('nope')).toThrow(/known formats: .*hermes/);
    expect(() => createOutputParser({ toolFormat: 'hermes', reasoningFormat: 'nope' })).toThrow(/think/);
  });

  it('registerToolFormat adds a format', () => {
    registerToolFormat({
      name: 'shout',
      create: () => ({
        push: (t: string): OutputDelta[] => (t === '' ? [] : [{ type: 'text', text: t.toUpperCase() }]),
        end: (): OutputDelta[] => [],
      }),
      requiredPrefill: null,
      namedPrefill: null,
      templateMarkers: [['SHOUT!']],
    });
    expect(toolFormatNames()).toContain('shout');
    expect(detectToolFormat('{{ "SHOUT!" }}')).toBe('shout');
    const p = createOutputParser({ toolFormat: 'shout', reasoningFormat: 'think' });
    expect(summarize([...p.push('<think>a</think>b'), ...p.end()])).toEqual([{ reasoning: 'a' }, { text: 'B' }]);
  });

  it("toolFormat 'none' passes everything through as text", () => {
    const make = output({ toolFormat: 'none', reasoningFormat: 'none' });
    const t = '<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>';
    expect(parseAll(make, t, { allowMarkersInText: true })).toEqual([{ text: t }]);
  });
});

describe('prefill', () => {
  it('<think>\\n: starts inside reasoning', () => {
    const p = createOutputParser({ toolFormat: 'hermes', reasoningFormat: 'think', prefill: '<think>\n' });
    expect(p.inReasoning).toBe(true);
    const t = 'The user greets me.\n</think>\n\nHello!';
    expect(parseAll(output({ prefill: '<think>\n' }), t, { prefill: '<think>\n' })).toEqual([
      { reasoning: 'The user greets me.' },
      { text: 'Hello!' },
    ]);
  });

  it('<think>\\n: a later <think> in the model text is reasoning text, not a new block', () => {
    expect(parseAll(output({ prefill: '<think>\n' }), '\nhm <think> x</think>ok', { prefill: '<think>\n' })).toEqual([
      { reasoning: 'hm <think> x' },
      { text: 'ok' },
    ]);
  });

  it('a forced call opener: the first push emits call_start, the model writes the arguments', () => {
    const prefill = '<tool_call>\n{"name": "get_weather", "arguments": ';
    const p = createOutputParser({ toolFormat: 'hermes', reasoningFormat: 'think', prefill });
    expect(p.push('{"city": ')).toEqual([
      { type: 'call_start', name: 'get_weather' },
      { type: 'call_args', text: '{"city": ' },
    ]);
    expect(p.push('"Paris"}}\n</tool_call>')).toEqual([{ type: 'call_args', text: '"Paris"}' }, { type: 'call_end' }]);
    expect(p.end()).toEqual([]);
    expect(parseAll(output({ prefill }), '{"city": "Paris"}}\n</tool_call>', { prefill })).toEqual([
      { call: 'get_weather', args: '{"city": "Paris"}' },
    ]);
  });

  it('a forced call opener after an empty think block (Qwen3, thinking off)', () => {
    const prefill = '<think>\n\n</think>\n\n<tool_call>\n{"name": "f", "arguments": ';
    expect(parseAll(output({ prefill }), '{}}\n</tool_call>', { prefill })).toEqual([{ call: 'f', args: '{}' }]);
  });

  it('tool_choice required: the opener only, the model picks the function', () => {
    const prefill = '<tool_call>\n';
    const t = '{"name": "lookup", "arguments": {"q": "x"}}\n</tool_call>';
    expect(parseAll(output({ prefill }), t, { prefill })).toEqual([{ call: 'lookup', args: '{"q": "x"}' }]);
  });

  it('deltas implied by the prefill come out of end() if nothing is pushed', () => {
    const p = createOutputParser({ toolFormat: 'hermes', reasoningFormat: 'none', prefill: '<tool_call>{"name": "f", "arguments": ' });
    expect(p.end(true)).toEqual([{ type: 'call_start', name: 'f' }]);
  });

  it('prefill text never appears as a text delta', () => {
    expect(summarize(feed(output({ prefill: 'Sure, ' }), chars('here it is.')))).toEqual([{ text: 'here it is.' }]);
  });

  it('prefill markup released as text later still never appears as text', () => {
    const prefill = '<tool_call>\n';
    expect(summarize(feed(output({ prefill }), chars("Sorry, I can't call tools.")))).toEqual([
      { text: "Sorry, I can't call tools." },
    ]);
    expect(summarize(feed(output({ prefill: '<think>\n\n</think>\n\n<tool_call>\n{"na' }), ['me', ' oops'], true))).toEqual([
      { text: 'me oops' },
    ]);
    expect(summarize(feed(output({ prefill: 'Sure <tool_' }), ['x y']))).toEqual([{ text: 'x y' }]);
    expect(summarize(feed(output({ prefill: '\n' }), ['\nHi']))).toEqual([{ text: '\nHi' }]);
  });

  it('prefill is consumed once', () => {
    const p = createOutputParser({ toolFormat: 'hermes', reasoningFormat: 'none', prefill: '<tool_call>{"name": "f"' });
    expect(p.push('')).toEqual([{ type: 'call_start', name: 'f' }]);
    expect(p.push('}')).toEqual([{ type: 'call_end' }]);
    expect(p.push('</tool_call>')).toEqual([]);
  });
});
