/**
 * The hermes tool format (Hermes 2 Pro / 3, Qwen2.5, QwQ, Qwen3) on transcripts written the way these
 * models write them. Every transcript is parsed whole, one code unit at a time and at fixed splits
 * (`parseAll`), which must all agree, keep the invariants and account for all of the input.
 */
import { describe, expect, it } from 'vitest';
import { createHermesParser } from '../../src/parsers/hermes.ts';
import type { OutputDelta } from '../../src/parsers/types.ts';
import { chars, feed, output, parseAll, summarize } from './harness.ts';

const hermes = () => createHermesParser();
const parse = (input: string, opts: Parameters<typeof parseAll>[2] = {}) => parseAll(hermes, input, opts);

describe('hermes: well-formed transcripts', () => {
  it('plain text passes through exactly', () => {
    const t = 'The capital of France is **Paris**.\n\n- a < b\n- {not a call}\n';
    expect(parse(t)).toEqual([{ text: t }]);
  });

  it('text then one call (Qwen2.5)', () => {
    const t =
      "I'll check the current weather for you.\n<tool_call>\n" +
      '{"name": "get_current_temperature", "arguments": {"location": "San Francisco, CA, USA", "unit": "celsius"}}\n' +
      '</tool_call>';
    expect(parse(t)).toEqual([
      { text: "I'll check the current weather for you.\n" },
      { call: 'get_current_temperature', args: '{"location": "San Francisco, CA, USA", "unit": "celsius"}' },
    ]);
  });

  it('two parallel calls; the newline between them is dropped', () => {
    const t =
      '<tool_call>\n{"name": "get_current_temperature", "arguments": {"location": "San Francisco, CA, USA"}}\n</tool_call>\n' +
      '<tool_call>\n{"name": "get_temperature_date", "arguments": {"location": "San Francisco, CA, USA", "date": "2024-10-01"}}\n</tool_call>';
    expect(parse(t)).toEqual([
      { call: 'get_current_temperature', args: '{"location": "San Francisco, CA, USA"}' },
      { call: 'get_temperature_date', args: '{"location": "San Francisco, CA, USA", "date": "2024-10-01"}' },
    ]);
  });

  it('trailing newline after the last call is dropped', () => {
    const t = '<tool_call>\n{"name": "ping", "arguments": {}}\n</tool_call>\n';
    expect(parse(t)).toEqual([{ call: 'ping', args: '{}' }]);
  });

  it('call with {} arguments', () => {
    expect(parse('<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>')).toEqual([
      { call: 'get_time', args: '{}' },
    ]);
  });

  it('call with no arguments key, and with null arguments: no args delta, but call_end', () => {
    expect(parse('<tool_call>\n{"name": "get_time"}\n</tool_call>')).toEqual([{ call: 'get_time', args: '' }]);
    expect(parse('<tool_call>\n{"name": "get_time", "arguments": null}\n</tool_call>')).toEqual([
      { call: 'get_time', args: '' },
    ]);
  });

  it('nested objects and arrays, pretty-printed', () => {
    const args = '{\n    "query": {"bool": {"must": [{"match": {"title": "x"}}, {"range": {"n": {"gte": 1.5e3}}}]}},\n    "size": [1, [2, [3]]],\n    "ok": true\n  }';
    const t = `<tool_call>\n{\n  "name": "search",\n  "arguments": ${args}\n}\n</tool_call>`;
    const [call] = parse(t) as [{ call: string; args: string }];
    expect(call).toEqual({ call: 'search', args });
    expect(JSON.parse(call.args)).toMatchObject({ size: [1, [2, [3]]], ok: true });
  });

  it('unicode, escaped quotes and backslashes, and braces inside strings', () => {
    const args =
      '{"text": "naïve café 😀 中文 \\u00e9\\ud83d\\ude00", "q": "say \\"hi\\" {not} [a] \\\\", "path": "C:\\\\dir\\\\", "tag": "</tool_call>"}';
    const t = `Écrivons.\n<tool_call>\n{"name": "write_note", "arguments": ${args}}\n</tool_call>`;
    const items = parse(t);
    expect(items).toEqual([{ text: 'Écrivons.\n' }, { call: 'write_note', args }]);
    expect(JSON.parse(args).tag).toBe('</tool_call>');
  });

  it('text before, between and after calls is kept exactly', () => {
    const t =
      'First, the weather:\n<tool_call>\n{"name": "weather", "arguments": {"city": "Oslo"}}\n</tool_call>\n' +
      'And then the time:\n<tool_call>\n{"name": "time", "arguments": {"tz": "CET"}}\n</tool_call>\n\nI will report back.';
    expect(parse(t)).toEqual([
      { text: 'First, the weather:\n' },
      { call: 'weather', args: '{"city": "Oslo"}' },
      { text: '\nAnd then the time:\n' },
      { call: 'time', args: '{"tz": "CET"}' },
      { text: '\n\nI will report back.' },
    ]);
  });

  it('arguments before the name (Hermes 2 Pro) are buffered until the name is known', () => {
    const t = '<tool_call>\n{"arguments": {"symbol": "TSLA"}, "name": "get_stock_fundamentals"}\n</tool_call>';
    expect(parse(t)).toEqual([{ call: 'get_stock_fundamentals', args: '{"symbol": "TSLA"}' }]);
  });

  it('"parameters" is accepted, other keys are skipped', () => {
    const t =
      '<tool_call>\n{"id": "call_1", "type": "function", "meta": {"x": "}", "y": [1, {"z": null}]}, ' +
      '"name": "lookup", "parameters": {"id": 7}, "extra": "{"}\n</tool_call>';
    expect(parse(t, { extra: ['"id"', '"call_1"', '"type"', '"function"', '"meta"', '"x"', '"}"', '"y"', '"z"', '"extra"', '"{"', '1'] })).toEqual([
      { call: 'lookup', args: '{"id": 7}' },
    ]);
  });

  it('arguments as a JSON string are decoded and emitted when complete', () => {
    const t = '<tool_call>\n{"name": "f", "arguments": "{\\"a\\": 1, \\"b\\": \\"x\\\\\\"y\\"}"}\n</tool_call>';
    const items = parse(t);
    expect(items).toEqual([{ call: 'f', args: '{"a": 1, "b": "x\\"y"}' }]);
    expect(JSON.parse((items[0] as { args: string }).args)).toEqual({ a: 1, b: 'x"y' });
  });

  it('compact form without newlines', () => {
    expect(parse('<tool_call>{"name":"f","arguments":{"a":[]}}</tool_call>')).toEqual([{ call: 'f', args: '{"a":[]}' }]);
  });

  it('the arguments carry no leading whitespace and never the wrapper brace', () => {
    const t = '<tool_call>\n{"name" :  "f" ,\n  "arguments" :\n\n  {"a": 1}  \n}\n</tool_call>';
    expect(parse(t)).toEqual([{ call: 'f', args: '{"a": 1}' }]);
  });
});

