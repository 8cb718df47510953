/**
 * Every tool-call format end to end: a transcript written the way the model family writes it goes
 * through the scripted engine (as one token, one character per token, and word-like tokens), the
 * service, the stream validator and both official SDKs' `responses.stream()` helpers.
 */
import { describe, expect, it } from 'vitest';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { createResponsesService, scriptedEngine, type ScriptedOutput } from '../src/index.ts';
import { SDKS, sdkClient, type FunctionToolParam } from './helpers/clients.ts';
import { validateStream } from './helpers/validate-stream.ts';

const TOOLS: FunctionToolParam[] = [
  {
    type: 'function',
    name: 'get_weather',
    strict: true,
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' }, detail: { type: 'boolean' } },
      required: ['city', 'days', 'detail'],
      additionalProperties: false,
    },
  },
  { type: 'function', name: 'get_time', strict: true, parameters: null },
  {
    type: 'function',
    name: 'search',
    strict: false,
    parameters: { type: 'object', properties: { q: { type: 'string' }, filters: { type: 'object' } } },
  },
];

interface Case {
  format: string;
  reasoningFormat?: string;
  transcript: string;
  reasoning?: string;
  text: string;
  calls: Array<[string, unknown]>;
}

const PARIS = { city: 'Paris "Île-de-France"', days: 3, detail: true };
const SEARCH = { q: 'ünïcode \\ {braces} 😀', filters: { lang: ['fr', 'en'], n: null } };

const CASES: Case[] = [
  {
    format: 'hermes',
    transcript:
      '<think>\nTwo tools are needed.\n</think>\n\nLet me check.\n<tool_call>\n{"name": "get_weather", "arguments": ' +
      `${JSON.stringify(PARIS)}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\n` +
      `<tool_call>\n{"name": "search", "arguments": ${JSON.stringify(SEARCH)}}\n</tool_call>`,
    reasoning: 'Two tools are needed.',
    text: 'Let me check.\n',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'qwen3_xml',
    transcript:
      '<think>\nTwo tools are needed.\n</think>\n\nLet me check.\n<tool_call>\n<function=get_weather>\n<parameter=city>\n' +
      'Paris "Île-de-France"\n</parameter>\n<parameter=days>\n3\n</parameter>\n<parameter=detail>\ntrue\n</parameter>\n' +
      '</function>\n</tool_call>\n<tool_call>\n<function=get_time>\n</function>\n</tool_call>\n<tool_call>\n<function=search>\n' +
      `<parameter=q>\n${SEARCH.q}\n</parameter>\n<parameter=filters>\n${JSON.stringify(SEARCH.filters)}\n</parameter>\n</function>\n</tool_call>`,
    reasoning: 'Two tools are needed.',
    text: 'Let me check.\n',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'llama3_json',
    reasoningFormat: 'none',
    transcript: `{"name": "get_weather", "parameters": ${JSON.stringify(PARIS)}}; {"name": "get_time", "parameters": {}}; {"name": "search", "parameters": ${JSON.stringify(SEARCH)}}`,
    text: '',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'pythonic',
    reasoningFormat: 'none',
    transcript:
      `Let me check.<|tool_call_start|>[get_weather(city='Paris "Île-de-France"', days=3, detail=True), get_time(), ` +
      `search(q='ünïcode \\\\ {braces} 😀', filters={'lang': ['fr', 'en'], 'n': None})]<|tool_call_end|>`,
    text: 'Let me check.',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'mistral',
    reasoningFormat: 'none',
    transcript: `[TOOL_CALLS][{"name": "get_weather", "arguments": ${JSON.stringify(PARIS)}}, {"name": "get_time", "arguments": {}}, {"name": "search", "arguments": ${JSON.stringify(SEARCH)}}]`,
    text: '',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'mistral_v11',
    reasoningFormat: 'none',
    transcript: `Let me check.[TOOL_CALLS]get_weather[ARGS]${JSON.stringify(PARIS)}[TOOL_CALLS]get_time[ARGS]{}[TOOL_CALLS]search[ARGS]${JSON.stringify(SEARCH)}`,
    text: 'Let me check.',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'phi4_mini_json',
    reasoningFormat: 'none',
    transcript: `functools[{"name": "get_weather", "arguments": ${JSON.stringify(PARIS)}}, {"name": "get_time", "arguments": {}}, {"name": "search", "arguments": ${JSON.stringify(SEARCH)}}]`,
    text: '',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
  {
    format: 'harmony',
    transcript:
      '<|channel|>analysis<|message|>Two tools are needed.<|end|><|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|>' +
      `<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>${JSON.stringify(PARIS)}<|call|>` +
      '<|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{}<|call|>' +
      `<|start|>assistant to=functions.search<|channel|>commentary json<|message|>${JSON.stringify(SEARCH)}<|call|>`,
    reasoning: 'Two tools are needed.',
    text: 'Let me check.',
    calls: [['get_weather', PARIS], ['get_time', {}], ['search', SEARCH]],
  },
];

const SPLITS: Array<[string, (t: string) => ScriptedOutput]> = [
  ['one token', (t) => [t]],
  ['one character per token', (t) => Array.from(t)],
  ['word-like tokens', (t) => t],
];

describe.each(CASES)('$format', (c) => {
  it.each(SPLITS)('%s: the SDK helpers and the validator accept the stream, with the expected items', async (_, split) => {
    const results: string[] = [];
    for (const { Ctor } of SDKS) {
      const engine = scriptedEngine({
        model: 'm',
        output: split(c.transcript),
        toolFormat: c.format,
        reasoningFormat: c.reasoningFormat ?? 'think',
      });
      const client = sdkClient(Ctor, createResponsesService({ engine }));
      const stream = client.responses.stream({ model: 'm', input: 'Weather, time and a search, please.', tools: TOOLS as never });
      const events: ResponseStreamEvent[] = [];
      for await (const ev of stream) events.push(ev as ResponseStreamEvent);
      const final = await stream.finalResponse();
      validateStream(events, { tools: TOOLS, reasoningFirst: c.reasoning !== undefined });

      expect(final.status).toBe('completed');
      const calls = final.output.filter((o) => o.type === 'function_call');
      expect(calls.map((o) => [o.name, JSON.parse(o.arguments)])).toEqual(c.calls);
      // Strict tools were parsed by the SDK helper (no throw, parsed_arguments set).
      expect(calls[0].parsed_arguments).toEqual(c.calls[0][1]);
      expect(final.output_text).toBe(c.text);
      const reasoning = final.output
        .filter((o) => o.type === 'reasoning')
        .map((o) => o.content?.map((p) => p.text).join(''));
      expect(reasoning).toEqual(c.reasoning === undefined ? [] : [c.reasoning]);
      // No text delta carries a piece of markup.
      for (const ev of events) {
        if (ev.type === 'response.output_text.delta') expect(ev.delta).not.toMatch(/<\||\|>|<\/?tool_call|<\/?think|\[TOOL_CALLS|\[ARGS|functools\[/);
      }
      results.push(JSON.stringify(final.output.map((o) => ({ ...o, id: undefined, call_id: undefined }))));
    }
    expect(results[1]).toBe(results[0]);
  });
});
