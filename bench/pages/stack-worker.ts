/// <reference lib="webworker" />
/**
 * The decode bench's one worker: the runtime's worker host (src/browser/host.ts over comlink, as
 * worker/worker.ts serves it) on our transformers.js engine, which STACK and RUNTIME reach, and beside
 * it the steps below them on the *same loaded model* (one ONNX Runtime session, one WASM instance):
 *
 * - BARE: transformers.js's `model.generate()` on the raw model (bare-generate.ts), one message per token;
 * - YIELD: the same with the engine's yield in place (one task before a model step, at most every 50 ms);
 * - ENGINE: our engine alone, `engine.generate()` on the rendered prompt, one message per chunk;
 * - SERVICE: the ResponsesService read inside the worker, one message per text delta.
 *
 * Why one worker: two workers that each load the same model run it at different speeds, by up to 15%
 * for the whole life of the worker (BENCHMARKS.md, session 10), which is more than any step costs.
 *
 * The steps are asked for with plain messages beside comlink's (`LADDER`); the page times each
 * `LADDER_TOKEN` on arrival (bench/pages/stack.ts).
 */
import * as Comlink from 'comlink';
import * as T from '@huggingface/transformers';
import '../../src/browser/errors.ts';
import { createWorkerHost } from '../../src/browser/host.ts';
import { transformersEngine, type TransformersEngine, type TransformersEngineOptions } from '../../src/engines/transformers.ts';
import { ChatTemplate } from '../../src/prompt/chat.ts';
import { createResponsesService, type ResponsesService } from '../../src/service/service.ts';
import { bareGenerate, type GenerativeModel } from './bare-generate.ts';
import { LADDER, LADDER_DONE, LADDER_ERROR, LADDER_TOKEN, decodeRequest, readDeltas, sseSummary, type LadderStep } from './common.ts';

declare const self: DedicatedWorkerGlobalScope;

let engine: TransformersEngine | null = null;
let service: ResponsesService | null = null;
let template: ChatTemplate | null = null;
/** What the engine's `from_pretrained` calls returned: the raw model and tokenizer. */
let rawModel: GenerativeModel | null = null;
let rawTokenizer: T.PreTrainedTokenizer | null = null;

/** transformers.js as the engine sees it, except that the loaded model and tokenizer are kept here too. */
const capturing = {
  ...T,
  AutoTokenizer: {
    from_pretrained: async (...args: Parameters<typeof T.AutoTokenizer.from_pretrained>) =>
      (rawTokenizer = await T.AutoTokenizer.from_pretrained(...args)),
  },
  AutoModelForCausalLM: {
    from_pretrained: async (...args: Parameters<typeof T.AutoModelForCausalLM.from_pretrained>) =>
      (rawModel = (await T.AutoModelForCausalLM.from_pretrained(...args)) as unknown as GenerativeModel),
  },
} as unknown as typeof T;

const host = createWorkerHost({
  makeEngine: (config, onProgress) => {
    engine = transformersEngine({ ...(config.options as Partial<TransformersEngineOptions>), model: config.model, onProgress, transformers: capturing });
    service = createResponsesService({ engine });
    template = null;
    return engine;
  },
});

const token = () => self.postMessage({ type: LADDER_TOKEN });

/**
 * BARE and YIELD on the engine's own model object. The engine puts its yield on the model as an own
 * `forward` (src/engines/transformers.ts, `yieldingSteps`); BARE takes it off for the run, so
 * `forward` is transformers.js's again, and YIELD leaves it on.
 */
async function viaModel(step: 'bare' | 'yield', prompt: string, maxTokens: number) {
  const mdl = rawModel!;
  const own = Object.getOwnPropertyDescriptor(mdl, 'forward');
  if (!own) throw new Error('the engine did not put its yield on the model');
  if (step === 'bare') delete (mdl as { forward?: unknown }).forward;
  try {
    return await bareGenerate(mdl, rawTokenizer!, prompt, maxTokens, token);
  } finally {
    if (step === 'bare') Object.defineProperty(mdl, 'forward', own);
  }
}

async function viaEngine(prompt: string, maxTokens: number) {
  const info = engine!.models()[0];
  template ??= new ChatTemplate(info.chatTemplate);
  const rendered = template.render({ messages: [{ role: 'user', content: prompt }], tools: [], bosToken: info.bosToken, eosToken: info.eosToken });
  let text = '';
  for await (const ev of engine!.generate({
    model: info.id,
    prompt: rendered,
    sampling: { temperature: 0, topP: 1, maxTokens },
    signal: new AbortController().signal,
  })) {
    if (ev.type === 'chunk') {
      text += ev.text;
      token();
    } else {
      return { inputTokens: ev.inputTokens, outputTokens: ev.outputTokens, text };
    }
  }
  throw new Error('the engine ended without a finish event');
}

async function viaService(prompt: string, maxTokens: number) {
  const res = await service!.fetch('http://worker.local/v1/responses', decodeRequest(engine!.models()[0].id, prompt, maxTokens));
  return sseSummary(await readDeltas(res.body!, (n) => {
    for (let i = 0; i < n; i++) token();
  }));
}

Comlink.expose(host);
// Plain messages beside comlink's (which answers messages of a type it does not know with nothing).
self.addEventListener('message', (e: MessageEvent<{ type?: string; step: LadderStep; prompt: string; maxTokens: number }>) => {
  if (e.data?.type !== LADDER) return;
  const { step, prompt, maxTokens } = e.data;
  const run = step === 'bare' || step === 'yield' ? viaModel(step, prompt, maxTokens) : step === 'engine' ? viaEngine(prompt, maxTokens) : viaService(prompt, maxTokens);
  run.then(
    (done) => self.postMessage({ type: LADDER_DONE, ...done }),
    (err: unknown) => self.postMessage({ type: LADDER_ERROR, message: (err as Error)?.message ?? String(err) }),
  );
});
