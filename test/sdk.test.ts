/**
 * The service through the official SDK, both majors (openai 7.57 and openai6 6.49), with `service.fetch` as the
 * SDK's transport. For every scenario (protocol doc §3, §7):
 *
 * - `client.responses.stream(params)` iterates without throwing and `finalResponse()` resolves with the expected
 *   output (text, `output_text`, call names, call_ids, arguments, statuses, usage);
 * - `client.responses.create({...params, stream: true})` yields the same ordered event types as the helper saw;
 * - the raw events (and the helper's) pass `validateStream`;
 * - the helper's final response and the raw stream's terminal response are the same modulo ids and timestamps.
 */
import type OpenAI from 'openai';
import type {
  ParsedResponse,
  Response as OpenAIResponse,
  ResponseCreateParamsBase,
  ResponseFunctionToolCall,
  ResponseInputItem,
  ResponseOutputMessage,
  ResponseReasoningItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { createResponsesService, pseudoTokenize, scriptedEngine, type ScriptedOutput } from '../src/index.ts';
import {
  MODEL,
  SDKS,
  TIME_TOOL,
  UNITS_TOOL,
  WEATHER_TOOL,
  collect,
  countingEngine,
  fetchEvents,
  hermesCall,
  scriptedService,
  sdkClient,
  serialEngine,
  sleep,
  think,
  thrown,
  tokenCount,
  toolSpecs,
  within,
  type FunctionToolParam,
  type SdkCtor,
} from './helpers/clients.ts';
import { validateStream, type ValidateStreamOptions, type ValidatedStream } from './helpers/validate-stream.ts';

type Params = Omit<ResponseCreateParamsBase, 'stream' | 'tools'> & { tools?: FunctionToolParam[] };
type Final = ParsedResponse<unknown>;
type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/**
 * Replaces every id (`resp_`, `msg_`, `fc_`, `rs_`, `call_`) by a placeholder numbered in order of first
 * appearance, and timestamps by a marker, so two runs of the same scenario compare equal.
 */
function normalize(value: unknown): unknown {
  const ids = new Map<string, string>();
  const walk = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v !== null && typeof v === 'object' && key !== 'timings') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    if ((key === 'created_at' || key === 'completed_at') && typeof v === 'number') return '<time>';
    if (key === 'timings' && v !== null && typeof v === 'object') return '<timings>'; // measured, differs per run
    if (typeof v === 'string') {
      const m = /^(resp|msg|fc|rs|call)_[0-9a-zA-Z]+$/.exec(v);
      if (m && (key === 'id' || key === 'call_id' || key === 'item_id')) {
        if (!ids.has(v)) ids.set(v, `${m[1]}_#${ids.size}`);
        return ids.get(v);
      }
    }
    return v;
  };
  return walk(value);
}

/** The SDK's client-side additions (`output_text`, `output_parsed`, `parsed`, `parsed_arguments`) removed. */
function withoutSdkAdditions(response: Final | OpenAIResponse): Obj {
  const r = structuredClone(response) as unknown as Obj;
  delete r.output_text;
  delete r.output_parsed;
  for (const item of r.output as Obj[]) {
    delete item.parsed_arguments;
    if (Array.isArray(item.content)) for (const part of item.content as Obj[]) delete part.parsed;
  }
  return r;
}

interface RunResult {
  final: Final;
  helperEvents: ResponseStreamEvent[];
  rawEvents: ResponseStreamEvent[];
  validated: ValidatedStream;
}

