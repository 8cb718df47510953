/**
 * The demo's scripted Qwen3 calculator model, generated at test time: a two-turn tool loop. Turn 1
 * calls the calculator; turn 2 (after the page sends the tool's output) answers with the value. The
 * prompts of both turns are the ones the demo's own Conversation renders through the real service
 * with Qwen3's template, found here with the scripted engine; the decoder emits each script at its
 * turn's position (see test/fixtures/onnx/scripted-decoder.ts).
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { createResponsesService, scriptedEngine, type ScriptedRequest } from '../src/index.ts';
import { Conversation } from '../demo/app/chat.ts';
import { ensureFixture } from '../test/fixtures/onnx/common.ts';
import { writeScriptedDecoder } from '../test/fixtures/onnx/scripted-decoder.ts';
import { qwen3 } from './scripted-model.ts';

const REPO = new URL('..', import.meta.url).pathname;
export const CALC_MODEL = 'scripted-qwen3-calculator';
export const CALC_QUESTION = 'What is 17 * 23 + 2^10?';
/** What the page's calculator computes for the call below (the model's answer repeats it). */
export const CALC_VALUE = '1415';
const CALL = '<think>\nI will use the calculator.\n</think>\n\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23 + 2^10"}}\n</tool_call>';
const ANSWER = `<think>\nThe calculator returned ${CALC_VALUE}.\n</think>\n\n17 × 23 + 2^10 = ${CALC_VALUE}.`;

/** The two prompts the demo sends for CALC_QUESTION, rendered by the real service. */
async function renderedPrompts(chatTemplate: string): Promise<string[]> {
  const seen: ScriptedRequest[] = [];
  const engine = scriptedEngine({ model: CALC_MODEL, chatTemplate, output: (r) => (seen.push(r), r.turn === 0 ? CALL : ANSWER) });
  const client = new OpenAI({ apiKey: 'local', baseURL: 'http://localhost/v1', fetch: createResponsesService({ engine }).fetch, maxRetries: 0 });
  const result = await new Conversation(client).send(CALC_QUESTION, { model: CALC_MODEL });
  if (result.rounds !== 2 || !result.text.includes(CALC_VALUE)) throw new Error(`the scripted tool loop did not run: ${JSON.stringify(result)}`);
  return seen.map((r) => r.prompt);
}

/** Writes (or reuses) `.fixtures/<CALC_MODEL>`, served by the e2e server as `/fixtures/<CALC_MODEL>`. */
export async function ensureCalculatorDecoder(): Promise<void> {
  const { tokenizer, chatTemplate, tokenizerDir } = await qwen3();
  const [first, second] = await renderedPrompts(chatTemplate);
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  const options = {
    tokenizerDir,
    promptLength: tokenizer.encode(first).length,
    script: encode(CALL),
    turns: [{ promptLength: tokenizer.encode(second).length, script: encode(ANSWER) }],
    eosTokenId: 151645,
  };
  ensureFixture(join(REPO, '.fixtures', CALC_MODEL), JSON.stringify(options), () => writeScriptedDecoder(join(REPO, '.fixtures', CALC_MODEL), options));
}