describe('hermes: held-back suffixes', () => {
  it('holds back a partial marker and releases it when it can no longer become one', () => {
    const p = hermes();
    expect(p.push('Hello <')).toEqual([{ type: 'text', text: 'Hello ' }]);
    expect(p.push('tool_')).toEqual([]);
    expect(p.push('x> world')).toEqual([{ type: 'text', text: '<tool_x> world' }]);
    expect(p.push(' <tool_call')).toEqual([{ type: 'text', text: ' ' }]);
    expect(p.end()).toEqual([{ type: 'text', text: '<tool_call' }]);
  });

  it('`<`, `<tool`, `<tool_calls>` and `</tool_call>` in ordinary text are text', () => {
    const t = 'if a<b and c <tool then <tool_calls> is plural and <tool_call_x> too; a</tool_ x <';
    expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
  });

  it('a marker split across chunks never shows up in a text delta (case 37)', () => {
    const deltas = feed(hermes, ['Sure.', '\n<tool_', 'call>\n{"name": "f", ', '"arguments": {}}\n</tool_', 'call>']);
    expect(deltas).toEqual([
      { type: 'text', text: 'Sure.' },
      { type: 'text', text: '\n' },
      { type: 'call_start', name: 'f' },
      { type: 'call_args', text: '{}' },
      { type: 'call_end' },
    ]);
  });
});