/** The three checks every scenario shares; returns what the scenario asserts on. */
async function run(client: OpenAI, params: Params, opts: ValidateStreamOptions = {}): Promise<RunResult> {
  const validateOpts: ValidateStreamOptions = { tools: toolSpecs(params.tools), toolChoice: params.tool_choice, ...opts };

  // 1. The helper: iterates without throwing, finalResponse() resolves.
  const helper = client.responses.stream(params);
  const helperEvents: ResponseStreamEvent[] = [];
  for await (const ev of helper) helperEvents.push(ev);
  const final = await helper.finalResponse();

  // 2. Raw iteration: same ordered event types.
  const rawStream = await client.responses.create({ ...params, stream: true });
  const rawEvents = await collect(rawStream);
  expect(rawEvents.map((e) => e.type)).toEqual(helperEvents.map((e) => e.type));

  // 3. Both pass the validator.
  const validated = validateStream(rawEvents, validateOpts);
  const helperValidated = validateStream(structuredClone(helperEvents), validateOpts);

  // The helper's final response is its terminal event's response (plus the SDK's additions)...
  expect(final.id).toBe(helperValidated.response.id);
  expect(withoutSdkAdditions(final)).toEqual(helperValidated.response);
  // ...and the raw run produced the same response, modulo ids and timestamps.
  expect(normalize(validated.response)).toEqual(normalize(helperValidated.response));
  return { final, helperEvents, rawEvents, validated };
}

function messages(final: Final): ResponseOutputMessage[] {
  return final.output.filter((o): o is ResponseOutputMessage & Final['output'][number] => o.type === 'message');
}

function calls(final: Final): Array<ResponseFunctionToolCall & { parsed_arguments?: unknown }> {
  return final.output.filter((o) => o.type === 'function_call') as Array<ResponseFunctionToolCall & { parsed_arguments?: unknown }>;
}

function reasoningText(final: Final): string[] {
  return final.output
    .filter((o): o is ResponseReasoningItem & Final['output'][number] => o.type === 'reasoning')
    .map((r) => (r.content ?? []).map((c) => c.text).join(''));
}

function messageText(m: ResponseOutputMessage): string {
  return m.content.map((c) => (c.type === 'output_text' ? c.text : '')).join('');
}

/** Usage as the scripted engine counts it: prompt and output pseudo-tokens. */
function expectUsage(final: Final, prompt: string, output: ScriptedOutput, produced = tokenCount(output)): void {
  const u = final.usage!;
  expect(u).toBeTruthy();
  expect(u.input_tokens).toBe(pseudoTokenize(prompt).length);
  expect(u.output_tokens).toBe(produced);
  expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
  expect(u.input_tokens_details.cached_tokens).toBe(0);
  expect(Number.isInteger(u.output_tokens_details.reasoning_tokens)).toBe(true);
}

function expectCall(
  call: ResponseFunctionToolCall & { parsed_arguments?: unknown },
  name: string,
  args: unknown,
  status: 'completed' | 'incomplete' = 'completed',
): void {
  expect(call.type).toBe('function_call');
  expect(call.name).toBe(name);
  expect(call.status).toBe(status);
  expect(call.id).toMatch(/^fc_[0-9a-f]+$/);
  expect(call.call_id).toMatch(/^call_[0-9a-f]+$/);
  expect(JSON.parse(call.arguments)).toEqual(args);
}

const USER = 'What is the weather in Paris?';

// ---------------------------------------------------------------------------------------------------------------

