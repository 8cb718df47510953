/**
 * The service over plain `Request`s through `service.fetch` (and `service.create`): routes, HTTP errors and their
 * envelope, prompt rendering of instructions and string input, client aborts, and the generation edges
 * (nothing the model wrote is lost; call limits; tool_choice 'none').
 */
import { describe, expect, it } from 'vitest';
import { createResponsesService, scriptedEngine, type ResponsesService, type ScriptedOutput } from '../src/index.ts';
import {
  BASE_URL,
  MODEL,
  TIME_TOOL,
  WEATHER_TOOL,
  countingEngine,
  fetchEvents,
  hermesCall,
  postRequest,
  scriptedService,
  serialEngine,
  sleep,
  think,
  toolSpecs,
  within,
} from './helpers/clients.ts';
import { parseSse, readSseBody, validateSseFraming } from './helpers/sse.ts';
import { validateStream } from './helpers/validate-stream.ts';

type Obj = Record<string, unknown>;

const SSE_CT = 'text/event-stream; charset=utf-8';
const JSON_CT = 'application/json; charset=utf-8';

/** Asserts the status and that the body is exactly `{error: {message, type, param, code}}`; returns the error. */
async function expectError(
  res: Response,
  status: number,
  want: { type?: string; param?: string | null; code?: string | null } = {},
): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe(JSON_CT);
  const body = (await res.json()) as Obj;
  expect(Object.keys(body)).toEqual(['error']);
  const error = body.error as Obj;
  expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof error.message).toBe('string');
  expect((error.message as string).length).toBeGreaterThan(0);
  expect(typeof error.type).toBe('string');
  expect(error.param === null || typeof error.param === 'string').toBe(true);
  expect(error.code === null || typeof error.code === 'string').toBe(true);
  const expectedType = want.type ?? (status >= 500 ? 'server_error' : status === 404 ? 'not_found_error' : 'invalid_request_error');
  expect(error.type).toBe(expectedType);
  if (want.param !== undefined) expect(error.param).toBe(want.param);
  if (want.code !== undefined) expect(error.code).toBe(want.code);
  return error as { message: string; type: string; param: string | null; code: string | null };
}

function req(path: string, init: RequestInit = {}): Request {
  return new Request(`http://localhost${path}`, init);
}

const HELLO = 'Hello there, how can I help? 🙂';

// ---------------------------------------------------------------------------------------------------------------

