/**
 * The demo works offline after one visit (real Chromium, real service worker): the first visit loads
 * stories260K and chats; then the dev server is shut down and the context set offline, the page is
 * reloaded, the cached model loads again and answers.
 */
import { expect, test } from 'vitest';
import { useApp } from './browser.ts';

const env = useApp();

test('offline reload after a first visit: the app and the cached model still work', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const chat = async (turn: number) => {
    await page.click('[data-key="local:/models/stories260K"] .load');
    await page.waitForSelector('body[data-model-loaded="stories260K"]', { timeout: 60_000 });
    await page.fill('#prompt', 'Once upon a time');
    await page.click('#send');
    await page.waitForSelector(`body[data-turns="${turn}"]`, { timeout: 60_000 });
    return (await page.textContent('.turn.assistant .answer'))!;
  };
  await page.goto(`${env.app.url}/?backend=wasm&temperature=0`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  const online = await chat(1);
  expect(online.trim().length).toBeGreaterThan(10);

  await env.app.close(); // the server is gone…
  await context.setOffline(true); // …and the browser is offline
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  // Chromium 150 reads navigator.onLine as true in the reloaded document although the context is still
  // offline, so the network itself is checked: a navigation fails as offline, not as an unknown host.
  const probe = await context.newPage();
  await expect(probe.goto('http://offline-check.invalid/')).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/);
  await probe.close();
  // The catalogue (served while online) is gone offline; the cached model still shows and loads.
  expect(await page.textContent('#cached')).toContain('/models/stories260K');
  const offline = await chat(1);
  expect(offline).toBe(online); // greedy: the same answer, from the cached weights
  expect(errors).toEqual([]);
  await context.close();
});
