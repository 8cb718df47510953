/**
 * `fetch('/v1/responses')` from same-origin pages, answered through the ready-made service worker
 * by the one tab that hosts the runtime (real Chromium, real service worker, transformers.js on WASM
 * with a scripted Qwen3 decoder generated at test time).
 */
import { expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { useApp } from './browser.ts';
import { ARGS, MODEL, REQUEST, ensureScriptedToolDecoder } from './scripted-model.ts';

const env = useApp({ harness: true, prepare: ensureScriptedToolDecoder });

async function swPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${env.app.url}/e2e/pages/sw.html`);
  await page.waitForSelector('body[data-ready="1"]');
  return page;
}

test('with no host tab, /v1/* answers 503 no_runtime_host (never a hang)', async () => {
  const context = await env.browser.newContext();
  const page = await swPage(context);
  const res = await page.evaluate(async () => {
    const r = await fetch('/v1/models');
    return { status: r.status, body: await r.json() };
  });
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('no_runtime_host');
  await context.close();
});

test('the official SDK with baseURL /v1 and no custom fetch; a second tab with plain fetch; the model is loaded once', async () => {
  const context = await env.browser.newContext();
  // What loads a model: a runtime worker, and the model's weights.
  const workers: string[] = [];
  const weights: string[] = [];
  context.on('request', (r) => {
    if (r.serviceWorker()) return; // the service worker's own fetches (app-shell caching), not the page's
    if (r.url().includes('/worker/worker.ts')) workers.push(r.url());
    if (r.url().endsWith(`/fixtures/${MODEL}/onnx/model.onnx`)) weights.push(r.url());
  });
  const host = await swPage(context);
  expect(await host.evaluate((model) => (window as any).harness.host(`/fixtures/${model}`), MODEL)).toBe('hosting');

  // 1. The SDK in the host page: stream with a tool call, non-streaming create, and a 400 with param.
  const sdk = await host.evaluate(async (request) => {
    const client = (window as any).harness.client();
    const stream = client.responses.stream(request);
    const deltas: string[] = [];
    for await (const ev of stream) if (ev.type === 'response.function_call_arguments.delta') deltas.push(ev.delta);
    const final = await stream.finalResponse();
    const created = await client.responses.create(request);
    let bad: any = null;
    try {
      await client.responses.create({ ...request, temperature: 5 });
    } catch (e) {
      bad = { status: (e as any).status, param: (e as any).param, isApiError: e instanceof (window as any).harness.OpenAI.APIError };
    }
    return { deltas, output: final.output, created: created.output, bad };
  }, REQUEST);
  expect(sdk.deltas.join('')).toBe(ARGS);
  expect(sdk.deltas.length).toBeGreaterThan(3);
  expect(sdk.output.map((o: any) => o.type)).toEqual(['reasoning', 'function_call']);
  expect(sdk.created.map((o: any) => [o.type, o.name ?? null, o.arguments ?? null])).toEqual([
    ['reasoning', null, null],
    ['function_call', 'get_weather', ARGS],
  ]);
  expect(sdk.bad).toEqual({ status: 400, param: 'temperature', isApiError: true });

  const weightFetchesByHost = weights.length;
  expect(weightFetchesByHost).toBeGreaterThan(0);

  // 2. A second tab: plain fetch, the SSE body arrives in pieces (first event long before the last).
  const other = await swPage(context);
  // The service worker asks the tab that hosted the last request first: this tab is not sent the request.
  await other.evaluate(() => {
    (window as any).relayed = 0;
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data?.type === 'web-responses:relay-request') (window as any).relayed++;
    });
  });
  const plain = await other.evaluate(async (request) => {
    const res = await fetch('/v1/responses', { method: 'POST', body: JSON.stringify({ ...request, stream: true }) });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const arrivals: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      arrivals.push((text.match(/^event: /gm) ?? []).length);
    }
    return { status: res.status, type: res.headers.get('content-type'), text, arrivals };
  }, REQUEST);
  expect(plain.status).toBe(200);
  expect(plain.type).toBe('text/event-stream; charset=utf-8');
  // Several reads, the first with fewer events than the whole, not one body at the end. (How many reads
  // depends on the machine's speed: a reader that falls behind gets the chunks that arrived meanwhile as
  // one; more than 5 failed once at 5 on a machine twice as fast.)
  expect(plain.arrivals.length).toBeGreaterThan(1);
  expect(plain.arrivals[0]).toBeLessThan(plain.arrivals.at(-1)!);
  expect(plain.text.startsWith('event: response.created\n')).toBe(true);
  expect(plain.text).toContain('event: response.completed\n');
  expect(await other.evaluate(() => (window as any).relayed)).toBe(0);

  // One runtime, one model load for the whole origin: the second tab loaded nothing.
  expect(workers).toHaveLength(1);
  expect(weights).toHaveLength(weightFetchesByHost);
  await context.close();
});

test('an aborted fetch through the service worker stops generation: the worker reports it stopped within one token of the abort reaching it, far short of the limit', async () => {
  const context = await env.browser.newContext();
  const host = await swPage(context);
  await host.evaluate(() => (window as any).harness.host('/models/stories260K'));
  const client = await swPage(context);
  const seen = await client.evaluate(async () => {
    const controller = new AbortController();
    const res = await fetch('/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 3000, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value } = await reader.read();
      text += decoder.decode(value, { stream: true });
      if ((text.match(/event: response\.output_text\.delta/g) ?? []).length >= 5) break;
    }
    controller.abort();
    return (text.match(/event: response\.output_text\.delta/g) ?? []).length;
  });
  // The host's worker ends the generation; its status shows where it stopped.
  const last = await host.evaluate(async () => {
    const rt = await (window as any).harness.runtime;
    for (let i = 0; i < 100; i++) {
      const s = await rt.status();
      if (s.info?.lastFinish) return s.info.lastFinish;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  });
  expect(last?.reason).toBe('abort');
  // The model stopped within one token of the abort reaching the worker…
  expect(last!.tokensAfterAbort).toBeLessThanOrEqual(1);
  // …and far short of the 3000-token limit. (How many tokens were in flight between the client's last
  // read and the abort reaching the worker depends on the machine's speed: a late reader takes every
  // chunk that arrived as one, so the pipeline's credit is in chunks, not tokens. 40 past what the client
  // saw failed once on a machine twice as fast, so the bound is the limit's, not a timing.)
  expect(seen).toBeGreaterThanOrEqual(5);
  expect(last!.outputTokens).toBeLessThan(300);
  await context.close();
});

test('the host tab closes mid-stream: the client sees response.failed (host_lost); another tab takes over and the next request succeeds', async () => {
  const context = await env.browser.newContext();
  const first = await swPage(context);
  expect(await first.evaluate(() => (window as any).harness.host('/models/stories260K'))).toBe('hosting');
  // A second tab is ready to host: it waits on the host lock.
  const second = await swPage(context);
  void second.evaluate(() => (window as any).harness.host('/models/stories260K'));
  const client = await swPage(context);
  const streamed = client.evaluate(async () => {
    const res = await fetch('/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 3000, stream: true }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if ((text.match(/event: response\.output_text\.delta/g) ?? []).length >= 3) (window as any).__ready = true;
    }
    return text;
  });
  await client.waitForFunction(() => (window as any).__ready === true, undefined, { timeout: 30_000 });
  await first.close(); // the host goes away mid-stream
  const text = await streamed;
  const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
  expect(types[0]).toBe('response.created');
  expect(types.slice(-2)).toEqual(['error', 'response.failed']);
  expect(text).toContain('"code":"host_lost"');
  // The second tab took over: the next request is served by it.
  const again = await client.evaluate(async () => {
    const r = await fetch('/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 }),
    });
    return { status: r.status, body: await r.json() };
  });
  expect(again.status).toBe(200);
  expect(again.body.output[0].content[0].text).toBe(', there was a little girl named Lily');
  await context.close();
});

/** In `page`: streams a long stories260K response through the service worker, reading it to the end. */
function streamThroughSw(page: Page): Promise<{ text: string; arrivals: number[] }> {
  return page.evaluate(async () => {
    const res = await fetch('/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 3000, stream: true }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const arrivals: number[] = []; // wall clock of each delta's arrival (Date.now: comparable across tabs)
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      for (const _ of chunk.matchAll(/event: response\.output_text\.delta/g)) arrivals.push(Date.now());
      text += chunk;
      if (arrivals.length >= 3) (window as any).__streaming = true;
      if ((window as any).__stop) {
        await reader.cancel();
        break;
      }
    }
    return { text, arrivals };
  });
}

test('a body goes from the runtime worker to the service worker directly: while the host tab is busy, the client keeps receiving deltas', async () => {
  const context = await env.browser.newContext();
  const host = await swPage(context);
  await host.evaluate(() => (window as any).harness.host('/models/stories260K'));
  const client = await swPage(context);
  const streamed = streamThroughSw(client);
  await client.waitForFunction(() => (window as any).__streaming === true, undefined, { timeout: 30_000 });
  // The host tab's main thread is blocked for 2 s. A body relayed through it would stop for as long
  // (its port streams hold at most a few chunks); one that goes around it keeps flowing.
  const busy = await host.evaluate(() => {
    const from = Date.now();
    while (Date.now() - from < 2000);
    return { from, to: Date.now() };
  });
  await client.evaluate(() => ((window as any).__stop = true));
  const { arrivals } = await streamed;
  const during = arrivals.filter((t) => t > busy.from + 200 && t < busy.to).length;
  expect(during, `deltas that arrived while the host tab was busy (of ${arrivals.length})`).toBeGreaterThanOrEqual(20);
  await context.close();
});

test('the runtime worker dies mid-stream while its body goes to the service worker: the client sees error + response.failed (worker_crashed); the host reloads it and serves again', async () => {
  const context = await env.browser.newContext();
  const host = await swPage(context);
  await host.evaluate(() => (window as any).harness.host('/models/stories260K', {}, { livenessMs: 500, pingTimeoutMs: 2000 }));
  const client = await swPage(context);
  const streamed = streamThroughSw(client);
  await client.waitForFunction(() => (window as any).__streaming === true, undefined, { timeout: 30_000 });
  // As if the browser killed the worker: the runtime is not told, it finds out by asking.
  await host.evaluate(() => (window as any).harness.runtime.worker.terminate());
  const { text } = await streamed;
  const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
  expect(types[0]).toBe('response.created');
  expect(types.slice(-2), text.slice(-600)).toEqual(['error', 'response.failed']);
  const failed = JSON.parse(text.split('event: response.failed\ndata: ')[1].split('\n')[0]);
  expect(failed.response).toMatchObject({ id: expect.stringMatching(/^resp_/), status: 'failed', error: { code: 'worker_crashed' } });
  // The sequence numbers run on without a gap through the injected events.
  const seqs = [...text.matchAll(/"sequence_number":(\d+)/g)].map((m) => Number(m[1]));
  expect(seqs.slice(-2)).toEqual([seqs.at(-3)! + 1, seqs.at(-3)! + 2]);
  // A reload of the runtime in the host tab, and the service worker serves from it again.
  await host.evaluate(() => (window as any).harness.runtime.load());
  const again = await client.evaluate(async () => {
    const r = await fetch('/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 }),
    });
    return { status: r.status, body: await r.json() };
  });
  expect(again.status).toBe(200);
  expect(again.body.output[0].content[0].text).toBe(', there was a little girl named Lily');
  await context.close();
});

test('the host stops hosting but its tab stays open: the service worker, which asks that tab first, asks every tab and the new host answers', async () => {
  const context = await env.browser.newContext();
  const first = await swPage(context);
  expect(await first.evaluate(() => (window as any).harness.host('/models/stories260K'))).toBe('hosting');
  const second = await swPage(context);
  const taking = second.evaluate(() => (window as any).harness.host('/models/stories260K'));
  const client = await swPage(context);
  const ask = () =>
    client.evaluate(async () => {
      const r = await fetch('/v1/responses', {
        method: 'POST',
        body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 5 }),
      });
      return { status: r.status, body: await r.json() };
    });
  expect((await ask()).status).toBe(200); // served by the first tab, which the service worker now asks first
  await first.evaluate(() => (window as any).harness.release());
  expect(await taking).toBe('hosting');
  const again = await ask();
  expect(again.status, JSON.stringify(again.body)).toBe(200);
  expect(again.body.output[0].content[0].text).toBe(', there was a little');
  await context.close();
});

test('the service worker is stopped by the browser between requests: the next request still works (no state lives only in it)', async () => {
  const context = await env.browser.newContext();
  const host = await swPage(context);
  await host.evaluate(() => (window as any).harness.host('/models/stories260K'));
  const ask = () =>
    host.evaluate(async () => {
      const r = await fetch('/v1/responses', {
        method: 'POST',
        body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 }),
      });
      return { status: r.status, text: (await r.json()).output?.[0]?.content?.[0]?.text };
    });
  expect(await ask()).toEqual({ status: 200, text: ', there was a little girl named Lily' });
  const cdp = await context.newCDPSession(host);
  const statuses: string[] = [];
  cdp.on('ServiceWorker.workerVersionUpdated', (e: { versions: Array<{ runningStatus: string }> }) => {
    for (const v of e.versions) statuses.push(v.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await expect.poll(() => statuses.includes('stopped'), { timeout: 10_000 }).toBe(true);
  statuses.length = 0;
  expect(await ask()).toEqual({ status: 200, text: ', there was a little girl named Lily' });
  expect(statuses).toContain('running'); // it was started again for the request
  await context.close();
});
