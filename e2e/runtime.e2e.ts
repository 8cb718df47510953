/**
 * The worker runtime in real Chromium: transformers.js on ONNX Runtime Web (WebGPU through
 * SwiftShader here, and WASM), with the real stories260K model served by the app.
 */
import { expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { useApp } from './browser.ts';

const REFERENCE =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';

const env = useApp({ harness: true });

async function harnessPage(): Promise<Page> {
  const page = await env.browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${env.app.url}/e2e/pages/runtime.html`);
  await page.waitForSelector('body[data-ready="1"]');
  return page;
}

for (const device of ['webgpu', 'wasm'] as const) {
  test(`stories260K on ${device}: greedy 40 tokens of "Once upon a time" stream as output_text deltas`, async () => {
    const page = await harnessPage();
    // Everything (model files, ONNX Runtime's wasm) comes from the app's origin, worker included.
    const requested: string[] = [];
    page.context().on('request', (r) => requested.push(r.url()));
    const result = await page.evaluate(async (device) => {
      const h = (window as any).harness;
      const rt = h.start('/models/stories260K', { device, dtype: 'fp32' });
      const status = await rt.ready;
      const client = h.client(rt);
      const stream = client.responses.stream({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 40 });
      const deltas: string[] = [];
      for await (const ev of stream) if (ev.type === 'response.output_text.delta') deltas.push(ev.delta);
      const final = await stream.finalResponse();
      return {
        status, deltas, text: final.output_text, usage: final.usage, state: final.status,
        timings: (final as any).timings, progress: h.progress,
      };
    }, device);
    expect(result.status.info.device).toBe(device);
    expect('Once upon a time' + result.text).toBe(REFERENCE);
    expect(result.deltas.length).toBeGreaterThan(20);
    expect(result.usage).toMatchObject({ input_tokens: 5, output_tokens: 40, total_tokens: 45 });
    expect(result.state).toBe('incomplete'); // stopped by max_output_tokens
    // Timings and the backend ride along in a field the SDK ignores.
    expect(result.timings.backend).toBe(device);
    expect(result.timings.time_to_first_token_ms).toBeGreaterThan(0);
    expect(result.timings.decode_tokens_per_second).toBeGreaterThan(0);
    // Download progress per file and overall, in bytes.
    const files = result.progress.filter((p: any) => p.file && typeof p.loaded === 'number' && typeof p.total === 'number');
    expect(new Set(files.map((p: any) => p.file))).toContain('onnx/model.onnx');
    const last = result.progress.filter((p: any) => p.overall).at(-1);
    expect(last.overall.loaded).toBe(last.overall.total);
    expect(last.overall.total).toBeGreaterThan(1_000_000);
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((u) => !u.startsWith(env.app.url))).toEqual([]);
    expect(requested.some((u) => u.includes('/ort/') && u.endsWith('.wasm'))).toBe(true);
    await page.close();
  });
}

test('abort mid-generation, then a second request on the same runtime succeeds', async () => {
  const page = await harnessPage();
  const result = await page.evaluate(async () => {
    const h = (window as any).harness;
    const rt = h.start('/models/stories260K', { device: 'wasm', dtype: 'fp32' });
    await rt.ready;
    const client = h.client(rt);
    const controller = new AbortController();
    const stream = client.responses.stream(
      { model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 400 },
      { signal: controller.signal },
    );
    let deltas = 0;
    let error = '';
    try {
      for await (const ev of stream) {
        if (ev.type === 'response.output_text.delta' && ++deltas === 5) controller.abort();
      }
    } catch (e) {
      error = e instanceof h.OpenAI.APIUserAbortError ? 'APIUserAbortError' : String(e);
    }
    let stopped = null;
    for (let i = 0; i < 100 && !stopped; i++) {
      stopped = (await rt.status()).info.lastFinish ?? null;
      if (!stopped) await new Promise((r) => setTimeout(r, 50));
    }
    const again = await client.responses.create({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 40 });
    return { deltas, error, text: again.output_text, usage: again.usage, stopped };
  });
  expect(result.deltas).toBe(5);
  expect(result.error).toMatch(/^APIUserAbortError/);
  // The worker stopped the generation within one token of the abort reaching it, far short of the
  // 400-token limit. (How many tokens were in flight between the client's fifth delta and the abort
  // reaching the worker depends on the machine's speed: 5 + 40 failed at 62 on a fast machine, as the
  // same bound did in e2e/service-worker.e2e.ts; the stop itself is held by tokensAfterAbort.)
  expect(result.stopped.reason).toBe('abort');
  expect(result.stopped.tokensAfterAbort).toBeLessThanOrEqual(1);
  expect(result.stopped.outputTokens).toBeLessThan(200);
  expect('Once upon a time' + result.text).toBe(REFERENCE);
  expect(result.usage.output_tokens).toBe(40);
  await page.close();
});

test('the worker is terminated mid-stream: the page sees response.failed, and a reload of the runtime works', async () => {
  const page = await harnessPage();
  const result = await page.evaluate(async () => {
    const h = (window as any).harness;
    const rt = h.start('/models/stories260K', { device: 'wasm', dtype: 'fp32' }, 1000, 8000);
    await rt.ready;
    const res = await rt.fetch('/v1/responses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 2000, stream: true }),
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let killed = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!killed && (text.match(/output_text\.delta/g) ?? []).length >= 3) {
        killed = true;
        rt.worker.terminate(); // as if the browser killed it: the runtime is not told
      }
    }
    const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    if (!text.includes('event: response.failed')) return { types, tail: text.slice(-400) } as any;
    const failed = JSON.parse(text.split('event: response.failed\ndata: ')[1].split('\n')[0]);
    const before = await rt.status();
    await rt.load();
    const again = await h.client(rt).responses.create({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 });
    return { types, failed, alive: before.alive, again: again.output_text };
  });
  expect(result.types.slice(-2), JSON.stringify(result).slice(0, 1500)).toEqual(["error", "response.failed"]);
  expect(result.types[0]).toBe('response.created');
  expect(result.failed.response).toMatchObject({ status: 'failed', error: { code: 'worker_crashed' } });
  expect(result.alive).toBe(false);
  expect(result.again).toBe(', there was a little girl named Lily');
  await page.close();
});

test('a model variant that needs shader-f16 on SwiftShader falls back to fp32, or fails with unsupported_device', async () => {
  const page = await harnessPage();
  const result = await page.evaluate(async () => {
    const h = (window as any).harness;
    const report = await h.probeDevice();
    // The model has an fp32 variant: the f16 request falls back to it.
    const rt = h.start('/models/stories260K', { device: 'webgpu', dtype: 'q4f16', availableDtypes: ['fp32', 'q4f16'] });
    const status = await rt.ready;
    // A model with only f16 variants cannot run here: a clear error, not an ONNX Runtime trace.
    const rt2 = h.start('/models/stories260K', { device: 'webgpu', dtype: 'fp16', availableDtypes: ['fp16', 'q4f16'] });
    const error = await rt2.ready.then(() => null, (e: any) => ({ code: e.code, message: e.message }));
    return { report, status, error };
  });
  expect(result.report).toMatchObject({ backend: 'webgpu', shaderF16: false });
  expect(result.report.adapter.architecture).toBe('swiftshader');
  expect(result.status.info).toMatchObject({ device: 'webgpu', dtype: 'fp32' });
  expect(result.error?.code).toBe('unsupported_device');
  expect(result.error?.message).toMatch(/shader-f16/);
  await page.close();
});

test('a page where WebGPU is unavailable: the runtime falls back to WASM and says so', async () => {
  // A browser without --enable-unsafe-webgpu: no usable adapter.
  const { chromium } = await import('playwright-core');
  const { CHROMIUM_PATH, CHROMIUM_ARGS } = await import('./browser.ts');
  const plain = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'), '--disable-webgpu'],
  });
  try {
    const page = await plain.newPage();
    await page.goto(`${env.app.url}/e2e/pages/runtime.html`);
    await page.waitForSelector('body[data-ready="1"]');
    const result = await page.evaluate(async () => {
      const h = (window as any).harness;
      const rt = h.start('/models/stories260K', { dtype: 'fp32' }); // device: auto
      const status = await rt.ready;
      const r = await h.client(rt).responses.create({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 });
      return { info: status.info, text: r.output_text, timings: r.timings };
    });
    expect(result.info.device).toBe('wasm');
    expect(result.info.deviceReport.backend).toBe('wasm');
    expect(result.info.deviceReport.reason).toMatch(/WebGPU|adapter/i);
    expect(result.timings.backend).toBe('wasm');
    expect(result.text).toBe(', there was a little girl named Lily');
  } finally {
    await plain.close();
  }
});
