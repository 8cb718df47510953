/**
 * Service-worker lifecycle edges (real Chromium, real service worker, stories260K on WASM): the first
 * page load before the service worker controls the page, and a service-worker update while a
 * response is streaming.
 */
import { expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { useApp } from './browser.ts';

const env = useApp({ harness: true });

async function swPage(context: BrowserContext, query = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${env.app.url}/e2e/pages/sw.html${query}`);
  await page.waitForSelector('body[data-ready="1"]');
  return page;
}

const STORY = { model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 };
const STORY_TEXT = ', there was a little girl named Lily';

test('first load, before any service worker controls the page: localFetch serves /v1/ from the runtime in this tab, or says what to do; after registration the service worker serves', async () => {
  const context = await env.browser.newContext();
  const page = await swPage(context, '?register=0');
  const result = await page.evaluate(async (story) => {
    const h = (window as any).harness;
    const controlledAtStart = Boolean(navigator.serviceWorker.controller);
    // No service worker and no runtime here: a clear 503 after a short wait, not a hang or a network request.
    const none = await h.localFetch({ waitMs: 200 })('/v1/models');
    const noneBody = await none.json();
    // A runtime in this tab: requests go to it directly, through the official SDK too.
    const rt = h.standalone('/models/stories260K');
    const client = new h.OpenAI({ apiKey: 'local', baseURL: `${location.origin}/v1`, dangerouslyAllowBrowser: true, maxRetries: 0, fetch: h.localFetch({ runtime: () => rt }) });
    const direct = await client.responses.create(story);
    rt.terminate();
    // Registered and hosting: the same code now goes through the service worker.
    const controlled = await h.register();
    await h.host('/models/stories260K');
    const viaSw = await h.localFetch({ runtime: () => h.runtime })('/v1/responses', { method: 'POST', body: JSON.stringify(story) });
    return { controlledAtStart, none: { status: none.status, code: noneBody.error.code, message: noneBody.error.message }, direct: direct.output_text, controlled, viaSw: { status: viaSw.status, text: (await viaSw.json()).output[0].content[0].text } };
  }, STORY);
  expect(result.controlledAtStart).toBe(false);
  expect(result.none.status).toBe(503);
  expect(result.none.code).toBe('service_worker_not_ready');
  expect(result.none.message).toMatch(/registerResponsesWorker/);
  expect(result.direct).toBe(STORY_TEXT);
  expect(result.controlled).toBe(true);
  expect(result.viaSw).toEqual({ status: 200, text: STORY_TEXT });
  await context.close();
});

test('a service-worker update while a response streams does not cut it; the new version serves the next request', async () => {
  const context = await env.browser.newContext();
  const host = await swPage(context);
  await host.evaluate(() => (window as any).harness.host('/models/stories260K'));
  const client = await swPage(context);
  const before = await client.evaluate(() => navigator.serviceWorker.controller!.scriptURL);
  const streamed = client.evaluate(async () => {
    const res = await fetch('/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 200, stream: true }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let deltasAtUpdate = -1;
    navigator.serviceWorker.addEventListener('controllerchange', () => (deltasAtUpdate = (text.match(/event: response\.output_text\.delta/g) ?? []).length));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!(window as any).__streaming && (text.match(/event: response\.output_text\.delta/g) ?? []).length >= 3) {
        // Hold the stream open (back-pressure pauses generation) until the update is done.
        (window as any).__streaming = true;
        while (!(window as any).__updated) await new Promise((r) => setTimeout(r, 20));
      }
    }
    return { text, deltasAtUpdate };
  });
  await client.waitForFunction(() => (window as any).__streaming === true, undefined, { timeout: 30_000 });
  // A new version of the service worker installs and takes over (skipWaiting + clients.claim).
  await host.evaluate(() => (window as any).harness.register('2'));
  await client.waitForFunction(() => navigator.serviceWorker.controller?.scriptURL.includes('?v=2'), undefined, { timeout: 30_000 });
  const after = await client.evaluate(() => ((window as any).__updated = true) && navigator.serviceWorker.controller!.scriptURL);
  const { text, deltasAtUpdate } = await streamed;
  expect(after).not.toBe(before);
  expect(after).toContain('?v=2');
  const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
  const deltas = types.filter((t) => t === 'response.output_text.delta').length;
  expect(deltasAtUpdate).toBeGreaterThanOrEqual(3); // the update happened mid-stream…
  expect(deltasAtUpdate).toBeLessThan(deltas);
  expect(types.at(-1)).toBe('response.incomplete'); // …and the stream still ended properly (at max_output_tokens)
  expect(types).not.toContain('error');
  const completed = JSON.parse(text.trim().split('\n').at(-1)!.slice('data: '.length));
  expect(completed.response.usage.output_tokens).toBe(200);
  // The next request goes to the new version.
  const next = await client.evaluate(async (story) => {
    const r = await fetch('/v1/responses', { method: 'POST', body: JSON.stringify(story) });
    return { status: r.status, text: (await r.json()).output[0].content[0].text };
  }, STORY);
  expect(next).toEqual({ status: 200, text: STORY_TEXT });
  await context.close();
});
