/**
 * The transformers.js engine on a real model: stories260K (../shared/models, see docs/test-models.md), on
 * onnxruntime-node. Loaded once; every test is a few dozen tokens.
 */
import OpenAI from 'openai';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createResponsesService } from '../../src/index.ts';
import {
  IncrementalDecoder,
  YIELD_INTERVAL_MS,
  transformersEngine,
  yieldingSteps,
  type GenerationTimings,
  type LoadProgress,
  type TransformersEngine,
} from '../../src/engines/transformers.ts';
import type { DeviceReport } from '../../src/engines/device.ts';
import type { EngineChunk, EngineEvent, EngineFinish, GenerateRequest, SamplingOptions } from '../../src/engines/types.ts';

const MODEL_DIR = fileURLToPath(new URL('../../../shared/models/stories260K', import.meta.url));
const REFERENCE_TEXT =
  ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';
const REFERENCE_IDS = [
  432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282,
  295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426,
];
/** What the service renders for input "Once upon a time" with stories' template ({{ bos_token }} + contents). */
const PROMPT = '<s>Once upon a time';

function request(sampling: Partial<SamplingOptions> = {}, signal = new AbortController().signal): GenerateRequest {
  return {
    model: 'stories260K',
    prompt: PROMPT,
    sampling: { temperature: 0, topP: 1, maxTokens: 40, ...sampling },
    signal,
  };
}

async function collect(events: AsyncIterable<EngineEvent>): Promise<{ chunks: EngineChunk[]; finish: EngineFinish & { timings?: GenerationTimings } }> {
  const chunks: EngineChunk[] = [];
  const finishes: EngineFinish[] = [];
  for await (const e of events) {
    if (e.type === 'chunk') {
      expect(finishes).toHaveLength(0);
      chunks.push(e);
    } else finishes.push(e);
  }
  expect(finishes).toHaveLength(1);
  return { chunks, finish: finishes[0] };
}

const textOf = (chunks: EngineChunk[]) => chunks.map((c) => c.text).join('');
const idsOf = (chunks: EngineChunk[]) => chunks.flatMap((c) => c.tokenIds ?? []);

let engine: TransformersEngine;
const progress: LoadProgress[] = [];

beforeAll(async () => {
  engine = transformersEngine({ model: MODEL_DIR, dtype: 'fp32', onProgress: (p) => progress.push(p) });
  expect(engine.models()).toEqual([]);
  await engine.load();
});