describe.each(SDKS)('$sdk', ({ Ctor }) => {
  const setup = (output: ScriptedOutput | Parameters<typeof scriptedService>[0]) => {
    const { service, requests } = scriptedService(output);
    return { service, requests, client: sdkClient(Ctor, service) };
  };

  it('plain text', async () => {
    const output = 'Hello, world! 🌍 Ça va? 1234 — «ok»';
    const { client, requests } = setup(output);
    const { final, validated } = await run(client, { model: MODEL, input: 'Hi' });
    expect(final.status).toBe('completed');
    expect(final.error).toBeNull();
    expect(final.incomplete_details).toBeNull();
    expect(final.output.map((o) => o.type)).toEqual(['message']);
    const [msg] = messages(final);
    expect(msg.status).toBe('completed');
    expect(msg.role).toBe('assistant');
    expect(msg.id).toMatch(/^msg_/);
    expect(messageText(msg)).toBe(output);
    expect(final.output_text).toBe(output);
    expect(validated.outputText).toBe(output);
    expectUsage(final, requests[0].prompt, output);
    expect(final.usage!.output_tokens_details.reasoning_tokens).toBe(0);
    // Every run rendered the same prompt.
    expect(new Set(requests.map((r) => r.prompt)).size).toBe(1);
  });

  it('reasoning then text', async () => {
    const output = `${think('The user greets me. I should greet back.')}Hello there!`;
    const { client, requests } = setup(output);
    const { final } = await run(client, { model: MODEL, input: 'Hi' }, { reasoningFirst: true });
    expect(final.status).toBe('completed');
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0].id).toMatch(/^rs_/);
    expect(reasoningText(final).map((t) => t.trim())).toEqual(['The user greets me. I should greet back.']);
    expect(final.output_text).toBe('Hello there!');
    expectUsage(final, requests[0].prompt, output);
    expect(final.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(final.usage!.output_tokens_details.reasoning_tokens).toBeLessThan(final.usage!.output_tokens);
  });

  it('text then one call', async () => {
    const output = `Let me check the weather.\n${hermesCall('get_weather', { city: 'Paris' })}`;
    const { client, requests } = setup(output);
    const tools = [WEATHER_TOOL];
    const { final, rawEvents } = await run(client, { model: MODEL, input: USER, tools });
    expect(final.status).toBe('completed');
    expect(final.output.map((o) => o.type)).toEqual(['message', 'function_call']);
    expect(messageText(messages(final)[0]).trim()).toBe('Let me check the weather.');
    expect(final.output_text.trim()).toBe('Let me check the weather.');
    const [call] = calls(final);
    expectCall(call, 'get_weather', { city: 'Paris' });
    expect(call.parsed_arguments).toEqual({ city: 'Paris' }); // strict tool: parsed by the SDK
    expect(call.call_id).not.toBe(call.id);
    // The call's identity is the one streamed.
    const added = rawEvents.find((e) => e.type === 'response.output_item.added' && e.item.type === 'function_call');
    expect(added && added.type === 'response.output_item.added' && added.item.type === 'function_call' && added.item.name).toBe('get_weather');
    expectUsage(final, requests[0].prompt, output);
    // The tool was shown to the model.
    expect(requests[0].prompt).toContain('"name": "get_weather"');
    expect(requests[0].prompt).toContain(`<|im_start|>user\n${USER}<|im_end|>`);
  });

  it('two parallel calls', async () => {
    const output = `${hermesCall('get_weather', { city: 'Paris' })}\n${hermesCall('get_weather', { city: 'Oslo' })}`;
    const { client, requests } = setup(output);
    const { final } = await run(client, { model: MODEL, input: 'Weather in Paris and Oslo?', tools: [WEATHER_TOOL] });
    expect(final.status).toBe('completed');
    expect(final.output.map((o) => o.type)).toEqual(['function_call', 'function_call']);
    const [a, b] = calls(final);
    expectCall(a, 'get_weather', { city: 'Paris' });
    expectCall(b, 'get_weather', { city: 'Oslo' });
    expect(a.parsed_arguments).toEqual({ city: 'Paris' });
    expect(b.parsed_arguments).toEqual({ city: 'Oslo' });
    expect(new Set([a.id, b.id, a.call_id, b.call_id]).size).toBe(4);
    expect(final.output_text).toBe('');
    expectUsage(final, requests[0].prompt, output);
  });

  it('calls without arguments to strict parameterless tools give exactly "{}"', async () => {
    // No arguments key, an empty object, and null: all become "{}".
    const output = [
      hermesCall('get_time'),
      hermesCall('list_units', {}),
      '<tool_call>\n{"name": "get_time", "arguments": null}\n</tool_call>',
    ].join('\n');
    const { client, requests } = setup(output);
    const tools = [TIME_TOOL, UNITS_TOOL];
    const { final, rawEvents } = await run(client, { model: MODEL, input: 'What time is it?', tools });
    expect(final.status).toBe('completed');
    expect(calls(final).map((c) => c.name)).toEqual(['get_time', 'list_units', 'get_time']);
    for (const call of calls(final)) {
      expect(call.arguments).toBe('{}');
      expect(call.parsed_arguments).toEqual({});
      expect(call.status).toBe('completed');
    }
    // On the wire: exactly one "{}" delta and a done per call.
    const deltas = rawEvents.filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(deltas.map((e) => (e as { delta: string }).delta)).toEqual(['{}', '{}', '{}']);
    expect(rawEvents.filter((e) => e.type === 'response.function_call_arguments.done')).toHaveLength(3);
    // The parameterless tools reach the template without a schema.
    expect(requests[0].tools.map((t) => t.function.name)).toEqual(['get_time', 'list_units']);
    expect(requests[0].tools[0].function).not.toHaveProperty('parameters');
    expectUsage(final, requests[0].prompt, output);
  });

  it('a parameterless call written with whitespace inside the braces keeps the model\'s bytes and parses to {}', async () => {
    // `{ }` / `{\n}` is how some models write an empty object. The argument deltas are the model's own
    // bytes (no re-serialization); strict clients can still JSON.parse them (protocol doc §7 case 14).
    const output = [
      '<tool_call>\n{"name": "get_time", "arguments": { }}\n</tool_call>',
      '<tool_call>\n{"name": "list_units", "arguments": {\n}}\n</tool_call>',
    ].join('\n');
    const { client } = setup(output);
    const { final } = await run(client, { model: MODEL, input: 'What time is it?', tools: [TIME_TOOL, UNITS_TOOL] });
    expect(calls(final).map((c) => [c.name, c.arguments, c.parsed_arguments])).toEqual([
      ['get_time', '{ }', {}],
      ['list_units', '{\n}', {}],
    ]);
  });

  it('text with U+2028/U+2029, a CR and emoji split across tokens reaches the SDK intact', async () => {
    const text = 'a\u2028b\u2029c\rd 👩‍👩‍👧 e\u0301';
    const { client } = setup(Array.from(text));
    const { final } = await run(client, { model: MODEL, input: 'Hi' });
    expect(final.output_text).toBe(text);
  });

  it('reasoning then a call', async () => {
    const output = `${think('I need the weather tool.')}${hermesCall('get_weather', { city: 'Paris' })}`;
    const { client, requests } = setup(output);
    const { final } = await run(client, { model: MODEL, input: USER, tools: [WEATHER_TOOL] }, { reasoningFirst: true });
    expect(final.status).toBe('completed');
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    expect(reasoningText(final)[0].trim()).toBe('I need the weather tool.');
    expectCall(calls(final)[0], 'get_weather', { city: 'Paris' });
    expect(calls(final)[0].parsed_arguments).toEqual({ city: 'Paris' });
    expect(final.output_text).toBe('');
    expectUsage(final, requests[0].prompt, output);
    expect(final.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it('max_output_tokens hit mid-text: incomplete with reason max_output_tokens', async () => {
    const output = ['One', ' two', ' three', ' four', ' five', ' six'];
    const { client, requests } = setup(output);
    const { final, validated } = await run(client, { model: MODEL, input: 'Count', max_output_tokens: 3 });
    expect(validated.terminal).toBe('response.incomplete');
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details?.reason).toBe('max_output_tokens');
    expect(final.max_output_tokens).toBe(3);
    expect(final.output.map((o) => o.type)).toEqual(['message']);
    expect(messages(final)[0].status).toBe('incomplete');
    expect(final.output_text).toBe('One two three');
    expectUsage(final, requests[0].prompt, output, 3);
  });

  it('max_output_tokens hit mid-call: the cut call is closed on the stream and absent from the output', async () => {
    const output = [
      'Checking',
      ' now.',
      '\n',
      '<tool_call>',
      '\n{"name": "get_weather", ',
      '"arguments": {"city": ',
      '"Pa',
      'ris"}}',
      '\n</tool_call>',
    ];
    const { client, requests } = setup(output);
    const { final, rawEvents, validated } = await run(client, {
      model: MODEL,
      input: USER,
      tools: [WEATHER_TOOL],
      max_output_tokens: 7,
    });
    expect(validated.terminal).toBe('response.incomplete');
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details?.reason).toBe('max_output_tokens');
    // The text before the call is complete and kept; the call is not in the output.
    expect(final.output.map((o) => o.type)).toEqual(['message']);
    expect(messages(final)[0].status).toBe('completed');
    expect(final.output_text.trim()).toBe('Checking now.');
    // On the stream the call was opened and closed 'incomplete'.
    const doneCalls = rawEvents.flatMap((e) =>
      e.type === 'response.output_item.done' && e.item.type === 'function_call' ? [e.item] : [],
    );
    expect(doneCalls).toHaveLength(1);
    expect(doneCalls[0].status).toBe('incomplete');
    expect(doneCalls[0].name).toBe('get_weather');
    expect(final.output.some((o) => o.id === doneCalls[0].id)).toBe(false);
    expect(validated.items.map((i) => i.type)).toEqual(['message', 'function_call']);
    expectUsage(final, requests[0].prompt, output, 7);
  });

  it('an engine error mid-stream: APIError with our message, from helper and raw iteration', async () => {
    const message = 'The GPU device was lost while generating.';
    const output = ['Partial', ' answer', new Error(message), ' never'];
    const { client, service } = setup(output);
    const params = { model: MODEL, input: 'Hi' };

    // The wire: text so far, then error + response.failed.
    const wire = validateStream(await fetchEvents(service, params));
    expect(wire.terminal).toBe('response.failed');
    expect(wire.response.status).toBe('failed');
    expect(wire.response.error?.message).toBe(message);
    expect(wire.outputText).toBe('Partial answer');

    // Helper iteration.
    const helper = client.responses.stream(params);
    const seen: string[] = [];
    const helperErr = await thrown(async () => {
      for await (const ev of helper) seen.push(ev.type);
    });
    expect(helperErr).toBeInstanceOf(Ctor.APIError);
    expect((helperErr as InstanceType<typeof Ctor.APIError>).message).toBe(message);
    expect(seen).toContain('response.output_text.delta');
    expect(seen).not.toContain('response.completed');
    const finalErr = await thrown(() => helper.finalResponse());
    expect(finalErr).toBeInstanceOf(Ctor.APIError);
    expect((finalErr as Error).message).toBe(message);

    // Raw iteration.
    const raw = await client.responses.create({ ...params, stream: true });
    const rawSeen: string[] = [];
    const rawErr = await thrown(async () => {
      for await (const ev of raw) rawSeen.push(ev.type);
    });
    expect(rawErr).toBeInstanceOf(Ctor.APIError);
    expect((rawErr as InstanceType<typeof Ctor.APIError>).message).toBe(message);
    expect((rawErr as InstanceType<typeof Ctor.APIError>).code).toBe('server_error');
    expect(rawSeen).toEqual(seen);

    // Non-streaming: the error becomes an HTTP 500 with the same message.
    const nonStream = await thrown(() => client.responses.create(params));
    expect(nonStream).toBeInstanceOf(Ctor.InternalServerError);
    expect((nonStream as InstanceType<typeof Ctor.APIError>).status).toBe(500);
    expect((nonStream as Error).message).toContain(message);
  });

  describe('400 before any stream byte: BadRequestError with .param', () => {
    const cases: Array<{ name: string; params: Obj; param: string; code: string }> = [
      {
        name: 'function_call_output without call_id',
        params: { model: MODEL, input: [{ role: 'user', content: 'Hi' }, { type: 'function_call_output', output: '21' }] },
        param: 'input[1].call_id',
        code: 'missing_required_parameter',
      },
      {
        name: 'an input item of an unknown type',
        params: { model: MODEL, input: [{ type: 'telepathy', content: 'Hi' }] },
        param: 'input[0].type',
        code: 'invalid_value',
      },
      {
        name: 'an unknown top-level parameter',
        params: { model: MODEL, input: 'Hi', frobnicate: true },
        param: 'frobnicate',
        code: 'unknown_parameter',
      },
    ];
    it.each(cases)('$name', async ({ params, param, code }) => {
      const { client, requests } = setup('never');
      const check = (err: unknown) => {
        expect(err).toBeInstanceOf(Ctor.BadRequestError);
        const e = err as InstanceType<typeof Ctor.APIError>;
        expect(e.status).toBe(400);
        expect(e.param).toBe(param);
        expect(e.code).toBe(code);
        expect(e.type).toBe('invalid_request_error');
        expect(e.message).toContain(param);
      };
      const p = params as unknown as ResponseCreateParamsBase;
      check(await thrown(() => client.responses.create({ ...p, stream: false })));
      check(await thrown(() => client.responses.create({ ...p, stream: true })));
      check(
        await thrown(async () => {
          const s = client.responses.stream(p as Parameters<typeof client.responses.stream>[0]);
          for await (const _ of s) void _;
        }),
      );
      expect(requests).toHaveLength(0); // the engine never ran
    });
  });

  it('404 for an unknown model: NotFoundError with param "model"', async () => {
    const { client, requests } = setup('never');
    for (const stream of [false, true]) {
      const err = await thrown(() => client.responses.create({ model: 'no-such-model', input: 'Hi', stream }));
      expect(err).toBeInstanceOf(Ctor.NotFoundError);
      const e = err as InstanceType<typeof Ctor.APIError>;
      expect(e.status).toBe(404);
      expect(e.param).toBe('model');
      expect(e.code).toBe('model_not_found');
      expect(e.message).toContain('no-such-model');
    }
    const helperErr = await thrown(async () => {
      for await (const _ of client.responses.stream({ model: 'no-such-model', input: 'Hi' })) void _;
    });
    expect(helperErr).toBeInstanceOf(Ctor.NotFoundError);
    expect(requests).toHaveLength(0);
  });

  it('non-streaming create returns the Response that response.completed carries', async () => {
    const output = `${think('Two steps.')}Sure.\n${hermesCall('get_weather', { city: 'Paris' })}\n${hermesCall('get_time')}`;
    const { client, requests } = setup(output);
    const params: Params = { model: MODEL, input: USER, tools: [WEATHER_TOOL, TIME_TOOL], instructions: 'Be brief.' };
    const { validated } = await run(client, params, { reasoningFirst: true });
    const response = await client.responses.create({ ...params, stream: false });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(response.output_text.trim()).toBe('Sure.');
    // Same object as the streamed terminal response, modulo ids and timestamps.
    expect(normalize(withoutSdkAdditions(response))).toEqual(normalize(validated.response));
    expect(Object.keys(response.usage!).sort()).toEqual(Object.keys(validated.response.usage!).sort());
    expectUsage(response as Final, requests[0].prompt, output);
    // Ids are unique and well-formed.
    const ids = response.output.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('second turn: replaying the function_call (with parsed_arguments) plus its output renders both', async () => {
    const answer = 'It is 21 °C and sunny in Paris.';
    const { client, requests } = setup((r) =>
      r.messages.some((m) => m.role === 'tool')
        ? answer
        : `${think('Call the tool.')}Checking.\n${hermesCall('get_weather', { city: 'Paris' })}`,
    );
    const tools = [WEATHER_TOOL];
    const first = await run(client, { model: MODEL, input: USER, tools });
    const call = calls(first.final)[0];
    expect(call).toBeDefined();
    expect(call.parsed_arguments).toEqual({ city: 'Paris' });
    expect(Object.keys(call)).toContain('parsed_arguments'); // the extra key is really sent back

    const input = [
      { role: 'user', content: USER },
      ...first.final.output, // reasoning, message (with `parsed`), function_call (with `parsed_arguments`)
      { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c": 21, "sky": "sunny"}' },
    ] as ResponseInputItem[];
    const before = requests.length;
    const second = await run(client, { model: MODEL, input, tools });
    expect(second.final.status).toBe('completed');
    expect(second.final.output_text).toBe(answer);
    expect(calls(second.final)).toHaveLength(0);

    const prompt = requests[before].prompt;
    expect(prompt).toContain(`<|im_start|>user\n${USER}<|im_end|>`);
    expect(prompt).toContain('Call the tool.');
    expect(prompt).toContain('Checking.');
    expect(prompt).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
    expect(prompt).toContain('<tool_response>\n{"temp_c": 21, "sky": "sunny"}\n</tool_response>');
    expect(prompt.indexOf('<tool_call>\n{"name": "get_weather"')).toBeLessThan(prompt.indexOf('<tool_response>'));
    expect(prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
    const tool = requests[before].messages.find((m) => m.role === 'tool');
    expect(tool).toMatchObject({ tool_call_id: call.call_id, name: 'get_weather' });
  });
});

describe.each(SDKS)('$sdk: client aborts stop the engine at the next chunk', ({ Ctor }) => {
  const WORDS = Array.from({ length: 60 }, (_, k) => ` w${k}`);

  type Mode = 'helper abort()' | 'helper break' | 'helper signal' | 'raw break' | 'raw controller.abort()';
  const MODES: Mode[] = ['helper abort()', 'helper break', 'helper signal', 'raw break', 'raw controller.abort()'];

  it.each(MODES)('%s', async (mode) => {
    const { engine, stats } = countingEngine(scriptedEngine({ model: MODEL, output: WORDS, tokenDelayMs: 2 }));
    const client = sdkClient(Ctor, createResponsesService({ engine: serialEngine(engine) }));
    const params = { model: MODEL, input: 'Count' };
    let atAbort = -1;
    let deltas = 0;
    const ac = new AbortController();
    const hit = (type: string) => type === 'response.output_text.delta' && ++deltas === 3;
    let error: unknown = null;
    try {
      if (mode.startsWith('helper')) {
        const s = client.responses.stream(params, mode === 'helper signal' ? { signal: ac.signal } : {});
        for await (const ev of s) {
          if (!hit(ev.type)) continue;
          atAbort = stats.chunks;
          if (mode === 'helper break') break;
          if (mode === 'helper abort()') s.abort();
          else ac.abort();
        }
      } else {
        const s = await client.responses.create({ ...params, stream: true });
        for await (const ev of s) {
          if (!hit(ev.type)) continue;
          atAbort = stats.chunks;
          if (mode === 'raw break') break;
          s.controller.abort();
        }
      }
    } catch (err) {
      error = err;
    }
    if (error !== null) expect(error).toBeInstanceOf(Ctor.APIUserAbortError);
    expect(atAbort).toBeGreaterThan(0);
    await sleep(20);
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.lastSignal!.aborted).toBe(true);
    expect(stats.finished).toBe(stats.started);
    // The same one-at-a-time engine serves the next request.
    const next = await within(client.responses.create(params), 3000, 'the next request');
    expect(next.output_text).toBe(WORDS.join(''));
  });
});

describe('both SDK majors see the same thing', () => {
  it('same event types and same final output (modulo ids) from 7.57 and 6.49', async () => {
    const output = `${think('Hmm.')}Sure.\n${hermesCall('get_weather', { city: 'Paris' })}`;
    const params: Params = { model: MODEL, input: USER, tools: [WEATHER_TOOL] };
    const results: RunResult[] = [];
    for (const { Ctor } of SDKS) {
      const ctor: SdkCtor = Ctor;
      results.push(await run(sdkClient(ctor, scriptedService(output).service), params));
    }
    const [a, b] = results;
    expect(b.rawEvents.map((e) => e.type)).toEqual(a.rawEvents.map((e) => e.type));
    expect(normalize(withoutSdkAdditions(b.final))).toEqual(normalize(withoutSdkAdditions(a.final)));
    expect(b.final.output_text).toBe(a.final.output_text);
  });
});
