/**
 * tool_choice is enforced (protocol doc §7 cases 18–20, 27): the rendered prompt — with Qwen3's real
 * chat template and a Llama 3.1-style one — ends with the format's prefill, and the stream holds what
 * the mode promises. Every stream goes through the official SDK's `responses.stream()` helper and the
 * stream validator.
 */
import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { APIError, BadRequestError } from 'openai';
import { createResponsesService, type ScriptedEngineOptions, type ScriptedRequest } from '../src/index.ts';
import { recordingEngine, SDKS, sdkClient, toolSpecs, WEATHER_TOOL, type FunctionToolParam } from './helpers/clients.ts';
import { validateStream } from './helpers/validate-stream.ts';
import { LLAMA31_JSON_TOOLS_TEMPLATE, QWEN3 } from './fixtures/templates.ts';

const TIME_TOOL: FunctionToolParam = {
  type: 'function',
  name: 'get_time',
  description: 'Current time in a time zone',
  strict: false,
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};
const TOOLS = [WEATHER_TOOL, TIME_TOOL];

const QWEN3_ENGINE: Omit<ScriptedEngineOptions, 'output'> = {
  chatTemplate: QWEN3.chat_template,
  toolFormat: 'hermes',
  reasoningFormat: 'think',
};
const LLAMA_ENGINE: Omit<ScriptedEngineOptions, 'output'> = {
  chatTemplate: LLAMA31_JSON_TOOLS_TEMPLATE,
  toolFormat: 'llama3_json',
  reasoningFormat: 'none',
};

interface Run {
  events: ResponseStreamEvent[];
  final: Awaited<ReturnType<ReturnType<OpenAI['responses']['stream']>['finalResponse']>>;
  request: ScriptedRequest;
}

/** One streamed request through each SDK major; returns the 7.x run after checking both agree. */
async function run(
  engineOptions: Omit<ScriptedEngineOptions, 'output'>,
  output: string,
  params: Record<string, unknown>,
  { schemaChecks = true } = {},
): Promise<Run> {
  const runs: Run[] = [];
  for (const { Ctor } of SDKS) {
    const { engine, requests } = recordingEngine(output, engineOptions);
    const client = sdkClient(Ctor, createResponsesService({ engine }));
    const stream = client.responses.stream({ model: 'scripted-test', input: 'What is the weather in Paris?', ...params } as never);
    const events: ResponseStreamEvent[] = [];
    for await (const ev of stream) events.push(ev as ResponseStreamEvent);
    const final = await stream.finalResponse();
    // (The validator checks a named call against its schema; `schemaChecks: false` for a non-strict tool
    // whose arguments are deliberately off-schema.)
    validateStream(events, {
      tools: toolSpecs(params.tools as FunctionToolParam[]),
      toolChoice: schemaChecks ? params.tool_choice : undefined,
    });
    runs.push({ events, final, request: requests[0] });
  }
  expect(runs[1].events.map((e) => e.type)).toEqual(runs[0].events.map((e) => e.type));
  return runs[0];
}

const calls = (r: Run) => r.final.output.filter((o) => o.type === 'function_call');
const text = (r: Run) =>
  r.events
    .filter((e) => e.type === 'response.output_text.delta')
    .map((e) => (e as { delta: string }).delta)
    .join('');