describe('routes', () => {
  it('POST /v1/responses with stream: SSE headers, exact framing, a valid stream', async () => {
    const { service } = scriptedService(HELLO);
    const res = await service.fetch(postRequest({ model: MODEL, input: 'Hi', stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(SSE_CT);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const body = await readSseBody(res);
    const events = validateSseFraming(body.text);
    expect(body.records).toHaveLength(events.length);
    // Chunks end on record boundaries (events that are ready together are sent together).
    const decoder = new TextDecoder();
    for (const chunk of body.chunks) expect(decoder.decode(chunk).endsWith('\n\n')).toBe(true);
    const v = validateStream(events);
    expect(v.terminal).toBe('response.completed');
    expect(v.outputText).toBe(HELLO);
  });

  it('U+2028/U+2029 in text (JSON.stringify leaves them raw) keep the exact framing', async () => {
    // SSE lines end only at CR/LF/CRLF: to eventsource-parser and openai-node these are ordinary characters.
    const text = 'line\u2028separator\u2029paragraph and a CR\r here';
    const { service } = scriptedService(text);
    const body = await readSseBody(await service.fetch(postRequest({ model: MODEL, input: 'Hi', stream: true })));
    const events = parseSse(body.text).map((r) => JSON.parse(r.data) as { type: string });
    expect(validateStream(events as never).outputText).toBe(text);
    expect(body.text).toContain('\u2028'); // sent raw, not escaped
    // The exact-framing check must accept the same body.
    expect(validateSseFraming(body.text)).toEqual(events);
  });

  it('POST /v1/responses without stream: JSON, the final Response object', async () => {
    const { service } = scriptedService(HELLO);
    for (const stream of [false, undefined, null]) {
      const res = await service.fetch(postRequest({ model: MODEL, input: 'Hi', ...(stream === undefined ? {} : { stream }) }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(JSON_CT);
      const body = (await res.json()) as Obj;
      expect(body.object).toBe('response');
      expect(body.id).toMatch(/^resp_/);
      expect(body.status).toBe('completed');
      expect(body.error).toBeNull();
      expect(body).not.toHaveProperty('output_text'); // computed by SDKs, not sent
      const output = body.output as Obj[];
      expect(output).toHaveLength(1);
      expect(output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
      expect((output[0].content as Obj[])[0]).toMatchObject({ type: 'output_text', text: HELLO });
      expect(body.usage).toMatchObject({ output_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    }
  });

  it('POST /v1/responses/ (trailing slash) and a Request object passed alone both work', async () => {
    const { service } = scriptedService(HELLO);
    const res = await service.fetch(
      new Request(`${BASE_URL}/responses/`, { method: 'POST', body: JSON.stringify({ model: MODEL, input: 'Hi' }) }),
    );
    expect(res.status).toBe(200);
    // fetch(url, init) form, as the SDKs call it.
    const res2 = await service.fetch(`${BASE_URL}/responses`, { method: 'POST', body: JSON.stringify({ model: MODEL, input: 'Hi' }) });
    expect(res2.status).toBe(200);
    expect(((await res2.json()) as Obj).status).toBe('completed');
  });

  it('GET /v1/models and /v1/models/{id}', async () => {
    const service = createResponsesService({ engine: scriptedEngine({ model: 'Qwen/Qwen3-0.6B', output: 'x' }) });
    const list = await service.fetch(req('/v1/models'));
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe(JSON_CT);
    const body = (await list.json()) as { object: string; data: Obj[] };
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toEqual({ id: 'Qwen/Qwen3-0.6B', object: 'model', created: expect.any(Number), owned_by: expect.any(String) });

    // The same list with a trailing slash.
    expect(await (await service.fetch(req('/v1/models/'))).json()).toEqual(body);

    // An id with a slash, raw or percent-encoded.
    for (const path of ['/v1/models/Qwen/Qwen3-0.6B', '/v1/models/Qwen%2FQwen3-0.6B']) {
      const one = await service.fetch(req(path));
      expect(one.status).toBe(200);
      expect(await one.json()).toEqual(body.data[0]);
    }

    const missing = await service.fetch(req('/v1/models/gpt-5'));
    const err = await expectError(missing, 404, { param: 'model', code: 'model_not_found' });
    expect(err.message).toContain('gpt-5');
  });

  it('405 with an allow header on a wrong method', async () => {
    const { service } = scriptedService('x');
    const cases: Array<[string, string, string]> = [
      ['GET', '/v1/responses', 'POST'],
      ['PUT', '/v1/responses', 'POST'],
      ['POST', '/v1/models', 'GET'],
      ['DELETE', '/v1/models/scripted-test', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await service.fetch(req(path, { method }));
      expect(res.headers.get('allow')).toBe(allow);
      const err = await expectError(res, 405, { code: 'method_not_allowed', param: null });
      expect(err.message).toContain(method);
    }
  });

  it('404 on an unknown path', async () => {
    const { service, requests } = scriptedService('x');
    for (const [method, path] of [
      ['GET', '/'],
      ['POST', '/v1/chat/completions'],
      ['POST', '/v2/responses'],
      ['POST', '/v1/responsesX'],
      ['GET', '/v1/modelsX'],
    ]) {
      const res = await service.fetch(req(path, { method, ...(method === 'POST' ? { body: '{}' } : {}) }));
      await expectError(res, 404, { code: 'unknown_route', param: null });
    }
    expect(requests).toHaveLength(0);
  });

  it('basePath moves the routes', async () => {
    const service = createResponsesService({ engine: scriptedEngine({ model: MODEL, output: HELLO }), basePath: '/api/v1/' });
    const ok = await service.fetch(new Request('http://localhost/api/v1/responses', { method: 'POST', body: JSON.stringify({ input: 'Hi' }) }));
    expect(ok.status).toBe(200);
    expect((await service.fetch(req('/api/v1/models'))).status).toBe(200);
    await expectError(await service.fetch(postRequest({ input: 'Hi' })), 404, { code: 'unknown_route' });
  });
});

describe('request errors', () => {
  it('malformed JSON, an empty body and a non-object body are 400s', async () => {
    const { service, requests } = scriptedService('x');
    const bad = await expectError(await service.fetch(postRequest('{"model": "x", "input": ')), 400, {
      code: 'invalid_json',
      param: null,
    });
    expect(bad.message).toMatch(/JSON/);
    await expectError(await service.fetch(postRequest('')), 400, { code: 'invalid_json' });
    await expectError(await service.fetch(postRequest('[1, 2]')), 400, { param: null, code: 'invalid_type' });
    await expectError(await service.fetch(postRequest('"hello"')), 400, { param: null });
    // Missing input / wrong types name the parameter.
    await expectError(await service.fetch(postRequest({ model: MODEL })), 400, { param: 'input', code: 'missing_required_parameter' });
    await expectError(await service.fetch(postRequest({ model: MODEL, input: 'x', temperature: 'hot' })), 400, {
      param: 'temperature',
    });
    expect(requests).toHaveLength(0);
  });

  describe('413 on a body over maxBodyBytes', () => {
    const LIMIT = 1000;
    const service = () => createResponsesService({ engine: scriptedEngine({ model: MODEL, output: 'ok' }), maxBodyBytes: LIMIT });
    const bodyOfBytes = (n: number, ch = 'a') => {
      const skeleton = JSON.stringify({ model: MODEL, input: '' });
      const unit = new TextEncoder().encode(ch).length;
      const count = (n - skeleton.length) / unit;
      if (!Number.isInteger(count)) throw new Error('test setup: size not reachable');
      const text = JSON.stringify({ model: MODEL, input: ch.repeat(count) });
      expect(new TextEncoder().encode(text).length).toBe(n);
      return text;
    };

    it('with a content-length header', async () => {
      const text = bodyOfBytes(LIMIT + 1);
      const r = postRequest(text, { headers: { 'content-type': 'application/json', 'content-length': String(LIMIT + 1) } });
      expect(r.headers.get('content-length')).toBe(String(LIMIT + 1));
      await expectError(await service().fetch(r), 413, { code: 'request_too_large', param: null });
    });

    it('a declared content-length over the limit is refused without reading the body', async () => {
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(c) {
            pulls++;
            c.enqueue(new TextEncoder().encode('{"input": "hi"}'));
            c.close();
          },
        },
        { highWaterMark: 0 },
      );
      const r = new Request(`${BASE_URL}/responses`, {
        method: 'POST',
        body,
        headers: { 'content-length': '5000000' },
        duplex: 'half',
      } as RequestInit);
      await expectError(await service().fetch(r), 413, { code: 'request_too_large' });
      expect(pulls).toBe(0);
      expect(r.bodyUsed).toBe(false);
    });

    it('without content-length: counted while streaming, reading stops early', async () => {
      const total = 40;
      let pulls = 0;
      let cancelled = false;
      const chunk = new TextEncoder().encode('a'.repeat(100));
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"model": "scripted-test", "input": "'));
        },
        pull(c) {
          pulls++;
          if (pulls > total) {
            c.enqueue(new TextEncoder().encode('"}'));
            c.close();
          } else c.enqueue(chunk);
        },
        cancel() {
          cancelled = true;
        },
      });
      const r = new Request(`${BASE_URL}/responses`, { method: 'POST', body, duplex: 'half' } as RequestInit);
      expect(r.headers.get('content-length')).toBeNull();
      await expectError(await service().fetch(r), 413, { code: 'request_too_large' });
      expect(cancelled).toBe(true);
      expect(pulls).toBeLessThan(total);
    });

    it('a string body (no content-length header) over the limit', async () => {
      const r = postRequest(bodyOfBytes(LIMIT + 1));
      expect(r.headers.get('content-length')).toBeNull();
      await expectError(await service().fetch(r), 413, { code: 'request_too_large' });
    });

    it('exactly at the limit is accepted; the limit counts bytes, not characters', async () => {
      const atLimit = await service().fetch(postRequest(bodyOfBytes(LIMIT)));
      expect(atLimit.status).toBe(200);
      // 'é' is 2 bytes: fewer characters than the limit, more bytes.
      const text = bodyOfBytes(LIMIT + 2, 'é');
      expect(text.length).toBeLessThan(LIMIT);
      await expectError(await service().fetch(postRequest(text)), 413, { code: 'request_too_large' });
    });
  });

  it('unknown model: 404 with param "model", streaming or not', async () => {
    const { service, requests } = scriptedService('x');
    for (const stream of [true, false]) {
      const res = await service.fetch(postRequest({ model: 'gpt-4o', input: 'Hi', stream }));
      expect(res.headers.get('content-type')).toBe(JSON_CT); // an error, never an SSE body
      const err = await expectError(res, 404, { param: 'model', code: 'model_not_found' });
      expect(err.message).toContain("'gpt-4o'");
      expect(err.message).toContain(MODEL); // names the loaded models
    }
    // create() throws the same error instead of responding.
    await expect(service.create({ model: 'gpt-4o', input: 'Hi' })).rejects.toMatchObject({ status: 404, param: 'model' });
    expect(requests).toHaveLength(0);
  });

  it('an error from the engine before any chunk is still a stream (error + response.failed)', async () => {
    const { service } = scriptedService([new Error('weights not found')]);
    const events = await fetchEvents(service, { model: MODEL, input: 'Hi' });
    const v = validateStream(events);
    expect(v.terminal).toBe('response.failed');
    expect(v.response.error?.message).toBe('weights not found');
    expect(v.items).toHaveLength(0);
    // Non-streaming: a 500 envelope with the message.
    const res = await service.fetch(postRequest({ model: MODEL, input: 'Hi' }));
    const err = await expectError(res, 500, { code: 'server_error' });
    expect(err.message).toContain('weights not found');
  });
});

describe('generation edges', () => {
  it("an engine error's string code is reported (error event, response.failed, SDK APIError.code)", async () => {
    const failure = Object.assign(new Error('Out of GPU memory.'), { code: 'engine_out_of_memory' });
    const { service } = scriptedService(['Hel', 'lo', failure]);
    const v = validateStream(await fetchEvents(service, { model: MODEL, input: 'Hi' }));
    expect(v.terminal).toBe('response.failed');
    expect(v.response.error).toEqual({ code: 'engine_out_of_memory', message: 'Out of GPU memory.' });
    expect(v.outputText).toBe('Hello');
    // The message closed before the failure is kept, marked incomplete.
    expect(v.items.map((i) => [i.type, (i as { status?: string }).status])).toEqual([['message', 'incomplete']]);
  });

  it('an empty or whitespace-only output: completed with no items', async () => {
    for (const output of ['', '   ', '\n\n', []] as ScriptedOutput[]) {
      const { service } = scriptedService(output);
      const v = validateStream(await fetchEvents(service, { model: MODEL, input: 'Hi', tools: [WEATHER_TOOL] }), {
        tools: toolSpecs([WEATHER_TOOL]),
      });
      expect(v.terminal).toBe('response.completed');
      expect(v.response.output).toEqual([]);
    }
  });

  it('concurrent requests on one service are independent', async () => {
    const { service } = scriptedService((r) => {
      const n = Number(/\d+/.exec(r.messages.at(-1)!.content)![0]);
      return n % 2 ? `Answer ${n} 🧮` : `${think(`req ${n}`)}${hermesCall('get_weather', { city: `C${n}` })}`;
    }, { tokenDelayMs: 1 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        fetchEvents(service, { model: MODEL, input: `Request ${n}`, tools: [WEATHER_TOOL] }).then((events) =>
          validateStream(events, { tools: toolSpecs([WEATHER_TOOL]) }),
        ),
      ),
    );
    results.forEach((v, n) => {
      expect(v.terminal).toBe('response.completed');
      if (n % 2) expect(v.outputText).toBe(`Answer ${n} 🧮`);
      else {
        const call = v.response.output.find((o) => o.type === 'function_call');
        expect(call && call.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ city: `C${n}` });
      }
    });
    expect(new Set(results.map((v) => v.response.id)).size).toBe(8);
  });
});

describe('prompt rendering', () => {
  it('instructions become the first system message and a string input one user message', async () => {
    const { service, requests } = scriptedService(HELLO);
    await fetchEvents(service, { model: MODEL, input: 'What is 2+2?', instructions: 'Be terse.' });
    expect(requests[0].messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'What is 2+2?' },
    ]);
    expect(requests[0].prompt).toBe(
      '<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(requests[0].tools).toEqual([]);
  });

  it('no instructions: no system message', async () => {
    const { service, requests } = scriptedService(HELLO);
    await service.create({ model: MODEL, input: 'Hi' });
    expect(requests[0].messages).toEqual([{ role: 'user', content: 'Hi' }]);
    expect(requests[0].prompt).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('instructions come before input messages (including developer/system ones) and before the tools', async () => {
    const { service, requests } = scriptedService(HELLO);
    await service.create({
      model: MODEL,
      instructions: 'Be terse.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather ' }, { type: 'input_text', text: 'in Paris?' }] },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(requests[0].messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'system', content: 'Use metric units.' },
      { role: 'user', content: 'Weather in Paris?' },
    ]);
    const p = requests[0].prompt;
    expect(p.startsWith('<|im_start|>system\nBe terse.\n\n# Tools')).toBe(true);
    expect(p.indexOf('"name": "get_weather"')).toBeGreaterThan(p.indexOf('Be terse.'));
    expect(p.indexOf('Use metric units.')).toBeGreaterThan(p.indexOf('</tools>'));
    expect(p).toContain('<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('client abort stops generation at the next chunk', () => {
  const WORDS = Array.from({ length: 150 }, (_, k) => ` w${k}`);
  const FULL = WORDS.join('');
  const DELAY = 2;

  function abortable() {
    // One generation at a time, like a real in-browser model: an unreleased generation blocks the next request.
    const { engine, stats } = countingEngine(scriptedEngine({ model: MODEL, output: WORDS, tokenDelayMs: DELAY }));
    return { service: createResponsesService({ engine: serialEngine(engine) }), stats };
  }

  /** Reads SSE chunks until `n` text deltas were seen. */
  async function readDeltas(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<string> {
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/event: response\.output_text\.delta\n/g) ?? []).length < n) {
      const { done, value } = await reader.read();
      if (done) throw new Error('stream ended early');
      text += decoder.decode(value, { stream: true });
    }
    return text;
  }

  /** The same service then serves a normal request in full. */
  async function expectServesNext(service: ResponsesService): Promise<void> {
    const v = validateStream(await within(fetchEvents(service, { model: MODEL, input: 'again' }), 3000, 'the next request'));
    expect(v.terminal).toBe('response.completed');
    expect(v.outputText).toBe(FULL);
  }

  it('AbortSignal given to fetch, aborted while a read is pending', async () => {
    const { service, stats } = abortable();
    const ac = new AbortController();
    const res = await service.fetch(`${BASE_URL}/responses`, {
      method: 'POST',
      body: JSON.stringify({ model: MODEL, input: 'Count', stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await readDeltas(reader, 3);
    const pending = reader.read(); // the generator is now waiting for the engine's next token
    await sleep(1);
    ac.abort();
    const atAbort = stats.chunks;
    const t0 = Date.now();
    // The body errors with the abort (or ends) within about one token.
    let error: unknown = null;
    try {
      let r = await pending;
      while (!r.done) r = await reader.read();
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.lastSignal!.aborted).toBe(true);
    // The body errors at once; the engine notices at its next token and finishes with 'abort'.
    await sleep(10 * DELAY);
    expect(stats.finishes.at(-1)).toBe('abort');
    expect(stats.finished).toBe(stats.started);
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.chunks).toBeLessThan(WORDS.length);
    await expectServesNext(service);
  });

  it('AbortSignal given to fetch, aborted between reads', async () => {
    const { service, stats } = abortable();
    const ac = new AbortController();
    const res = await service.fetch(postRequest({ model: MODEL, input: 'Count', stream: true }, { signal: ac.signal }));
    const reader = res.body!.getReader();
    await readDeltas(reader, 5);
    ac.abort(new DOMException('user went away', 'AbortError'));
    const atAbort = stats.chunks;
    expect(stats.lastSignal!.aborted).toBe(true); // the engine is told at once
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.finished).toBe(stats.started);
    await expectServesNext(service);
  });

  it('AbortSignal given to fetch, then the client stops reading: the generation ends and the engine is released', async () => {
    // With a real fetch, aborting errors the body and the server sees the connection close; a client that aborts
    // does not read on. The generation must still end, or a one-at-a-time engine never serves anyone again.
    const { service, stats } = abortable();
    const ac = new AbortController();
    const res = await service.fetch(postRequest({ model: MODEL, input: 'Count', stream: true }, { signal: ac.signal }));
    const reader = res.body!.getReader();
    await readDeltas(reader, 3);
    ac.abort();
    const atAbort = stats.chunks;
    expect(stats.lastSignal!.aborted).toBe(true);
    await sleep(20 * DELAY);
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.finished, "the engine's iterator is closed after the abort").toBe(stats.started);
    await expectServesNext(service);
  });

  it('a reader that cancels the body (between reads)', async () => {
    const { service, stats } = abortable();
    const res = await service.fetch(postRequest({ model: MODEL, input: 'Count', stream: true }));
    const reader = res.body!.getReader();
    await readDeltas(reader, 3);
    const atCancel = stats.chunks;
    await reader.cancel();
    expect(stats.lastSignal!.aborted).toBe(true);
    expect(stats.finished).toBe(stats.started); // the engine's iterator was closed
    await sleep(10 * DELAY);
    expect(stats.chunks - atCancel).toBeLessThanOrEqual(1);
    await expectServesNext(service);
  });

  it('a reader that cancels the body while a read is pending', async () => {
    const { service, stats } = abortable();
    const res = await service.fetch(postRequest({ model: MODEL, input: 'Count', stream: true }));
    const reader = res.body!.getReader();
    await readDeltas(reader, 3);
    const pending = reader.read();
    await sleep(1);
    const atCancel = stats.chunks;
    await reader.cancel('bye');
    expect((await pending).done).toBe(true);
    expect(stats.finished).toBe(stats.started);
    await sleep(10 * DELAY);
    expect(stats.chunks - atCancel).toBeLessThanOrEqual(1);
    expect(stats.chunks).toBeLessThan(WORDS.length);
    await expectServesNext(service);
  });

  it('create() with a signal, streaming', async () => {
    const { service, stats } = abortable();
    const ac = new AbortController();
    const events = await service.create({ model: MODEL, input: 'Count', stream: true }, { signal: ac.signal });
    const it = events[Symbol.asyncIterator]();
    let deltas = 0;
    while (deltas < 3) {
      const r = await it.next();
      if (r.done) throw new Error('ended early');
      if (r.value.type === 'response.output_text.delta') deltas++;
    }
    ac.abort();
    const atAbort = stats.chunks;
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.finished).toBe(stats.started);
    expect((await it.next()).done).toBe(true);
    await expectServesNext(service);
  });

  it('create() with a signal, not streaming', async () => {
    const { service, stats } = abortable();
    const ac = new AbortController();
    const pending = service.create({ model: MODEL, input: 'Count' }, { signal: ac.signal });
    await sleep(20 * DELAY);
    ac.abort();
    const atAbort = stats.chunks;
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(stats.chunks - atAbort).toBeLessThanOrEqual(1);
    expect(stats.chunks).toBeLessThan(WORDS.length);
    expect(stats.finished).toBe(stats.started);
    const again = await service.create({ model: MODEL, input: 'again' });
    expect(again.status).toBe('completed');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('nothing the model wrote is lost', () => {
  const tools = [WEATHER_TOOL];
  const runOutput = async (output: string, chunkSize?: number) => {
    const service = createResponsesService({ engine: scriptedEngine({ model: MODEL, output, ...(chunkSize ? { chunkSize } : {}) }) });
    return validateStream(await fetchEvents(service, { model: MODEL, input: 'Hi', tools }), { tools: toolSpecs(tools) });
  };

  const TEXTS = [
    'if a < b and 1<2 then <b>bold</b>, x<y>z',
    'The tag is <tool_ and not <tool_call but <tool_calls> or </tool_call> too',
    'Use <think> and </think> in text, or <tool_call > with a space.',
    'Ends with a lone <',
    'Ends with <tool_cal',
  ];
  for (const text of TEXTS) {
    for (const chunkSize of [undefined, 1, 2, 5]) {
      it(`${JSON.stringify(text)} (chunks: ${chunkSize ?? 'pseudo-tokens'})`, async () => {
        const v = await runOutput(text, chunkSize);
        expect(v.terminal).toBe('response.completed');
        expect(v.outputText).toBe(text);
        expect(v.items.map((i) => i.type)).toEqual(['message']);
      });
    }
  }

  const UNTERMINATED = [
    'I will call a tool: <tool_call>',
    'I will call a tool: <tool_call>\n',
    'I will call a tool: <tool_call>\n{"na',
    'I will call a tool: <tool_call>\n{"name": "get_wea',
    '<tool_call>',
    '<tool_call>\n{"name": "get_weather',
    'Text <tool_call> is not followed by JSON.',
  ];
  for (const text of UNTERMINATED) {
    for (const chunkSize of [undefined, 1, 3]) {
      it(`unterminated ${JSON.stringify(text)} comes out as text (chunks: ${chunkSize ?? 'pseudo-tokens'})`, async () => {
        const v = await runOutput(text, chunkSize);
        expect(v.terminal).toBe('response.completed');
        expect(v.outputText).toBe(text);
        expect(v.items.filter((i) => i.type === 'function_call')).toHaveLength(0);
      });
    }
  }

  it('text before and after a real call is kept', async () => {
    const v = await runOutput(`Look: a<b.\n${hermesCall('get_weather', { city: 'Paris' })}\nAnd <tool_ after.`);
    expect(v.items.map((i) => i.type)).toEqual(['message', 'function_call', 'message']);
    const texts = v.items.flatMap((i) => (i.type === 'message' ? [i.content.map((c) => (c.type === 'output_text' ? c.text : '')).join('')] : []));
    expect(texts.map((t) => t.trim())).toEqual(['Look: a<b.', 'And <tool_ after.']);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('call limits', () => {
  const TWO_CALLS = `${hermesCall('get_weather', { city: 'Paris' })}\n${hermesCall('get_weather', { city: 'Oslo' })}\nDone.`;
  const THREE_CALLS = `Sure.\n${hermesCall('get_weather', { city: 'Paris' })}\n${hermesCall('get_time')}\n${hermesCall('get_weather', { city: 'Oslo' })}`;
  const tools = [WEATHER_TOOL, TIME_TOOL];

  async function limited(output: ScriptedOutput, extra: Obj) {
    const { engine, stats } = countingEngine(scriptedEngine({ model: MODEL, output }));
    const service = createResponsesService({ engine });
    const events = await fetchEvents(service, { model: MODEL, input: 'Weather?', tools, ...extra });
    const v = validateStream(events, { tools: toolSpecs(tools) });
    // The non-streaming response agrees.
    const json = (await (await service.fetch(postRequest({ model: MODEL, input: 'Weather?', tools, ...extra }))).json()) as Obj;
    expect((json.output as Obj[]).map((o) => [o.type, o.name ?? null, o.arguments ?? null])).toEqual(
      v.response.output.map((o) => [o.type, o.type === 'function_call' ? o.name : null, o.type === 'function_call' ? o.arguments : null]),
    );
    return { v, events, stats };
  }

  const argsOf = (v: ReturnType<typeof validateStream>) =>
    v.response.output.flatMap((o) => (o.type === 'function_call' ? [JSON.parse(o.arguments) as unknown] : []));

  it('parallel_tool_calls: false returns only the first of two calls and stops the engine', async () => {
    const { v, stats } = await limited(TWO_CALLS, { parallel_tool_calls: false });
    expect(v.terminal).toBe('response.completed');
    expect(v.response.status).toBe('completed');
    expect(v.response.parallel_tool_calls).toBe(false);
    expect(v.response.output.map((o) => o.type)).toEqual(['function_call']);
    expect(argsOf(v)).toEqual([{ city: 'Paris' }]);
    expect(v.outputText).toBe('');
    // Generation stopped after the first call (see also 'the engine is not pulled past the limit').
    expect(stats.finishes.every((f) => f === 'abort')).toBe(true);
  });

  it('max_tool_calls: 1 returns only the first call', async () => {
    const { v, stats } = await limited(TWO_CALLS, { max_tool_calls: 1 });
    expect(v.terminal).toBe('response.completed');
    expect(v.response.max_tool_calls).toBe(1);
    expect(v.response.output.map((o) => o.type)).toEqual(['function_call']);
    expect(argsOf(v)).toEqual([{ city: 'Paris' }]);
    expect(stats.finishes.every((f) => f === 'abort')).toBe(true);
  });

  it('max_tool_calls: 2 of three calls, text before them kept', async () => {
    const { v } = await limited(THREE_CALLS, { max_tool_calls: 2 });
    expect(v.response.output.map((o) => o.type)).toEqual(['message', 'function_call', 'function_call']);
    expect(v.response.output.flatMap((o) => (o.type === 'function_call' ? [o.name] : []))).toEqual(['get_weather', 'get_time']);
    expect(v.outputText.trim()).toBe('Sure.');
  });

  it('parallel_tool_calls: false with text before the call', async () => {
    const { v } = await limited(THREE_CALLS, { parallel_tool_calls: false });
    expect(v.response.output.map((o) => o.type)).toEqual(['message', 'function_call']);
    expect(argsOf(v)).toEqual([{ city: 'Paris' }]);
  });

  it('without limits all calls are returned', async () => {
    const { v } = await limited(THREE_CALLS, {});
    expect(v.response.output.map((o) => o.type)).toEqual(['message', 'function_call', 'function_call', 'function_call']);
    expect(argsOf(v)).toEqual([{ city: 'Paris' }, {}, { city: 'Oslo' }]);
  });

  it('the engine is not pulled past the limit', async () => {
    const tokens = [
      '<tool_call>',
      '\n{"name": "get_weather", "arguments": {"city": "Paris"}}',
      '\n</tool_call>',
      '\n<tool_call>',
      '\n{"name": "get_weather", "arguments": {"city": "Oslo"}}',
      '\n</tool_call>',
    ];
    const { stats } = await limited(tokens, { parallel_tool_calls: false });
    // Two requests (stream + JSON), each stopped after the second token (the first call's arguments).
    expect(stats.chunks).toBe(4);
    const unlimited = await limited(tokens, {});
    expect(unlimited.stats.chunks).toBe(2 * tokens.length);
  });
});

describe('max_output_tokens at the boundary', () => {
  it('equal to the number of tokens written: completed, not incomplete', async () => {
    const output = ['One', ' two', ' three'];
    const { service } = scriptedService(output);
    const exact = validateStream(await fetchEvents(service, { model: MODEL, input: 'Count', max_output_tokens: 3 }));
    expect(exact.terminal).toBe('response.completed');
    expect(exact.outputText).toBe('One two three');
    expect(exact.response.usage?.output_tokens).toBe(3);
    const short = validateStream(await fetchEvents(service, { model: MODEL, input: 'Count', max_output_tokens: 2 }));
    expect(short.terminal).toBe('response.incomplete');
    expect(short.outputText).toBe('One two');
    expect(short.response.usage?.output_tokens).toBe(2);
  });

  it('a limit hit inside <think>: the reasoning is closed incomplete', async () => {
    const output = ['<think>', '\n', 'Let', ' me', ' think', ' about', ' it', '\n', '</think>', '\n\n', 'Hi'];
    const { service } = scriptedService(output);
    const v = validateStream(await fetchEvents(service, { model: MODEL, input: 'Hi', max_output_tokens: 5 }));
    expect(v.terminal).toBe('response.incomplete');
    expect(v.items.map((i) => [i.type, (i as { status?: string }).status])).toEqual([['reasoning', 'incomplete']]);
    expect(v.response.output).toHaveLength(1);
  });
});

describe("tool_choice: 'none'", () => {
  it('tool markup comes out as text and the tools are not in the prompt', async () => {
    const output = `Sure.\n${hermesCall('get_weather', { city: 'Paris' })}`;
    const { service, requests } = scriptedService(output);
    const tools = [WEATHER_TOOL, TIME_TOOL];
    const events = await fetchEvents(service, { model: MODEL, input: 'Weather in Paris?', tools, tool_choice: 'none' });
    const v = validateStream(events, { tools: toolSpecs(tools), toolChoice: 'none' });
    expect(v.terminal).toBe('response.completed');
    expect(v.items.map((i) => i.type)).toEqual(['message']);
    expect(v.outputText).toBe(output);
    expect(v.response.tool_choice).toBe('none');
    expect(v.response.tools.map((t) => (t.type === 'function' ? t.name : t.type))).toEqual(['get_weather', 'get_time']);
    expect(requests[0].tools).toEqual([]);
    expect(requests[0].prompt).not.toContain('<tools>');
    expect(requests[0].prompt).not.toContain('get_weather');
    expect(requests[0].prompt).not.toContain('get_time');
    expect(requests[0].prompt).toBe('<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('reasoning is still split off', async () => {
    const output = `${think('No tools allowed.')}${hermesCall('get_time')}`;
    const { service } = scriptedService(output);
    const tools = [TIME_TOOL];
    const v = validateStream(await fetchEvents(service, { model: MODEL, input: 'Time?', tools, tool_choice: 'none' }), {
      tools: toolSpecs(tools),
      toolChoice: 'none',
    });
    expect(v.items.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect(v.outputText).toBe(hermesCall('get_time'));
  });
});
