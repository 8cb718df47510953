/**
 * A scripted ONNX decoder (generated at test time) with Qwen3's real tokenizer and chat template,
 * run by transformers.js in the worker runtime: the tool call goes through the real template,
 * tokenizer, engine and parser, with the real model's token boundaries (`<tool_call>` is one token).
 */
import { expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { useApp } from './browser.ts';
import { ARGS, MODEL, REQUEST, ensureScriptedToolDecoder } from './scripted-model.ts';

const env = useApp({ harness: true, prepare: ensureScriptedToolDecoder });

async function harnessPage(): Promise<Page> {
  const page = await env.browser.newPage();
  await page.goto(`${env.app.url}/e2e/pages/runtime.html`);
  await page.waitForSelector('body[data-ready="1"]');
  return page;
}

test('a function_call streams from the scripted Qwen3 decoder; the official SDK in the page reads it through rt.fetch', async () => {
  const page = await harnessPage();
  const result = await page.evaluate(
    async ({ model, request }) => {
      const h = (window as any).harness;
      const rt = h.start(`/fixtures/${model}`, { device: 'wasm', dtype: 'fp32' });
      await rt.ready;
      // 1. rt.responses.create (events as an async iterable)
      const events: any[] = [];
      for await (const ev of await rt.responses.create({ ...request, stream: true })) events.push(ev);
      // 2. the official SDK through rt.fetch
      const stream = h.client(rt).responses.stream(request);
      const sdkDeltas: string[] = [];
      for await (const ev of stream) if (ev.type === 'response.function_call_arguments.delta') sdkDeltas.push(ev.delta);
      const final = await stream.finalResponse();
      return { events, sdkDeltas, output: final.output, usage: final.usage };
    },
    { model: MODEL, request: REQUEST },
  );
  const types = result.events.map((e: { type: string }) => e.type);
  expect(types[0]).toBe('response.created');
  expect(types.at(-1)).toBe('response.completed');
  const argDeltas = result.events.filter((e: { type: string }) => e.type === 'response.function_call_arguments.delta');
  expect(argDeltas.length).toBeGreaterThan(3); // streamed as the model wrote it, not in one piece
  expect(argDeltas.map((e: { delta: string }) => e.delta).join('')).toBe(ARGS);
  expect(result.sdkDeltas.join('')).toBe(ARGS);
  expect(result.output.map((o: { type: string }) => o.type)).toEqual(['reasoning', 'function_call']);
  expect(result.output[0].content[0].text).toBe('The user wants the weather.');
  expect(result.output[1]).toMatchObject({ name: 'get_weather', arguments: ARGS, parsed_arguments: JSON.parse(ARGS) });
  expect(result.usage.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  // No markup ever reached a text delta.
  expect(types).not.toContain('response.output_text.delta');
  await page.close();
});