describe('tool_choice with the real Qwen3 template (hermes)', () => {
  it('auto: tools rendered, the generation prompt is plain, calls are parsed', async () => {
    const r = await run(QWEN3_ENGINE, '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>', {
      tools: TOOLS,
    });
    expect(r.request.prompt).toContain('<tools>\n{"type": "function", "function": {"name": "get_weather"');
    expect(r.request.prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
    expect(calls(r).map((c) => [c.name, c.arguments])).toEqual([['get_weather', '{"city": "Paris"}']]);
  });

  it('none: tools are not rendered and call markup stays text (case 20)', async () => {
    const markup = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
    const r = await run(QWEN3_ENGINE, markup, { tools: TOOLS, tool_choice: 'none' });
    expect(r.request.prompt).not.toContain('<tools>');
    expect(r.request.tools).toEqual([]);
    expect(calls(r)).toEqual([]);
    expect(r.final.output_text).toBe(markup);
  });

  it('required: the turn is prefilled with the call opener; the model picks the function; no text (case 18)', async () => {
    // The model continues after the prefill; text it writes after its call is not a message item.
    const r = await run(QWEN3_ENGINE, 'get_time", "arguments": {"zone": "Europe/Paris"}}\n</tool_call>\nHere you go.', {
      tools: TOOLS,
      tool_choice: 'required',
    });
    expect(r.request.prompt.endsWith('<|im_start|>assistant\n<tool_call>\n{"name": "')).toBe(true);
    expect(calls(r).map((c) => [c.name, c.arguments])).toEqual([['get_time', '{"zone": "Europe/Paris"}']]);
    expect(r.final.output.map((o) => o.type)).toEqual(['function_call']);
    expect(text(r)).toBe('');
  });

  it('required allows parallel calls', async () => {
    const r = await run(
      QWEN3_ENGINE,
      'get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>',
      { tools: TOOLS, tool_choice: 'required' },
    );
    expect(calls(r).map((c) => c.name)).toEqual(['get_weather', 'get_time']);
  });

  it('a named function: prefilled up to the arguments; exactly one call with that name (case 19)', async () => {
    const r = await run(QWEN3_ENGINE, '{"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}', {
      tools: TOOLS,
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    expect(r.request.prompt.endsWith('<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": ')).toBe(true);
    // Only the named tool is offered to the model.
    expect(r.request.tools.map((t) => t.function.name)).toEqual(['get_weather']);
    expect(calls(r).map((c) => [c.name, c.arguments])).toEqual([['get_weather', '{"city": "Paris"}']]);
    expect(r.final.output).toHaveLength(1);
    expect(r.final.status).toBe('completed');
  });

  it('thinking disabled (reasoning.effort "none"): the prefill follows the empty think block', async () => {
    const r = await run(QWEN3_ENGINE, 'get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>', {
      tools: TOOLS,
      tool_choice: 'required',
      reasoning: { effort: 'none' },
    });
    expect(r.request.prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n<tool_call>\n{"name": "')).toBe(true);
    expect(r.final.output.map((o) => o.type)).toEqual(['function_call']);
  });

  it('allowed_tools: only those tools are rendered; mode required forces a call', async () => {
    const r = await run(QWEN3_ENGINE, 'get_time", "arguments": {"zone": "UTC"}}\n</tool_call>', {
      tools: TOOLS,
      tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_time' }] },
    });
    expect(r.request.tools.map((t) => t.function.name)).toEqual(['get_time']);
    expect(r.request.prompt).not.toContain('"get_weather"');
    expect(r.request.prompt.endsWith('<tool_call>\n{"name": "')).toBe(true);
    expect(calls(r).map((c) => c.name)).toEqual(['get_time']);
  });

  it('allowed_tools with mode auto: only those tools, nothing forced', async () => {
    const r = await run(QWEN3_ENGINE, 'Just text.', {
      tools: TOOLS,
      tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'get_weather' }] },
    });
    expect(r.request.tools.map((t) => t.function.name)).toEqual(['get_weather']);
    expect(r.request.prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
    expect(r.final.output_text).toBe('Just text.');
  });

  it('parallel_tool_calls: false stops generation after the first complete call', async () => {
    let pulled = 0;
    const output = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>';
    const { engine } = recordingEngine((r) => {
      void r;
      return output.match(/[\s\S]{1,3}/g)!.map((t) => t);
    }, QWEN3_ENGINE);
    const counting = {
      models: () => engine.models(),
      async *generate(req: Parameters<typeof engine.generate>[0]) {
        for await (const ev of engine.generate(req)) {
          if (ev.type === 'chunk') pulled++;
          yield ev;
        }
      },
    };
    const client = sdkClient(SDKS[0].Ctor, createResponsesService({ engine: counting }));
    const final = await client.responses
      .stream({ model: 'scripted-test', input: 'hi', tools: TOOLS as never, parallel_tool_calls: false })
      .finalResponse();
    expect(final.output.map((o) => (o.type === 'function_call' ? o.name : o.type))).toEqual(['get_weather']);
    expect(pulled).toBeLessThan(output.length / 3 - 10); // the second call was never generated
  });

  it('required with max_output_tokens hit inside the call: incomplete, the cut call left out (case 27)', async () => {
    const r = await run(QWEN3_ENGINE, 'get_weather", "arguments": {"city": "Paris, the capital of France"}}\n</tool_call>', {
      tools: TOOLS,
      tool_choice: 'required',
      max_output_tokens: 4,
    });
    expect(r.final.status).toBe('incomplete');
    expect(r.final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(calls(r)).toEqual([]);
    const added = r.events.filter((e) => e.type === 'response.output_item.added');
    expect(added.map((e) => (e as { item: { type: string } }).item.type)).toEqual(['function_call']);
  });

  it('a strict tool whose arguments break its schema fails the response (tool_arguments_invalid)', async () => {
    for (const { Ctor } of SDKS) {
      const { engine } = recordingEngine('{"city": 42}}\n</tool_call>', QWEN3_ENGINE);
      const service = createResponsesService({ engine });
      const client = sdkClient(Ctor, service);
      const stream = client.responses.stream({
        model: 'scripted-test',
        input: 'weather?',
        tools: TOOLS as never,
        tool_choice: { type: 'function', name: 'get_weather' },
      });
      const err = await (async () => {
        try {
          for await (const _ of stream) void _;
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/arguments for 'get_weather' do not match its strict schema: city: .*expected string/);
      // The raw stream: the call item is closed, then error + response.failed with the code.
      const res = await service.fetch('http://localhost/v1/responses', {
        method: 'POST',
        body: JSON.stringify({ model: 'scripted-test', input: 'w', stream: true, tools: TOOLS, tool_choice: { type: 'function', name: 'get_weather' } }),
      });
      const body = await res.text();
      expect(body).toContain('"code":"tool_arguments_invalid"');
      expect(body).toMatch(/event: error\n[^\n]*\n\nevent: response\.failed\n/);
      expect(err).toBeInstanceOf(Ctor === SDKS[0].Ctor ? APIError : Error);
    }
  });

  it('the same arguments on a non-strict tool are returned as the model wrote them', async () => {
    const r = await run(
      QWEN3_ENGINE,
      '{"zone": 42}}\n</tool_call>',
      { tools: TOOLS, tool_choice: { type: 'function', name: 'get_time' } },
      { schemaChecks: false },
    );
    expect(calls(r).map((c) => c.arguments)).toEqual(['{"zone": 42}']);
  });

  it('a model without a tool format cannot be forced: a 400 that says so', async () => {
    const { engine } = recordingEngine('hello', { ...QWEN3_ENGINE, toolFormat: 'none' });
    const client = sdkClient(SDKS[0].Ctor, createResponsesService({ engine }));
    const err = await client.responses
      .create({ model: 'scripted-test', input: 'hi', tools: TOOLS as never, tool_choice: 'required' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe('tool_choice');
    expect((err as Error).message).toMatch(/Cannot enforce tool_choice 'required': model 'scripted-test' has no tool-call format/);
  });
});

describe('tool_choice with a Llama 3.1-style template (llama3_json)', () => {
  it('auto: a bare JSON call is parsed', async () => {
    const r = await run(LLAMA_ENGINE, '{"name": "get_weather", "parameters": {"city": "Paris"}}', { tools: TOOLS });
    expect(r.request.prompt.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\n')).toBe(true);
    expect(r.request.prompt).toContain('"name": "get_weather"');
    expect(calls(r).map((c) => [c.name, c.arguments])).toEqual([['get_weather', '{"city": "Paris"}']]);
  });

  it('required: prefilled with {"name": " (case 18)', async () => {
    const r = await run(LLAMA_ENGINE, 'get_time", "parameters": {"zone": "UTC"}}', { tools: TOOLS, tool_choice: 'required' });
    expect(r.request.prompt.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\n{"name": "')).toBe(true);
    expect(calls(r).map((c) => [c.name, c.arguments])).toEqual([['get_time', '{"zone": "UTC"}']]);
    expect(text(r)).toBe('');
  });

  it('named: prefilled up to the parameters (case 19)', async () => {
    const r = await run(LLAMA_ENGINE, '{"city": "Rome"}}', { tools: TOOLS, tool_choice: { type: 'function', name: 'get_weather' } });
    expect(r.request.prompt.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\n{"name": "get_weather", "parameters": ')).toBe(true);
    expect(calls(r).map((c) => [c.name, c.arguments])).toEqual([['get_weather', '{"city": "Rome"}']]);
  });

  it('none: no tools in the prompt and JSON stays text (case 20)', async () => {
    const json = '{"name": "get_weather", "parameters": {"city": "Paris"}}';
    const r = await run(LLAMA_ENGINE, json, { tools: TOOLS, tool_choice: 'none' });
    expect(r.request.prompt).not.toContain('Given the following functions');
    expect(calls(r)).toEqual([]);
    expect(r.final.output_text).toBe(json);
  });
});

describe('format detection from chat templates', () => {
  it('finds each model family\'s format in its template', async () => {
    const { detectToolFormat, detectReasoningFormat, CHATML_TOOLS_TEMPLATE } = await import('../src/index.ts');
    const { LLAMA3 } = await import('./fixtures/templates.ts');
    expect([detectToolFormat(QWEN3.chat_template), detectReasoningFormat(QWEN3.chat_template)]).toEqual(['hermes', 'think']);
    expect([detectToolFormat(LLAMA31_JSON_TOOLS_TEMPLATE), detectReasoningFormat(LLAMA31_JSON_TOOLS_TEMPLATE)]).toEqual(['llama3_json', 'none']);
    expect(detectToolFormat(CHATML_TOOLS_TEMPLATE)).toBe('hermes');
    // Llama 3.0's template has no tools at all.
    expect(detectToolFormat(LLAMA3.chat_template)).toBe('none');
    // Markers of the other families, as their templates write them.
    expect(detectToolFormat("{{- '<tool_call>\\n<function=' + tool_call.name + '>\\n' }}")).toBe('qwen3_xml');
    expect(detectToolFormat("{{- '<|start|>assistant<|channel|>analysis<|message|>' }}")).toBe('harmony');
    expect(detectToolFormat("{{- '[TOOL_CALLS]' + name + '[ARGS]' + args }}")).toBe('mistral_v11');
    expect(detectToolFormat("{{- '[TOOL_CALLS][' + calls + ']' }}")).toBe('mistral');
    expect(detectToolFormat("{{- '<|tool_call_start|>[' }}")).toBe('pythonic');
    expect(detectToolFormat("{{- '<|system|>' + '<|tool|>' + tools + '<|/tool|>' }}")).toBe('phi4_mini_json');
  });

  it('the scripted engine takes its formats from the template it is given', async () => {
    const { engine, requests } = recordingEngine('{"name": "get_weather", "parameters": {"city": "Oslo"}}', {
      chatTemplate: LLAMA31_JSON_TOOLS_TEMPLATE,
    });
    expect(engine.models()[0]).toMatchObject({ toolFormat: 'llama3_json', reasoningFormat: 'none' });
    const final = await sdkClient(SDKS[0].Ctor, createResponsesService({ engine }))
      .responses.create({ model: 'scripted-test', input: 'Oslo?', tools: TOOLS as never });
    expect(requests).toHaveLength(1);
    expect(final.output.map((o) => (o.type === 'function_call' ? o.name : o.type))).toEqual(['get_weather']);
  });
});