describe('transformersEngine (stories260K on onnxruntime-node)', () => {
  it('loads: model info from tokenizer_config, progress callbacks with overall totals', () => {
    const [info] = engine.models();
    expect(info).toMatchObject({ id: 'stories260K', bosToken: '<s>', eosToken: '</s>', toolFormat: 'none', reasoningFormat: 'none' });
    expect(info.chatTemplate).toContain('bos_token');
    expect(engine.info).toMatchObject({ loaded: true, dtype: 'fp32', contextLength: 512 });

    const files = new Set(progress.map((p) => p.file));
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'onnx/model.onnx']) expect(files).toContain(f);
    const model = progress.find((p) => p.file === 'onnx/model.onnx' && p.status === 'progress');
    expect(model?.total).toBeGreaterThan(1_000_000);
    const last = progress.at(-1)!;
    expect(last.overall.loaded).toBe(last.overall.total);
    expect(last.overall.total).toBeGreaterThan(1_200_000);
    // overall never decreases
    for (let i = 1; i < progress.length; i++) expect(progress[i].overall.loaded).toBeGreaterThanOrEqual(progress[i - 1].overall.loaded);
  });

  it('greedy 40 tokens of "Once upon a time" stream the reference text and ids', async () => {
    const { chunks, finish } = await collect(engine.generate(request()));
    expect(textOf(chunks)).toBe(REFERENCE_TEXT);
    expect(idsOf(chunks)).toEqual(REFERENCE_IDS);
    expect(chunks.length).toBeGreaterThan(20); // streamed, not one blob
    expect(finish).toMatchObject({ type: 'finish', reason: 'length', inputTokens: 5, outputTokens: 40 });
    expect(finish.timings?.ttftMs).toBeGreaterThan(0);
    expect(finish.timings?.decodeTokensPerSecond).toBeGreaterThan(0);
    expect(finish.timings?.prefillTokensPerSecond).toBeGreaterThan(0);
  });

  it('does not add a second BOS when the template rendered one, and adds it when not', async () => {
    const a = await collect(engine.generate({ ...request({ maxTokens: 3 }), prompt: 'Once upon a time' }));
    expect(a.finish.inputTokens).toBe(5);
    expect(idsOf(a.chunks)).toEqual(REFERENCE_IDS.slice(0, 3));
  });

  it('maxTokens → finish "length" with exact counts', async () => {
    const { chunks, finish } = await collect(engine.generate(request({ maxTokens: 7 })));
    expect(idsOf(chunks)).toEqual(REFERENCE_IDS.slice(0, 7));
    expect(textOf(chunks)).toBe(', there was a little gir'); // " g" "ir" "l": the 8th token is "l"
    expect(finish).toMatchObject({ reason: 'length', inputTokens: 5, outputTokens: 7 });
  });

  it('stop strings: stops before the stop string, finish "stop"', async () => {
    const { chunks, finish } = await collect(engine.generate(request({ stop: [' named'] })));
    expect(textOf(chunks)).toBe(', there was a little girl');
    expect(finish.reason).toBe('stop');
    expect(finish.outputTokens).toBeLessThan(12);
  });

  it('stop strings across tokens: a held-back prefix that never completes is released; the earliest stop wins', async () => {
    // ' little' may begin ' little boy': held back, then released when ' girl' follows.
    const never = await collect(engine.generate(request({ stop: [' little boy'] })));
    expect(textOf(never.chunks)).toBe(REFERENCE_TEXT);
    expect(never.finish.reason).toBe('length');
    // A stop string spanning several tokens.
    const spanning = await collect(engine.generate(request({ stop: ['girl named Lily'] })));
    expect(textOf(spanning.chunks)).toBe(', there was a little ');
    expect(spanning.finish.reason).toBe('stop');
    // Two stop strings: the output ends before the one that occurs first.
    const two = await collect(engine.generate(request({ stop: [' park', 'She loved'] })));
    expect(textOf(two.chunks)).toBe(', there was a little girl named Lily. ');
    expect(two.finish.reason).toBe('stop');
  });

  it('abort after a few tokens stops within one token; the engine then serves another request', async () => {
    const controller = new AbortController();
    const chunks: EngineChunk[] = [];
    let finish: EngineFinish | undefined;
    let afterAbort = 0;
    for await (const e of engine.generate(request({ maxTokens: 200 }, controller.signal))) {
      if (e.type === 'chunk') {
        if (controller.signal.aborted) afterAbort++;
        chunks.push(e);
        if (chunks.length === 3) controller.abort();
      } else finish = e;
    }
    expect(afterAbort).toBe(0);
    expect(finish).toMatchObject({ reason: 'abort', inputTokens: 5 });
    expect(finish!.outputTokens).toBeGreaterThanOrEqual(3);
    expect(finish!.outputTokens).toBeLessThanOrEqual(4);

    const again = await collect(engine.generate(request()));
    expect(textOf(again.chunks)).toBe(REFERENCE_TEXT);
  });

  it('an already-aborted request yields only finish "abort"', async () => {
    const controller = new AbortController();
    controller.abort();
    const { chunks, finish } = await collect(engine.generate(request({}, controller.signal)));
    expect(chunks).toEqual([]);
    expect(finish).toMatchObject({ reason: 'abort', outputTokens: 0 });
  });

  it('concurrent requests are served one after the other, both correct', async () => {
    const [a, b] = await Promise.all([collect(engine.generate(request({ maxTokens: 10 }))), collect(engine.generate(request()))]);
    expect(idsOf(a.chunks)).toEqual(REFERENCE_IDS.slice(0, 10));
    expect(textOf(b.chunks)).toBe(REFERENCE_TEXT);
  });

  it('a queued request aborted before its turn leaves the queue at once; the ones behind it are served in order', async () => {
    const order: string[] = [];
    const tagged = (tag: string, it: AsyncIterable<unknown>) =>
      collect(it as never).then((r) => {
        order.push(tag);
        return r;
      });
    const controller = new AbortController();
    const a = tagged('a', engine.generate(request({ maxTokens: 30 })));
    const b = tagged('b', engine.generate(request({ maxTokens: 30 }, controller.signal)));
    const c = tagged('c', engine.generate(request({ maxTokens: 5 })));
    controller.abort(); // b is still waiting behind a
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(rb.chunks).toEqual([]);
    expect(rb.finish).toMatchObject({ reason: 'abort', outputTokens: 0 });
    expect(order).toEqual(['b', 'a', 'c']); // b left before a finished; c waited for a
    expect(idsOf(ra.chunks)).toEqual(REFERENCE_IDS.slice(0, 30));
    expect(idsOf(rc.chunks)).toEqual(REFERENCE_IDS.slice(0, 5));
  });

  it('sampling with temperature > 0 produces tokens and respects maxTokens', async () => {
    const { chunks, finish } = await collect(engine.generate(request({ temperature: 1, topP: 0.9, maxTokens: 12 })));
    expect(finish.outputTokens).toBeLessThanOrEqual(12);
    expect(textOf(chunks).length).toBeGreaterThan(0);
  });

  it('a prompt longer than the context fails with context_length_exceeded', async () => {
    const long = { ...request(), prompt: '<s>' + 'Once upon a time '.repeat(200) };
    await expect(collect(engine.generate(long))).rejects.toMatchObject({ code: 'context_length_exceeded' });
  });

  it('IncrementalDecoder holds byte-fallback tokens until a multi-byte character is whole', async () => {
    const { AutoTokenizer } = await import('@huggingface/transformers');
    const tok = await AutoTokenizer.from_pretrained(MODEL_DIR.replace(/stories260K$/, '') + 'stories260K', { local_files_only: true });
    const ids = tok.encode('a ☃ b', { add_special_tokens: false });
    expect(ids.length).toBeGreaterThanOrEqual(5); // ☃ is 3 byte tokens in a 512 vocab
    const dec = new IncrementalDecoder((x) => tok.decode(x), [1]);
    const pieces = ids.map((id) => dec.push([id]));
    pieces.push(dec.flush());
    // In the context of the preceding token, the first word keeps its SentencePiece space.
    expect(pieces.join('')).toBe(tok.decode([1, ...ids]).slice(tok.decode([1]).length));
    expect(pieces.join('')).toBe(' a ☃ b');
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
    expect(pieces).toEqual([' a', ' ', '', '', '☃', ' b', '']); // the snowman's three byte tokens come out at once
  });

  it('serves the Responses API through the official SDK: output_text deltas and usage', async () => {
    const service = createResponsesService({ engine });
    const client = new OpenAI({ apiKey: 'x', baseURL: 'http://localhost/v1', fetch: service.fetch });
    const stream = await client.responses.create({
      model: 'stories260K',
      input: 'Once upon a time',
      temperature: 0,
      max_output_tokens: 40,
      stream: true,
    });
    const deltas: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      if (event.type === 'response.completed' || event.type === 'response.incomplete') completed = event.response;
    }
    expect(deltas.length).toBeGreaterThan(20);
    expect(deltas.join('')).toBe(REFERENCE_TEXT);
    expect(completed?.status).toBe('incomplete'); // max_output_tokens reached
    const message = completed?.output.find((o) => o.type === 'message');
    expect(message?.type === 'message' && message.content[0].type === 'output_text' && message.content[0].text).toBe(REFERENCE_TEXT);
    expect(completed?.usage).toMatchObject({ input_tokens: 5, output_tokens: 40, total_tokens: 45 });
  });
});

