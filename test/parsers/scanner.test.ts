/**
 * The generic JSON call scanner under configurations other than hermes (the shapes the next formats
 * need: llama3_json, mistral, phi4_mini_json, jamba). These formats are not registered here; the
 * tests pin that the scanner's configuration covers them.
 */
import { describe, expect, it } from 'vitest';
import { JsonCallScanner, type JsonCallScannerConfig } from '../../src/parsers/scanner.ts';
import { parseAll } from './harness.ts';

const scanner = (config: JsonCallScannerConfig) => () => new JsonCallScanner(config);

describe('llama3_json-like: optional <|python_tag|>, bare JSON at the start, ";" between calls', () => {
  const cfg: JsonCallScannerConfig = { start: ['<|python_tag|>'], bareStart: true, separator: '; ' };
  const markers = ['<|python_tag|>'];
  const parse = (t: string, o: Parameters<typeof parseAll>[2] = {}) =>
    parseAll(scanner(cfg), t, { markers, extra: [';'], ...o });

  it('bare calls separated by "; "', () => {
    const t = '{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {}}';
    expect(parse(t)).toEqual([
      { call: 'get_weather', args: '{"city": "Paris"}' },
      { call: 'get_time', args: '{}' },
    ]);
  });

  it('with the python tag', () => {
    expect(parse('<|python_tag|>{"name": "f", "parameters": {"a": 1}}')).toEqual([{ call: 'f', args: '{"a": 1}' }]);
  });

  it('a { later in the text is text; JSON that is not a call is text', () => {
    expect(parse('Use {"a": 1} here.')).toEqual([{ text: 'Use {"a": 1} here.' }]);
    expect(parse('{"a": 1} is an object')).toEqual([{ text: '{"a": 1} is an object' }]);
  });

  it('a separator not followed by a call is released as text', () => {
    expect(parse('{"name": "f", "parameters": {}}; and more')).toEqual([{ call: 'f', args: '{}' }, { text: '; and more' }]);
  });
});

describe('mistral-like: [TOOL_CALLS] then a JSON array of calls', () => {
  const cfg: JsonCallScannerConfig = { start: ['[TOOL_CALLS]'], list: true };
  const markers = ['[TOOL_CALLS]'];
  const parse = (t: string, o: Parameters<typeof parseAll>[2] = {}) => parseAll(scanner(cfg), t, { markers, ...o });

  it('two calls in one array', () => {
    const t = '[TOOL_CALLS][{"name": "a", "arguments": {"x": [1, 2]}}, {"name": "b", "arguments": {"y": "]"}}]';
    expect(parse(t)).toEqual([
      { call: 'a', args: '{"x": [1, 2]}' },
      { call: 'b', args: '{"y": "]"}' },
    ]);
  });

  it('text before the marker', () => {
    expect(parse('Sure. [TOOL_CALLS] [{"name": "a", "arguments": {}}]')).toEqual([
      { text: 'Sure. ' },
      { call: 'a', args: '{}' },
    ]);
  });

  it('truncated after the first call', () => {
    expect(parse('[TOOL_CALLS][{"name": "a", "arguments": {}}, {"name', { truncated: true, allowMarkersInText: true })).toEqual([
      { call: 'a', args: '{}' },
      { text: ', {"name' },
    ]);
  });
});

describe('phi4_mini_json-like and jamba-like', () => {
  it('functools[...]', () => {
    const make = scanner({ start: ['functools'], list: true });
    expect(parseAll(make, 'functools[{"name": "f", "arguments": {"q": "functools"}}]', { markers: ['functools'] })).toEqual([
      { call: 'f', args: '{"q": "functools"}' },
    ]);
  });

  it('<tool_calls>[...]</tool_calls>, text around', () => {
    const make = scanner({ start: ['<tool_calls>'], list: true, end: '</tool_calls>' });
    const t = 'Ok.\n<tool_calls>[\n  {"name": "f", "arguments": {}},\n  {"name": "g", "arguments": {"a": 1}}\n]</tool_calls>\nDone.';
    expect(parseAll(make, t, { markers: ['<tool_calls>', '</tool_calls>'] })).toEqual([
      { text: 'Ok.\n' },
      { call: 'f', args: '{}' },
      { call: 'g', args: '{"a": 1}' },
      { text: '\nDone.' },
    ]);
  });

  it('several start markers: the earliest wins', () => {
    const make = scanner({ start: ['<tool_call>', '<|tool_call|>'], end: '</tool_call>' });
    expect(
      parseAll(make, 'a<|tool_call|>{"name": "f"}</tool_call>b<tool_call>{"name": "g"}', {
        markers: ['<tool_call>', '<|tool_call|>', '</tool_call>'],
      }),
    ).toEqual([{ text: 'a' }, { call: 'f', args: '' }, { text: 'b' }, { call: 'g', args: '' }]);
  });

  it('a multi-character separator split across chunks', () => {
    const make = scanner({ start: ['<calls>'], separator: '<|sep|>', end: '</calls>' });
    const markers = ['<calls>', '</calls>'];
    expect(
      parseAll(make, '<calls>{"name": "f"} <|sep|> {"name": "g", "arguments": {}}</calls><|se', {
        markers,
        extra: ['<|sep|>'],
      }),
    ).toEqual([{ call: 'f', args: '' }, { call: 'g', args: '{}' }, { text: '<|se' }]);
  });

  it('rejects empty start markers', () => {
    expect(() => new JsonCallScanner({ start: [''] })).toThrow();
  });
});
