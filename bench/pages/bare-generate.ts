/**
 * BARE: transformers.js's own `model.generate()` with the cheapest streamer there is (each new token's
 * id handed to `onToken`, nothing decoded on the way), on the prompt the service renders (the model's
 * chat template, one user message). Shared by bare-worker.ts (load timings) and stack-worker.ts (BARE
 * beside STACK on the same loaded model).
 */
import { BaseStreamer, type PreTrainedTokenizer } from '@huggingface/transformers';

export interface GenerativeModel {
  generate(options: Record<string, unknown>): Promise<unknown>;
  forward(inputs: unknown): Promise<unknown>;
}

export async function bareGenerate(
  model: GenerativeModel,
  tokenizer: PreTrainedTokenizer,
  prompt: string,
  maxNewTokens: number,
  onToken: (id: number) => void,
): Promise<{ inputTokens: number; outputTokens: number; text: string }> {
  const text = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], { add_generation_prompt: true, tokenize: false }) as string;
  const inputs = tokenizer(text, { add_special_tokens: false });
  const ids: number[] = [];
  let promptSeen = false;
  const streamer = Object.assign(new BaseStreamer(), {
    put(value: bigint[][]) {
      if (!promptSeen) {
        promptSeen = true; // generate() puts the prompt first
        return;
      }
      const id = Number(value[0][0]);
      ids.push(id);
      onToken(id);
    },
    end() {},
  });
  await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false, streamer });
  // Decoded once at the end, to check that every path generated the same text.
  return { inputTokens: inputs.input_ids.dims[1], outputTokens: ids.length, text: tokenizer.decode(ids, { skip_special_tokens: false }) };
}