describe('hermes: incremental emission', () => {
  it('call_start as soon as the name is complete, args as they arrive, call_end at the args end', () => {
    const p = hermes();
    expect(p.push('<tool_call>\n{"name": "get_wea')).toEqual([]);
    expect(p.push('ther", "argu')).toEqual([{ type: 'call_start', name: 'get_weather' }]);
    expect(p.push('ments": ')).toEqual([]);
    expect(p.push(' {"city": "Pa')).toEqual([{ type: 'call_args', text: '{"city": "Pa' }]);
    expect(p.push('ris", "x": "}')).toEqual([{ type: 'call_args', text: 'ris", "x": "}' }]);
    expect(p.push('"}')).toEqual([{ type: 'call_args', text: '"}' }, { type: 'call_end' }]);
    expect(p.push('}\n</tool_call>')).toEqual([]);
    expect(p.end()).toEqual([]);
  });

  it('name and arguments in one chunk: one call_start and one args delta with everything (case 38)', () => {
    const p = hermes();
    expect(p.push('<tool_call>\n{"name": "f", "arguments": {"a": 1, "b": [2]}}\n</tool_call>')).toEqual([
      { type: 'call_start', name: 'f' },
      { type: 'call_args', text: '{"a": 1, "b": [2]}' },
      { type: 'call_end' },
    ]);
  });

  it('reasoning, content and a call in one chunk come out in order (case 39)', () => {
    const p = output()();
    const deltas = p.push(
      '<think>\nNeed the weather.\n</think>\n\nChecking.\n<tool_call>\n{"name": "w", "arguments": {"c": "P"}}\n</tool_call>',
    );
    expect(deltas.map((d) => d.type)).toEqual(['reasoning', 'text', 'call_start', 'call_args', 'call_end']);
  });

  it('parallel calls each get their name before the next starts', () => {
    const t =
      '<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {"y": 2}}\n</tool_call>';
    const deltas = feed(hermes, chars(t));
    const starts = deltas.flatMap((d, k) => (d.type === 'call_start' ? [k] : []));
    const ends = deltas.flatMap((d, k) => (d.type === 'call_end' ? [k] : []));
    expect(starts.length).toBe(2);
    expect(ends[0]).toBeLessThan(starts[1]);
  });
});

