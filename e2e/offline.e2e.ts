/**
 * Offline (real Chromium, real service worker): after one online visit, the page is reloaded with the
 * network gone — the dev server is shut down and the browser context set offline — and `/v1/responses`
 * still answers, from the app shell the service worker kept and the model transformers.js cached.
 */
import { expect, test } from 'vitest';
import { useApp } from './browser.ts';

const env = useApp({ harness: true });

const STORY = { model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 10 };

test('after one online visit, a reload with no network still answers /v1/responses from the cached model', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const ask = () =>
    page.evaluate(async (story) => {
      await (window as any).harness.host('/models/stories260K');
      const r = await fetch('/v1/responses', { method: 'POST', body: JSON.stringify(story) });
      return { status: r.status, text: (await r.json()).output?.[0]?.content?.[0]?.text };
    }, STORY);
  await page.goto(`${env.app.url}/e2e/pages/sw.html`);
  await page.waitForSelector('body[data-ready="1"]');
  const online = await ask();
  expect(online.status).toBe(200);
  // The first visit's files (loaded before the service worker existed) were handed to it for caching.
  await expect
    .poll(() => page.evaluate(async () => (await (await caches.open('web-responses-shell')).keys()).map((r) => new URL(r.url).pathname)))
    .toEqual(expect.arrayContaining(['/e2e/pages/sw.html', '/e2e/pages/sw-page.ts', '/@vite/client']));

  await env.app.close(); // nothing answers on this origin's port any more
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  expect(await page.evaluate(() => Boolean(navigator.serviceWorker.controller))).toBe(true);
  expect(await ask()).toEqual(online);
  await context.close();
});
