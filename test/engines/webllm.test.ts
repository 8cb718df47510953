/**
 * The WebLLM engine adapter against a WebLLM STAND-IN (test/helpers/mlc-standin.ts): no GPU and no MLC
 * weights are available here, so these tests check the adapter's use of MLCEngine's API (reload,
 * raw completions stream, interruptGenerate, usage chunk, error classes), end to end through the
 * service and the official openai SDK.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { MLCEngine } from '@mlc-ai/web-llm';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createResponsesService } from '../../src/index.ts';
import {
  webllmEngine,
  webllmErrorCode,
  type GenerationTimings,
  type WebLLMEngine,
  type WebLLMEngineOptions,
  type WebLLMLoadProgress,
  type WebLLMModuleLike,
} from '../../src/engines/webllm.ts';
import type { EngineEvent, EngineFinish, GenerateRequest } from '../../src/engines/types.ts';
import {
  DeviceLostError,
  FeatureSupportError,
  ShaderF16SupportError,
  WebGPUNotAvailableError,
  mlcStandInModule,
  standInTokenize,
  type StandInScript,
} from '../helpers/mlc-standin.ts';
import { validateStream } from '../helpers/validate-stream.ts';
import { fetchEvents } from '../helpers/clients.ts';

const QWEN = 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
const QWEN3 = 'Qwen3-0.6B-q4f16_1-MLC';
const LLAMA = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const SMOL = 'SmolLM2-135M-Instruct-q0f16-MLC';

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  strict: true,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

function setup(script: StandInScript, opts: Partial<WebLLMEngineOptions> = {}) {
  const { webllm, log } = mlcStandInModule(script);
  const engine = webllmEngine({ model: QWEN, webllm, ...opts });
  const service = createResponsesService({ engine });
  const client = new OpenAI({ apiKey: 'x', baseURL: 'http://localhost/v1', fetch: service.fetch, maxRetries: 0 });
  return { engine, service, client, log };
}

async function streamEvents(client: OpenAI, params: Record<string, unknown>): Promise<ResponseStreamEvent[]> {
  const stream = await client.responses.create({ model: QWEN, input: 'Hi', ...params, stream: true } as never);
  const events: ResponseStreamEvent[] = [];
  for await (const ev of stream as unknown as AsyncIterable<ResponseStreamEvent>) events.push(ev);
  return events;
}

function request(prompt: string, signal = new AbortController().signal, maxTokens: number | null = null): GenerateRequest {
  return { model: QWEN, prompt, sampling: { temperature: 0, topP: 1, maxTokens }, signal };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what} did not finish within ${ms} ms`)))]);
}

describe('webllmEngine on the WebLLM stand-in: types', () => {
  it('the real MLCEngine class fits the constructor shape the adapter uses', () => {
    expectTypeOf<typeof MLCEngine>().toExtend<WebLLMModuleLike['MLCEngine']>();
    expectTypeOf<typeof import('@mlc-ai/web-llm')>().toExtend<WebLLMModuleLike>();
  });
});

describe('webllmEngine on the WebLLM stand-in: loading', () => {
  it('creates MLCEngine with appConfig + initProgressCallback, reloads the model, maps progress', async () => {
    const progress: WebLLMLoadProgress[] = [];
    const { engine, log } = setup({ output: 'Hi' }, { onProgress: (p) => progress.push(p), engineConfig: { logLevel: 'WARN' } });
    expect(engine.models()).toEqual([]);
    expect(engine.info.loaded).toBe(false);
    await engine.load();
    await engine.load(); // idempotent
    expect(log.constructed).toHaveLength(1);
    const config = log.constructed[0];
    expect(config.appConfig?.model_list.some((r) => r.model_id === QWEN)).toBe(true);
    expect(typeof config.initProgressCallback).toBe('function');
    expect(config.logLevel).toBe('WARN');
    expect(log.reloads).toEqual([QWEN]);
    expect(progress).toEqual([
      { status: 'loading', progress: 0, text: 'Start to fetch params', timeElapsedMs: 0 },
      { status: 'loading', progress: 0.5, text: expect.stringContaining('Fetching param cache'), timeElapsedMs: 1500 },
      { status: 'loading', progress: 1, text: expect.stringContaining('Finish loading'), timeElapsedMs: 3000 },
      { status: 'ready', progress: 1, text: `Loaded ${QWEN}`, timeElapsedMs: expect.any(Number) },
    ]);
    const [info] = engine.models();
    expect(info).toMatchObject({ id: QWEN, toolFormat: 'hermes', reasoningFormat: 'none', eosToken: '<|im_end|>' });
    expect(info.chatTemplate).toContain('<|im_start|>');
    expect(engine.info).toMatchObject({ loaded: true, modelId: QWEN, templateSource: 'builtin:qwen2' });
    expect(engine.info.vramRequiredMB).toBeGreaterThan(0);

    await engine.unload();
    expect(log.unloads).toBe(1);
    expect(engine.models()).toEqual([]);
    expect(engine.info.loaded).toBe(false);
  });

  it('built-in templates: Qwen3 gets think reasoning, Llama 3.2 gets the Llama 3 header template with llama3_json', async () => {
    const q3 = setup({ output: 'x' }, { model: QWEN3 });
    await q3.engine.load();
    expect(q3.engine.models()[0]).toMatchObject({ toolFormat: 'hermes', reasoningFormat: 'think' });

    const { engine, client, log } = setup({ output: 'Hello there.' }, { model: LLAMA });
    await engine.load();
    expect(engine.models()[0]).toMatchObject({ id: LLAMA, toolFormat: 'llama3_json', reasoningFormat: 'none', bosToken: '<|begin_of_text|>' });
    const res = await client.responses.create({ model: LLAMA, input: 'Hi', instructions: 'Be brief.', tools: [WEATHER_TOOL] });
    expect(res.output_text).toBe('Hello there.');
    const prompt = log.creates[0].prompt;
    expect(prompt.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.\n\n')).toBe(true);
    expect(prompt).toContain('{"type": "function", "function": {"name": "get_weather"');
    expect(prompt.endsWith('<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n')).toBe(true);
  });

  it('a model without a known template fails before reload, asking for chatTemplate; chatTemplate makes it work', async () => {
    const bad = setup({ output: 'x' }, { model: SMOL });
    await expect(bad.engine.load()).rejects.toMatchObject({ code: 'model_load_failed', message: expect.stringContaining('chatTemplate') });
    expect(bad.log.constructed).toHaveLength(0);

    const template = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{{ '<|im_start|>assistant\\n' }}";
    const good = setup({ output: 'Hi!' }, { model: SMOL, chatTemplate: template, toolFormat: 'none' });
    await good.engine.load();
    expect(good.engine.models()[0]).toMatchObject({ id: SMOL, chatTemplate: template, toolFormat: 'none', reasoningFormat: 'none' });
    expect(good.engine.info.templateSource).toBe('option');
    const res = await good.client.responses.create({ model: SMOL, input: 'Hello' });
    expect(res.output_text).toBe('Hi!');
    expect(good.log.creates[0].prompt).toBe('<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n');

    // conv_template names pick a built-in template for custom model ids.
    const custom = setup({ output: 'x' }, { model: 'my-qwen', convTemplate: 'qwen2', appConfig: { model_list: [{ model: 'https://example.com/my-qwen/resolve/main/', model_id: 'my-qwen', model_lib: 'https://example.com/lib.wasm' }] } });
    await custom.engine.load();
    expect(custom.engine.models()[0]).toMatchObject({ id: 'my-qwen', toolFormat: 'hermes' });
    expect(custom.log.constructed[0].appConfig?.model_list).toHaveLength(1);
  });

  it('a model id missing from the appConfig is a model_load_failed error', async () => {
    const { engine } = setup({ output: 'x' }, { model: 'Nope-1B-MLC', chatTemplate: 'x' });
    await expect(engine.load()).rejects.toMatchObject({ code: 'model_load_failed', message: expect.stringContaining('Nope-1B-MLC') });
  });

  it.each([
    ['WebGPUNotAvailableError', 'webgpu_unavailable', () => new WebGPUNotAvailableError()],
    ['ShaderF16SupportError', 'unsupported_device', () => new ShaderF16SupportError()],
    ['FeatureSupportError', 'unsupported_device', () => new FeatureSupportError('subgroups')],
    ['DeviceLostError', 'device_lost', () => new DeviceLostError()],
    ['a plain Error', 'model_load_failed', () => new Error('404 fetching tensor-cache.json')],
  ] as const)('load failure %s from the WebLLM stand-in → code %s', async (_name, code, make) => {
    const { engine, service } = setup({ output: 'x', loadError: make });
    const err = (await engine.load().catch((e: unknown) => e)) as Error & { code: string; cause: unknown };
    expect(err.code).toBe(code);
    expect(err.message).toContain(make().message);
    expect(err.cause).toBeInstanceOf(Error);
    expect(engine.models()).toEqual([]);
    // The service reports that no model is loaded.
    const res = await service.fetch(new Request('http://localhost/v1/responses', { method: 'POST', body: JSON.stringify({ model: QWEN, input: 'Hi' }), headers: { 'content-type': 'application/json' } }));
    expect(res.status).toBe(503);
  });

  it('error mapping also works on messages (errors that lost their class across a boundary)', () => {
    expect(webllmErrorCode(new Error('Cannot find WebGPU in the environment'), 'x')).toBe('webgpu_unavailable');
    expect(webllmErrorCode(new Error('This model requires WebGPU extension shader-f16, which is not enabled'), 'x')).toBe('unsupported_device');
    expect(webllmErrorCode({ name: 'DeviceLostError', message: 'gone' }, 'x')).toBe('device_lost');
    expect(webllmErrorCode('weird', 'generation_failed')).toBe('generation_failed');
  });
});

describe('webllmEngine on the WebLLM stand-in: generation through the service and the openai SDK', () => {
  it('a Qwen-style model streams text; the prompt and sampling reach completions.create; usage from the usage chunk', async () => {
    const output = 'Hello! How can I help you today?';
    const { engine, client, log } = setup({ output });
    await engine.load();
    const events = await streamEvents(client, { input: 'Hi', temperature: 0.5, top_p: 0.9 });
    const v = validateStream(events);
    expect(v.terminal).toBe('response.completed');
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    expect(deltas.length).toBeGreaterThan(5);
    expect(v.outputText).toBe(output);
    expect(log.creates).toHaveLength(1);
    const params = log.creates[0];
    expect(params).toMatchObject({ stream: true, temperature: 0.5, top_p: 0.9, stream_options: { include_usage: true } });
    expect(params.prompt.endsWith('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
    // Usage is the stand-in's usage chunk.
    const usageChunk = log.chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(v.response.usage).toMatchObject({ input_tokens: usageChunk.usage!.prompt_tokens, output_tokens: usageChunk.usage!.completion_tokens });
    expect(v.response.usage!.output_tokens).toBeGreaterThan(5);
  });

  it('a hermes tool call comes out as a function_call with streamed arguments', async () => {
    const output = 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
    const { engine, client } = setup({ output });
    await engine.load();
    const events = await streamEvents(client, { input: 'Weather in Paris?', tools: [WEATHER_TOOL] });
    const v = validateStream(events);
    expect(v.terminal).toBe('response.completed');
    const argDeltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(argDeltas.length).toBeGreaterThan(1);
    const call = v.response.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'Paris' });
    expect(v.outputText.trim()).toBe('Let me check.');
  });

  it("tool_choice 'required': the prefill reaches the prompt given to completions.create", async () => {
    const { engine, client, log } = setup({ output: 'get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>' });
    await engine.load();
    const res = await client.responses.create({ model: QWEN, input: 'Weather in Oslo?', tools: [WEATHER_TOOL], tool_choice: 'required' });
    expect(log.creates[0].prompt.endsWith('<|im_start|>assistant\n<tool_call>\n{"name": "')).toBe(true);
    const call = res.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'Oslo' });
  });

  it('max_output_tokens → max_tokens; the length finish makes the response incomplete', async () => {
    const output = Array.from({ length: 40 }, (_, i) => ` word${i}`).join('');
    const { engine, client, log } = setup({ output });
    await engine.load();
    const res = await client.responses.create({ model: QWEN, input: 'Talk', max_output_tokens: 16 });
    expect(log.creates[0].max_tokens).toBe(16);
    expect(res.status).toBe('incomplete');
    expect(res.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(res.usage?.output_tokens).toBe(16);
    expect(res.output_text).toBe(standInTokenize(output).slice(0, 16).join(''));
  });

  it('abort mid-stream (SDK controller.abort) calls interruptGenerate, drains, and the next request succeeds', async () => {
    const long = Array.from({ length: 200 }, (_, i) => ` w${i}`).join('');
    let turn = 0;
    const { engine, client, log } = setup({ output: () => (turn++ === 0 ? long : 'Second answer.'), tokenDelayMs: 2 });
    await engine.load();
    const stream = await client.responses.create({ model: QWEN, input: 'Count', stream: true });
    let deltas = 0;
    const err = await (async () => {
      for await (const ev of stream) if (ev.type === 'response.output_text.delta' && ++deltas === 3) stream.controller.abort();
    })().catch((e: unknown) => e);
    if (err !== undefined) expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    await within(
      (async () => {
        while (log.interrupts === 0) await sleep(2);
      })(),
      2000,
      'interruptGenerate',
    );
    const next = await within(client.responses.create({ model: QWEN, input: 'Again' }), 3000, 'the next request');
    expect(next.output_text).toBe('Second answer.');
    expect(log.interrupts).toBe(1);
    expect(log.lockWaits).toBe(0);
    // The first WebLLM stream ended with finish_reason 'abort', long before its 200 tokens.
    const finishes = log.chunks.flatMap((c) => c.choices.filter((ch) => ch.finish_reason !== null).map((ch) => ch.finish_reason));
    expect(finishes).toEqual(['abort', 'stop']);
    const firstStreamTokens = log.chunks.filter((c) => c.id === 'cmpl-standin-1' && c.choices[0]?.text).length;
    expect(firstStreamTokens).toBeLessThan(50);
  });

  it('two concurrent requests run one at a time (never waiting on WebLLM’s lock)', async () => {
    let n = 0;
    const { engine, client, log } = setup({ output: () => `Answer ${++n}.`, tokenDelayMs: 1 });
    await engine.load();
    const [a, b] = await Promise.all([
      client.responses.create({ model: QWEN, input: 'A' }),
      client.responses.create({ model: QWEN, input: 'B' }),
    ]);
    expect([a.output_text, b.output_text].sort()).toEqual(['Answer 1.', 'Answer 2.']);
    expect(log.lockWaits).toBe(0);
  });

  it.each([
    ['DeviceLostError', 'device_lost', () => new DeviceLostError()],
    ['WebGPUNotAvailableError', 'webgpu_unavailable', () => new WebGPUNotAvailableError()],
    ['ShaderF16SupportError', 'unsupported_device', () => new ShaderF16SupportError()],
    ['a plain Error', 'generation_failed', () => new Error('tokenizer exploded')],
  ] as const)('mid-stream %s from the WebLLM stand-in → response.failed with code %s', async (_name, code, make) => {
    const { engine, service, client, log } = setup({ output: 'One two three four five', streamError: { afterTokens: 2, error: make } });
    await engine.load();
    // The wire: text so far, then error + response.failed with our code.
    const v = validateStream(await fetchEvents(service, { model: QWEN, input: 'Hi', stream: true }));
    expect(v.terminal).toBe('response.failed');
    expect(v.response.error?.code).toBe(code);
    expect(v.response.error?.message).toContain(make().message);
    expect(v.outputText).toBe('One two');
    if (code === 'device_lost') {
      // A lost device: the engine is dropped (model still listed) and reloaded on the next request.
      expect(engine.info.loaded).toBe(false);
      expect(engine.models()).toHaveLength(1);
    }
    // The SDK: an APIError carrying the code.
    const err = (await streamEvents(client, { input: 'Hi' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.code).toBe(code);
    if (code === 'device_lost') {
      expect(log.reloads).toEqual([QWEN, QWEN]);
      expect(log.constructed).toHaveLength(2);
    }
  });
});

describe('webllmEngine on the WebLLM stand-in: the Engine contract directly', () => {
  async function collect(events: AsyncIterable<EngineEvent>) {
    const chunks: string[] = [];
    let finish: (EngineFinish & { timings?: GenerationTimings }) | undefined;
    for await (const e of events) {
      if (e.type === 'chunk') chunks.push(e.text);
      else finish = e;
    }
    return { text: chunks.join(''), chunks, finish: finish! };
  }

  it('finish carries usage tokens and timings from usage.extra (or wall-clock when absent)', async () => {
    const { engine, log } = setup({ output: 'Alpha beta gamma.' });
    const { text, finish } = await collect(engine.generate(request('<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n')));
    expect(engine.info.loaded).toBe(true); // generate() loads on demand
    expect(text).toBe('Alpha beta gamma.');
    const usage = log.chunks.at(-1)!.usage!;
    expect(finish).toMatchObject({ type: 'finish', reason: 'stop', inputTokens: usage.prompt_tokens, outputTokens: 4 });
    expect(finish.timings).toEqual({
      ttftMs: usage.extra.time_to_first_token_s * 1000,
      prefillTokensPerSecond: usage.extra.prefill_tokens_per_s,
      decodeTokensPerSecond: usage.extra.decode_tokens_per_s,
      totalMs: usage.extra.e2e_latency_s * 1000,
    });

    const bare = setup({ output: 'One two', usageExtra: false });
    const r = await collect(bare.engine.generate(request('p')));
    expect(r.finish.timings!.totalMs).toBeGreaterThanOrEqual(0);
    expect(r.finish.outputTokens).toBe(2);
  });

  it('stop strings are passed as stop; max_tokens 0 finishes without calling WebLLM', async () => {
    const { engine, log } = setup({ output: 'Keep this END drop this' });
    const r = await collect(engine.generate({ ...request('p'), sampling: { temperature: 0, topP: 1, maxTokens: null, stop: ['END', ''] } }));
    expect(log.creates[0].stop).toEqual(['END']);
    expect(log.creates[0]).not.toHaveProperty('max_tokens');
    expect(r.text).toBe('Keep this ');
    expect(r.finish.reason).toBe('stop');
    const z = await collect(engine.generate(request('p', undefined, 0)));
    expect(z.finish).toMatchObject({ reason: 'length', outputTokens: 0 });
    expect(log.creates).toHaveLength(1);
  });

  it('signal abort: interruptGenerate, finish abort; leaving the iterator early also interrupts and drains', async () => {
    const long = Array.from({ length: 100 }, (_, i) => ` t${i}`).join('');
    const { engine, log } = setup({ output: long, tokenDelayMs: 1 });
    const ac = new AbortController();
    const chunks: string[] = [];
    let finish: EngineFinish | undefined;
    for await (const e of engine.generate(request('p', ac.signal))) {
      if (e.type === 'chunk') {
        chunks.push(e.text);
        if (chunks.length === 3) ac.abort();
      } else finish = e;
    }
    expect(chunks).toHaveLength(3);
    expect(finish).toMatchObject({ reason: 'abort' });
    expect(log.interrupts).toBe(1);

    // The consumer breaks out (no signal): the adapter still interrupts and drains WebLLM's stream.
    let seen = 0;
    for await (const e of engine.generate(request('p'))) if (e.type === 'chunk' && ++seen === 2) break;
    expect(log.interrupts).toBe(2);
    const last = await within(collect(engine.generate(request('p', undefined, 3))), 2000, 'the request after a break');
    expect(last.finish).toMatchObject({ reason: 'length', outputTokens: 3 });
    expect(log.lockWaits).toBe(0);

    // Aborted after create() resolved but before WebLLM's generation started (which clears the
    // interrupt flag): the interrupt is sent again at the first chunk.
    const late = new AbortController();
    const before = { interrupts: log.interrupts };
    const lateRun = setup({ output: long, tokenDelayMs: 1, onCreate: () => queueMicrotask(() => late.abort()) });
    const lr = await within(collect(lateRun.engine.generate(request('p', late.signal))), 2000, 'the late-aborted request');
    expect(lr.finish.reason).toBe('abort');
    expect(lr.chunks.length).toBe(0);
    expect(lateRun.log.interrupts).toBe(2);
    expect(lateRun.log.chunks.filter((c) => c.choices[0]?.text).length).toBeLessThanOrEqual(2);
    expect(log.interrupts).toBe(before.interrupts);

    // Already aborted: no WebLLM call at all.
    const pre = new AbortController();
    pre.abort();
    const r = await collect(engine.generate(request('p', pre.signal)));
    expect(r.finish.reason).toBe('abort');
    expect(log.creates).toHaveLength(3);
  });
});

// Keep the engine type in use for readers: the factory returns load/unload/info.
expectTypeOf<ReturnType<typeof webllmEngine>>().toEqualTypeOf<WebLLMEngine>();