describe('hermes: malformed and truncated markup', () => {
  it('`<tool_call>not json</tool_call>` is released as text, as soon as it is known to be malformed', () => {
    const p = hermes();
    expect(p.push('<tool_call>')).toEqual([]);
    expect(p.push('not json')).toEqual([{ type: 'text', text: '<tool_call>not json' }]);
    const rest = [...p.push('</tool_call> ok'), ...p.end()];
    expect(summarize(rest)).toEqual([{ text: '</tool_call> ok' }]);
    expect(parse('<tool_call>not json</tool_call> ok', { allowMarkersInText: true })).toEqual([
      { text: '<tool_call>not json</tool_call> ok' },
    ]);
  });

  it('whitespace before a malformed block is kept with it', () => {
    const t = '<tool_call>{"name": "f"}</tool_call>\n<tool_call>oops';
    expect(parse(t, { allowMarkersInText: true })).toEqual([{ call: 'f', args: '' }, { text: '\n<tool_call>oops' }]);
  });

  it('a marker inside a key, a name, or another value before the name breaks the block off there', () => {
    const t = '<tool_call>\n{"id": "x</tool_call>\n<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>';
    expect(parse(t, { allowMarkersInText: true })).toEqual([
      { text: '<tool_call>\n{"id": "x</tool_call>\n' },
      { call: 'f', args: '{}' },
    ]);
    const u = '<tool_call>\n{"name": "f<tool_call>{"name": "g"}';
    expect(parse(u, { allowMarkersInText: true })).toEqual([{ text: '<tool_call>\n{"name": "f' }, { call: 'g', args: '' }]);
  });

  it('a call object without a name is text', () => {
    const t = 'x\n<tool_call>\n{"arguments": {"a": 1}}\n</tool_call>\ny';
    expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
  });

  it('a name that is not a string, or empty, is text', () => {
    for (const t of ['<tool_call>\n{"name": 42, "arguments": {}}\n</tool_call>', '<tool_call>{"name": "", "arguments": {}}</tool_call>']) {
      expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: t }]);
    }
  });

  it('a malformed block does not hide a following good one', () => {
    const t = '<tool_call>\n<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>';
    expect(parse(t, { allowMarkersInText: true })).toEqual([{ text: '<tool_call>\n' }, { call: 'f', args: '{}' }]);
  });

  it('cut inside the name: the markup is released as text verbatim', () => {
    expect(parse('Let me see.\n<tool_call>\n{"na', { truncated: true, allowMarkersInText: true })).toEqual([
      { text: 'Let me see.\n<tool_call>\n{"na' },
    ]);
    expect(parse('<tool_call>\n{"name": "get_w', { truncated: true, allowMarkersInText: true })).toEqual([
      { text: '<tool_call>\n{"name": "get_w' },
    ]);
    expect(parse('<tool_call>\n{"arguments": {"a": 1}, "na', { truncated: true, allowMarkersInText: true })).toEqual([
      { text: '<tool_call>\n{"arguments": {"a": 1}, "na' },
    ]);
  });

  it('cut inside the arguments: the call stays open (no call_end)', () => {
    expect(parse('<tool_call>\n{"name": "f", "arguments": {"a": [1, ', { truncated: true })).toEqual([
      { call: 'f', args: '{"a": [1, ', open: true },
    ]);
    // (string arguments are only decoded and emitted when complete: the cut-off part is not emitted)
    expect(parse('<tool_call>\n{"name": "f", "arguments": "{\\"a', { truncated: true, noAccounting: true })).toEqual([
      { call: 'f', args: '', open: true },
    ]);
    expect(parse('<tool_call>\n{"name": "f"', { truncated: true })).toEqual([{ call: 'f', args: '', open: true }]);
  });

  it('cut after the arguments: the call is complete; a cut-off end marker is dropped', () => {
    expect(parse('<tool_call>\n{"name": "f", "arguments": {}}\n</tool_', { truncated: true })).toEqual([
      { call: 'f', args: '{}' },
    ]);
    expect(parse('<tool_call>\n{"name": "f", "arguments": {}', { truncated: true })).toEqual([{ call: 'f', args: '{}' }]);
  });

  it('a held-back partial marker is released as text at the end', () => {
    expect(parse('The tag is <tool_', { truncated: true, allowMarkersInText: true })).toEqual([
      { text: 'The tag is <tool_' },
    ]);
  });

  it('a missing wrapper brace before </tool_call> is tolerated', () => {
    const t = '<tool_call>\n{"name": "f", "arguments": {"a": 1}\n</tool_call>\nDone.';
    expect(parse(t)).toEqual([{ call: 'f', args: '{"a": 1}' }, { text: '\nDone.' }]);
  });

  it('an extra closing brace is tolerated', () => {
    const t = '<tool_call>\n{"name": "f", "arguments": {"a": 1}}}\n</tool_call>';
    expect(parse(t)).toEqual([{ call: 'f', args: '{"a": 1}' }]);
  });

  it('arguments cut off by </tool_call> end there (the rest of the output is not swallowed)', () => {
    const t =
      '<tool_call>\n{"name": "f", "arguments": {"a": [1\n</tool_call>\n<tool_call>\n{"name": "g", "arguments": {}}\n</tool_call>';
    expect(parse(t)).toEqual([
      { call: 'f', args: '{"a": [1\n' },
      { call: 'g', args: '{}' },
    ]);
  });

  it('a missing </tool_call> followed by text: the text is text', () => {
    const t = '<tool_call>\n{"name": "f", "arguments": {}}\nThat is all.';
    expect(parse(t)).toEqual([{ call: 'f', args: '{}' }, { text: '\nThat is all.' }]);
  });

  it('garbage after a started call closes it and is released as text', () => {
    const t = '<tool_call>\n{"name": "f", oops}\n</tool_call>';
    const items = parse(t, { allowMarkersInText: true });
    expect(items).toEqual([{ call: 'f', args: '' }, { text: 'oops}\n</tool_call>' }]);
  });

  it('whitespace-only output is text; whitespace before a call is dropped', () => {
    expect(parse('\n\n')).toEqual([{ text: '\n\n' }]);
    expect(parse('\n\n<tool_call>\n{"name": "f"}\n</tool_call>')).toEqual([{ call: 'f', args: '' }]);
    expect(parse('\n\nHi')).toEqual([{ text: '\n\nHi' }]);
  });

  it('never emits empty deltas', () => {
    const deltas: OutputDelta[] = feed(hermes, ['', '<tool_call>', '', '{"name": "f", "arguments": ', '', '{}', '}', '']);
    expect(deltas).toEqual([{ type: 'call_start', name: 'f' }, { type: 'call_args', text: '{}' }, { type: 'call_end' }]);
  });
});
