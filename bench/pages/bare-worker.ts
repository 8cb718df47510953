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
import { AutoModelForCausalLM, AutoTokenizer, BaseStreamer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

declare const self: DedicatedWorkerGlobalScope;

export type BareRequest =
  | { type: 'load'; model: string; device: string; dtype: string }
  | {
      type: 'generate';
      prompt: string;
      maxNewTokens: number;
      /** Yield one task before each model step, as our engine does (src/engines/transformers.ts, so aborts get in). */
      yieldEachStep?: boolean;
    };

export type BareMessage =
  | { type: 'loaded'; loadMs: number }
  | { type: 'token'; id: number }
  | { type: 'done'; inputTokens: number; outputTokens: number; text: string }
  | { type: 'error'; message: string };

interface GenerativeModel {
  generate(options: Record<string, unknown>): Promise<unknown>;
  forward(inputs: unknown): Promise<unknown>;
}

/** A new task (MessageChannel round trip, no timer clamping): what the engine awaits before each step. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

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

async function generate(prompt: string, maxNewTokens: number, yieldEachStep: boolean): Promise<void> {
  const tok = tokenizer!;
  // The same prompt the service renders: the model's chat template with one user message.
  const text = tok.apply_chat_template([{ role: 'user', content: prompt }], { add_generation_prompt: true, tokenize: false }) as string;
  const inputs = tok(text, { add_special_tokens: false });
  const inputTokens = inputs.input_ids.dims[1];
  const ids: number[] = [];
  let promptSeen = false;
  // The cheapest streamer there is: one message per token (its id), nothing decoded on the way.
  const streamer = Object.assign(new BaseStreamer(), {
    put(value: bigint[][]) {
      if (!promptSeen) {
        promptSeen = true; // generate() puts the prompt first
        return;
      }
      const id = Number(value[0][0]);
      ids.push(id);
      self.postMessage({ type: 'token', id } satisfies BareMessage);
    },
    end() {},
  });
  const mdl = model!;
  const forward = mdl.forward;
  if (yieldEachStep) {
    mdl.forward = async (x: unknown) => {
      await nextTask();
      return forward.call(mdl, x);
    };
  }
  try {
    await mdl.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false, streamer });
  } finally {
    if (yieldEachStep) mdl.forward = forward;
  }
  const outputTokens = ids.length;
  const all = tok.decode(ids, { skip_special_tokens: false });
  self.postMessage({ type: 'done', inputTokens, outputTokens, text: all } satisfies BareMessage);
}

self.onmessage = async (e: MessageEvent<BareRequest>) => {
  const msg = e.data;
  try {
    if (msg.type === 'load') self.postMessage({ type: 'loaded', loadMs: await load(msg.model, msg.device, msg.dtype) } satisfies BareMessage);
    else await generate(msg.prompt, msg.maxNewTokens, msg.yieldEachStep ?? false);
  } catch (err) {
    self.postMessage({ type: 'error', message: (err as Error)?.message ?? String(err) } satisfies BareMessage);
  }
};
