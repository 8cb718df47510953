/**
 * The `<think>…</think>` reasoning splitter, in front of the hermes format and of plain text.
 */
import { describe, expect, it } from 'vitest';
import { createOutputParser } from '../../src/parsers/index.ts';
import { HERMES_MARKERS, output, parseAll } from './harness.ts';

const think = output();
const parse = (input: string, opts: Parameters<typeof parseAll>[2] = {}) => parseAll(think, input, opts);

describe('think: Qwen3 transcripts', () => {
  it('reasoning then the answer; the newlines around the tags are not emitted', () => {
    const t =
      '<think>\nOkay, the user asks for 2+2. That is 4.\n\nLet me double-check: 2+2=4.\n</think>\n\nThe answer is **4**.';
    expect(parse(t)).toEqual([
      { reasoning: 'Okay, the user asks for 2+2. That is 4.\n\nLet me double-check: 2+2=4.' },
      { text: 'The answer is **4**.' },
    ]);
  });

  it('reasoning then a call', () => {
    const t =
      '<think>\nThe user wants the weather in Paris. I should call get_weather.\n</think>\n\n' +
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
    expect(parse(t)).toEqual([
      { reasoning: 'The user wants the weather in Paris. I should call get_weather.' },
      { call: 'get_weather', args: '{"city": "Paris"}' },
    ]);
  });

  it('empty reasoning (Qwen3 with thinking disabled) gives no reasoning delta', () => {
    expect(parse('<think>\n\n</think>\n\nHi there!')).toEqual([{ text: 'Hi there!' }]);
  });

  it('markup inside reasoning is reasoning', () => {
    const t = '<think>\nMaybe <tool_call> {"name": "x"} </tool_call>? <think> no.\n</think>\n\nOk.';
    expect(parse(t, { allowMarkersInText: true })).toEqual([
      { reasoning: 'Maybe <tool_call> {"name": "x"} </tool_call>? <think> no.' },
      { text: 'Ok.' },
    ]);
  });

  it('whitespace before <think> is allowed', () => {
    expect(parse('\n <think>r</think>a')).toEqual([{ reasoning: 'r' }, { text: 'a' }]);
  });

  it('a later <think> is text, and so is <thinking>', () => {
    expect(parse('Hello <think>x</think>', { markers: HERMES_MARKERS })).toEqual([{ text: 'Hello <think>x</think>' }]);
    expect(parse('<thinking>not reasoning</thinking>', { markers: HERMES_MARKERS })).toEqual([
      { text: '<thinking>not reasoning</thinking>' },
    ]);
    expect(parse('<thi', { markers: HERMES_MARKERS, truncated: true })).toEqual([{ text: '<thi' }]);
  });

  it('unterminated reasoning stays reasoning, a cut-off close tag included', () => {
    expect(parse('<think>\nStill thinking', { truncated: true })).toEqual([{ reasoning: 'Still thinking' }]);
    expect(parse('<think>\nStill thinking</thi', { truncated: true })).toEqual([
      { reasoning: 'Still thinking</thi' },
    ]);
  });

  it('answer whitespace only: nothing', () => {
    expect(parse('<think>r</think>\n\n')).toEqual([{ reasoning: 'r' }]);
  });

  it('holds back a partial close tag', () => {
    const p = think();
    expect(p.push('<think>\nab</')).toEqual([{ type: 'reasoning', text: 'ab' }]);
    expect(p.push('thin')).toEqual([]);
    expect(p.push('g')).toEqual([{ type: 'reasoning', text: '</thing' }]);
    expect(p.push('</think>\n\nX')).toEqual([{ type: 'text', text: 'X' }]);
  });

  it('inReasoning follows the tags', () => {
    const p = think();
    expect(p.inReasoning).toBe(false);
    p.push('<thi');
    expect(p.inReasoning).toBe(false);
    p.push('nk>\nhm');
    expect(p.inReasoning).toBe(true);
    p.push('m</thi');
    expect(p.inReasoning).toBe(true);
    p.push('nk>\n\n');
    expect(p.inReasoning).toBe(false);
    p.push('Answer');
    expect(p.inReasoning).toBe(false);
  });

  it('with reasoningFormat none, <think> is text', () => {
    const make = output({ reasoningFormat: 'none' });
    expect(parseAll(make, '<think>x</think>y', { markers: HERMES_MARKERS })).toEqual([{ text: '<think>x</think>y' }]);
    expect(make().inReasoning).toBe(false);
  });

  it('in front of toolFormat none, everything after </think> is text', () => {
    const make = () => createOutputParser({ toolFormat: 'none', reasoningFormat: 'think' });
    expect(parseAll(make, '<think>r</think>\n\n<tool_call>{"name": "f"}</tool_call>', { allowMarkersInText: true })).toEqual([
      { reasoning: 'r' },
      { text: '<tool_call>{"name": "f"}</tool_call>' },
    ]);
  });
});
