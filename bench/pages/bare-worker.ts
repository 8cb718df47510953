/// <reference lib="webworker" />
/**
 * BARE: transformers.js alone in a Web Worker — `AutoTokenizer` + `AutoModelForCausalLM` and a direct
 * `model.generate()`, no pipeline, no service, no parser, no SSE. Each generated token is posted to
 * the page as it comes (its id: nothing is decoded on the way, the cheapest baseline), so the page
 * times arrivals on its own clock, as it does for the STACK path. The text is decoded once at the end
 * (to check that both paths generated the same text).
 *
 * `env` is set the way the engine sets it (src/engines/transformers.ts): local folder served by the
 * app, no remote models, ONNX Runtime's files from /ort/.
 */
import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { bareGenerate, type GenerativeModel } from './bare-generate.ts';

declare const self: DedicatedWorkerGlobalScope;

export type BareRequest =
  | { type: 'load'; model: string; device: string; dtype: string }
  | { type: 'generate'; prompt: string; maxNewTokens: number };

export type BareMessage =
  | { type: 'loaded'; loadMs: number }
  | { type: 'token'; id: number }
  | { type: 'done'; inputTokens: number; outputTokens: number; text: string }
  | { type: 'error'; message: string };

let tokenizer: PreTrainedTokenizer | null = null;
let model: GenerativeModel | null = null;

async function load(folder: string, device: string, dtype: string): Promise<number> {
  const t0 = performance.now();
  const trimmed = folder.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = trimmed.slice(0, cut + 1);
  if (env.backends.onnx.wasm) (env.backends.onnx.wasm as { wasmPaths?: unknown }).wasmPaths = '/ort/';
  const name = trimmed.slice(cut + 1);
  tokenizer = await AutoTokenizer.from_pretrained(name, { local_files_only: true });
  model = (await AutoModelForCausalLM.from_pretrained(name, {
    local_files_only: true,
    device: device as 'wasm',
    dtype: dtype as 'fp32',
  })) as unknown as GenerativeModel;
  return performance.now() - t0;
}

async function generate(prompt: string, maxNewTokens: number): Promise<void> {
  const done = await bareGenerate(model!, tokenizer!, prompt, maxNewTokens, (id) => self.postMessage({ type: 'token', id } satisfies BareMessage));
  self.postMessage({ type: 'done', ...done } satisfies BareMessage);
}

self.onmessage = async (e: MessageEvent<BareRequest>) => {
  const msg = e.data;
  try {
    if (msg.type === 'load') self.postMessage({ type: 'loaded', loadMs: await load(msg.model, msg.device, msg.dtype) } satisfies BareMessage);
    else await generate(msg.prompt, msg.maxNewTokens);
  } catch (err) {
    self.postMessage({ type: 'error', message: (err as Error)?.message ?? String(err) } satisfies BareMessage);
  }
};