describe('transformersEngine errors', () => {
  it('a missing model folder fails with model_load_failed', async () => {
    const bad = transformersEngine({ model: MODEL_DIR + '-missing', dtype: 'fp32' });
    await expect(bad.load()).rejects.toMatchObject({ code: 'model_load_failed' });
    expect(bad.models()).toEqual([]);
  });

  it('device "webgpu" without an adapter fails with unsupported_device', async () => {
    const report: DeviceReport = { backend: 'wasm', reason: 'no GPU adapter', shaderF16: false, limits: {} };
    const bad = transformersEngine({ model: MODEL_DIR, device: 'webgpu', probe: async () => report });
    await expect(bad.load()).rejects.toMatchObject({ code: 'unsupported_device' });
  });

  it('an f16 dtype on a GPU without shader-f16 and no fallback variant fails with unsupported_device', async () => {
    const report: DeviceReport = { backend: 'webgpu', reason: '', shaderF16: false, limits: {} };
    const bad = transformersEngine({ model: MODEL_DIR, device: 'auto', dtype: 'q4f16', availableDtypes: ['q4f16'], probe: async () => report });
    await expect(bad.load()).rejects.toMatchObject({ code: 'unsupported_device' });
  });
});

/**
 * When the engine yields. That the yield lets a page's abort into a busy WASM worker is held in Chromium
 * (e2e/runtime.e2e.ts, e2e/service-worker.e2e.ts): Node drains one MessagePort's messages before
 * others and before timers, so it cannot show that here.
 */
describe('yieldingSteps: the worker reads its messages between model steps, at most every interval', () => {
  /**
   * Runs `steps` model steps of `stepMs` each on a fake clock, calling `restart` before the steps listed
   * in `restartAt`; returns the steps (1-based) a task was yielded before.
   */
  async function yieldsBefore(steps: number, stepMs: number, intervalMs?: number, restartAt: number[] = []): Promise<number[]> {
    let clock = 1000;
    let step = 0;
    const yielded: number[] = [];
    const model = {
      async forward(_inputs: unknown) {
        clock += stepMs;
      },
    };
    const restart = yieldingSteps(model, intervalMs, () => clock, async () => void yielded.push(step));
    for (step = 1; step <= steps; step++) {
      if (restartAt.includes(step)) restart();
      await model.forward(null);
    }
    return yielded;
  }

  it('yields before the first step, then once the interval has passed: an abort waits at most the interval plus one step', async () => {
    expect(YIELD_INTERVAL_MS).toBe(50);
    const at = await yieldsBefore(30, 17);
    expect(at).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    for (let i = 1; i < at.length; i++) expect((at[i] - at[i - 1]) * 17).toBeLessThanOrEqual(YIELD_INTERVAL_MS + 17);
  });

  it('yields before every step when a step takes longer than the interval, or when the interval is 0', async () => {
    expect(await yieldsBefore(5, 80)).toEqual([1, 2, 3, 4, 5]);
    expect(await yieldsBefore(5, 1, 0)).toEqual([1, 2, 3, 4, 5]);
  });

  it('restart (a new generation) makes the next step yield, however recent the last yield', async () => {
    expect(await yieldsBefore(8, 17, undefined, [3, 6])).toEqual([1, 3, 6]);
  });

});
