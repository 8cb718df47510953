import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, startApp, type AppServer } from './browser.ts';

let app: AppServer;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

test('the npm start page streams a scripted tool-calling turn through the official SDK in Chromium', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${app.url}/`);
  await page.fill('#prompt', 'What is the weather in Lyon?');
  await page.click('#send');
  // The first turn's reasoning streams in before the turn is over.
  await page.waitForSelector('.turn.reasoning');
  await page.waitForFunction(() => document.body.dataset.done === '1', undefined, { timeout: 20_000 });
  const reasoning = await page.textContent('.turn.reasoning');
  const call = await page.textContent('.turn.call');
  const answers = await page.$$eval('.turn.text', (els) => els.map((e) => e.textContent));
  expect(reasoning).toBe('The user asks about Lyon. I should call the weather tool.');
  expect(call).toBe('get_weather({"city": "Lyon", "unit": "celsius"})');
  expect(answers).toEqual(['The tool answered {"city":"Lyon","temperature":21,"unit":"celsius"}. That is what I know.']);
  expect(await page.textContent('#status')).toMatch(/^completed · \d+ output tokens$/);
  expect(errors).toEqual([]);
  await page.screenshot({ path: 'test-results/demo.png' });
  await page.close();
});
