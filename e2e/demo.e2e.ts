/**
 * The demo PWA (`npm start`) in real Chromium, through its real path: the page hosts the runtime
 * (transformers.js on WASM in a Web Worker), the ready-made service worker answers /v1, and the chat
 * is the official SDK. Models are served locally: stories260K (a real trained model) and a scripted
 * Qwen3 calculator decoder generated at test time. The hub is unreachable here, as the page says.
 *
 * Screenshots (desktop and phone) go to test-results/demo-*.png.
 */
import { expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { useApp } from './browser.ts';
import { CALC_MODEL, CALC_QUESTION, CALC_VALUE, ensureCalculatorDecoder } from './demo-model.ts';

const env = useApp({
  prepare: ensureCalculatorDecoder,
  // stories260K's weights arrive slowly (≈150 KB/s, about 8 s), so the progress bar can be watched.
  slow: { match: /^\/models\/stories260K\/onnx\//, bytesPerSecond: 150_000 },
});

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function openDemo(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.app.url}/?backend=wasm`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  return { page, errors };
}

/** Desktop, then phone (where the models panel covers the page: closed, as after tapping Load). */
async function shoot(page: Page, name: string, { panel = false } = {}): Promise<void> {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `test-results/demo-${name}-desktop.png` });
  await page.setViewportSize(PHONE);
  const closed = !panel && (await page.isVisible('#models'));
  if (closed) await page.click('#close-models');
  await page.screenshot({ path: `test-results/demo-${name}-phone.png` });
  await page.setViewportSize(DESKTOP);
  if (closed) await page.click('#model-button');
}

async function load(page: Page, key: string): Promise<string> {
  await page.click(`[data-key="${key}"] .load`);
  await page.waitForSelector('body[data-model-loaded]', { timeout: 60_000 });
  return (await page.getAttribute('body', 'data-model-loaded'))!;
}

async function ask(page: Page, text: string, turn: number): Promise<void> {
  await page.fill('#prompt', text);
  await page.click('#send');
  await page.waitForSelector(`body[data-turns="${turn}"]`, { timeout: 60_000 });
}

test('first visit: the chat with the model picker (local models, the hub unreachable); stories260K loads with a progress bar and a chat turn streams real text with tokens/s', async () => {
  const context = await env.browser.newContext({ viewport: DESKTOP });
  const { page, errors } = await openDemo(context);
  // The picker lists the local models first, says the hub is unreachable, and marks what cannot run.
  const keys = await page.$$eval('#catalogue .model', (els) => els.map((e) => (e as HTMLElement).dataset.key));
  expect(keys).toContain('local:/models/stories260K');
  expect(keys).toContain(`local:/fixtures/${CALC_MODEL}`);
  expect(keys).toContain('hub:qwen3-0.6b');
  expect(await page.textContent('#banners')).toContain('The model hub is unreachable');
  expect(await page.textContent('[data-key="webllm:qwen3-0.6b"]')).toContain('Cannot run here');
  expect(await page.isVisible('#empty')).toBe(true);
  // Installable: Chromium finds the manifest, its icons and the service worker acceptable.
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  expect(manifest.errors).toEqual([]);
  expect(JSON.parse(manifest.data!).icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  // (Playwright's contexts are incognito, which Chromium reports; every other check must pass.)
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors.map((e) => e.errorId)).toEqual(['in-incognito']);
  await shoot(page, 'empty', { panel: true });

  // Loading: bytes, speed and time left while the weights arrive.
  await page.click('[data-key="local:/models/stories260K"] .load');
  await page.waitForFunction(() => Number(document.body.dataset.progress ?? 0) > 200_000, undefined, { timeout: 30_000 });
  const progress = await page.textContent('#loading-text');
  expect(progress).toMatch(/KB of 1\.\d MB · \d+(\.\d)? KB\/s · .+ left/);
  expect(await page.getAttribute('#loading-bar', 'value')).toMatch(/^0\.\d+/);
  await shoot(page, 'loading');
  await page.waitForSelector('body[data-model-loaded]', { timeout: 60_000 });
  expect(await page.getAttribute('body', 'data-model-loaded')).toBe('stories260K');
  expect(await page.textContent('#backend')).toBe('WASM');

  // A chat turn: the answer grows token by token, then shows tokens/s and time to first token.
  await page.evaluate(() => {
    (window as any).__growth = 0;
    new MutationObserver(() => (window as any).__growth++).observe(document.getElementById('chat')!, { subtree: true, characterData: true, childList: true });
  });
  await ask(page, 'Once upon a time', 1);
  const answer = (await page.textContent('.turn.assistant .answer'))!;
  expect(answer.trim().split(/\s+/).length).toBeGreaterThan(5);
  expect(answer).toMatch(/[a-z]+ [a-z]+/);
  expect(await page.evaluate(() => (window as any).__growth)).toBeGreaterThan(10);
  expect(await page.textContent('.turn.assistant .stats')).toMatch(/^\d+(\.\d)? tok\/s · first token \d+ ms · \d+ tokens · WASM/);
  expect(errors).toEqual([]);
  await context.close();
});

test('a full tool loop: the scripted Qwen3 model calls the calculator, the page runs it, the answer has the computed value', async () => {
  const context = await env.browser.newContext({ viewport: DESKTOP });
  const { page, errors } = await openDemo(context);
  expect(await load(page, `local:/fixtures/${CALC_MODEL}`)).toBe(CALC_MODEL);
  await ask(page, CALC_QUESTION, 1);
  expect(await page.textContent('.tool-call .tool-name')).toBe('calculator');
  expect(await page.textContent('.tool-call .tool-args')).toBe('{"expression": "17 * 23 + 2^10"}');
  expect(await page.textContent('.tool-call .tool-result code')).toBe(`{"result":${CALC_VALUE}}`);
  expect(await page.textContent('.turn.assistant .answer')).toBe(`17 × 23 + 2^10 = ${CALC_VALUE}.`);
  // Reasoning is shown collapsed once done; each of the two responses has its stats line.
  expect(await page.$$eval('.reasoning', (els) => els.map((e) => [(e as HTMLDetailsElement).open, e.textContent]))).toEqual([
    [false, 'ReasoningI will use the calculator.'],
    [false, `ReasoningThe calculator returned ${CALC_VALUE}.`],
  ]);
  expect(await page.$$eval('.turn.assistant .stats', (els) => els.length)).toBe(2);
  await shoot(page, 'tool-turn');
  expect(errors).toEqual([]);
  await context.close();
});

test('offline and the model is not cached: an error banner says which model and what is cached', async () => {
  const context = await env.browser.newContext({ viewport: DESKTOP });
  const { page } = await openDemo(context);
  await load(page, 'local:/models/stories260K');
  await context.setOffline(true);
  await page.click('[data-key="hub:qwen3-0.6b"] .load');
  await page.waitForSelector('body[data-load-error]', { timeout: 60_000 });
  const banner = await page.textContent('#banners .banner.error');
  expect(banner).toContain('You are offline and Qwen3 0.6B is not cached');
  expect(banner).toMatch(/Cached models you can use offline: \/models\/stories260K \(1\.\d MB\)/);
  await shoot(page, 'error');
  // The cached model is listed with its size and can be deleted (it is no longer loaded).
  await context.setOffline(false);
  expect(await page.textContent('#cached')).toMatch(/^\/models\/stories260K · 1\.\d MBDelete$/);
  await page.click('#cached button');
  await page.waitForFunction(() => document.getElementById('cached')!.textContent === 'No model downloaded yet.');
  expect(await page.evaluate(async () => (await (await caches.open('transformers-cache')).keys()).length)).toBe(0);
  await context.close();
});
